"""Typed ORM models; every tenant-owned table carries `tenant_id`."""

from shared.db.models.accounts import ApiKey, Tenant, User
from shared.db.models.base import Base
from shared.db.models.datasets import CreditLimit, Customer, Order, SerasaQuery
from shared.db.models.limits import SigninCounter
from shared.db.models.monitoring import DecisionCount, DriftCount, OutcomeMark, RetrainingRule
from shared.db.models.policy import PolicyVersion
from shared.db.models.registry import ModelVersion, PredictionBatch, PredictionLog
from shared.db.models.uploads import OutboxEvent, TrainingJob, Upload, UploadBatch
from shared.db.models.webhooks import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "ApiKey", "Base", "CreditLimit", "Customer", "DecisionCount", "DriftCount", "ModelVersion", "Order", "OutcomeMark",
    "OutboxEvent", "PolicyVersion", "PredictionBatch", "PredictionLog", "RetrainingRule", "SerasaQuery", "SigninCounter",
    "Tenant", "TrainingJob", "Upload", "UploadBatch", "User", "Webhook", "WebhookAttempt", "WebhookDelivery",
]
