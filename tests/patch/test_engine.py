"""PatchEngine against RFC 7644 §3.5.2 (add .1, remove .2, replace .3), then the same rules through the API.

Fixtures named ``rfc_*`` are the RFC's own example payloads (ids shortened where the
RFC elides them); ``bjensen`` is the RFC 7643 §8.2 user as a stored record.
"""
from __future__ import annotations

import copy

import pytest

from backends.base import Member
from scim_service.errors import (
    InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget, PayloadTooLarge,
)
from scim_service.patch import PATCH_URN, PatchEngine
from scim_service.schema import ENTERPRISE_URN, GROUP_TYPE, USER_TYPE, ResourceType, Schema
from scim_service.schema.attributes import IMMUTABLE, Attribute
from tests.support import assert_scim_error, make_group, make_user, patch_op

BABS = "2819c223-7f76-453a-919d-413861904646"
JAMES = "08e1d05d-121c-4561-8b96-473d93df9210"


def body(*operations) -> dict:
    return {"schemas": [PATCH_URN], "Operations": list(operations)}


def apply(record, *operations, rtype=USER_TYPE, members=()):
    return PatchEngine(rtype).apply(record, body(*operations), current_members=lambda: list(members))


def patched(record, *operations, **kw) -> dict:
    return apply(record, *operations, **kw).record


@pytest.fixture
def bjensen() -> dict:
    return {
        "id": BABS, "externalId": "bjensen", "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara"},
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True},
                   {"value": "babs@jensen.org", "type": "home"}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
                       "region": "CA", "postalCode": "91608", "country": "USA", "primary": True},
                      {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood",
                       "region": "CA", "postalCode": "91608", "country": "USA"}],
        "meta": {"created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z", "version": 3},
    }


@pytest.fixture
def group() -> dict:
    return {"id": "e9e30dba-f08f-4109-8486-d5c6a331660a", "displayName": "Tour Guides",
            "meta": {"created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z", "version": 1}}


@pytest.fixture
def rfc_add_member() -> dict:
    """§3.5.2.1: add a member to a group."""
    return {"op": "add", "path": "members",
            "value": [{"display": "Babs Jensen", "$ref": f"https://example.com/v2/Users/{BABS}", "value": BABS}]}


@pytest.fixture
def rfc_add_without_path() -> dict:
    """§3.5.2.1: add several attributes, no path."""
    return {"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"}}


@pytest.fixture
def rfc_remove_member() -> dict:
    """§3.5.2.2: remove one member."""
    return {"op": "remove", "path": f"members[value eq \"{BABS}\"]"}


@pytest.fixture
def rfc_remove_all_members() -> dict:
    """§3.5.2.2: remove all members."""
    return {"op": "remove", "path": "members"}


@pytest.fixture
def rfc_remove_work_emails() -> dict:
    """§3.5.2.2: remove values of a multi-valued attribute selected by a filter."""
    return {"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}


@pytest.fixture
def rfc_replace_members() -> list[dict]:
    """§3.5.2.2: replace all members with remove + add."""
    return [{"op": "remove", "path": "members"},
            {"op": "add", "path": "members", "value": [
                {"display": "Babs Jensen", "$ref": f"https://example.com/v2/Users/{BABS}", "value": BABS},
                {"display": "James Smith", "$ref": f"https://example.com/v2/Users/{JAMES}", "value": JAMES}]}]


@pytest.fixture
def rfc_replace_members_op() -> dict:
    """§3.5.2.3: replace all members in one replace."""
    return {"op": "replace", "path": "members", "value": [
        {"display": "Babs Jensen", "$ref": f"https://example.com/v2/Users/{BABS}", "value": BABS},
        {"display": "James Smith", "$ref": f"https://example.com/v2/Users/{JAMES}", "value": JAMES}]}


@pytest.fixture
def rfc_replace_work_address() -> dict:
    """§3.5.2.3: replace the values a filter selects."""
    return {"op": "replace", "path": "addresses[type eq \"work\"]",
            "value": {"type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood",
                      "region": "CA", "postalCode": "91608", "country": "US",
                      "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US", "primary": True}}


@pytest.fixture
def rfc_replace_street_address() -> dict:
    """§3.5.2.3: replace one sub-attribute of the values a filter selects."""
    return {"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}


@pytest.fixture
def rfc_replace_without_path() -> dict:
    """§3.5.2.3: replace several attributes, no path."""
    return {"op": "replace", "value": {"emails": [{"value": "bjensen@example.com", "type": "work", "primary": True},
                                                  {"value": "babs@jensen.org", "type": "home"}],
                                       "nickname": "Babs"}}


# --- add (RFC 7644 §3.5.2.1) ---------------------------------------------------------------
def test_add_without_path_adds_each_attribute_of_the_value(bjensen, rfc_add_without_path):
    bjensen["emails"] = bjensen["emails"][:1]
    new = patched(bjensen, rfc_add_without_path)
    assert new["nickName"] == "Babs"
    assert new["emails"] == [{"value": "bjensen@example.com", "type": "work", "primary": True},
                             {"value": "babs@jensen.org", "type": "home"}]


def test_add_of_a_value_already_there_changes_nothing(bjensen):
    result = apply(bjensen, {"op": "add", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "home"}]},
                   {"op": "add", "path": "userName", "value": "bjensen@example.com"})
    assert result.record == bjensen and result.changed is False


