"""What Entra ID, Okta and OneLogin send that a literal reading of RFC 7644 rejects.

Each rule is named, documented with its source (../shared/reference/idp-behaviors.md)
and tested in tests/patch/test_dialects.py. The engine calls them; nothing
else in the engine knows about a particular IdP.
"""
from __future__ import annotations

from scim_service.errors import InvalidSyntax
from scim_service.filters.ast import And, Compare, Filter
from scim_service.resources import is_empty
from scim_service.schema import ResourceType

OPS = ("add", "replace", "remove")
#: Keys a path-less value may carry that are read-only and silently ignored (Okta sends ``id``).
READ_ONLY_KEYS = {"id", "meta", "schemas", "groups"}


def op_name(raw, index: int) -> str:
    """Entra sends ``Add``/``Replace``/``Remove``; the RFC's names in any case are accepted."""
    if not isinstance(raw, str) or raw.lower() not in OPS:
        raise InvalidSyntax(f"Operations[{index}].op must be one of add, replace, remove; got {raw!r}")
    return raw.lower()


def lower_keys(operation: dict) -> dict:
    """``Op``/``Path``/``Value`` keys in any case (some clients capitalise them)."""
    return {k.lower(): v for k, v in operation.items() if isinstance(k, str)}


def scim11_member_operations(body: dict) -> list[dict] | None:
    """OneLogin's SCIM 1.1 connector: ``{"members": [{"value": id, "operation": "delete"}]}``.

    Without ``Operations``, a body holding ``members`` (and at most ``schemas``
    and ``displayName``) is read as member adds and (``operation: delete``) removes.
    """
    keys = {k.lower() for k in body if isinstance(k, str)}
    if "members" not in keys or not keys <= {"members", "schemas", "displayname"}:
        return None
    members = next(v for k, v in body.items() if isinstance(k, str) and k.lower() == "members")
    if not isinstance(members, list):
        return None
    adds, removes = [], []
    for item in members:
        if isinstance(item, dict) and str(item.get("operation", "")).lower() == "delete":
            removes.append({"value": item.get("value")})
        else:
            adds.append({k: v for k, v in item.items() if k != "operation"} if isinstance(item, dict) else item)
    ops = []
    if removes:
        ops.append({"op": "remove", "path": "members", "value": removes})
    if adds:
        ops.append({"op": "add", "path": "members", "value": adds})
    display = next((v for k, v in body.items() if isinstance(k, str) and k.lower() == "displayname"), None)
    if display is not None:
        ops.append({"op": "replace", "path": "displayName", "value": display})
    return ops


def expand_pathless(value: dict, rtype: ResourceType) -> list[tuple[str, object]]:
    """A path-less add/replace value as (path, value) pairs.

    Entra (``aadOptscim062020``) sends dotted keys (``name.givenName``) and full
    URN keys (``urn:...:enterprise:2.0:User:employeeNumber``); the RFC form nests
    extension attributes under their URN. Okta puts the read-only ``id`` in the
    value of a group rename; read-only keys are ignored here.
    """
    pairs = []
    for key, item in value.items():
        if not isinstance(key, str) or key.lower() in READ_ONLY_KEYS:
            continue
        schema = rtype.schema_by_urn(key) if key.lower().startswith("urn:") else None
        if schema is not None and isinstance(item, dict):
            pairs.extend((f"{schema.id}:{sub_key}", sub_item) for sub_key, sub_item in item.items()
                         if isinstance(sub_key, str))
        elif schema is not None:
            continue  # an URN key with a non-object value names no attribute
        else:
            pairs.append((key, item))
    return pairs


def element_for_unmatched_filter(flt: Filter) -> dict | None:
    """The element an add or replace through a value filter creates when nothing matches.

    Entra sends ``Add``/``Replace`` on ``emails[type eq "work"].value`` and
    ``addresses[type eq "work"].locality`` before the element exists and expects
    it to be created (idp-behaviors.md, "Value-filter paths"), where RFC 7644
    §3.5.2.3 answers ``noTarget``. The filter's ``eq`` conditions (joined by
    ``and``) seed the new element; any other filter gives None (``noTarget``).
    """
    if isinstance(flt, Compare) and flt.op == "eq" and flt.value is not None:
        return {flt.path.attr: flt.value}
    if isinstance(flt, And):
        left, right = element_for_unmatched_filter(flt.left), element_for_unmatched_filter(flt.right)
        if left is not None and right is not None:
            return {**left, **right}
    return None


def values_listed_for_removal(value) -> list | None:
    """A ``remove`` that carries a ``value`` removes only the listed values.

    Entra without ``aadOptscim062020`` and OneLogin remove one member with
    ``{"op": "Remove", "path": "members", "value": [{"value": id}]}``; read
    literally (RFC 7644 §3.5.2.2, remove ignores ``value``) that empties the
    group. None means no values were listed: remove the whole attribute.
    """
    if is_empty(value):
        return None
    return value if isinstance(value, list) else [value]
