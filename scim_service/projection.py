"""``attributes`` / ``excludedAttributes`` (RFC 7644 §3.4.2.5, §3.9) and ``returned`` rules.

Paths are resolved through the schema registry, case-insensitively, with or
without the schema URN; ``emails[type eq "work"]`` selects ``emails`` (as
Microsoft's test suite sends it). Unknown names are ignored, as most servers
do, so an IdP's optional attribute never fails a read.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from scim_service.errors import InvalidValue
from scim_service.schema import ResourceType
from scim_service.schema.attributes import ALWAYS, NEVER, REQUEST

Key = tuple[str, str, "str | None"]   # (schema URN or "", attribute, sub-attribute)


@dataclass(frozen=True)
class Projection:
    attributes: frozenset[Key] = frozenset()
    excluded: frozenset[Key] = frozenset()

    @property
    def is_default(self) -> bool:
        return not self.attributes and not self.excluded

    def includes(self, rtype: ResourceType, name: str) -> bool:
        """Will the top-level core attribute ``name`` be returned? (lets the service skip work)."""
        return _includes(self, rtype, name)


DEFAULT = Projection()


@lru_cache(maxsize=1024)
def _includes(projection: Projection, rtype: ResourceType, name: str) -> bool:
    found = rtype.resolve(name)
    return found is not None and _returned(found.schema, found.attribute, None, projection)


def _split(text: str | None) -> list[str]:
    if not text:
        return []
    parts, depth, current = [], 0, []
    for ch in text:  # commas inside a [filter] do not separate attributes
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _resolve(rtype: ResourceType, text: str) -> Key | None:
    if "[" in text:  # emails[type eq "work"] or emails[type eq "work"].value
        head, _, rest = text.partition("[")
        tail = rest.partition("]")[2]
        text = head + tail
    urn = None
    if text.lower().startswith("urn:"):
        schema = next((s for s in (rtype.schema, *rtype.extensions) if text.lower().startswith(s.id.lower())), None)
        if schema is None:
            return None
        rest = text[len(schema.id):].lstrip(":")
        if not rest:  # the whole extension
            return (schema.id, "*", None) if schema is not rtype.schema else None
        urn, text = schema.id, rest
    attr, _, sub = text.partition(".")
    found = rtype.resolve(attr, sub or None, urn)
    if found is None:
        return None
    return (found.schema, found.attribute.name, found.sub_attribute.name if found.sub_attribute else None)


@lru_cache(maxsize=256)
def parse_projection(rtype: ResourceType, attributes: str | None, excluded: str | None) -> Projection:
    if attributes and excluded:
        raise InvalidValue("send either 'attributes' or 'excludedAttributes', not both")
    if len(attributes or "") + len(excluded or "") > 4096:
        raise InvalidValue("'attributes' / 'excludedAttributes' is longer than 4096 characters")
    keys = lambda text: frozenset(k for k in (_resolve(rtype, p) for p in _split(text)) if k)  # noqa: E731
    return Projection(keys(attributes), keys(excluded))


def _returned(urn: str, attr, sub, projection: Projection) -> bool:
    target = sub or attr
    if target.returned == NEVER or attr.returned == NEVER:
        return False
    if target.returned == ALWAYS:
        return True
    name = attr.name
    sub_name = sub.name if sub else None
    if projection.attributes:
        sel = projection.attributes
        if (urn, "*", None) in sel or (urn, name, None) in sel:
            return True
        if sub_name is None:
            return any(k[0] == urn and k[1] == name for k in sel)
        return (urn, name, sub_name) in sel
    if target.returned == REQUEST:
        return False
    if projection.excluded:
        exc = projection.excluded
        if (urn, "*", None) in exc or (urn, name, None) in exc:
            return False
        if sub_name is not None and (urn, name, sub_name) in exc:
            return False
    return True


def project(resource: dict, rtype: ResourceType, projection: Projection) -> dict:
    """Apply the projection to a rendered resource (canonical names)."""
    out = {"schemas": resource["schemas"]}
    for key, value in resource.items():
        if key == "schemas":
            continue
        schema = rtype.schema_by_urn(key) if key.startswith("urn:") else None
        if schema is not None:
            inner = {}
            for sub_key, sub_value in value.items():
                attr = schema.attribute(sub_key)
                if attr is not None:
                    kept = _project_attr(schema.id, attr, sub_value, projection)
                    if kept is not None:
                        inner[sub_key] = kept
            if inner:
                out[key] = inner
            continue
        found = rtype.core_attribute(key)
        if found is None:
            continue
        kept = _project_attr("", found.attribute, value, projection)
        if kept is not None:
            out[key] = kept
    if len(out["schemas"]) > 1:  # drop extension URNs whose attributes were all projected away
        out["schemas"] = [s for s in out["schemas"] if s == rtype.schema.id or s in out]
    return out


def _project_attr(urn: str, attr, value, projection: Projection):
    if not _returned(urn, attr, None, projection):
        return None
    if not attr.sub_attributes or projection.is_default:
        return value
    def trim(element):
        if not isinstance(element, dict):
            return element
        kept = {k: v for k, v in element.items()
                if (sub := attr.sub(k)) is not None and _returned(urn, attr, sub, projection)}
        return kept or None
    if isinstance(value, list):
        trimmed = [t for t in (trim(e) for e in value) if t]
        return trimmed or None
    return trim(value)