def test_add_to_an_unassigned_attribute_assigns_it(bjensen):
    assert patched(bjensen, {"op": "add", "path": "title", "value": "Tour Guide"})["title"] == "Tour Guide"
    assert patched(bjensen, {"op": "add", "path": "phoneNumbers", "value": [{"value": "555-0100"}]}
                   )["phoneNumbers"] == [{"value": "555-0100"}]


def test_add_to_a_multi_valued_attribute_appends(bjensen):
    new = patched(bjensen, {"op": "add", "path": "emails", "value": [{"value": "b@other.org", "type": "other"}]})
    assert new["emails"] == bjensen["emails"] + [{"value": "b@other.org", "type": "other"}]


def test_add_to_a_single_valued_attribute_replaces_it(bjensen):
    assert patched(bjensen, {"op": "add", "path": "userName", "value": "babs"})["userName"] == "babs"


def test_add_to_a_complex_attribute_merges_its_sub_attributes(bjensen):
    new = patched(bjensen, {"op": "add", "path": "name", "value": {"middleName": "Jane", "givenName": "Babs"}})
    assert new["name"] == {**bjensen["name"], "middleName": "Jane", "givenName": "Babs"}


def test_add_of_no_values_to_a_multi_valued_attribute_changes_nothing(bjensen):
    assert apply(bjensen, {"op": "add", "path": "emails", "value": []}).changed is False


def test_add_member_rfc_example(group, rfc_add_member):
    result = apply(group, rfc_add_member, rtype=GROUP_TYPE)
    assert result.record == group   # members are a relation: the record itself is untouched
    assert result.members.add == [Member(BABS, None)]
    assert result.members.remove == set() and result.members.replace_all is None
    assert result.changed is True


# --- remove (RFC 7644 §3.5.2.2) ---------------------------------------------------------------
def test_remove_without_path_is_no_target(bjensen):
    with pytest.raises(NoTarget, match=r"Operations\[0\]: remove needs a 'path'"):
        apply(bjensen, {"op": "remove", "value": {"title": "x"}})


def test_remove_a_single_valued_attribute_unassigns_it(bjensen):
    assert "externalId" not in patched(bjensen, {"op": "remove", "path": "externalId"})


def test_remove_a_multi_valued_attribute_without_filter_removes_every_value(bjensen):
    assert "emails" not in patched(bjensen, {"op": "remove", "path": "emails"})


def test_remove_with_filter_removes_only_the_matching_values(bjensen, rfc_remove_work_emails):
    assert patched(bjensen, rfc_remove_work_emails)["emails"] == [{"value": "babs@jensen.org", "type": "home"}]


def test_remove_of_the_last_values_unassigns_the_attribute(bjensen):
    new = patched(bjensen, {"op": "remove", "path": "emails[value ew \"example.com\" or type eq \"home\"]"})
    assert "emails" not in new


def test_remove_a_sub_attribute_of_the_filtered_values(bjensen):
    new = patched(bjensen, {"op": "remove", "path": "addresses[type eq \"home\"].streetAddress"})
    assert new["addresses"][1] == {"type": "home", "locality": "Hollywood", "region": "CA", "postalCode": "91608",
                                   "country": "USA"}
    assert new["addresses"][0] == bjensen["addresses"][0]


