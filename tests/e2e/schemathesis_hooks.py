"""Loaded by the Schemathesis run of `test_openapi_fuzz.py` (`hooks` in `schemathesis.toml`).

A few rules of the data contract cannot be written in JSON Schema: keys unique within a batch,
CPF/CNPJ check digits, `valid_until` on or after `valid_from`, dates within their years and orders
no later than tomorrow (a bound that moves), no more batches than declared, a commit whose rows
name customers never sent, a policy's hold cutoff above its invoice cutoff, a webhook URL that is
not https, has no valid port or host, or resolves to private addresses, and list cursors this
service never gave out. The document states them in prose, so a schema-valid request may be
answered 422 for them, and only for them: this check fails any other 422 to a schema-valid request
(the built-in `positive_data_acceptance` is told to let 422 through, see the configuration).
"""

from __future__ import annotations

import re

import schemathesis
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

STATED_RULES = re.compile(
    "|".join(
        (
            r"same key as item \d+",
            r"Value error, not a valid CPF or CNPJ \(check digits\)",
            r"Value error, valid_until must be on or after valid_from",
            r"Value error, must be between the years \d+ and \d+",
            r"Value error, must be between \d{4}-\d\d-\d\d and a day from now",
            r"must be at most \d+",  # the batch number, beyond the batches declared
            r"unknown customer .*",
            r"Value error, hold_below must not be above invoice_at",
            r"Value error, not a cursor this list answered",  # opaque: only a `next_cursor` given out
            r"cannot deliver to this URL: .*",  # a webhook URL: https and public addresses, a valid port
        )
    )
)


@schemathesis.check
def rejects_valid_data_only_for_stated_rules(ctx, response, case) -> bool | None:
    meta = case.meta
    if meta is None or response.status_code != 422 or is_unexpected_http_status_case(case):
        return None
    if not meta.generation.mode.is_positive or any(part.mode.is_negative for part in meta.components.values()):
        return None
    errors = response.json().get("errors") or [{"msg": response.json().get("detail", "")}]
    unstated = [f"{error.get('loc')}: {error['msg']}" for error in errors if not STATED_RULES.fullmatch(error["msg"])]
    if unstated:
        raise AssertionError(
            f"Schema-valid request ({meta.phase.name.value} phase) rejected for rules the document does not state:\n"
            + "\n".join(unstated)
        )
    return None
