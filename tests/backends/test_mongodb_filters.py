"""The filter translator's output: one expected MongoDB query per operator and shape."""
from __future__ import annotations

import re

import pytest

from backends.base import SortKey
from backends.mongo_filters import Translator, regex, sort_field
from scim_service.errors import InvalidFilter
from scim_service.filters import parse_filter
from scim_service.filters.bind import bind_filter
from scim_service.schema import GROUP_TYPE, USER_TYPE

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
HAS_VALUE = {"$exists": True, "$nin": [None, ""]}


def translate(text: str, rtype=USER_TYPE, relation_ids=None) -> dict:
    return Translator(rtype, relation_ids).query(bind_filter(parse_filter(text), rtype))


@pytest.mark.parametrize("text, expected", [
    ('userName eq "BJensen"', {"search.userName": "bjensen"}),
    ('userName ne "BJensen"', {"search.userName": {"$ne": "bjensen"}}),
    ('userName co "J.e"', {"search.userName": {"$regex": r"j\.e"}}),
    ('userName sw "B(j"', {"search.userName": {"$regex": r"^b\(j"}}),
    ('userName ew "sen$"', {"search.userName": {"$regex": r"sen\$(?![\s\S])"}}),
    ('userName gt "m"', {"search.userName": {"$gt": "m"}}),
    ('userName ge "m"', {"search.userName": {"$gte": "m"}}),
    ('userName lt "M"', {"search.userName": {"$lt": "m"}}),
    ('userName le "M"', {"search.userName": {"$lte": "m"}}),
    ("userName pr", {"search.userName": HAS_VALUE}),
])
def test_each_operator_on_a_case_insensitive_attribute_reads_the_folded_field(text, expected):
    assert translate(text) == expected


def test_case_exact_attributes_keep_the_literal_as_sent():
    assert translate('externalId eq "AbC"') == {"search.externalId": "AbC"}
    assert translate('externalId sw "Ab"') == {"search.externalId": {"$regex": "^Ab"}}


def test_id_is_the_documents_own_indexed_field():
    assert translate('id eq "2819c223"') == {"id": "2819c223"}


def test_casefold_is_unicode_case_folding_not_lower_case():
    assert translate('userName eq "STRASSE"') == translate('userName eq "straße"') == {"search.userName": "strasse"}


def test_booleans_compare_as_booleans():
    assert translate("active eq true") == {"search.active": True}
    assert translate('active ne "false"') == {"search.active": {"$ne": False}}


def test_datetimes_compare_as_normalised_utc_text():
    assert translate('meta.lastModified gt "2011-05-13T04:42:34+02:00"') == \
        {"search.meta.lastModified": {"$gt": "2011-05-13T02:42:34.000000Z"}}
    assert translate('meta.created le "2011-05-13T04:42:34.1234567Z"') == \
        {"search.meta.created": {"$lte": "2011-05-13T04:42:34.123456Z"}}


def test_multi_valued_sub_attributes_use_dotted_paths_any_element_semantics():
    assert translate('emails.value eq "A@x.org"') == {"search.emails.value": "a@x.org"}
    assert translate('emails.value ne "a@x.org"') == {"search.emails.value": {"$ne": "a@x.org"}}


def test_a_complex_attribute_compared_directly_means_its_value():
    assert translate('emails co "@x"') == {"search.emails.value": {"$regex": "@x"}}


def test_extension_attributes_live_under_their_alias_never_under_the_dotted_urn():
    assert translate(f'{ENTERPRISE}:department eq "R&D"') == {"search.ext:enterpriseuser.department": "r&d"}
    assert translate('manager.value eq "42"') == {"search.ext:enterpriseuser.manager.value": "42"}


def test_a_dollar_sub_attribute_name_is_escaped():
    assert translate('manager.$ref pr') == {"search.ext:enterpriseuser.manager.~~24ref": HAS_VALUE}


def test_pr_on_multi_valued_and_complex_attributes():
    assert translate("emails pr") == {"search.emails.0": {"$exists": True}}
    assert translate("emails.type pr") == {"search.emails": {"$elemMatch": {"type": HAS_VALUE}}}
    assert translate("name pr") == {"search.name": {"$exists": True, "$nin": [None, {}]}}


def test_eq_null_is_not_present_and_ne_null_is_present():
    assert translate("title eq null") == {"$nor": [{"search.title": HAS_VALUE}]}
    assert translate("title ne null") == {"search.title": HAS_VALUE}


