"""Brazilian taxpayer documents: CPF (people) and CNPJ (companies), including the alphanumeric
CNPJ in force since July 2026 (IN RFB 2.229/2024).

CNPJ check digits come from python-stdnum, which already implements the alphanumeric rule
(character value = ord(c) - 48, mod-11 weights 2..9). stdnum keeps its CPF routine private, so
the CPF one is written here; both validation and generation go through the same `*_check_digits`
function, so the sample generator can never produce a document the API rejects.
"""

from __future__ import annotations

import re

from stdnum.br import cnpj as _cnpj
from stdnum.br import cpf as _cpf

_PUNCTUATION = re.compile(r"[.\-/\s]")
_CPF_BASE = re.compile(r"[0-9]{9}")
_CNPJ_BASE = re.compile(r"[0-9A-Z]{12}")
_CPF = re.compile(r"[0-9]{11}")
_CNPJ = re.compile(r"[0-9A-Z]{12}[0-9]{2}")


def normalize_document(value: str) -> str:
    """ "123.456.789-09" -> "12345678909"; "12.abc.345/01de-35" -> "12ABC34501DE35"."""
    return _PUNCTUATION.sub("", value).upper()


def cpf_check_digits(base9: str) -> str:
    """The two check digits of a CPF whose first nine digits are `base9`."""
    if not _CPF_BASE.fullmatch(base9):
        raise ValueError(f"CPF base must be 9 digits, got {base9!r}")
    values = [int(char) for char in base9]
    for _ in range(2):
        weights = range(len(values) + 1, 1, -1)  # 10..2, then 11..2
        values.append((11 - sum(w * v for w, v in zip(weights, values))) % 11 % 10)
    return f"{values[-2]}{values[-1]}"


def cnpj_check_digits(base12: str) -> str:
    """The two check digits of a CNPJ whose first twelve characters are `base12` ([0-9A-Z])."""
    if not _CNPJ_BASE.fullmatch(base12):
        raise ValueError(f"CNPJ base must be 12 characters in [0-9A-Z], got {base12!r}")
    return _cnpj.calc_check_digits(base12)


def _repeated(value: str) -> bool:
    # "111.111.111-11" passes the mod-11 test but is a well-known placeholder, never a real document.
    return len(set(value)) == 1


def is_valid_cpf(digits: str) -> bool:
    value = normalize_document(digits)
    return bool(_CPF.fullmatch(value)) and not _repeated(value) and cpf_check_digits(value[:9]) == value[9:]


def is_valid_cnpj(value: str) -> bool:
    value = normalize_document(value)
    return (
        bool(_CNPJ.fullmatch(value)) and not _repeated(value) and cnpj_check_digits(value[:12]) == value[12:]
    )


def is_valid_document(value: object) -> bool:
    """A CPF (11 digits) or CNPJ (14 characters) after punctuation is removed."""
    if not isinstance(value, str):
        return False
    value = normalize_document(value)
    if len(value) == 11:
        return is_valid_cpf(value)
    return len(value) == 14 and is_valid_cnpj(value)


def format_document(value: str) -> str:
    """The usual mask: "123.456.789-09" or "12.ABC.345/01DE-35"."""
    value = normalize_document(value)
    if len(value) == 11:
        return _cpf.format(value)
    if len(value) == 14:
        return _cnpj.format(value)
    raise ValueError(f"not a CPF or CNPJ length: {value!r}")
