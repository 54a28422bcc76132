"""Turn what an IdP sends into a canonical resource, using the schema registry.

Tolerates what Entra, Okta and OneLogin really send (idp-behaviors.md §6):
attribute names in any case, ``null`` for unassigned, ``"True"``/``"False"``
for booleans, read-only attributes (``id``, ``meta``, ``groups``) in input,
extension attributes at top level or under an URN missing from ``schemas``,
a manager given as a plain id, a single object where a list is expected and
the SCIM 1.1 enterprise URN (OneLogin's legacy template). Unknown attributes
are ignored. Values that cannot be made to fit their attribute raise
``InvalidValue`` naming the path.
"""
from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from scim_service.errors import InvalidValue, Mutability
from scim_service.filters.bind import parse_datetime
from scim_service.schema import ENTERPRISE_URN, Attribute, ResourceType
from scim_service.schema.attributes import (
    BINARY, BOOLEAN, COMPLEX, DATETIME, DECIMAL, IMMUTABLE, INTEGER, READ_ONLY, REFERENCE, STRING,
)

#: Relation attributes are kept by the backend's membership store, not in the record.
RELATIONS = {"members", "groups"}
#: OneLogin's SCIM 1.1 enterprise template nests department and manager under the 1.1 URN.
LEGACY_URNS = {"urn:scim:schemas:extension:enterprise:1.0": ENTERPRISE_URN}


class Limits:
    def __init__(self, max_string_length: int = 65536, max_multi_values: int = 1000,
                 max_members: int = 10000):
        self.max_string_length = max_string_length
        self.max_multi_values = max_multi_values
        self.max_members = max_members


DEFAULT_LIMITS = Limits()


