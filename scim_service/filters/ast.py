"""The filter and PATCH-path AST (RFC 7644 §3.4.2.2, §3.5.2).

One parser (``scim_service.filters.parser``) produces these nodes; the schema
binder checks them against the registry; each backend evaluates or translates
them. Nodes are immutable so they can be cached and compared.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

Literal = Union[str, int, float, bool, None]

COMPARISON_OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")


@dataclass(frozen=True)
class AttrPath:
    """``[urn:]attr[.sub]`` as written; names are resolved by the schema binder."""

    attr: str
    sub_attr: str | None = None
    urn: str | None = None


@dataclass(frozen=True)
class Compare:
    path: AttrPath
    op: str  # one of COMPARISON_OPERATORS, lower case
    value: Literal


@dataclass(frozen=True)
class Present:
    path: AttrPath


@dataclass(frozen=True)
class And:
    left: "Filter"
    right: "Filter"


@dataclass(frozen=True)
class Or:
    left: "Filter"
    right: "Filter"


@dataclass(frozen=True)
class Not:
    expr: "Filter"


@dataclass(frozen=True)
class ValuePath:
    """``emails[type eq "work"]``: some element of a multi-valued attribute matches.

    Inside ``filter`` the paths name sub-attributes of ``path`` (``AttrPath("type")``).
    The non-RFC form ``emails[type eq "work"].value eq "x"`` (sent by Entra) is
    parsed as ``emails[type eq "work" and value eq "x"]``.
    """

    path: AttrPath
    filter: "Filter"


Filter = Union[Compare, Present, And, Or, Not, ValuePath]


@dataclass(frozen=True)
class PatchPath:
    """A PATCH ``path``: ``attrPath`` or ``valuePath["." subAttr]``.

    With ``value_filter`` set, ``path.sub_attr`` is None and ``sub_attr`` is the
    sub-attribute after the closing bracket (``addresses[type eq "work"].locality``).
    """

    path: AttrPath
    value_filter: Filter | None = None
    sub_attr: str | None = None
