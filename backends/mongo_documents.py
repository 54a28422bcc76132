"""How a SCIM record is laid out as a MongoDB document, and read back exactly.

One document per resource, in the ``resources`` collection::

    {"_id": ObjectId,              # creation order: the default order and the tie-break of every sort
     "workspace": "acme", "type": "User", "id": "<uuid>",
     "record": {...},              # the record, exactly (keys made safe, below)
     "search": {...},              # the search view: the same shape, values made comparable
     "sort": {...}}                # primary-or-first element of each multi-valued attribute

Field names. MongoDB field names may not contain "." nor start with "$", and
schema URNs contain dots. An extension's URN is stored under ``ext:<name>``
(the schema's name, lower-cased; derived from the registry, see
``EXTENSION_KEYS``); ":" cannot appear in an attribute name, so no attribute
can collide with it. Any other key holding ".", "$", ":", "~" or NUL (the
Enterprise ``manager.$ref``) is stored as "~" plus the key with those
characters written ``~XX`` (hex). Every key comes from the schema registry:
no value sent by a client ever becomes a field name.

The search view holds every attribute the schema knows (and ``schemas``,
computed from the extensions present), with each string whose
attribute has ``caseExact: false`` case-folded (``str.casefold``, as
``scim_service.filters.evaluate`` compares them) and each dateTime rewritten as
UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, so text order is instant order. Filters,
unique indexes and sorts read it; reads never fetch it. Extensions sit under
the same ``ext:<name>`` keys as in ``record``.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone

from scim_service.filters.bind import parse_datetime
from scim_service.schema import RESOURCE_TYPES, Attribute, ResourceType
from scim_service.schema.attributes import COMPLEX, DATETIME

_UNSAFE = re.compile(r"[.$:~\x00]")
_ESCAPED = re.compile(r"~([0-9A-F]{2})")
EXTENSION_PREFIX = "ext:"


def _extension_keys() -> dict[str, str]:
    """Schema URN -> document key for every extension in the registry."""
    keys: dict[str, str] = {}
    for rtype in RESOURCE_TYPES.values():
        for schema in rtype.extensions:
            if schema.id in keys:
                continue
            key = EXTENSION_PREFIX + re.sub(r"[^a-z0-9_-]", "", schema.name.lower())
            if key == EXTENSION_PREFIX or key in keys.values():
                key = EXTENSION_PREFIX + hashlib.sha256(schema.id.encode()).hexdigest()[:12]
            keys[schema.id] = key
    return keys


EXTENSION_KEYS: dict[str, str] = _extension_keys()
_URN_OF_KEY = {key: urn for urn, key in EXTENSION_KEYS.items()}


# --- field names ------------------------------------------------------------------------
def safe_key(key: str) -> str:
    """A field name MongoDB accepts everywhere; ``original_key`` reverses it."""
    if key and _UNSAFE.search(key) is None:
        return key
    return "~" + _UNSAFE.sub(lambda m: f"~{ord(m.group()):02X}", key)


def original_key(key: str) -> str:
    if key.startswith("~"):
        return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), key[1:])
    if key.startswith(EXTENSION_PREFIX):
        return _URN_OF_KEY.get(key, key)
    return key


def record_key(key: str) -> str:
    """The document key of a top-level record key (an attribute name or an extension URN)."""
    return EXTENSION_KEYS.get(key) or safe_key(key)


def _encode(value):
    if isinstance(value, dict):
        return {safe_key(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value):
    if isinstance(value, dict):
        return {original_key(k): _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def encode_record(record: dict) -> dict:
    return {record_key(k): _encode(v) for k, v in record.items()}


def decode_record(stored: dict) -> dict:
    return _decode(stored)


# --- comparable values --------------------------------------------------------------------
_BEFORE_ANY_INSTANT = "0000-00-00T00:00:00.000000Z"
_AFTER_ANY_INSTANT = "9999-99-99T99:99:99.999999Z"


def datetime_text(value: datetime) -> str:
    """UTC with microseconds: equal instants give equal text, and text order is time order."""
    try:
        utc = value.astimezone(timezone.utc)
    except OverflowError:   # an offset pushed it past year 1 or 9999: before or after every stored value
        return _BEFORE_ANY_INSTANT if value.year < 5000 else _AFTER_ANY_INSTANT
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def comparable(attr: Attribute, value):
    """A scalar as the search view holds it (filter literals go through the same function)."""
    if attr.type == DATETIME:
        if isinstance(value, datetime):
            return datetime_text(value)
        if isinstance(value, str):
            try:
                return datetime_text(parse_datetime(value))
            except ValueError:
                return {"unparsable": value}   # present, but equal/less/greater than no dateTime
        return value
    if isinstance(value, str) and not attr.case_exact:
        return value.casefold()
    return value


def _view(attr: Attribute, value):
    if attr.multi_valued and isinstance(value, list):
        return [_element_view(attr, v) for v in value]
    return _element_view(attr, value)


def _element_view(attr: Attribute, value):
    if attr.type == COMPLEX:
        if not isinstance(value, dict):
            return value
        out = {}
        for key, sub_value in value.items():
            sub = attr.sub(key)
            if sub is not None:
                out[safe_key(sub.name)] = comparable(sub, sub_value)
        return out
    return comparable(attr, value)


def _scopes(record: dict, rtype: ResourceType):
    """(document key or None for the core, attribute, value) for every attribute the schema knows."""
    for key, value in record.items():
        found = None if key.startswith("urn:") else rtype.core_attribute(key)
        if found is not None and value is not None:
            yield None, found.attribute, value
    for schema in rtype.extensions:
        part = record.get(schema.id)
        if isinstance(part, dict):
            for key, value in part.items():
                attr = schema.attribute(key)
                if attr is not None and value is not None:
                    yield record_key(schema.id), attr, value


def schemas_of(record: dict, rtype: ResourceType) -> list[str]:
    """``schemas`` is computed from the data: the core schema and each extension present."""
    return [s for s in rtype.schema_ids if s == rtype.schema.id or s in record]


def search_view(record: dict, rtype: ResourceType) -> dict:
    view: dict = {}
    schemas = rtype.core_attribute("schemas")
    if schemas is not None:
        view[safe_key(schemas.attribute.name)] = _view(schemas.attribute, schemas_of(record, rtype))
    for scope, attr, value in _scopes(record, rtype):
        target = view if scope is None else view.setdefault(scope, {})
        target[safe_key(attr.name)] = _view(attr, value)
    return view


def primary_or_first(elements: list):
    """The element a multi-valued attribute sorts by (RFC 7644 §3.4.2.3), as backends/memory.py."""
    return next((e for e in elements if isinstance(e, dict) and e.get("primary") is True),
                elements[0] if elements else None)


def sort_view(record: dict, rtype: ResourceType) -> dict:
    view: dict = {}
    for scope, attr, value in _scopes(record, rtype):
        if attr.multi_valued and isinstance(value, list):
            chosen = primary_or_first(value)
            if chosen is not None:
                target = view if scope is None else view.setdefault(scope, {})
                target[safe_key(attr.name)] = _element_view(attr, chosen)
    return view


# --- whole documents --------------------------------------------------------------------
def to_document(workspace: str, rtype: ResourceType, record: dict) -> dict:
    doc = {"workspace": workspace, "type": rtype.name, "id": record["id"],
           "record": encode_record(record), "search": search_view(record, rtype)}
    order = sort_view(record, rtype)
    if order:
        doc["sort"] = order
    return doc


def from_document(doc: dict) -> dict:
    return decode_record(doc["record"])


def meta_update(rtype: ResourceType, meta: dict) -> dict:
    """``$set`` of the given ``meta`` sub-attributes, in the record and in the search view."""
    meta_attr = rtype.core_attribute("meta").attribute
    update = {}
    for key, value in meta.items():
        if key == "version":
            continue   # the version only ever moves by $inc
        field = safe_key(key)
        update[f"record.meta.{field}"] = value
        sub = meta_attr.sub(key)
        if sub is not None:
            update[f"search.meta.{safe_key(sub.name)}"] = comparable(sub, value)
    return update
