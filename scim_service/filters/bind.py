"""Check a parsed filter or PATCH path against the schema registry.

Binding returns the same AST with canonical attribute names (``urn`` set only
for extension attributes), literals converted to the attribute's type
(dateTimes become aware datetimes), and complex attributes compared through
their ``value`` sub-attribute. Anything the registry cannot vouch for raises
``InvalidFilter`` (or ``InvalidPath``) with a detail saying what and where.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from scim_service.errors import InvalidFilter, InvalidPath
from scim_service.filters.ast import (
    And, AttrPath, Compare, Filter, Not, Or, PatchPath, Present, ValuePath,
)
from scim_service.schema import Attribute, ResourceType
from scim_service.schema.attributes import (
    BINARY, BOOLEAN, COMPLEX, DATETIME, DECIMAL, INTEGER, NEVER, REFERENCE, STRING,
)

ORDERING = ("gt", "ge", "lt", "le")
SUBSTRING = ("co", "sw", "ew")
_STRINGY = (STRING, REFERENCE, BINARY)


def parse_datetime(text: str) -> datetime:
    """RFC 3339 / xsd:dateTime, tolerating Entra's 7-digit fractions; naive means UTC."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    main, dot, rest = s.partition(".")
    if dot:  # trim the fraction to microseconds; keep the offset
        digits = len(rest) - len(rest.lstrip("0123456789"))
        frac, tail = rest[:digits], rest[digits:]
        s = f"{main}.{(frac + '000000')[:6]}{tail}" if frac else main + tail
    value = datetime.fromisoformat(s)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def path_text(path: AttrPath) -> str:
    name = f"{path.urn}:{path.attr}" if path.urn else path.attr
    return f"{name}.{path.sub_attr}" if path.sub_attr else name


class _Binder:
    def __init__(self, rtype: ResourceType, error=InvalidFilter):
        self.rtype = rtype
        self.error = error

    # -- attribute paths ------------------------------------------------------
    def top(self, path: AttrPath, parent: Attribute | None) -> tuple[AttrPath, Attribute]:
        """Resolve a path, relative to ``parent`` inside a value filter."""
        if parent is not None:
            if path.urn or path.sub_attr:
                raise self.error(f"'{path_text(path)}' is not a sub-attribute of '{parent.name}'")
            sub = parent.sub(path.attr)
            if sub is None:
                raise self.error(f"'{parent.name}' has no sub-attribute '{path.attr}'")
            return AttrPath(sub.name), sub
        found = self.rtype.resolve(path.attr, path.sub_attr, path.urn)
        if found is None:
            raise self.error(
                f"unknown attribute '{path_text(path)}' for resource type {self.rtype.name}")
        canonical = AttrPath(
            found.attribute.name,
            found.sub_attribute.name if found.sub_attribute else None,
            found.schema or None,
        )
        return canonical, found.target

    # -- filters -----------------------------------------------------------------
    def bind(self, node: Filter, parent: Attribute | None = None) -> Filter:
        if isinstance(node, And):
            return And(self.bind(node.left, parent), self.bind(node.right, parent))
        if isinstance(node, Or):
            return Or(self.bind(node.left, parent), self.bind(node.right, parent))
        if isinstance(node, Not):
            return Not(self.bind(node.expr, parent))
        if isinstance(node, ValuePath):
            if parent is not None:
                raise self.error("value filters cannot be nested")
            path, attr = self.top(node.path, None)
            if attr.type != COMPLEX or not attr.multi_valued:
                raise self.error(f"'{path_text(node.path)}[...]' needs a multi-valued complex attribute")
            return ValuePath(path, self.bind(node.filter, attr))
        if isinstance(node, Present):
            path, attr = self.top(node.path, parent)
            self._check_returnable(attr, path)
            return Present(path)
        if isinstance(node, Compare):
            path, attr = self.top(node.path, parent)
            self._check_returnable(attr, path)
            if attr.type == COMPLEX:
                value_sub = attr.sub("value")
                if value_sub is None:
                    raise self.error(
                        f"'{path_text(path)}' is complex; compare one of its sub-attributes "
                        f"({', '.join(a.name for a in attr.sub_attributes)})")
                path = AttrPath(path.attr, value_sub.name, path.urn)
                attr = value_sub
            return Compare(path, node.op, self.literal(attr, node.op, node.value, path))
        raise self.error(f"unsupported filter node {type(node).__name__}")

    def _check_returnable(self, attr: Attribute, path: AttrPath) -> None:
        if attr.returned == NEVER:
            raise self.error(f"'{path_text(path)}' is never returned and cannot be filtered on")

    def literal(self, attr: Attribute, op: str, value, path: AttrPath):
        where = f"'{path_text(path)} {op}'"
        if value is None:
            if op not in ("eq", "ne"):
                raise self.error(f"{where} cannot compare with null")
            return None
        if attr.type == BOOLEAN:
            if op not in ("eq", "ne"):
                raise self.error(f"{where}: '{op}' does not apply to a boolean; use eq or ne")
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if not isinstance(value, bool):
                raise self.error(f"{where} needs true or false, got {value!r}")
            return value
        if attr.type in (INTEGER, DECIMAL):
            if op in SUBSTRING:
                raise self.error(f"{where}: '{op}' does not apply to a number")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.error(f"{where} needs a number, got {value!r}")
            return value
        if attr.type == DATETIME:
            if op in SUBSTRING:
                raise self.error(f"{where}: '{op}' does not apply to a dateTime")
            if not isinstance(value, str):
                raise self.error(f"{where} needs a dateTime string, got {value!r}")
            try:
                return parse_datetime(value)
            except ValueError:
                raise self.error(f"{where} needs a dateTime such as \"2011-05-13T04:42:34Z\", got {value!r}") from None
        if attr.type in _STRINGY:
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, (int, float)):
                value = str(value)
            if op in ORDERING and attr.type == BINARY:
                raise self.error(f"{where}: '{op}' does not apply to binary values")
            return value
        raise self.error(f"{where}: cannot compare attribute of type {attr.type}")


