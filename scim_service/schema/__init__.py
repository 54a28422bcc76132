"""The schema registry: the one source of truth for SCIM attributes."""
from scim_service.schema.attributes import Attribute, Schema
from scim_service.schema.definitions import ENTERPRISE_URN, GROUP_URN, USER_URN
from scim_service.schema.registry import (
    GROUP_TYPE, RESOURCE_TYPES, SCHEMAS, USER_TYPE, Resolved, ResourceType,
)

__all__ = [
    "Attribute", "Schema", "ResourceType", "Resolved", "RESOURCE_TYPES", "SCHEMAS",
    "USER_TYPE", "GROUP_TYPE", "USER_URN", "GROUP_URN", "ENTERPRISE_URN",
]