def is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def coerce_boolean(value, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidValue(f"'{where}' must be true or false, got {value!r}")


def coerce_scalar(attr: Attribute, value, where: str, limits: Limits = DEFAULT_LIMITS):
    """One simple value, converted to the attribute's type."""
    if attr.type == BOOLEAN:
        return coerce_boolean(value, where)
    if attr.type == INTEGER:
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise InvalidValue(f"'{where}' must be an integer, got {value!r}")
    if attr.type == DECIMAL:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        raise InvalidValue(f"'{where}' must be a number, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidValue(f"'{where}' must be a string, got {type(value).__name__}")
    text = value if isinstance(value, str) else str(value)
    if len(text) > limits.max_string_length:
        raise InvalidValue(f"'{where}' is longer than {limits.max_string_length} characters")
    if attr.type == DATETIME:
        try:
            parse_datetime(text)
        except ValueError:
            raise InvalidValue(f"'{where}' must be a dateTime such as 2011-05-13T04:42:34Z, got {text!r}") from None
    elif attr.type == BINARY:
        try:
            base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidValue(f"'{where}' must be base64-encoded binary") from None
    return text


def _complex(attr: Attribute, value, where: str, limits: Limits, *, keep_read_only: bool) -> dict | None:
    if attr.name == "manager" and isinstance(value, (str, int)):
        value = {"value": str(value)}                       # Entra sends the manager's id
    if attr.name == "manager" and isinstance(value, list):  # Entra tutorial: [{"value":..., "$ref":...}]
        value = value[0] if value else None
    if isinstance(value, dict) and attr.name == "manager" and "managerId" in value and "value" not in value:
        value = {**value, "value": value["managerId"]}      # OneLogin enterprise template
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidValue(f"'{where}' must be an object with sub-attributes "
                           f"{', '.join(a.name for a in attr.sub_attributes)}")
    out = {}
    for key, sub_value in value.items():
        sub = attr.sub(key) if isinstance(key, str) else None
        if sub is None or is_empty(sub_value):
            continue
        if sub.mutability == READ_ONLY and not keep_read_only:
            continue
        out[sub.name] = coerce_scalar(sub, sub_value, f"{where}.{sub.name}", limits)
    return out or None


def coerce_attribute(attr: Attribute, value, where: str, limits: Limits = DEFAULT_LIMITS,
                     *, keep_read_only: bool = False):
    """The canonical value of one top-level attribute, or None when unassigned."""
    if is_empty(value):
        return None
    if attr.multi_valued:
        items = value if isinstance(value, list) else [value]
        if len(items) > limits.max_multi_values:
            raise InvalidValue(f"'{where}' has {len(items)} values; at most {limits.max_multi_values} are accepted")
        out = []
        for i, item in enumerate(items):
            if is_empty(item):
                continue
            if attr.type == COMPLEX:
                if isinstance(item, str) and attr.sub("value") is not None:
                    item = {"value": item}
                element = _complex(attr, item, f"{where}[{i}]", limits, keep_read_only=keep_read_only)
                if element and element not in out:
                    out.append(element)
            else:
                out.append(coerce_scalar(attr, item, f"{where}[{i}]", limits))
        if attr.type == COMPLEX and sum(1 for e in out if e.get("primary") is True) > 1:
            raise InvalidValue(f"'{where}' has more than one value with primary true; at most one may be primary")
        return out or None
    if attr.type == COMPLEX:
        return _complex(attr, value, where, limits, keep_read_only=keep_read_only)
    if isinstance(value, list):
        raise InvalidValue(f"'{where}' is single-valued; got a list")
    return coerce_scalar(attr, value, where, limits)


def normalize(body, rtype: ResourceType, limits: Limits = DEFAULT_LIMITS) -> tuple[dict, list | None]:
    """Canonical attributes of a POST/PUT body and the raw member list (Groups), if any.

    Read-only attributes are dropped; ``members`` is returned apart because the
    backend keeps membership as its own relation.
    """
    if not isinstance(body, dict):
        raise InvalidValue("the request body must be a JSON object representing a resource")
    record: dict = {}
    members = None
    for key, value in body.items():
        if not isinstance(key, str) or key.lower() == "schemas":
            continue
        key = LEGACY_URNS.get(key.lower(), key)
        schema = rtype.schema_by_urn(key) if key.lower().startswith("urn:") else None
        if schema is not None and schema is not rtype.schema:
            if is_empty(value):
                continue
            if not isinstance(value, dict):
                raise InvalidValue(f"'{key}' must be an object holding the extension's attributes")
            for sub_key, sub_value in value.items():
                _put(record, rtype, sub_key, sub_value, limits, urn=schema.id)
            continue
        if schema is rtype.schema and isinstance(value, dict):  # core URN used as a container
            for sub_key, sub_value in value.items():
                _put(record, rtype, sub_key, sub_value, limits, urn=schema.id)
            continue
        found = rtype.resolve(key)
        if found is not None and found.attribute.name == "members":
            members = parse_members(value, limits)
            continue
        _put(record, rtype, key, value, limits)
    return record, members


def _put(record: dict, rtype: ResourceType, key, value, limits: Limits, urn: str | None = None) -> None:
    if not isinstance(key, str):
        return
    found = rtype.resolve(key, urn=urn) if urn else rtype.resolve(key)
    if found is None:
        return  # unknown attributes are ignored (RFC 7644 §3.3 lets us; IdPs send many)
    attr = found.attribute
    if attr.mutability == READ_ONLY or attr.name in RELATIONS:
        return
    canonical = coerce_attribute(attr, value, f"{found.schema + ':' if found.schema else ''}{attr.name}", limits)
    if canonical is None:
        return
    if found.schema:
        record.setdefault(found.schema, {})[attr.name] = canonical
    else:
        record[attr.name] = canonical


def parse_members(value, limits: Limits = DEFAULT_LIMITS) -> list[dict]:
    """Members as ``[{"value": id, "type": "User"|"Group"}]``: objects, bare ids, ``$ref: null``."""
    if is_empty(value):
        return []
    items = value if isinstance(value, list) else [value]
    if len(items) > limits.max_members:
        raise InvalidValue(f"'members' has {len(items)} entries; at most {limits.max_members} per request")
    out, seen = [], set()
    for i, item in enumerate(items):
        if isinstance(item, str):
            item = {"value": item}
        if not isinstance(item, dict):
            raise InvalidValue(f"'members[{i}]' must be an object with a 'value' (the member's id)")
        lowered = {k.lower(): v for k, v in item.items() if isinstance(k, str)}
        member_id = lowered.get("value")
        if not isinstance(member_id, str) or not member_id.strip():
            raise InvalidValue(f"'members[{i}].value' must be the id of a User or Group in this workspace")
        kind = lowered.get("type")
        if kind is not None and (not isinstance(kind, str) or kind.lower() not in ("user", "group")):
            raise InvalidValue(f"'members[{i}].type' must be 'User' or 'Group', got {kind!r}")
        if member_id not in seen:
            seen.add(member_id)
            out.append({"value": member_id, "type": kind.capitalize() if kind else None})
    return out


def check_required(record: dict, rtype: ResourceType) -> None:
    for attr in rtype.schema.attributes:
        if attr.required and is_empty(record.get(attr.name)):
            raise InvalidValue(f"'{attr.name}' is required for a {rtype.name}")


def check_immutable(old: dict, new: dict, rtype: ResourceType) -> None:
    """PUT may not change an immutable attribute that already has a value (RFC 7643 §2.2)."""
    for urn, attr in rtype.all_attributes():
        if attr.mutability != IMMUTABLE:
            continue
        before = (old.get(urn) or {}).get(attr.name) if urn else old.get(attr.name)
        after = (new.get(urn) or {}).get(attr.name) if urn else new.get(attr.name)
        if before is not None and after != before:
            raise Mutability(f"'{attr.name}' is immutable: it has a value, and a new value may not differ")


@lru_cache(maxsize=None)
def unique_attributes(rtype: ResourceType) -> tuple[Attribute, ...]:
    """Core attributes other than id marked ``uniqueness: server`` (userName, group displayName)."""
    return tuple(a for urn, a in rtype.all_attributes()
                 if a.uniqueness == "server" and a.name != "id" and not urn)


def unique_values(record: dict, rtype: ResourceType) -> dict[str, str]:
    """The unique attributes' values, case-folded unless caseExact."""
    out = {}
    for attr in unique_attributes(rtype):
        value = record.get(attr.name)
        if isinstance(value, str):
            out[attr.name] = value if attr.case_exact else value.casefold()
    return out


__all__ = [
    "normalize", "parse_members", "coerce_attribute", "coerce_scalar", "coerce_boolean", "check_required",
    "check_immutable", "unique_values", "is_empty", "Limits", "RELATIONS", "STRING", "REFERENCE",
]
