"""Resource types and attribute resolution over the schema definitions."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from scim_service.schema.attributes import Attribute, Schema
from scim_service.schema.definitions import (
    COMMON_ATTRIBUTES, ENTERPRISE_USER, ENTERPRISE_URN, GROUP, USER,
)


@dataclass(frozen=True)
class Resolved:
    """An attribute path resolved against a resource type's schemas."""

    schema: str            # URN of the schema that defines the attribute ("" for common attributes)
    attribute: Attribute
    sub_attribute: Attribute | None = None

    @property
    def is_extension(self) -> bool:
        return bool(self.schema)

    @property
    def target(self) -> Attribute:
        return self.sub_attribute or self.attribute


@dataclass(frozen=True, eq=False)   # identity hash: it keys hot-path caches
class ResourceType:
    name: str
    endpoint: str
    description: str
    schema: Schema
    extensions: tuple[Schema, ...] = ()

    def to_scim(self, location: str) -> dict:
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "meta": {"resourceType": "ResourceType", "location": location},
        }
        if self.extensions:
            body["schemaExtensions"] = [{"schema": s.id, "required": False} for s in self.extensions]
        return body

    # --- lookups --------------------------------------------------------------
    def schema_by_urn(self, urn: str) -> Schema | None:
        low = urn.lower()
        for schema in (self.schema, *self.extensions):
            if schema.id.lower() == low:
                return schema
        return None

    def core_attribute(self, name: str) -> Resolved | None:
        """A core or common attribute by name (case-insensitive)."""
        attr = self.schema.attribute(name)
        if attr is not None:
            return Resolved("", attr)
        low = name.lower()
        for common in COMMON_ATTRIBUTES:
            if common.name.lower() == low:
                return Resolved("", common)
        return None

    @lru_cache(maxsize=4096)   # on every attribute of every request; resource types are singletons
    def resolve(self, attr: str, sub_attr: str | None = None, urn: str | None = None) -> Resolved | None:
        """Resolve ``[urn:]attr[.sub]``; returns None for an unknown name.

        Extension attributes may be named without their URN when the name is
        unambiguous (IdPs send ``department`` at top level).
        """
        if urn:
            schema = self.schema_by_urn(urn)
            if schema is None:
                return None
            if schema is self.schema:
                found = self.core_attribute(attr)
            else:
                a = schema.attribute(attr)
                found = Resolved(schema.id, a) if a else None
        else:
            found = self.core_attribute(attr)
            if found is None:
                for ext in self.extensions:
                    a = ext.attribute(attr)
                    if a is not None:
                        found = Resolved(ext.id, a)
                        break
        if found is None:
            return None
        if sub_attr is None:
            return found
        sub = found.attribute.sub(sub_attr)
        if sub is None:
            return None
        return Resolved(found.schema, found.attribute, sub)

    def all_attributes(self):
        """(schema URN or "", Attribute) for every top-level attribute."""
        for a in COMMON_ATTRIBUTES:
            yield "", a
        for a in self.schema.attributes:
            yield "", a
        for ext in self.extensions:
            for a in ext.attributes:
                yield ext.id, a

    @property
    def schema_ids(self) -> tuple[str, ...]:
        return (self.schema.id, *(e.id for e in self.extensions))


USER_TYPE = ResourceType("User", "/Users", "User Account", USER, (ENTERPRISE_USER,))
GROUP_TYPE = ResourceType("Group", "/Groups", "Group", GROUP)

RESOURCE_TYPES: dict[str, ResourceType] = {"User": USER_TYPE, "Group": GROUP_TYPE}
SCHEMAS: dict[str, Schema] = {s.id: s for s in (USER, GROUP, ENTERPRISE_USER)}

__all__ = ["Resolved", "ResourceType", "USER_TYPE", "GROUP_TYPE", "RESOURCE_TYPES", "SCHEMAS", "ENTERPRISE_URN"]
