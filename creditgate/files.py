"""Files to API items: CSV (`,` or `;`, Brazilian decimal commas), JSON lines and Parquet, one
dataset per file, columns named as the contract's fields (DESIGN §10).

Every row keeps its number in the file (CSV: the line, the header being line 1; JSON lines: the
line; Parquet: the row, from 1), so an error — found here or in a 422 — names the row a person
opens the file at.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from creditgate.contract import ATTRIBUTE_PREFIX, DATASETS, Kind
from creditgate.errors import BadInput

Format = Literal["csv", "jsonl", "parquet"]
SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
MAX_REPORTED = 20
_TRUE = {"true", "1", "yes", "sim", "s", "t"}
_FALSE = {"false", "0", "no", "nao", "não", "n", "f"}
_INTEGER = re.compile(r"[+-]?\d+")
_POINT_DECIMAL = re.compile(r"[+-]?\d+(?:\.\d+)?")
_COMMA_DECIMAL = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?")
_BRAZILIAN_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")


@dataclass(frozen=True)
class Problem:
    source: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.source + (f" row {self.row}" if self.row is not None else "")
        return f"{where}" + (f", column {self.column}" if self.column else "") + f": {self.message}"


@dataclass
class DataFile:
    """One file read and converted: its items in file order and, beside them, their row numbers."""

    path: Path
    dataset: str
    items: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    digest: str = ""


class FileErrors(BadInput):
    def __init__(self, problems: list[Problem], outcome: str = "nothing was sent"):
        self.problems = problems
        shown = "\n".join(f"  {problem}" for problem in problems[:MAX_REPORTED])
        more = f"\n  ... and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        super().__init__(f"{len(problems)} problem(s) in the input, {outcome}:\n{shown}{more}")


def dataset_for(path: Path, given: str | None) -> str:
    """`--dataset`, else the file name: `orders.csv`, `orders-2025.jsonl` and `credit_limits_sp.parquet` all say."""
    if given:
        if given not in DATASETS:
            raise BadInput(f"unknown dataset {given!r}; expected one of {', '.join(DATASETS)}")
        return given
    stem = path.name.split(".")[0].lower()
    for name in sorted(DATASETS, key=len, reverse=True):
        if stem == name or stem.startswith((name + "-", name + "_")):
            return name
    raise BadInput(f"{path}: cannot tell the dataset from the file name; name it {'|'.join(DATASETS)}.csv or pass --dataset")


def file_format(path: Path) -> Format:
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise BadInput(f"{path}: unknown file type {path.suffix!r}; use .csv, .jsonl or .parquet") from None


def read(path: Path, dataset: str, fields: dict[str, Kind], decimal: str | None = None, drop: tuple[str, ...] = ()) -> DataFile:
    """The file's items, or FileErrors naming every bad row and column (none are sent then)."""
    raw = path.read_bytes()
    result = DataFile(path, dataset, digest=hashlib.sha256(raw).hexdigest())
    problems: list[Problem] = []
    kind = file_format(path)
    if kind == "csv":
        text = raw.decode("utf-8-sig")
        delimiter = sniff_delimiter(text)
        records = _csv_records(text, delimiter)
        mark = decimal or ("," if delimiter == ";" else ".")
    elif kind == "jsonl":
        records = _json_records(raw, path.name, problems)
        mark = None
    else:
        records = _parquet_records(path)
        mark = None
    unknown: dict[str, int] = {}
    for number, record in records:
        item: dict[str, Any] = {}
        for column, value in record.items():
            if column in drop:
                continue
            attribute = column.startswith(ATTRIBUTE_PREFIX) and "attributes" in fields
            if column not in fields and not attribute:
                unknown.setdefault(column, number)
                continue
            try:
                converted = _attribute(value, mark) if attribute else convert(value, fields[column], mark)
            except ValueError as exc:
                problems.append(Problem(path.name, number, column, str(exc)))
                continue
            if converted is None:
                continue
            if attribute:
                item.setdefault("attributes", {})[column.removeprefix(ATTRIBUTE_PREFIX)] = converted
            elif column == "attributes":
                item.setdefault("attributes", {}).update(converted)
            else:
                item[column] = converted
        result.items.append(item)
        result.rows.append(number)
    for column, number in unknown.items():
        expected = ", ".join([*fields, ATTRIBUTE_PREFIX + "<name>"] if "attributes" in fields else fields)
        problems.insert(0, Problem(path.name, number, column, f"not a field of {dataset} (expected {expected})"))
    if problems:
        raise FileErrors(problems)
    if not result.items:
        raise BadInput(f"{path}: no rows")
    return result


