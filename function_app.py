"""The CreditGate function app: one Blueprint per module of `functions/`.

Importing this module must stay light (no pandas/numpy/scikit-learn): cold starts of signup
and token should not pay for the ML stack.
"""

import azure.functions as func

from functions import accounts, docs, health, models, predictions, training, uploads

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for blueprint in (accounts.bp, health.bp, uploads.bp, training.bp, models.bp, predictions.bp, docs.bp):
    app.register_functions(blueprint)
