"""Credit model: point-in-time features, candidate selection, explanations and artifacts.

Kept import-light on purpose: pandas, numpy and scikit-learn load only when a submodule
(`frames`, `features`, `training`, `model`, `artifact`, ...) is imported, so callers that only
need the error types (e.g. to map them to problem details) do not pay for them.
"""

from shared.ml.errors import ArtifactIntegrityError, TrainingError

__all__ = ["ArtifactIntegrityError", "TrainingError"]