def test_remove_a_sub_attribute_of_a_complex_attribute(bjensen):
    assert patched(bjensen, {"op": "remove", "path": "name.formatted"})["name"] == {"familyName": "Jensen",
                                                                                  "givenName": "Barbara"}


def test_remove_with_a_filter_matching_nothing_changes_nothing(bjensen):
    assert apply(bjensen, {"op": "remove", "path": "emails[type eq \"other\"]"}).changed is False


def test_remove_a_required_attribute_is_invalid_value(bjensen):
    with pytest.raises(InvalidValue, match="'userName' is required"):
        apply(bjensen, {"op": "remove", "path": "userName"})


def test_remove_member_rfc_example(group, rfc_remove_member):
    result = apply(group, rfc_remove_member, rtype=GROUP_TYPE)
    assert result.members.remove == {BABS} and result.members.add == []


def test_remove_all_members_rfc_example(group, rfc_remove_all_members):
    assert apply(group, rfc_remove_all_members, rtype=GROUP_TYPE).members.replace_all == []


def test_remove_all_then_add_rfc_example_sets_the_member_list(group, rfc_replace_members):
    change = apply(group, *rfc_replace_members, rtype=GROUP_TYPE).members
    assert change.replace_all == [Member(BABS, None), Member(JAMES, None)]


def test_remove_members_by_a_filter_other_than_value_eq_reads_the_current_members(group):
    current = [Member(BABS, "User"), Member(JAMES, "Group")]
    change = apply(group, {"op": "remove", "path": "members[type eq \"Group\"]"}, rtype=GROUP_TYPE,
                   members=current).members
    assert change.remove == {JAMES}


# --- replace (RFC 7644 §3.5.2.3) ----------------------------------------------------------------
def test_replace_without_path_rfc_example(bjensen, rfc_replace_without_path):
    bjensen["emails"] = [{"value": "old@example.com", "type": "other"}]
    new = patched(bjensen, rfc_replace_without_path)
    assert new["emails"] == rfc_replace_without_path["value"]["emails"]
    assert new["nickName"] == "Babs"


def test_replace_a_multi_valued_attribute_replaces_all_its_values(bjensen):
    new = patched(bjensen, {"op": "replace", "path": "emails", "value": [{"value": "only@example.com"}]})
    assert new["emails"] == [{"value": "only@example.com"}]


def test_replace_the_values_a_filter_selects_rfc_example(bjensen, rfc_replace_work_address):
    new = patched(bjensen, rfc_replace_work_address)
    assert new["addresses"] == [rfc_replace_work_address["value"], bjensen["addresses"][1]]


def test_replace_a_sub_attribute_of_the_filtered_values_rfc_example(bjensen, rfc_replace_street_address):
    new = patched(bjensen, rfc_replace_street_address)
    assert new["addresses"][0] == {**bjensen["addresses"][0], "streetAddress": "1010 Broadway Ave"}
    assert new["addresses"][1] == bjensen["addresses"][1]


def test_replace_an_unassigned_attribute_adds_it(bjensen):
    assert patched(bjensen, {"op": "replace", "path": "name.middleName", "value": "Jane"}
                   )["name"]["middleName"] == "Jane"
    assert patched(bjensen, {"op": "replace", "path": f"{ENTERPRISE_URN}:department", "value": "Tours"}
                   )[ENTERPRISE_URN] == {"department": "Tours"}


def test_replace_through_a_filter_matching_nothing_that_cannot_seed_a_value_is_no_target(bjensen):
    with pytest.raises(NoTarget) as raised:
        apply(bjensen, {"op": "replace", "path": "emails[value co \"nowhere\"].type", "value": "home"})
    assert "Operations[0] (replace emails[value co \"nowhere\"].type)" in raised.value.detail


def test_replace_members_rfc_example(group, rfc_replace_members_op):
    change = apply(group, rfc_replace_members_op, rtype=GROUP_TYPE).members
    assert change.replace_all == [Member(BABS, None), Member(JAMES, None)]


def test_replace_with_the_current_value_changes_nothing(bjensen):
    result = apply(bjensen, {"op": "replace", "path": "name.givenName", "value": "Barbara"},
                   {"op": "replace", "path": "addresses[type eq \"work\"].locality", "value": "Hollywood"})
    assert result.changed is False


