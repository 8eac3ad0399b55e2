import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.br import cpf as stdnum_cpf

from shared.documents import (
    cnpj_check_digits,
    cpf_check_digits,
    format_document,
    is_valid_cnpj,
    is_valid_cpf,
    is_valid_document,
    normalize_document,
)

VALID_CPFS = ["529.982.247-25", "111.444.777-35", "39053344705"]
VALID_CNPJS = ["11.222.333/0001-81", "16727230000197", "12.ABC.345/01DE-35", "12abc34501de35"]

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
cpf_bases = st.text(alphabet="0123456789", min_size=9, max_size=9).filter(lambda s: len(set(s)) > 1)
cnpj_bases = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=12, max_size=12).filter(
    lambda s: len(set(s)) > 1
)


def test_normalize_strips_punctuation_and_uppercases() -> None:
    assert normalize_document(" 12.abc.345/01de-35 ") == "12ABC34501DE35"
    assert normalize_document("529.982.247-25") == "52998224725"


@pytest.mark.parametrize("value", VALID_CPFS)
def test_known_cpfs_are_valid(value: str) -> None:
    assert is_valid_cpf(value)
    assert is_valid_document(value)
    assert not is_valid_cnpj(value)


@pytest.mark.parametrize("value", VALID_CNPJS)
def test_known_cnpjs_are_valid(value: str) -> None:
    assert is_valid_cnpj(value)
    assert is_valid_document(value)
    assert not is_valid_cpf(value)


def test_receita_federal_alphanumeric_example_check_digits() -> None:
    assert cnpj_check_digits("12ABC34501DE") == "35"
    assert cnpj_check_digits("112223330001") == "81"
    assert cpf_check_digits("529982247") == "25"


@pytest.mark.parametrize(
    "value",
    ["529.982.247-26", "529.982.247-52", "11.222.333/0001-80", "12.ABC.345/01DE-53", "12.ABD.345/01DE-35"],
)
def test_wrong_check_digits_are_rejected(value: str) -> None:
    assert not is_valid_document(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "5299822472",  # 10 digits
        "529982247255",  # 12 digits
        "1122233300018",  # 13
        "112223330001811",  # 15
        "5299822472A",  # letter in a CPF
        "12ABC34501DEAB",  # letters where CNPJ check digits go
        "12ABC34501DE3\u0665",  # a non-ASCII digit
        "12_ABC_345_01DE_35",
    ],
)
def test_malformed_documents_are_rejected(value: str) -> None:
    assert not is_valid_document(value)


def test_non_strings_are_rejected() -> None:
    assert not is_valid_document(None)
    assert not is_valid_document(52998224725)


@pytest.mark.parametrize("digit", "0123456789")
def test_repeated_digits_are_rejected(digit: str) -> None:
    # "11111111111" passes the CPF mod-11 arithmetic: only the explicit rule rejects it.
    assert not is_valid_cpf(digit * 11)
    assert not is_valid_cnpj(digit * 14)
    assert not is_valid_document(digit * 11)


def test_check_digit_helpers_reject_bad_bases() -> None:
    with pytest.raises(ValueError):
        cpf_check_digits("12345678")
    with pytest.raises(ValueError):
        cnpj_check_digits("12abc34501de")  # lowercase is for normalize_document, not the helper


def test_format_document_round_trips() -> None:
    assert format_document("52998224725") == "529.982.247-25"
    assert format_document("12abc34501de35") == "12.ABC.345/01DE-35"
    with pytest.raises(ValueError):
        format_document("123")


@given(cpf_bases)
def test_generated_cpfs_are_valid_and_agree_with_stdnum(base: str) -> None:
    document = base + cpf_check_digits(base)
    assert is_valid_cpf(document)
    assert stdnum_cpf.is_valid(document)  # an independent implementation
    assert is_valid_document(format_document(document))


@given(cnpj_bases)
def test_generated_cnpjs_are_valid(base: str) -> None:
    document = base + cnpj_check_digits(base)
    assert is_valid_cnpj(document)
    assert is_valid_document(format_document(document).lower())


@given(cpf_bases, st.integers(0, 1), digits)
def test_changing_a_cpf_check_digit_invalidates(base: str, position: int, digit: str) -> None:
    document = base + cpf_check_digits(base)
    assume(document[9 + position] != digit)
    mutant = document[: 9 + position] + digit + document[10 + position :]
    assert not is_valid_cpf(mutant)


@given(cnpj_bases, st.integers(0, 1), digits)
def test_changing_a_cnpj_check_digit_invalidates(base: str, position: int, digit: str) -> None:
    document = base + cnpj_check_digits(base)
    assume(document[12 + position] != digit)
    mutant = document[: 12 + position] + digit + document[13 + position :]
    assert not is_valid_cnpj(mutant)


# mod 11 folds remainders 0 and 1 into check digit 0, so a base change can go unnoticed only when
# the first check digit is 0; otherwise any digit-for-digit substitution must be caught.
@given(cpf_bases, st.integers(0, 8), st.integers(0, 9), st.integers(1, 9))
def test_changing_a_cpf_base_digit_invalidates(base: str, position: int, old: int, shift: int) -> None:
    base = base[:position] + str(old) + base[position + 1 :]
    document = base + cpf_check_digits(base)
    assume(len(set(base)) > 1 and document[9] != "0")
    mutant = base[:position] + str((old + shift) % 10) + document[position + 1 :]
    assert not is_valid_cpf(mutant)
    assert stdnum_cpf.is_valid(mutant) is False


@given(cnpj_bases, st.integers(0, 11), st.integers(0, 9), st.integers(1, 9))
def test_changing_a_cnpj_base_digit_invalidates(base: str, position: int, old: int, shift: int) -> None:
    base = base[:position] + str(old) + base[position + 1 :]
    document = base + cnpj_check_digits(base)
    assume(len(set(base)) > 1 and document[12] != "0")
    mutant = base[:position] + str((old + shift) % 10) + document[position + 1 :]
    assert not is_valid_cnpj(mutant)
