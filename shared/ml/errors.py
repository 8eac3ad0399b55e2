"""Errors the service layer maps to job failures and problem details (no heavy imports here)."""


class TrainingError(Exception):
    """The tenant's data cannot produce a trustworthy model; `reason` is shown to the user as is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ArtifactIntegrityError(Exception):
    """Stored model bytes do not match the recorded sha256, so they are never unpickled."""
