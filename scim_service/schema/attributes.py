"""Attribute and schema definitions (RFC 7643 §7): the characteristics of every attribute."""
from __future__ import annotations

from dataclasses import dataclass, field

STRING, BOOLEAN, DECIMAL, INTEGER = "string", "boolean", "decimal", "integer"
DATETIME, BINARY, REFERENCE, COMPLEX = "dateTime", "binary", "reference", "complex"
READ_ONLY, READ_WRITE, IMMUTABLE, WRITE_ONLY = "readOnly", "readWrite", "immutable", "writeOnly"
ALWAYS, NEVER, DEFAULT, REQUEST = "always", "never", "default", "request"


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str = STRING
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = READ_WRITE
    returned: str = DEFAULT
    uniqueness: str = "none"
    sub_attributes: tuple["Attribute", ...] = ()
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    description: str = ""
    _subs: dict = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "_subs", {a.name.lower(): a for a in self.sub_attributes})

    def sub(self, name: str) -> "Attribute | None":
        return self._subs.get(name.lower())

    @property
    def is_complex(self) -> bool:
        return self.type == COMPLEX

    def to_scim(self) -> dict:
        body = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description or self.name,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.sub_attributes:
            body["subAttributes"] = [a.to_scim() for a in self.sub_attributes]
        if self.canonical_values:
            body["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            body["referenceTypes"] = list(self.reference_types)
        return body


@dataclass(frozen=True, eq=False)
class Schema:
    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    _attrs: dict = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "_attrs", {a.name.lower(): a for a in self.attributes})

    def attribute(self, name: str) -> Attribute | None:
        return self._attrs.get(name.lower())

    def to_scim(self, location: str) -> dict:
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.to_scim() for a in self.attributes],
            "meta": {"resourceType": "Schema", "location": location},
        }