def test_names_in_paths_are_case_insensitive(bjensen):
    # Microsoft's default mapping table writes emails[type eq "other"].Value and addresses[...].Formatted
    new = patched(bjensen, {"op": "Add", "path": "Emails[Type eq \"other\"].Value", "value": "b@other.org"},
                  {"op": "Add", "path": "addresses[type eq \"other\"].Formatted", "value": "Office 7"},
                  {"op": "Replace", "path": "NAME.GIVENNAME", "value": "Babs"})
    assert new["emails"][-1] == {"type": "other", "value": "b@other.org"}
    assert new["addresses"][-1] == {"type": "other", "formatted": "Office 7"}
    assert new["name"]["givenName"] == "Babs"


def test_a_path_naming_the_extension_sets_its_attributes(bjensen):
    bjensen[ENTERPRISE_URN] = {"department": "Tours", "costCenter": "4130"}
    new = patched(bjensen, {"op": "add", "path": ENTERPRISE_URN, "value": {"department": "Sales", "division": "West"}})
    assert new[ENTERPRISE_URN] == {"department": "Sales", "costCenter": "4130", "division": "West"}


def test_a_path_naming_the_extension_removes_it_whole(bjensen):
    bjensen[ENTERPRISE_URN] = {"department": "Tours"}
    assert ENTERPRISE_URN not in patched(bjensen, {"op": "remove", "path": ENTERPRISE_URN})


def test_a_path_naming_the_extension_needs_an_object(bjensen):
    with pytest.raises(InvalidValue, match="needs an object of its attributes"):
        apply(bjensen, {"op": "replace", "path": ENTERPRISE_URN, "value": "Sales"})


# --- member operations compose in request order -------------------------------------------------------
def test_member_operations_compose_in_order(group):
    change = apply(group, {"op": "add", "path": "members", "value": [{"value": BABS}, {"value": JAMES}]},
                   {"op": "remove", "path": f"members[value eq \"{JAMES}\"]"},
                   {"op": "add", "path": "members", "value": [{"value": "third"}]}, rtype=GROUP_TYPE).members
    assert [m.value for m in change.add] == [BABS, "third"]
    assert change.remove == {JAMES}   # JAMES may have been a member before: the last word is remove


def test_members_cannot_be_added_through_a_filter(group):
    with pytest.raises(InvalidPath, match="members cannot be changed through a filter"):
        apply(group, {"op": "add", "path": f"members[value eq \"{BABS}\"]", "value": [{"value": BABS}]},
              rtype=GROUP_TYPE)


# --- primary: at most one value is primary ------------------------------------------------------------
def test_adding_a_new_primary_clears_the_old_one(bjensen):
    new = patched(bjensen, {"op": "add", "path": "emails", "value": [{"value": "new@example.com", "primary": True}]})
    assert [e["value"] for e in new["emails"] if e.get("primary")] == ["new@example.com"]


def test_setting_primary_through_a_filtered_sub_attribute_clears_the_old_one(bjensen):
    new = patched(bjensen, {"op": "replace", "path": "emails[type eq \"home\"].primary", "value": True})
    assert [e["value"] for e in new["emails"] if e.get("primary")] == ["babs@jensen.org"]


def test_replacing_a_filtered_value_with_a_primary_one_clears_the_old_one(bjensen):
    new = patched(bjensen, {"op": "replace", "path": "emails[type eq \"home\"]",
                            "value": {"value": "babs@new.org", "primary": True}})
    assert new["emails"] == [{"value": "bjensen@example.com", "type": "work"},
                             {"type": "home", "value": "babs@new.org", "primary": True}]


def test_creating_a_primary_value_from_a_filter_clears_the_old_one(bjensen):
    new = patched(bjensen, {"op": "add", "path": "emails[type eq \"other\" and primary eq true].value",
                            "value": "o@example.com"})
    assert [e["value"] for e in new["emails"] if e.get("primary")] == ["o@example.com"]


def test_two_primary_values_in_one_value_are_invalid(bjensen):
    with pytest.raises(InvalidValue, match="more than one value with primary true"):
        apply(bjensen, {"op": "replace", "path": "emails", "value": [{"value": "a@x.org", "primary": True},
                                                                     {"value": "b@x.org", "primary": True}]})


def test_primary_on_every_value_at_once_is_invalid(bjensen):
    with pytest.raises(InvalidValue, match=r"only one of the 2 values may be primary.*emails\[type eq"):
        apply(bjensen, {"op": "replace", "path": "emails.primary", "value": True})


