"""The RFC 7643 §4 and §8.7.1 schemas: User, Group and the Enterprise User extension.

This module is the single source of truth for SCIM attributes: validation,
``/Schemas``, filters, PATCH and attribute projection all read it.
"""
from __future__ import annotations

from scim_service.schema.attributes import (
    ALWAYS, BINARY, BOOLEAN, COMPLEX, DATETIME, IMMUTABLE, NEVER, READ_ONLY, REFERENCE,
    WRITE_ONLY, Attribute, Schema,
)

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def A(name, type="string", **kw):
    for key in ("sub_attributes", "canonical_values", "reference_types"):
        if key in kw:
            kw[key] = tuple(kw[key])
    return Attribute(name, type, **kw)


def multi_valued(name, description, types, value_type="string", *, value_kw=None, extra=()):
    """The common shape of emails, phoneNumbers, ims, photos, ...: value, display, type, primary."""
    return A(name, COMPLEX, multi_valued=True, description=description, sub_attributes=[
        A("value", value_type, description=f"The {name} value.", **(value_kw or {})),
        A("display", description="A human-readable name, primarily used for display purposes."),
        A("type", description="A label indicating the attribute's function.", canonical_values=types),
        A("primary", BOOLEAN, description="Indicates the 'primary' or preferred value."),
        *extra,
    ])


def _reference(name, description, ref_types, *, mutability=READ_ONLY, value_mutability=None, with_type=True):
    value_mutability = value_mutability or mutability
    subs = [
        A("value", description="The identifier of the referenced resource.", mutability=value_mutability),
        A("$ref", REFERENCE, description="The URI of the referenced resource.",
          mutability=value_mutability, reference_types=ref_types),
        A("display", description="A human-readable name.", mutability=READ_ONLY),
    ]
    if with_type:
        subs.append(A("type", description="The type of the reference.", mutability=value_mutability,
                      canonical_values=["direct", "indirect"] if name == "groups" else ["User", "Group"]))
    return A(name, COMPLEX, multi_valued=True, description=description, mutability=mutability,
             sub_attributes=subs)


# RFC 7643 §3.1 common attributes, part of every resource type.
COMMON_ATTRIBUTES = (
    A("schemas", REFERENCE, multi_valued=True, required=True, mutability=READ_ONLY, returned=ALWAYS,
      reference_types=["uri"], description="The schema URIs the resource conforms to (computed from its data)."),
    A("id", case_exact=True, mutability=READ_ONLY, returned=ALWAYS, uniqueness="server",
      description="A unique identifier for a SCIM resource as defined by the service provider."),
    A("externalId", case_exact=True,
      description="An identifier for the resource as defined by the provisioning client."),
    A("meta", COMPLEX, mutability=READ_ONLY, description="Resource metadata.", sub_attributes=[
        A("resourceType", case_exact=True, mutability=READ_ONLY, description="The name of the resource type."),
        A("created", DATETIME, mutability=READ_ONLY, description="When the resource was added."),
        A("lastModified", DATETIME, mutability=READ_ONLY, description="When the resource was last modified."),
        A("location", REFERENCE, case_exact=True, mutability=READ_ONLY, reference_types=["uri"],
          description="The URI of the resource."),
        A("version", case_exact=True, mutability=READ_ONLY, description="The version (ETag) of the resource."),
    ]),
)

_ADDRESS_SUBS = [
    A("formatted", description="The full mailing address, formatted for display."),
    A("streetAddress", description="The full street address component."),
    A("locality", description="The city or locality component."),
    A("region", description="The state or region component."),
    A("postalCode", description="The zip code or postal code component."),
    A("country", description="The country name component (ISO 3166-1 alpha-2)."),
    A("type", description="A label indicating the attribute's function.", canonical_values=["work", "home", "other"]),
    A("primary", BOOLEAN, description="Indicates the 'primary' or preferred address."),
]

USER = Schema(USER_URN, "User", "User Account", (
    A("userName", required=True, uniqueness="server",
      description="Unique identifier for the User, typically used to authenticate."),
    A("name", COMPLEX, description="The components of the user's real name.", sub_attributes=[
        A("formatted", description="The full name, formatted for display."),
        A("familyName", description="The family name of the User."),
        A("givenName", description="The given name of the User."),
        A("middleName", description="The middle name(s) of the User."),
        A("honorificPrefix", description="The honorific prefix(es) of the User."),
        A("honorificSuffix", description="The honorific suffix(es) of the User."),
    ]),
    A("displayName", description="The name of the User, suitable for display to end-users."),
    A("nickName", description="The casual way to address the user."),
    A("profileUrl", REFERENCE, reference_types=["external"], description="A URI to the User's online profile."),
    A("title", description="The user's title, such as 'Vice President'."),
    A("userType", description="The relationship between the organization and the user."),
    A("preferredLanguage", description="The User's preferred written or spoken language."),
    A("locale", description="The User's default location for localization."),
    A("timezone", description="The User's time zone in the Olson time zone database format."),
    A("active", BOOLEAN, description="The User's administrative status."),
    A("password", mutability=WRITE_ONLY, returned=NEVER, description="The User's cleartext password."),
    multi_valued("emails", "Email addresses for the user.", ["work", "home", "other"]),
    multi_valued("phoneNumbers", "Phone numbers for the User.", ["work", "home", "mobile", "fax", "pager", "other"]),
    multi_valued("ims", "Instant messaging addresses for the User.",
                 ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    multi_valued("photos", "URLs of photos of the User.", ["photo", "thumbnail"], REFERENCE,
                 value_kw={"reference_types": ("external",)}),
    A("addresses", COMPLEX, multi_valued=True, description="A physical mailing address for this User.",
      sub_attributes=_ADDRESS_SUBS),
    _reference("groups", "A list of groups to which the user belongs.", ["User", "Group"]),
    multi_valued("entitlements", "A list of entitlements for the User.", []),
    multi_valued("roles", "A list of roles for the User.", []),
    multi_valued("x509Certificates", "A list of certificates issued to the User.", [], BINARY),
))

GROUP = Schema(GROUP_URN, "Group", "Group", (
    A("displayName", required=True, uniqueness="server", description="A human-readable name for the Group."),
    _reference("members", "A list of members of the Group.", ["User", "Group"],
               mutability="readWrite", value_mutability=IMMUTABLE),
))

ENTERPRISE_USER = Schema(ENTERPRISE_URN, "EnterpriseUser", "Enterprise User", (
    A("employeeNumber", description="Numeric or alphanumeric identifier assigned to a person."),
    A("costCenter", description="Identifies the name of a cost center."),
    A("organization", description="Identifies the name of an organization."),
    A("division", description="Identifies the name of a division."),
    A("department", description="Identifies the name of a department."),
    A("manager", COMPLEX, description="The User's manager.", sub_attributes=[
        A("value", description="The id of the SCIM resource representing the User's manager."),
        A("$ref", REFERENCE, reference_types=["User"], description="The URI of the manager's resource."),
        A("displayName", mutability=READ_ONLY, description="The displayName of the User's manager."),
    ]),
))
