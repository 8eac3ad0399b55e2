"""The client's file reading: CSV dialects and Brazilian decimals, JSON lines and Parquet giving the
same items, and a 422's item positions mapped back to file rows."""

from decimal import Decimal
from pathlib import Path

import pytest

from creditgate.contract import DATASETS, PREDICTION_FIELDS
from creditgate.errors import BadInput
from creditgate.files import FileErrors, Problem, dataset_for, parse_number, read, read_all, sniff_delimiter
from creditgate.upload import Batch, batches, row_problems
from shared.sample_data import generate
from shared.schemas.datasets import ITEM_TYPES, OrderFields


def test_the_client_s_contract_names_the_server_s_fields():
    assert {name: set(fields) for name, fields in DATASETS.items()} == {
        name: set(item.model_fields) for name, item in ITEM_TYPES.items()
    }
    assert set(PREDICTION_FIELDS) == set(OrderFields.model_fields)


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("order_id;amount;channel", ";"), ("order_id,amount", ","), ("order_id\tamount", "\t"), ("order_id", ",")],
)
def test_the_delimiter_is_the_header_s(header, delimiter):
    assert sniff_delimiter(header + "\nO1;1.250,50;edi\n") == delimiter


@pytest.mark.parametrize(
    ("text", "mark", "value"),
    [("1.250,50", ",", "1250.50"), ("1250,5", ",", "1250.5"), ("12.345.678,9", ",", "12345678.9"),
     ("1250.5", ",", "1250.5"), (" 7 ", ",", "7"), ("1250.50", ".", "1250.50"), ("-3", ".", "-3")],
)
def test_numbers_read_with_the_file_s_decimal_mark(text, mark, value):
    assert parse_number(text, mark) == Decimal(value)


@pytest.mark.parametrize(("text", "mark"), [("1,250.50", "."), ("12,3,4", ","), ("1.25.0", ","), ("abc", ","), ("", ".")])
def test_what_is_not_a_number_is_refused(text, mark):
    with pytest.raises(ValueError):
        parse_number(text, mark)