# --- mutability -------------------------------------------------------------------------------------
@pytest.mark.parametrize("path, shown", [
    ("id", "'id' is read-only"), ("meta", "'meta' is read-only"),
    ("meta.lastModified", "'meta.lastModified' is read-only"), ("groups", "'groups' is read-only"),
    (f"{ENTERPRISE_URN}:manager.displayName", "'manager.displayName' is read-only"),
])
@pytest.mark.parametrize("op", ["add", "replace", "remove"])
def test_read_only_attributes_cannot_be_patched(bjensen, path, shown, op):
    with pytest.raises(Mutability) as raised:
        apply(bjensen, {"op": op, "path": path, "value": "x"})
    assert f"Operations[0] ({op} {path}): {shown}" == raised.value.detail


def test_member_sub_attributes_cannot_be_patched(group):
    with pytest.raises(Mutability, match="a member's sub-attributes cannot change"):
        apply(group, {"op": "replace", "path": f"members[value eq \"{BABS}\"].display", "value": "x"},
              rtype=GROUP_TYPE)


@pytest.fixture
def badge_type() -> ResourceType:
    """A resource type with an immutable attribute (the built-in schemas have none at top level)."""
    schema = Schema("urn:example:Badge", "Badge", "Badge", (
        Attribute("name", required=True), Attribute("serial", mutability=IMMUTABLE)))
    return ResourceType("Badge", "/Badges", "Badge", schema)


def test_an_immutable_attribute_may_be_set_once(badge_type):
    assert patched({"id": "b", "name": "x"}, {"op": "add", "path": "serial", "value": "S1"},
                   rtype=badge_type)["serial"] == "S1"


def test_an_immutable_attribute_may_be_given_its_own_value(badge_type):
    assert apply({"id": "b", "name": "x", "serial": "S1"}, {"op": "replace", "path": "serial", "value": "S1"},
                 rtype=badge_type).changed is False


@pytest.mark.parametrize("op", [{"op": "replace", "path": "serial", "value": "S2"},
                                {"op": "remove", "path": "serial"},
                                {"op": "replace", "value": {"serial": "S2"}}])
def test_an_immutable_attribute_with_a_value_cannot_change(badge_type, op):
    with pytest.raises(Mutability, match="'serial' is immutable: it already has a value"):
        apply({"id": "b", "name": "x", "serial": "S1"}, op, rtype=badge_type)


# --- invalidPath / invalidValue / invalidSyntax, each with a detail that says where ------------------
@pytest.mark.parametrize("path, says", [
    ("shoeSize", "unknown attribute 'shoeSize'"),
    ("name.shoeSize", "unknown attribute 'name.shoeSize'"),
    ("name[givenName eq \"x\"]", "needs a multi-valued complex attribute"),
    ("emails[type eq \"work\"].shoeSize", "'emails' has no sub-attribute 'shoeSize'"),
    ("emails[shoeSize eq \"x\"]", "'emails' has no sub-attribute 'shoeSize'"),
    ("emails[type eq", ""),
])
def test_bad_paths_are_invalid_path_naming_the_operation(bjensen, path, says):
    with pytest.raises(InvalidPath) as raised:
        apply(bjensen, {"op": "replace", "path": "title", "value": "ok"}, {"op": "replace", "path": path, "value": "x"})
    assert raised.value.detail.startswith(f"Operations[1].path {path!r}: ")
    assert says in raised.value.detail


def test_a_path_that_is_not_a_string_is_invalid_path(bjensen):
    with pytest.raises(InvalidPath, match=r"Operations\[0\].path must be a string"):
        apply(bjensen, {"op": "replace", "path": ["title"], "value": "x"})


@pytest.mark.parametrize("op, says", [
    ({"op": "replace", "path": "active", "value": "maybe"}, "must be true or false, got 'maybe'"),
    ({"op": "replace", "path": "name", "value": "Babs"}, "must be an object with sub-attributes"),
    ({"op": "replace", "path": "userName", "value": ["a", "b"]}, "is single-valued; got a list"),
    ({"op": "add", "path": "title"}, "Operations[0] (add) needs a 'value'"),
    ({"op": "replace", "value": "Babs"}, "without a 'path', 'value' must be an object of attributes"),
    ({"op": "replace", "path": "emails[type eq \"work\"]", "value": "x"}, "must be an object of sub-attributes"),
])
def test_values_that_do_not_fit_are_invalid_value(bjensen, op, says):
    with pytest.raises(InvalidValue) as raised:
        apply(bjensen, op)
    assert says in raised.value.detail and "Operations[0]" in raised.value.detail


