from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from shared.schemas.base import EMAIL_PATTERN, Strict, Text

# A pattern the OpenAPI document states exactly: email-validator also refused, say, the special-use
# domain .test that "format": "email" allows, so the document promised addresses it turned away.
Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)]


class SignupRequest(Strict):
    company: Text = Field(min_length=1, max_length=200)
    email: Email
    password: str = Field(min_length=12, max_length=128)


class TokenRequest(Strict):
    email: Email
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
