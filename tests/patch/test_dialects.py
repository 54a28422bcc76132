"""Each IdP dialect rule of scim_service.patch.dialects, by name, then as the engine applies it."""
from __future__ import annotations

import pytest

from backends.base import Member
from scim_service.errors import InvalidSyntax, NoTarget
from scim_service.filters.bind import bind_patch_path
from scim_service.filters.parser import parse_patch_path
from scim_service.patch import PATCH_URN, PatchEngine
from scim_service.patch.dialects import (
    element_for_unmatched_filter, expand_pathless, lower_keys, op_name, scim11_member_operations,
    values_listed_for_removal,
)
from scim_service.schema import ENTERPRISE_URN, GROUP_TYPE, USER_TYPE

USER = {"id": "u1", "userName": "bjensen", "name": {"givenName": "Barbara"},
        "emails": [{"type": "work", "value": "bjensen@example.com"}],
        "meta": {"created": "2020-01-01T00:00:00Z", "lastModified": "2020-01-01T00:00:00Z", "version": 1}}
GROUP = {"id": "g1", "displayName": "Tour Guides",
         "meta": {"created": "2020-01-01T00:00:00Z", "lastModified": "2020-01-01T00:00:00Z", "version": 1}}


def value_filter(path: str):
    return bind_patch_path(parse_patch_path(path), USER_TYPE).value_filter


def apply(record, *operations, rtype=USER_TYPE, body=None):
    return PatchEngine(rtype).apply(record, body or {"schemas": [PATCH_URN], "Operations": list(operations)})


# --- op_name: Entra capitalises op values --------------------------------------------------------------
@pytest.mark.parametrize("raw, name", [("Add", "add"), ("Replace", "replace"), ("Remove", "remove"),
                                       ("ADD", "add"), ("remove", "remove")])
def test_op_name_accepts_any_case(raw, name):
    assert op_name(raw, 0) == name


@pytest.mark.parametrize("raw", ["move", "copy", "", None, 3, ["add"]])
def test_op_name_rejects_other_operations_naming_the_index(raw):
    with pytest.raises(InvalidSyntax) as raised:
        op_name(raw, 4)
    assert raised.value.detail == f"Operations[4].op must be one of add, replace, remove; got {raw!r}"


# --- lower_keys: Op / Path / Value in any case ------------------------------------------------------------
def test_lower_keys_reads_capitalised_operation_members():
    assert lower_keys({"Op": "Add", "PATH": "title", "Value": "x", 7: "dropped"}) == \
        {"op": "Add", "path": "title", "value": "x"}


def test_capitalised_operation_members_patch_the_record():
    new = apply(USER, {"Op": "Replace", "Path": "title", "Value": "Guide"}).record
    assert new["title"] == "Guide"


# --- scim11_member_operations: OneLogin's SCIM 1.1 group PATCH -------------------------------------------
def test_scim11_members_become_removes_then_adds():
    ops = scim11_member_operations({"members": [{"value": "u1"}, {"value": "u2", "operation": "delete"},
                                                {"value": "u3", "operation": "add", "display": "Three"}]})
    assert ops == [{"op": "remove", "path": "members", "value": [{"value": "u2"}]},
                   {"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u3", "display": "Three"}]}]


def test_scim11_display_name_becomes_a_rename():
    ops = scim11_member_operations({"schemas": ["urn:scim:schemas:core:1.0"], "displayName": "New",
                                    "members": [{"value": "u1", "operation": "DELETE"}]})
    assert ops == [{"op": "remove", "path": "members", "value": [{"value": "u1"}]},
                   {"op": "replace", "path": "displayName", "value": "New"}]


@pytest.mark.parametrize("body", [
    {"schemas": [PATCH_URN]},                                    # no members: not this dialect
    {"displayName": "x"},
    {"members": [{"value": "u1"}], "externalId": "x"},           # other keys: not this dialect
    {"members": {"value": "u1"}},                                # members must be a list
    {"Operations": [], "members": [{"value": "u1"}]},
])
def test_scim11_other_bodies_are_not_this_dialect(body):
    assert scim11_member_operations(body) is None


def test_scim11_body_patches_membership_through_the_engine():
    body = {"schemas": ["urn:scim:schemas:core:1.0"],
            "members": [{"value": "u1"}, {"value": "u2", "operation": "delete"}]}
    result = apply(GROUP, rtype=GROUP_TYPE, body=body)
    assert result.members.add == [Member("u1", None)] and result.members.remove == {"u2"}


def test_a_body_without_operations_or_members_says_what_is_missing():
    with pytest.raises(InvalidSyntax, match="a PATCH body needs 'Operations'"):
        apply(GROUP, rtype=GROUP_TYPE, body={"schemas": [PATCH_URN], "displayName": "x"})


# --- expand_pathless: Entra's dotted and URN keys, Okta's id ------------------------------------------
def test_expand_pathless_keeps_dotted_keys_as_paths():
    assert expand_pathless({"name.givenName": "Kkom", "displayName": "Bjfe"}, USER_TYPE) == \
        [("name.givenName", "Kkom"), ("displayName", "Bjfe")]


def test_expand_pathless_unnests_an_extension_object():
    assert expand_pathless({ENTERPRISE_URN: {"department": "Tours", "employeeNumber": "7"}}, USER_TYPE) == \
        [(f"{ENTERPRISE_URN}:department", "Tours"), (f"{ENTERPRISE_URN}:employeeNumber", "7")]


def test_expand_pathless_keeps_full_urn_attribute_keys():
    key = f"{ENTERPRISE_URN}:employeeNumber"
    assert expand_pathless({key: "Aklq"}, USER_TYPE) == [(key, "Aklq")]