def test_and_merges_disjoint_fields_and_nests_overlapping_ones():
    assert translate('userName sw "a" and active eq true') == {"search.userName": {"$regex": "^a"},
                                                               "search.active": True}
    assert translate('userName sw "a" and userName ew "z"') == {
        "search.userName": {"$regex": "^a"}, "$and": [{"search.userName": {"$regex": "z(?![\\s\\S])"}}]}


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def test_long_and_or_chains_stay_shallow_for_mongodbs_100_level_limit():
    chain = " and ".join(f'(title sw "{i}" or title eq "t")' for i in range(110))
    query = translate(chain)
    assert len(query["$and"]) == 109 and _depth(query) <= 6
    assert _depth(translate(" or ".join(f'userName eq "u{i}"' for i in range(150)))) <= 3


def test_or_is_flattened_and_not_is_nor():
    assert translate('title eq "a" or title eq "b" or title eq "c"') == {"$or": [
        {"search.title": "a"}, {"search.title": "b"}, {"search.title": "c"}]}
    assert translate('not (title eq "a")') == {"$nor": [{"search.title": "a"}]}


def test_value_paths_are_elem_match_with_element_semantics():
    assert translate('emails[type eq "work" and value ew ".ORG"]') == {"search.emails": {"$elemMatch": {
        "type": "work", "value": {"$regex": r"\.org(?![\s\S])"}}}}
    assert translate('emails[type eq "work"].value eq "A@x"') == {"search.emails": {"$elemMatch": {
        "type": "work", "value": "a@x"}}}
    assert translate('emails[not (primary eq true) or display eq null]') == {"search.emails": {"$elemMatch": {
        "$or": [{"$nor": [{"primary": True}]}, {"$nor": [{"display": HAS_VALUE}]}]}}}


def test_user_values_never_become_field_names_or_operators():
    query = translate('userName eq "$where" or title co "a.b$c" or emails[type eq "$gt"]')
    assert query == {"$or": [
        {"search.userName": "$where"},
        {"search.title": {"$regex": re.escape("a.b$c")}},
        {"search.emails": {"$elemMatch": {"type": "$gt"}}}]}


def test_an_unpaired_surrogate_literal_matches_no_string_but_still_orders():
    assert translate('userName eq "a\\ud800"') == {"search.userName": {"$in": []}}
    assert translate('userName co "\\ud800"') == {"search.userName": {"$in": []}}
    assert translate('userName ne "a\\ud800"') == {"$nor": [{"search.userName": {"$in": []}}]}
    assert translate('userName gt "a\\ud800"') == {"search.userName": {"$gte": "a\ue000"}}
    assert translate('userName le "a\\ud800z"') == {"search.userName": {"$lt": "a\ue000"}}


def test_regexes_escape_every_metacharacter_and_anchor_at_the_absolute_end():
    pattern = regex("ew", "a.b*c\n")
    assert re.search(pattern, "xa.b*c\n") and not re.search(pattern, "xa.b*c\n\n")
    assert not re.search(regex("ew", "c"), "abc\n"), "'$' would accept a trailing newline"
    assert re.search(regex("co", "nul\x00l"), "a nul\x00l") and r"\x00" in regex("co", "\x00")


def test_relation_filters_become_id_lists_from_the_membership_store():
    asked = []

    def relation_ids(relation, query):
        asked.append((relation, query))
        return ["g1", "g2"]

    assert translate('members.value eq "U-1"', GROUP_TYPE, relation_ids) == {"id": {"$in": ["g1", "g2"]}}
    assert translate('members[value eq "U-1"]', GROUP_TYPE, relation_ids) == {"id": {"$in": ["g1", "g2"]}}
    assert translate('members ne "U-1"', GROUP_TYPE, relation_ids) == {"id": {"$nin": ["g1", "g2"]}}
    assert translate('groups.value eq "G"', USER_TYPE, relation_ids) == {"id": {"$in": ["g1", "g2"]}}
    assert asked == [("members", {"member": "u-1"}), ("members", {"member": "u-1"}),
                     ("members", {"member": "u-1"}), ("groups", {"group": "g"})]


@pytest.mark.parametrize("text", ['members.display eq "x"', 'members[type eq "User"]', 'members.type eq "User"'])
def test_unsupported_relation_filters_say_what_to_filter_on_instead(text):
    with pytest.raises(InvalidFilter, match=r"members\.value"):
        translate(text, GROUP_TYPE, lambda relation, query: [])


@pytest.mark.parametrize("sort, field", [
    (SortKey("userName"), "search.userName"),
    (SortKey("name", "familyName"), "search.name.familyName"),
    (SortKey("emails"), "sort.emails.value"),
    (SortKey("emails", "type"), "sort.emails.type"),
    (SortKey("department", urn=ENTERPRISE), "search.ext:enterpriseuser.department"),
    (SortKey("manager", urn=ENTERPRISE), "search.ext:enterpriseuser.manager.value"),
    (SortKey("id"), "id"),
])
def test_sort_fields_are_scalars_multi_valued_ones_their_primary_or_first_element(sort, field):
    assert sort_field(sort, USER_TYPE) == field