@lru_cache(maxsize=2048)
def bind_filter(node: Filter, rtype: ResourceType) -> Filter:
    return _Binder(rtype).bind(node)


@lru_cache(maxsize=2048)
def bind_patch_path(path: PatchPath, rtype: ResourceType) -> PatchPath:
    """Canonical PATCH path; unknown attributes raise ``InvalidPath``."""
    binder = _Binder(rtype, InvalidPath)
    canonical, attr = binder.top(path.path, None)
    if path.value_filter is None:
        return PatchPath(canonical)
    if path.path.sub_attr:
        raise InvalidPath(f"'{path_text(path.path)}[...]': a value filter follows the attribute, not a sub-attribute")
    if attr.type != COMPLEX or not attr.multi_valued:
        raise InvalidPath(f"'{path_text(path.path)}[...]' needs a multi-valued complex attribute")
    try:
        flt = _Binder(rtype, InvalidPath).bind(path.value_filter, attr)
    except InvalidFilter as exc:  # pragma: no cover - binder raises InvalidPath here
        raise InvalidPath(exc.detail) from None
    sub = None
    if path.sub_attr:
        sub_attr = attr.sub(path.sub_attr)
        if sub_attr is None:
            raise InvalidPath(f"'{attr.name}' has no sub-attribute '{path.sub_attr}'")
        sub = sub_attr.name
    return PatchPath(canonical, flt, sub)


def sort_path(text: str, rtype: ResourceType, parse) -> tuple[AttrPath, Attribute]:
    """Resolve ``sortBy``; ``parse`` is the PATCH-path parser (an attrPath is a valid path)."""
    parsed = parse(text)
    if parsed.value_filter is not None:
        raise InvalidFilter(f"sortBy '{text}' must name an attribute, not a value filter")
    return _Binder(rtype).top(parsed.path, None)
