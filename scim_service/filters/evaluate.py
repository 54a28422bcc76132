"""Evaluate a bound filter against a record (RFC 7644 §3.4.2.2 semantics).

Used by the memory backend for queries and by the PATCH engine to select
elements of multi-valued attributes. Comparisons follow each attribute's
``caseExact``; a multi-valued attribute matches when any value does; ``pr`` is
false for null, "" and []; dateTimes compare as instants.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

from scim_service.filters.ast import And, AttrPath, Compare, Filter, Not, Or, Present, ValuePath
from scim_service.filters.bind import parse_datetime
from scim_service.schema import Attribute, ResourceType
from scim_service.schema.attributes import DATETIME

#: Looks up a relation attribute (members, groups) that is not stored in the record.
Hydrate = Callable[[dict, str], list]
_MISSING = object()


@lru_cache(maxsize=512)
def _target(rtype: ResourceType, path: AttrPath) -> tuple[Attribute, Attribute]:
    found = rtype.resolve(path.attr, path.sub_attr, path.urn)
    return found.attribute, found.target


def top_value(record: dict, path: AttrPath, hydrate: Hydrate | None = None) -> Any:
    """The raw value of the path's top-level attribute (before any sub-attribute)."""
    holder = record.get(path.urn) if path.urn else record
    if not isinstance(holder, dict):
        return None
    value = holder.get(path.attr, _MISSING)
    if value is _MISSING:
        return hydrate(record, path.attr) if hydrate else None
    return value


def values_at(record: dict, path: AttrPath, hydrate: Hydrate | None = None) -> list:
    """All values the path names, flattening multi-valued attributes."""
    value = top_value(record, path, hydrate)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if path.sub_attr is None:
        return [v for v in items if v is not None]
    out = []
    for item in items:
        if isinstance(item, dict):
            v = item.get(path.sub_attr)
            if v is not None:
                out.append(v)
    return out


def _present(v) -> bool:
    return v is not None and v != "" and v != [] and v != {}


def _fold(value, case_exact: bool):
    return value if case_exact or not isinstance(value, str) else value.casefold()


def compare(attr: Attribute, op: str, actual, expected) -> bool:
    if expected is None:  # eq null: unassigned; handled by the caller
        return False
    if attr.type == DATETIME:
        if isinstance(actual, str):
            try:
                actual = parse_datetime(actual)
            except ValueError:
                return False
        if not isinstance(actual, datetime):
            return False
    elif isinstance(expected, str):
        if not isinstance(actual, str):
            return False
        actual = _fold(actual, attr.case_exact)
        expected = _fold(expected, attr.case_exact)
    elif isinstance(expected, bool) != isinstance(actual, bool):
        return False
    try:
        if op == "eq":
            return actual == expected
        if op == "ne":
            return actual != expected
        if op == "co":
            return expected in actual
        if op == "sw":
            return actual.startswith(expected)
        if op == "ew":
            return actual.endswith(expected)
        if op == "gt":
            return actual > expected
        if op == "ge":
            return actual >= expected
        if op == "lt":
            return actual < expected
        if op == "le":
            return actual <= expected
    except TypeError:
        return False
    raise ValueError(f"unknown operator {op}")


def matches(record: dict, node: Filter, rtype: ResourceType, hydrate: Hydrate | None = None) -> bool:
    if isinstance(node, And):
        return matches(record, node.left, rtype, hydrate) and matches(record, node.right, rtype, hydrate)
    if isinstance(node, Or):
        return matches(record, node.left, rtype, hydrate) or matches(record, node.right, rtype, hydrate)
    if isinstance(node, Not):
        return not matches(record, node.expr, rtype, hydrate)
    if isinstance(node, Present):
        return any(_present(v) for v in values_at(record, node.path, hydrate))
    if isinstance(node, Compare):
        attr = _target(rtype, node.path)[1]
        values = values_at(record, node.path, hydrate)
        if node.value is None:
            found = any(_present(v) for v in values)
            return (not found) if node.op == "eq" else found
        if node.op == "ne":  # no value equals the literal
            return not any(compare(attr, "eq", v, node.value) for v in values)
        return any(compare(attr, node.op, v, node.value) for v in values)
    if isinstance(node, ValuePath):
        parent = _target(rtype, node.path)[0]
        elements = top_value(record, node.path, hydrate) or []
        return any(element_matches(e, node.filter, parent) for e in elements if isinstance(e, dict))
    raise TypeError(f"not a filter node: {node!r}")


def element_matches(element: dict, node: Filter, parent: Attribute) -> bool:
    """Evaluate a value-filter (paths name sub-attributes of ``parent``) on one element."""
    if isinstance(node, And):
        return element_matches(element, node.left, parent) and element_matches(element, node.right, parent)
    if isinstance(node, Or):
        return element_matches(element, node.left, parent) or element_matches(element, node.right, parent)
    if isinstance(node, Not):
        return not element_matches(element, node.expr, parent)
    sub = parent.sub(node.path.attr)
    value = element.get(sub.name) if sub else None
    if isinstance(node, Present):
        return _present(value)
    if isinstance(node, Compare):
        if node.value is None:
            return (not _present(value)) if node.op == "eq" else _present(value)
        if value is None:
            return node.op == "ne"
        return compare(sub, node.op, value, node.value)
    raise TypeError(f"not a value-filter node: {node!r}")
