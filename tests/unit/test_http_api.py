"""`ApiRequest`'s reading of route ids: one spelling per id, as the OpenAPI document gives it."""

import uuid

import azure.functions as func
import pytest

from functions.http_api import ApiRequest
from shared.config import get_settings
from shared.errors import NotFound

ID = uuid.UUID("0b7c6f3e-51a4-4c43-9d55-2f8e1c2b9a10")


def _call(**route_params: str) -> ApiRequest:
    return ApiRequest(func.HttpRequest("GET", "http://h/api/x", body=b"", route_params=route_params), get_settings())


@pytest.mark.parametrize("spelling", ["\xa07", "\u0667", "7\u2003", " 7", "+7", "-7", "7.0", "", "12345678901"])
def test_route_ints_are_plain_ascii_digits(spelling: str) -> None:
    with pytest.raises(NotFound):
        _call(version=spelling).route_int("version", "model version")


@pytest.mark.parametrize("spelling", [ID.hex, f"{{{ID}}}", f"urn:uuid:{ID}", f" {ID}", f"{str(ID)[:8]}{str(ID)[8:].replace('-', '')}"])
def test_route_uuids_have_the_hyphenated_spelling_only(spelling: str) -> None:
    with pytest.raises(NotFound):
        _call(upload_id=spelling).route_uuid("upload_id", "upload")


def test_plain_spellings_are_read() -> None:
    assert _call(version="07").route_int("version", "model version") == 7
    assert _call(upload_id=str(ID).upper()).route_uuid("upload_id", "upload") == ID
