"""Translate a bound filter AST into a MongoDB query over the search view.

The query matches exactly the records ``scim_service.filters.evaluate.matches``
accepts, for records in the canonical form ``scim_service.resources`` produces
(no null, "", [] or {} values are ever stored):

- a comparison on a multi-valued attribute matches when any value does (dotted
  paths through arrays); ``ne`` matches when no value equals the literal, so a
  missing attribute matches ``ne`` (``$ne`` has exactly that meaning);
- strings of attributes with ``caseExact: false`` are compared case-folded,
  against the folded search view; ``co``/``sw``/``ew`` are escaped regexes,
  anchored for ``sw`` and ``ew``; ordering follows MongoDB's binary string
  order, which is code-point order like Python's;
- ``pr`` is "has a value"; ``eq null`` is its negation, ``not`` is ``$nor``;
- value paths are ``$elemMatch`` with the element semantics of
  ``evaluate.element_matches``;
- dateTimes compare as the normalised UTC text of the search view, i.e. as instants.

Relations are not in the document: ``members`` (Groups) and ``groups`` (Users)
are answered from the memberships collection by ``relation_ids`` and become
``id $in [...]`` (``$nin`` for ``ne`` and ``eq null``). Only their ``value``
sub-attribute can be filtered on; anything else raises ``InvalidFilter``.
Member ids are compared case-folded against the stored ids, which are the
service's lower-case UUIDs (their own case fold).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from backends.base import SortKey
from backends.mongo_documents import comparable, record_key, safe_key
from scim_service.errors import InvalidFilter
from scim_service.filters.ast import And, AttrPath, Compare, Filter, Not, Or, Present, ValuePath
from scim_service.filters.bind import path_text
from scim_service.resources import RELATIONS
from scim_service.schema import Attribute, ResourceType

#: Membership documents are {"workspace", "group", "member", "type"}; for each relation attribute,
#: (the field naming the resource that holds the attribute, the field naming the related resource).
MEMBERSHIP_FIELDS = {"members": ("group", "member"), "groups": ("member", "group")}
#: (relation attribute name, query on membership documents) -> ids of the resources that hold it.
RelationLookup = Callable[[str, dict], list]

_ORDERING = {"gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte"}
# Absolute end of string in both PCRE (MongoDB) and Python's re (mongomock); "$" would allow a final "\n".
_END = r"(?![\s\S])"


def _has_value() -> dict:
    """``pr``: a value is there. Canonical records store no null or ""; both are excluded anyway."""
    return {"$exists": True, "$nin": [None, ""]}


def _has_object() -> dict:
    return {"$exists": True, "$nin": [None, {}]}


def nothing(field: str) -> dict:
    return {field: {"$in": []}}


def everything(field: str) -> dict:
    return {"$nor": [nothing(field)]}


@dataclass(frozen=True)
class Location:
    """Where a bound attribute path lives in a document."""

    attribute: Attribute          # the top-level attribute
    target: Attribute             # the sub-attribute named, else the attribute
    top: str                      # field of the top-level attribute
    sub: str | None               # field of the sub-attribute inside it

    @property
    def field(self) -> str:
        return f"{self.top}.{self.sub}" if self.sub else self.top


def locate(rtype: ResourceType, path: AttrPath, root: str = "search") -> Location:
    found = rtype.resolve(path.attr, path.sub_attr, path.urn)
    if found is None:   # the binder rejects these; a hand-built AST may not have been bound
        raise InvalidFilter(f"unknown attribute '{path_text(path)}' for resource type {rtype.name}")
    attr = found.attribute
    if attr.name == "id" and not found.schema:
        top = "id"    # the document's own id field, under the (workspace, type, id) index
    elif found.schema:
        top = f"{root}.{record_key(found.schema)}.{safe_key(attr.name)}"
    else:
        top = f"{root}.{safe_key(attr.name)}"
    sub = safe_key(found.sub_attribute.name) if found.sub_attribute else None
    return Location(attr, found.target, top, sub)


def combine(parts: list[dict]) -> dict:
    """``$and`` of queries: one flat document, with an ``$and`` list only for fields named twice.

    Nested ``$and`` are spliced in, so a chain of N ``and`` terms stays two levels
    deep (MongoDB refuses documents nested more than 100 levels).
    """
    flat: list[dict] = []
    for part in parts:
        flat.extend(part.get("$and", ()))
        rest = {key: value for key, value in part.items() if key != "$and"}
        if rest:
            flat.append(rest)
    merged: dict = {}
    overlapping: list[dict] = []
    for part in flat:
        if any(key in merged for key in part):
            overlapping.append(part)
        else:
            merged.update(part)
    return {**merged, "$and": overlapping} if overlapping else merged


def regex(op: str, literal: str) -> str:
    body = re.escape(literal).replace("\x00", r"\x00")
    if op == "sw":
        return "^" + body
    if op == "ew":
        return body + _END
    return body


def _surrogate_at(text: str) -> int:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return -1


def condition(field: str, attr: Attribute, op: str, literal) -> dict:
    """``field op literal`` for a non-null literal; ``ne`` is "not equal" on this one field."""
    value = comparable(attr, literal)
    if isinstance(value, str):
        bad = _surrogate_at(value)
        if bad >= 0:
            return _unpaired_surrogate(field, op, value[:bad])
    if op == "eq":
        return {field: value}
    if op == "ne":
        return {field: {"$ne": value}}
    if op in ("co", "sw", "ew"):
        if not isinstance(value, str):
            return nothing(field)
        return {field: {"$regex": regex(op, value)}}
    if op in _ORDERING:
        return {field: {_ORDERING[op]: value}}
    raise InvalidFilter(f"unknown comparison operator '{op}'")


def _unpaired_surrogate(field: str, op: str, prefix: str) -> dict:
    """A literal no stored (valid UTF-8) string can equal or contain; it still orders.

    Every valid string s compares with ``prefix + <surrogate> + ...`` as it
    compares with ``prefix + U+E000``, except that it is never equal to it.
    """
    bound = prefix + "\ue000"
    if op in ("gt", "ge"):
        return {field: {"$gte": bound}}
    if op in ("lt", "le"):
        return {field: {"$lt": bound}}
    return everything(field) if op == "ne" else nothing(field)


class Translator:
    def __init__(self, rtype: ResourceType, relation_ids: RelationLookup | None = None):
        self.rtype = rtype
        self.relation_ids = relation_ids

    def query(self, node: Filter) -> dict:
        if isinstance(node, And):
            return combine([self.query(node.left), self.query(node.right)])
        if isinstance(node, Or):
            return {"$or": self._flat_or(node)}
        if isinstance(node, Not):
            return {"$nor": [self.query(node.expr)]}
        if isinstance(node, (Compare, Present, ValuePath)) and self._is_relation(node.path):
            return self._relation(node)
        if isinstance(node, ValuePath):
            where = locate(self.rtype, node.path)
            return {where.top: {"$elemMatch": element_query(node.filter, where.attribute)}}
        if isinstance(node, Present):
            return has_value(locate(self.rtype, node.path))
        if isinstance(node, Compare):
            where = locate(self.rtype, node.path)
            if node.value is None:
                present = has_value(where)
                return {"$nor": [present]} if node.op == "eq" else present
            return condition(where.field, where.target, node.op, node.value)
        raise InvalidFilter(f"unsupported filter node {type(node).__name__}")

    def _flat_or(self, node) -> list[dict]:
        if isinstance(node, Or):
            return self._flat_or(node.left) + self._flat_or(node.right)
        return [self.query(node)]

    # --- relations --------------------------------------------------------------------
    def _is_relation(self, path: AttrPath) -> bool:
        return path.urn is None and path.attr in RELATIONS

    def _relation(self, node) -> dict:
        name = node.path.attr
        if self.relation_ids is None:
            raise InvalidFilter(f"filters on '{name}' need the membership store")
        attr = self.rtype.resolve(name).attribute
        if isinstance(node, ValuePath):
            inner = element_query(node.filter, attr, _relation_keys(name))
            return {"id": {"$in": self.relation_ids(name, inner)}}
        sub = node.path.sub_attr
        if sub is not None and sub != "value":
            raise _unsupported_relation(name, sub)
        if isinstance(node, Present):
            return {"id": {"$in": self.relation_ids(name, {})}}
        if node.value is None:
            holders = self.relation_ids(name, {})
            return {"id": {"$nin": holders}} if node.op == "eq" else {"id": {"$in": holders}}
        value_attr, other = attr.sub("value"), MEMBERSHIP_FIELDS[name][1]
        if node.op == "ne":
            return {"id": {"$nin": self.relation_ids(name, condition(other, value_attr, "eq", node.value))}}
        return {"id": {"$in": self.relation_ids(name, condition(other, value_attr, node.op, node.value))}}


def _unsupported_relation(name: str, sub: str) -> InvalidFilter:
    return InvalidFilter(
        f"filtering on '{name}.{sub}' is not supported by the MongoDB backend; "
        f"filter on '{name}.value' (e.g. {name}[value eq \"<id>\"])")


def _relation_keys(name: str) -> Callable[[Attribute], str]:
    def key(sub: Attribute) -> str:
        if sub.name != "value":
            raise _unsupported_relation(name, sub.name)
        return MEMBERSHIP_FIELDS[name][1]
    return key


def has_value(where: Location) -> dict:
    if where.attribute.multi_valued:
        if where.sub is not None:
            return {where.top: {"$elemMatch": {where.sub: _has_value()}}}
        return {f"{where.top}.0": {"$exists": True}}   # canonical elements are never empty
    if where.target.type == "complex":
        return {where.field: _has_object()}
    return {where.field: _has_value()}


def element_query(node: Filter, parent: Attribute,
                  key_of: Callable[[Attribute], str] = lambda sub: safe_key(sub.name)) -> dict:
    """A value filter applied to one element (``evaluate.element_matches`` semantics)."""
    if isinstance(node, And):
        return combine([element_query(node.left, parent, key_of), element_query(node.right, parent, key_of)])
    if isinstance(node, Or):
        return {"$or": [element_query(node.left, parent, key_of), element_query(node.right, parent, key_of)]}
    if isinstance(node, Not):
        return {"$nor": [element_query(node.expr, parent, key_of)]}
    sub = parent.sub(node.path.attr) if isinstance(node, (Compare, Present)) else None
    if sub is None:
        raise InvalidFilter(f"'{parent.name}' has no sub-attribute '{getattr(node, 'path', node)}'")
    key = key_of(sub)
    if isinstance(node, Present):
        return {key: _has_value()}
    if node.value is None:
        return {"$nor": [{key: _has_value()}]} if node.op == "eq" else {key: _has_value()}
    return condition(key, sub, node.op, node.value)


def sort_field(sort: SortKey, rtype: ResourceType) -> str:
    """The scalar field a sortBy orders on (a multi-valued attribute: its primary-or-first element)."""
    found = rtype.resolve(sort.attr, sort.sub_attr, sort.urn)
    if found is None:
        raise InvalidFilter(f"unknown sortBy attribute '{sort.attr}'")
    attr = found.attribute
    root = "sort" if attr.multi_valued else "search"
    where = locate(rtype, AttrPath(attr.name, found.sub_attribute.name if found.sub_attribute else None,
                                   found.schema or None), root)
    if where.top == "id":
        return "id"
    if where.sub is None and attr.type == "complex":
        return f"{where.top}.value"    # a complex attribute sorts by its value
    return where.field
