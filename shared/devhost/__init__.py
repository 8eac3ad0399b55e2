"""A small local host for the function app (`python -m shared.devhost`), for machines without the
Azure Functions Core Tools. It calls the same functions with the same `azure.functions` objects as
the Functions host, so `func start` keeps working on the same code."""

from shared.devhost.errors import DevHostError
from shared.devhost.host import DevHost

__all__ = ["DevHost", "DevHostError"]
