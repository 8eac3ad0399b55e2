"""`creditgate`: the command-line client of the CreditGate API (DESIGN §10).

It depends on nothing of the server's packages (`shared/`, `functions/`), so `pip install` of the
repository gives a client that runs anywhere with httpx and rich.
"""

__version__ = "0.1.0"
