from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, EmailStr, Field

from shared.schemas.base import Strict, Text


class SignupRequest(Strict):
    company: Text = Field(min_length=1, max_length=200)
    email: EmailStr
    password: str = Field(min_length=12, max_length=128)


class TokenRequest(Strict):
    email: EmailStr
    password: str = Field(min_length=1, max_length=128)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int


class SignupResponse(TokenResponse):
    tenant_id: uuid.UUID
    user_id: uuid.UUID


class ApiKeyCreate(Strict):
    name: Text = Field(min_length=1, max_length=100)


class ApiKeyInfo(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyInfo):
    key: str = Field(description="Shown once; only a hash is stored.")


class ApiKeyList(BaseModel):
    items: list[ApiKeyInfo]