@pytest.mark.parametrize("key", ["id", "ID", "meta", "schemas", "groups"])
def test_expand_pathless_ignores_read_only_keys(key):
    assert expand_pathless({key: "x", "displayName": "Kept"}, GROUP_TYPE) == [("displayName", "Kept")]


def test_expand_pathless_ignores_an_extension_urn_whose_value_is_not_an_object():
    assert expand_pathless({ENTERPRISE_URN: "Tours"}, USER_TYPE) == []


def test_dotted_and_urn_keys_land_nested_in_the_record():
    new = apply(USER, {"op": "replace", "value": {"name.familyName": "Unua",
                                                  f"{ENTERPRISE_URN}:employeeNumber": "Aklq"}}).record
    assert new["name"] == {"givenName": "Barbara", "familyName": "Unua"}
    assert new[ENTERPRISE_URN] == {"employeeNumber": "Aklq"}
    assert "name.familyName" not in new and f"{ENTERPRISE_URN}:employeeNumber" not in new


def test_okta_rename_with_the_group_id_in_the_value_renames():
    result = apply(GROUP, {"op": "replace", "value": {"id": "another-id", "displayName": "Renamed"}}, rtype=GROUP_TYPE)
    assert result.record == {**GROUP, "displayName": "Renamed"}


def test_unknown_keys_in_a_pathless_value_are_ignored():
    result = apply(USER, {"op": "add", "value": {"shoeSize": 9, "name.shoeSize": 1, "urn:example:x": {"a": 1}}})
    assert result.changed is False


# --- element_for_unmatched_filter: Entra adds through a filter before the element exists ---------------
def test_element_for_unmatched_filter_is_made_of_the_eq_conditions():
    assert element_for_unmatched_filter(value_filter('emails[type eq "home"]')) == {"type": "home"}
    assert element_for_unmatched_filter(value_filter('emails[type eq "home" and primary eq true]')) == \
        {"type": "home", "primary": True}


@pytest.mark.parametrize("path", ['emails[type ne "home"]', 'emails[type eq "a" or type eq "b"]',
                                  'emails[value co "x"]', 'emails[type pr]', 'emails[not (type eq "a")]'])
def test_element_for_unmatched_filter_is_none_when_the_filter_is_not_only_eq(path):
    assert element_for_unmatched_filter(value_filter(path)) is None


def test_add_through_a_filter_matching_nothing_creates_the_element():
    new = apply(USER, {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555 0100"},
                {"op": "Replace", "path": 'addresses[type eq "work"].locality', "value": "Hollywood"}).record
    assert new["phoneNumbers"] == [{"type": "mobile", "value": "+1 555 0100"}]
    assert new["addresses"] == [{"type": "work", "locality": "Hollywood"}]


def test_through_a_filter_matching_nothing_an_add_needing_other_conditions_is_no_target():
    with pytest.raises(NoTarget, match="no value matches the filter"):
        apply(USER, {"op": "add", "path": 'emails[type ne "work"].value', "value": "x@example.com"})


# --- values_listed_for_removal: Entra's default and OneLogin remove listed members only -------------------
@pytest.mark.parametrize("value, listed", [
    (None, None), ([], None), ("", None),
    ([{"value": "u1"}], [{"value": "u1"}]), ({"value": "u1"}, [{"value": "u1"}]),
])
def test_values_listed_for_removal(value, listed):
    assert values_listed_for_removal(value) == listed


def test_remove_members_with_a_value_list_removes_only_those():
    result = apply(GROUP, {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "u1"}]},
                   rtype=GROUP_TYPE)
    assert result.members.remove == {"u1"} and result.members.replace_all is None


def test_remove_emails_with_a_value_list_removes_only_those():
    user = {**USER, "emails": [{"type": "work", "value": "a@x.org"}, {"type": "home", "value": "B@x.org"}]}
    new = apply(user, {"op": "remove", "path": "emails", "value": [{"value": "b@X.org"}]}).record
    assert new["emails"] == [{"type": "work", "value": "a@x.org"}]


# --- coercions the engine borrows from the input normaliser (scim_service.resources) ---------------------
@pytest.mark.parametrize("raw, active", [("False", False), ("True", True), ("false", False), (False, False)])
def test_entra_string_booleans(raw, active):
    assert apply({**USER, "active": not active}, {"op": "Replace", "path": "active", "value": raw}
                 ).record["active"] is active


@pytest.mark.parametrize("value, manager", [
    ("m1", {"value": "m1"}),                                                       # Entra's engine
    ({"value": "m1"}, {"value": "m1"}),                                            # Entra's validator
    ([{"$ref": "https://x/Users/m1", "value": "m1"}], {"$ref": "https://x/Users/m1", "value": "m1"}),  # tutorial
    ({"managerId": "m1", "displayName": "Boss"}, {"value": "m1"}),                 # OneLogin template
])
def test_manager_in_every_idp_shape_lands_as_an_object(value, manager):
    new = apply(USER, {"op": "Add", "path": f"{ENTERPRISE_URN}:manager", "value": value}).record
    assert new[ENTERPRISE_URN]["manager"] == manager


@pytest.mark.parametrize("empty", ["", None])
def test_replace_with_an_empty_value_unassigns(empty):
    user = {**USER, "title": "Boss", ENTERPRISE_URN: {"department": "Ops"}}
    new = apply(user, {"op": "Replace", "path": "title", "value": empty},
                {"op": "Replace", "path": f"{ENTERPRISE_URN}:department", "value": empty}).record
    assert "title" not in new and ENTERPRISE_URN not in new


def test_add_on_a_single_valued_attribute_replaces():
    assert apply({**USER, "active": True}, {"op": "Add", "path": "active", "value": "False"}).record["active"] is False
