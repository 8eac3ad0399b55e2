"""Sign-in attempt counters, shared by every instance through the database."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.models.base import Base


class SigninCounter(Base):
    """Attempts of one caller (an email's failures, or an address's attempts) in one fixed window.

    The key is an HMAC (DOCUMENT_HASH_KEY) of the email or address, never the value in clear. The
    window's start leads the primary key, so deleting ended windows is a range of the index."""

    __tablename__ = "signin_counters"

    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # Unix seconds
    scope: Mapped[str] = mapped_column(String(8), primary_key=True)  # "email" | "address"
    key_hmac: Mapped[str] = mapped_column(String(64), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