@pytest.mark.parametrize("request_body, says", [
    ([], "must be a JSON object"),
    ({"schemas": [PATCH_URN]}, "needs 'Operations'"),
    ({"schemas": [PATCH_URN], "Operations": []}, "non-empty list"),
    ({"schemas": [PATCH_URN], "Operations": {"op": "add"}}, "non-empty list"),
    ({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "Operations": [{"op": "remove", "path": "title"}]},
     "'schemas' must be"),
    ({"schemas": [PATCH_URN], "Operations": ["remove title"]}, "Operations[0] must be an object"),
    ({"schemas": [PATCH_URN], "Operations": [{"op": "move", "path": "title"}]}, "one of add, replace, remove"),
    ({"schemas": [PATCH_URN], "Operations": [{"path": "title"}]}, "one of add, replace, remove; got None"),
])
def test_malformed_bodies_are_invalid_syntax(bjensen, request_body, says):
    with pytest.raises(InvalidSyntax) as raised:
        PatchEngine(USER_TYPE).apply(bjensen, request_body)
    assert says in raised.value.detail


def test_too_many_operations_is_payload_too_large(bjensen):
    ops = [{"op": "replace", "path": "title", "value": str(i)} for i in range(4)]
    with pytest.raises(PayloadTooLarge, match="at most 3 operations; got 4"):
        PatchEngine(USER_TYPE).apply(bjensen, body(*ops), max_operations=3)


# --- atomicity ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("failing", [
    {"op": "replace", "path": "id", "value": "x"},
    {"op": "replace", "path": "active", "value": "maybe"},
    {"op": "remove", "path": "userName"},
])
def test_a_failing_operation_leaves_the_record_untouched(bjensen, failing):
    before = copy.deepcopy(bjensen)
    with pytest.raises((Mutability, InvalidValue)):
        apply(bjensen, {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "changed@example.com"},
              {"op": "remove", "path": "addresses[type eq \"home\"]"}, failing)
    assert bjensen == before


def test_a_successful_patch_leaves_the_input_record_untouched(bjensen):
    before = copy.deepcopy(bjensen)
    new = patched(bjensen, {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "c@example.com"},
                  {"op": "add", "path": "name.middleName", "value": "Jane"})
    assert bjensen == before and new != before



MANAGED = {ENTERPRISE_URN: {"employeeNumber": "701984", "manager": {"value": JAMES}}}


@pytest.mark.parametrize("operation", [
    {"op": "replace", "path": "emails.display", "value": "every element"},
    {"op": "remove", "path": "emails.type"},
    {"op": "replace", "path": "emails[type eq \"home\"].primary", "value": True},
    {"op": "add", "path": "emails", "value": [{"value": "new@example.com", "primary": True}]},
    {"op": "remove", "path": "emails[type eq \"work\"].value"},
    {"op": "replace", "path": "addresses[type eq \"work\"]", "value": {"locality": "Burbank"}},
    {"op": "replace", "path": "name.givenName", "value": "Babs"},
    {"op": "replace", "value": {"name": {"givenName": "Babs"}, "emails": [{"value": "x@example.com"}]}},
    {"op": "replace", "path": f"{ENTERPRISE_URN}:manager.value", "value": BABS},
    {"op": "remove", "path": f"{ENTERPRISE_URN}:employeeNumber"},
    {"op": "replace", "path": ENTERPRISE_URN, "value": {"department": "Tour"}},
])
def test_copy_on_write_changes_the_copy_and_never_the_stored_record(bjensen, operation):
    stored = {**bjensen, **copy.deepcopy(MANAGED)}
    before = copy.deepcopy(stored)
    new = patched(stored, operation)
    assert stored == before
    assert new == patched(copy.deepcopy(before), operation) and new != before

# --- through the API ------------------------------------------------------------------------------------
def test_api_a_patch_whose_second_operation_fails_changes_nothing(client):
    user = make_user(client, title="Before")
    r = client.patch(f"/Users/{user['id']}", json=patch_op({"op": "replace", "path": "title", "value": "After"},
                                                           {"op": "replace", "path": "id", "value": "new-id"}))
    assert "Operations[1] (replace id): 'id' is read-only" == assert_scim_error(r, 400, "mutability")["detail"]
    after = client.get(f"/Users/{user['id']}").get_json()
    assert after == user   # same title, same meta.version and lastModified


