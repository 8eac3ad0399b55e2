"""The CreditGate function app: one Blueprint per module of `functions/`.

Importing this module must stay light: the Functions host does it at every cold start. The route
modules import their services and schemas when first used (`functions.lazy`), so the database
layer, password hashing and the ML stack load with the first request that needs them, and
`tests/unit/test_cold_start.py` keeps them out of the import.
"""

import gc

import azure.functions as func

from functions import (
    accounts, console, docs, health, models, monitoring, policy, predictions, training, uploads, webhooks,
)
from functions.http_api import MAX_BODY_BYTES, refuse_large_body  # noqa: F401 - read by shared.devhost

# A 500-order prediction allocates a few thousand containers that die with the request;
# collecting the youngest generation every 10,000 allocations instead of 700 spares it most of
# those passes (0.4 ms a request). Long-lived objects are frozen once loaded (`model_loader`).
gc.set_threshold(10_000, 10, 10)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

for blueprint in (
    accounts.bp, health.bp, uploads.bp, training.bp, models.bp, policy.bp, predictions.bp, monitoring.bp,
    webhooks.bp, docs.bp, console.bp,
):
    app.register_functions(blueprint)
