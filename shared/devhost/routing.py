"""HTTP route templates as the Functions host (ASP.NET Core routing) understands them.

Supported: literal segments (case-insensitive), `{name}`, constraints such as `{id:int}`,
`{id:guid}`, `{name:alpha}`, `{n:min(1)}`, optional `{name?}`, defaults `{name=value}`,
catch-all `{*rest}`, and multi-part segments like `{file}.{ext}`. Routes are tried in
ASP.NET's inbound precedence order, so `uploads/{id}/commit` wins over `uploads/{id}/{dataset}`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from shared.devhost.errors import DevHostError

T = TypeVar("T")
Check = Callable[[str], bool]

_PARAM = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONSTRAINT = re.compile(r"([A-Za-z]+)(?:\(([^()]*)\))?")
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")

# Inbound precedence digits of ASP.NET routing: lower is tried first.
_LITERAL, _MULTIPART_OR_CONSTRAINED, _PARAMETER, _CONSTRAINED_CATCH_ALL, _CATCH_ALL = 1, 2, 3, 4, 5


def _integer(value: str, low: int = -(2**63), high: int = 2**63 - 1) -> int | None:
    return int(value) if _INTEGER.fullmatch(value) and low <= int(value) <= high else None


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _bounded(low: int | None, high: int | None, measure: Callable[[str], int | None]) -> Check:
    def check(value: str) -> bool:
        measured = measure(value)
        return (
            measured is not None and (low is None or measured >= low) and (high is None or measured <= high)
        )

    return check


_SIMPLE: dict[str, Check] = {
    "int": lambda v: _integer(v, -(2**31), 2**31 - 1) is not None,
    "long": lambda v: _integer(v) is not None,
    "bool": lambda v: v.lower() in ("true", "false"),
    "guid": _is_guid,
    "alpha": lambda v: re.fullmatch(r"[A-Za-z]+", v) is not None,
    "double": _is_number,
    "float": _is_number,
    "decimal": _is_number,
    "datetime": _is_datetime,
}


def _constraint(spec: str, template: str) -> Check:
    found = _CONSTRAINT.fullmatch(spec)
    kind = found.group(1).lower() if found else ""
    raw_args = found.group(2).split(",") if found and found.group(2) else []
    args = [int(arg) for arg in raw_args if _INTEGER.fullmatch(arg)]
    match (kind if len(args) == len(raw_args) else "", args):
        case ("min", [low]):
            return _bounded(low, None, _integer)
        case ("max", [high]):
            return _bounded(None, high, _integer)
        case ("range", [low, high]):
            return _bounded(low, high, _integer)
        case ("minlength", [low]):
            return _bounded(low, None, len)
        case ("maxlength", [high]):
            return _bounded(None, high, len)
        case ("length", [size]):
            return _bounded(size, size, len)
        case ("length", [low, high]):
            return _bounded(low, high, len)
        case (kind, []) if kind in _SIMPLE:
            return _SIMPLE[kind]
    raise DevHostError(f"route {template!r}: unsupported constraint {spec!r}")


@dataclass(frozen=True)
class _Param:
    name: str
    checks: tuple[Check, ...]
    optional: bool
    catch_all: bool
    default: str | None


def _parse_param(text: str, template: str) -> _Param:
    catch_all = text.startswith("*")
    text = text.lstrip("*")
    optional = text.endswith("?")
    text = text.removesuffix("?")
    text, has_default, default = text.partition("=")
    name, *constraints = text.split(":")
    if not _NAME.fullmatch(name):
        raise DevHostError(f"route {template!r}: invalid parameter name {name!r}")
    return _Param(
        name=name,
        checks=tuple(_constraint(spec, template) for spec in constraints),
        optional=optional or bool(has_default),
        catch_all=catch_all,
        default=default if has_default else None,
    )


class RouteTemplate:
    """One compiled template; `match` gives the route params of a path, or None."""

    def __init__(self, template: str) -> None:
        self.template = template.strip("/")
        self._params: list[_Param] = []
        pattern: list[str] = []
        precedence: list[int] = []
        for segment in self.template.split("/") if self.template else []:
            pattern.append(self._segment(segment, precedence))
        names = [param.name.lower() for param in self._params]
        if len(set(names)) != len(names):
            raise DevHostError(f"route {template!r}: a parameter name is used twice")
        self.precedence = tuple(precedence)
        self._regex = re.compile("".join(pattern), re.IGNORECASE | re.DOTALL)

    def _segment(self, segment: str, precedence: list[int]) -> str:
        found = list(_PARAM.finditer(segment))
        if not found:
            if "{" in segment or "}" in segment or not segment:
                raise DevHostError(f"route {self.template!r}: invalid segment {segment!r}")
            precedence.append(_LITERAL)
            return "/" + re.escape(segment)
        params = [_parse_param(match.group(1), self.template) for match in found]
        self._params.extend(params)
        if len(found) == 1 and found[0].span() == (0, len(segment)):
            param = params[0]
            if param.catch_all:
                precedence.append(_CONSTRAINED_CATCH_ALL if param.checks else _CATCH_ALL)
                return "(?:/(.*))?"
            precedence.append(_MULTIPART_OR_CONSTRAINED if param.checks else _PARAMETER)
            return "(?:/([^/]+))?" if param.optional else "/([^/]+)"
        if any(param.optional or param.catch_all for param in params):
            raise DevHostError(f"route {self.template!r}: optional or catch-all parameter inside {segment!r}")
        precedence.append(_MULTIPART_OR_CONSTRAINED)
        parts, position = [], 0
        for match in found:  # greedy groups split at the last literal, as ASP.NET matches right to left
            parts.append(re.escape(segment[position : match.start()]) + "([^/]+)")
            position = match.end()
        return "/" + "".join(parts) + re.escape(segment[position:])

    def match(self, path: str) -> dict[str, str] | None:
        """`path` without query; leading and trailing slashes do not matter."""
        stripped = path.strip("/")
        found = self._regex.fullmatch("/" + stripped if stripped else "")
        if found is None:
            return None
        values: dict[str, str] = {}
        for param, value in zip(self._params, found.groups(), strict=True):
            if value is None or (param.catch_all and value == ""):
                if param.default is not None:
                    values[param.name] = param.default
                continue
            if not all(check(value) for check in param.checks):
                return None
            values[param.name] = value
        return values


@dataclass(frozen=True)
class RouteMatch(Generic[T]):
    target: T
    params: dict[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    allowed: tuple[str, ...]


@dataclass(frozen=True)
class _Route(Generic[T]):
    template: RouteTemplate
    methods: frozenset[str] | None
    target: T


class RouteTable(Generic[T]):
    """Routes in precedence order; the first whose template and method both match wins."""

    def __init__(self) -> None:
        self._routes: list[_Route[T]] = []

    def add(self, template: str, methods: Iterable[str] | None, target: T) -> None:
        allowed = frozenset(method.upper() for method in methods) if methods else None
        self._routes.append(_Route(RouteTemplate(template), allowed, target))
        self._routes.sort(key=lambda route: (route.template.precedence, route.template.template.lower()))

    def resolve(self, method: str, path: str) -> RouteMatch[T] | MethodNotAllowed | None:
        allowed: set[str] = set()
        for route in self._routes:
            params = route.template.match(path)
            if params is None:
                continue
            if route.methods is None or method.upper() in route.methods:
                return RouteMatch(route.target, params)
            allowed |= route.methods
        return MethodNotAllowed(tuple(sorted(allowed))) if allowed else None