def test_api_if_match_with_a_stale_version_is_412_and_changes_nothing(client):
    user = make_user(client)
    op = patch_op({"op": "replace", "path": "title", "value": "New"})
    current = client.get(f"/Users/{user['id']}").headers["ETag"]
    assert client.patch(f"/Users/{user['id']}", json=op, headers={"If-Match": current}).status_code == 200
    r = client.patch(f"/Users/{user['id']}", json=patch_op({"op": "replace", "path": "title", "value": "Lost"}),
                     headers={"If-Match": current})
    assert "does not match the current version" in assert_scim_error(r, 412)["detail"]
    assert client.get(f"/Users/{user['id']}").get_json()["title"] == "New"
    assert client.patch(f"/Users/{user['id']}", json=op, headers={"If-Match": "*"}).status_code == 200


def _members(client, gid):
    return sorted(m["value"] for m in client.get(f"/Groups/{gid}").get_json().get("members", []))


def test_api_adding_an_existing_member_changes_nothing(client):
    uid = make_user(client)["id"]
    gid = make_group(client, members=[{"value": uid}])["id"]
    r = client.patch(f"/Groups/{gid}", json=patch_op({"op": "add", "path": "members", "value": [{"value": uid}]}))
    assert r.status_code == 204
    assert _members(client, gid) == [uid]


def test_api_removing_a_non_member_changes_nothing(client):
    uid, stranger = make_user(client)["id"], make_user(client)["id"]
    gid = make_group(client, members=[{"value": uid}])["id"]
    for op in ({"op": "remove", "path": "members", "value": [{"value": stranger}]},
               {"op": "remove", "path": f"members[value eq \"{stranger}\"]"}):
        assert client.patch(f"/Groups/{gid}", json=patch_op(op)).status_code == 204
        assert _members(client, gid) == [uid]


def test_api_an_unknown_member_id_is_400_and_the_group_is_unchanged(client):
    uid = make_user(client)["id"]
    group = make_group(client, members=[{"value": uid}])
    r = client.patch(f"/Groups/{group['id']}", json=patch_op(
        {"op": "replace", "path": "displayName", "value": "Renamed"},
        {"op": "add", "path": "members", "value": [{"value": make_user(client)["id"]}, {"value": "no-such-user"}]}))
    assert "unknown id(s): no-such-user" in assert_scim_error(r, 400, "invalidValue")["detail"]
    assert client.get(f"/Groups/{group['id']}").get_json() == group


def test_api_remove_members_without_a_value_empties_the_group(client):
    gid = make_group(client, members=[{"value": make_user(client)["id"]} for _ in range(3)])["id"]
    assert client.patch(f"/Groups/{gid}", json=patch_op({"op": "remove", "path": "members"})).status_code == 204
    assert _members(client, gid) == []


def test_api_remove_members_by_value_filter(client):
    u1, u2 = make_user(client)["id"], make_user(client)["id"]
    gid = make_group(client, members=[{"value": u1}, {"value": u2}])["id"]
    r = client.patch(f"/Groups/{gid}", json=patch_op({"op": "remove", "path": f"members[value eq \"{u1}\"]"}))
    assert r.status_code == 204
    assert _members(client, gid) == [u2]


def test_api_replace_members_sets_exactly_the_given_list(client):
    u1, u2, u3 = (make_user(client)["id"] for _ in range(3))
    gid = make_group(client, members=[{"value": u1}, {"value": u2}])["id"]
    r = client.patch(f"/Groups/{gid}", json=patch_op({"op": "replace", "path": "members",
                                                      "value": [{"value": u2}, {"value": u3}]}))
    assert r.status_code == 204
    assert _members(client, gid) == sorted([u2, u3])


def test_api_group_patch_asking_for_attributes_answers_200_with_the_projected_group(client):
    uid = make_user(client)["id"]
    gid = make_group(client)["id"]
    r = client.patch(f"/Groups/{gid}?attributes=displayName", json=patch_op(
        {"op": "replace", "path": "displayName", "value": "Projected"},
        {"op": "add", "path": "members", "value": [{"value": uid}]}))
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json() == {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": gid,
                            "displayName": "Projected"}
    assert _members(client, gid) == [uid]