def read_all(paths: list[Path], dataset: str | None, decimal: str | None) -> list[DataFile]:
    """Every file checked before any is sent; the problems of all of them reported together."""
    files, problems = [], []
    for path in paths:
        name = dataset_for(path, dataset)
        try:
            files.append(read(path, name, DATASETS[name], decimal))
        except FileErrors as exc:
            problems.extend(exc.problems)
    if problems:
        raise FileErrors(problems)
    return files


def sniff_delimiter(text: str) -> str:
    """The header line's most frequent of `;`, `,` and tab (`,` when none): a header holds field
    names, never the decimal commas that make a data line ambiguous."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_number(text: str, mark: str) -> Decimal:
    """A decimal written with `mark` as its decimal separator. With a comma (`;` files), dots may
    group thousands ("1.250,50"); a value with a dot and no comma that is not such a grouping
    ("1250.5") is read as a decimal point, the one reading that cannot be a thousands group."""
    value = text.strip()
    if mark == ",":
        if _COMMA_DECIMAL.fullmatch(value):
            return Decimal(value.replace(".", "").replace(",", "."))
        if _POINT_DECIMAL.fullmatch(value):
            return Decimal(value)
        raise ValueError(f"{text!r} is not a number (like 1.250,50)")
    if _POINT_DECIMAL.fullmatch(value):
        return Decimal(value)
    raise ValueError(f"{text!r} is not a number (like 1250.50)")


def convert(value: Any, kind: Kind, mark: str | None) -> Any:
    """One cell as the API takes it; None for an absent value (an empty cell, null, NaN). `mark` is
    the decimal separator of a text file, None for typed sources (JSON lines, Parquet)."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if mark is not None:
        return _from_text(value, kind, mark)
    if kind == "money" and isinstance(value, Decimal):
        return str(value)
    if kind == "money" and isinstance(value, float) and abs(value - round(value, 2)) < 1e-9:
        return round(value, 2)  # 1250.4999999999998 from binary floating point is 1250.50
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)  # nullable integer columns come back as floats from pandas-written Parquet
    if kind == "date" and isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):  # datetime included
        return value.isoformat()
    if kind == "attributes":
        return _attributes_object(value)
    return value


def _attributes_object(value: Any) -> dict[str, Any] | None:
    """An `attributes` object without its absent values (a Parquet struct has every key)."""
    if not isinstance(value, dict):
        raise ValueError("must be an object of attribute names and values")
    present = {name: convert(inner, "text", None) for name, inner in value.items()}
    return {name: inner for name, inner in present.items() if inner is not None} or None


def _from_text(text: str, kind: Kind, mark: str) -> Any:
    if kind == "text" or kind == "datetime":
        return text
    if kind == "money":
        return str(parse_number(text, mark))
    if kind == "integer":
        if not _INTEGER.fullmatch(text.strip()):
            raise ValueError(f"{text!r} is not a whole number")
        return int(text)
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise ValueError(f"{text!r} is not true or false")
    if kind == "date":
        if brazilian := _BRAZILIAN_DATE.fullmatch(text.strip()):
            day, month, year = brazilian.groups()
            return f"{year}-{month}-{day}"
        return text
    try:
        parsed = json.loads(text)  # an `attributes` column holding a JSON object
    except ValueError:
        parsed = None
    return _attributes_object(parsed)


def _attribute(value: Any, mark: str | None) -> Any:
    """An `attributes.<name>` cell: typed sources keep their type; text becomes a boolean, an
    integer or a number when it reads as one, else stays text."""
    if mark is None or not isinstance(value, str):
        return convert(value, "text", None)
    if value == "":
        return None
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INTEGER.fullmatch(value.strip()):
        return int(value)
    try:
        return float(parse_number(value, mark))
    except ValueError:
        return value


def _csv_records(text: str, delimiter: str):
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    for record in reader:
        # The line a spreadsheet shows (a quoted cell may span lines: its last line is counted).
        yield reader.line_num, {key: value for key, value in record.items() if key is not None}


def _json_records(raw: bytes, source: str, problems: list[Problem]):
    for number, line in enumerate(raw.decode("utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            problems.append(Problem(source, number, None, f"not JSON: {exc}"))
            continue
        if not isinstance(record, dict):
            problems.append(Problem(source, number, None, "not a JSON object"))
            continue
        yield number, record


def _parquet_records(path: Path):
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        raise BadInput(f"{path}: reading Parquet needs pyarrow (pip install 'creditgate[parquet]')") from None
    table = parquet.read_table(path)
    for number, record in enumerate(table.to_pylist(), start=1):
        yield number, {key: value for key, value in record.items() if not key.startswith("__index_level_")}