def test_a_brazilian_csv_becomes_api_items(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(
        "\ufefforder_id;customer_id;ordered_at;amount;payment_term_days;channel;invoiced;attributes.discount_pct;attributes.rush;attributes.note\n"
        "O1;C1;2025-03-01T10:00:00-03:00;1.250,50;28;edi;sim;2,5;true;\"duas\nlinhas\"\n"
        "O2;C1;2025-03-02T10:00:00Z;99;;;;;;\n",
        encoding="utf-8",
    )
    data = read(path, "orders", DATASETS["orders"])
    assert data.items == [
        {"order_id": "O1", "customer_id": "C1", "ordered_at": "2025-03-01T10:00:00-03:00", "amount": "1250.50",
         "payment_term_days": 28, "channel": "edi", "invoiced": True,
         "attributes": {"discount_pct": 2.5, "rush": True, "note": "duas\nlinhas"}},
        {"order_id": "O2", "customer_id": "C1", "ordered_at": "2025-03-02T10:00:00Z", "amount": "99"},
    ]
    assert data.rows == [3, 4]  # the header is line 1; the quoted cell spans lines 2 and 3


def test_brazilian_dates_and_comma_files_with_decimal_points(tmp_path):
    path = tmp_path / "credit_limits.csv"
    path.write_text("customer_id,limit,valid_from,valid_until\nC1,2500.75,01/02/2025,2025-12-31\n", encoding="utf-8")
    assert read(path, "credit_limits", DATASETS["credit_limits"]).items == [
        {"customer_id": "C1", "limit": "2500.75", "valid_from": "2025-02-01", "valid_until": "2025-12-31"}
    ]


def test_bad_cells_and_unknown_columns_are_named_by_row_and_column_before_anything_is_sent(tmp_path):
    (tmp_path / "orders.csv").write_text(
        "order_id;customer_id;ordered_at;amount;invoiced\nO1;C1;2025-03-01;10;true\nO2;C1;2025-03-01;dez;talvez\n"
    )
    (tmp_path / "customers.jsonl").write_text('{"customer_id": "C1"}\n\n{"customer_id": "C2", "nome": "X"}\nnot json\n')
    with pytest.raises(FileErrors) as caught:
        read_all([tmp_path / "orders.csv", tmp_path / "customers.jsonl"], None, None)
    assert {str(problem) for problem in caught.value.problems} == {
        "orders.csv row 3, column amount: 'dez' is not a number (like 1.250,50)",
        "orders.csv row 3, column invoiced: 'talvez' is not true or false",
        "customers.jsonl row 3, column nome: not a field of customers (expected customer_id, document, name, "
        "segment, state, customer_since, attributes, attributes.<name>)",
        "customers.jsonl row 4: not JSON: Expecting value: line 1 column 1 (char 0)",
    }
    assert caught.value.exit_code == 3


@pytest.mark.parametrize(
    ("name", "dataset"),
    [("orders.csv", "orders"), ("credit_limits_2025.parquet", "credit_limits"), ("serasa_queries-sp.jsonl", "serasa_queries")],
)
def test_the_dataset_comes_from_the_file_name(name, dataset):
    assert dataset_for(Path(name), None) == dataset


def test_a_file_name_that_names_no_dataset_asks_for_dataset():
    with pytest.raises(BadInput, match="--dataset"):
        dataset_for(Path("export.csv"), None)
    assert dataset_for(Path("export.csv"), "orders") == "orders"


def _validated(dataset: str, items: list[dict]) -> list[dict]:
    model = ITEM_TYPES[dataset]
    return [model.model_validate(item).model_dump() for item in items]


def test_the_sample_company_reads_the_same_from_csv_json_lines_and_parquet(tmp_path):
    tenant = generate(300, seed=5, unlabeled_fraction=0.1)
    tenant.write(tmp_path / "csv", "csv")
    tenant.write(tmp_path / "jsonl", "jsonl")
    (tmp_path / "parquet").mkdir()
    for dataset in DATASETS:
        getattr(tenant, dataset).to_parquet(tmp_path / "parquet" / f"{dataset}.parquet")
    for dataset, fields in DATASETS.items():
        read_as = {kind: read(tmp_path / kind / f"{dataset}.{kind}", dataset, fields) for kind in ("csv", "jsonl", "parquet")}
        expected = _validated(dataset, read_as["jsonl"].items)
        assert len(expected) == len(getattr(tenant, dataset))
        assert _validated(dataset, read_as["csv"].items) == expected, dataset
        assert _validated(dataset, read_as["parquet"].items) == expected, dataset


def test_batches_are_numbered_per_dataset_across_files_and_keep_their_rows(tmp_path):
    (tmp_path / "orders-1.jsonl").write_text("".join(f'{{"order_id": "A{i}"}}\n' for i in range(600)))
    (tmp_path / "orders-2.jsonl").write_text("".join(f'{{"order_id": "B{i}"}}\n' for i in range(500)))
    (tmp_path / "customers.jsonl").write_text('{"customer_id": "C1"}\n')
    files = read_all([tmp_path / "orders-1.jsonl", tmp_path / "orders-2.jsonl", tmp_path / "customers.jsonl"], None, None)
    plan = batches(files)
    assert [(b.dataset, b.number, len(b.items)) for b in plan] == [
        ("customers", 1, 1), ("orders", 1, 500), ("orders", 2, 500), ("orders", 3, 100)
    ]
    assert plan[2].rows[99:101] == [("orders-1.jsonl", 600), ("orders-2.jsonl", 1)]


def test_a_422_names_the_file_row_and_column_of_each_bad_item():
    batch = Batch("orders", 3, [{}, {}, {}], [("orders.csv", 1002), ("orders.csv", 1003), ("orders.csv", 1004)])
    errors = [
        {"loc": ["items", 1, "amount"], "msg": "Value error, must be a number"},
        {"loc": ["items", 2, "attributes", "rush"], "msg": "bad attribute"},
        {"loc": ["items"], "msg": "order_id O1 appears twice"},
    ]
    assert row_problems(batch, errors) == [
        Problem("orders.csv", 1003, "amount", "must be a number"),
        Problem("orders.csv", 1004, "attributes.rush", "bad attribute"),
        Problem("orders batch 3", None, "items", "order_id O1 appears twice"),
    ]
