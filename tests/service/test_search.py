"""The RFC 7644 §3.4.2 query language end to end: filters, sorting, paging, cursors, projection."""
from __future__ import annotations

import pytest

from tests.support import assert_scim_error, make_group, make_user, patch_op

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
def people(client):
    """A small directory shaped after the RFC 7644 §3.4.2.2 examples."""
    users = {
        "john": make_user(client, "john", title="Engineer", userType="Employee",
                          name={"familyName": "O'Malley", "givenName": "John"},
                          emails=[{"value": "john@example.com", "type": "work", "primary": True}],
                          **{ENTERPRISE: {"department": "R&D"}}),
        "jane": make_user(client, "Jane", userType="Intern", name={"familyName": "Doe"},
                          emails=[{"value": "jane@example.org", "type": "home"}],
                          ims=[{"value": "jane@foo.com", "type": "xmpp"}]),
        "bob": make_user(client, "bob", title="", userType="Employee",
                         emails=[{"value": "bob@example.com", "type": "home"},
                                 {"value": "bob@corp.example", "type": "work"}]),
        "zed": make_user(client, "zed.[*]+?", userType="Contractor", active=False),
    }
    return users


def ids(client, flt, **params) -> set[str]:
    body = client.get("/Users", query_string={"filter": flt, **params}).get_json()
    assert body["totalResults"] == len(body["Resources"]), body
    return {r["userName"] for r in body["Resources"]}


# Every example filter of RFC 7644 §3.4.2.2 that applies to Users, with the users it must select.
RFC_EXAMPLES = [
    ('userName Eq "john"', {"john"}),
    ('name.familyName co "O\'Malley"', {"john"}),
    ('userName sw "J"', {"john", "Jane"}),
    ('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"', {"john", "Jane"}),
    ("title pr", {"john"}),
    ('meta.lastModified gt "2011-05-13T04:42:34Z"', {"john", "Jane", "bob", "zed.[*]+?"}),
    ('meta.lastModified ge "2011-05-13T04:42:34Z"', {"john", "Jane", "bob", "zed.[*]+?"}),
    ('meta.lastModified lt "2011-05-13T04:42:34Z"', set()),
    ('meta.lastModified le "2011-05-13T04:42:34Z"', set()),
    ('title pr and userType eq "Employee"', {"john"}),
    ('title pr or userType eq "Intern"', {"john", "Jane"}),
    (f'schemas eq "{ENTERPRISE}"', {"john"}),
    ('userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', {"john", "bob"}),
    ('userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")', {"zed.[*]+?"}),
    ('userType eq "Employee" and (emails.type eq "work")', {"john", "bob"}),
    ('userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', {"john"}),
    ('emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
     {"john", "Jane"}),
]


@pytest.mark.parametrize("flt, expected", RFC_EXAMPLES, ids=[f for f, _ in RFC_EXAMPLES])
def test_rfc_example_filters_select_the_right_users(client, people, flt, expected):
    assert ids(client, flt) == expected


@pytest.mark.parametrize("flt, expected", [
    ('userName eq "JOHN"', {"john"}),                                    # caseExact false
    ('emails.value eq "JOHN@EXAMPLE.COM"', {"john"}),
    (f'{ENTERPRISE}:department eq "r&d"', {"john"}),
    ('department eq "R&D"', {"john"}),                                    # extension name without URN
    ('title eq ""', set()), ('title pr', {"john"}),                       # pr is false for ""
    ('userName co ".[*]+?"', {"zed.[*]+?"}), ('userName co "."', {"zed.[*]+?"}),   # regex metacharacters are literal
    ('userName ew "N"', {"john"}),
    ('active eq false', {"zed.[*]+?"}), ('active eq "True"', {"john", "Jane", "bob"}),
    ('not (active eq true)', {"zed.[*]+?"}),
    ('emails.type eq "home" and emails.type eq "work"', {"bob"}),         # multi-valued: any value
    ('emails[type eq "home"].value ew ".org"', {"Jane"}),                 # Entra's value-path form
    ('emails[primary eq true].value eq "john@example.com"', {"john"}),
    ('meta.created gt "2000-01-01T00:00:00+14:00"', {"john", "Jane", "bob", "zed.[*]+?"}),
    ("meta.Created gt 2015-10-10T14:38:21.8617979-07:00", {"john", "Jane", "bob", "zed.[*]+?"}),
    ("userName sw O", set()), ("userName sw J", {"john", "Jane"}),      # unquoted values (Microsoft's tests)
    ('name.FamilyName eq Doe and (emails.Value co example.com or emails.Value co example.org)', {"Jane"}),
    ('title eq null', {"Jane", "bob", "zed.[*]+?"}),
    ('userType ne "Employee"', {"Jane", "zed.[*]+?"}),
])
def test_filter_semantics(client, people, flt, expected):
    assert ids(client, flt) == expected


def test_date_times_compare_as_instants_whatever_the_offset(client, people):
    created = people["john"]["meta"]["created"]               # e.g. 2026-11-28T15:00:00.123Z
    date, time_part = created[:10], created[11:19]
    hour = int(time_part[:2])
    shifted = f"{date}T{(hour + 1) % 24:02d}{time_part[2:]}+01:00" if hour < 23 else created
    assert ids(client, f'userName eq "john" and meta.created ge "{shifted}"') == {"john"}


def test_id_and_manager_lookup(client, people):
    boss = make_user(client, "boss")
    worker = make_user(client, "worker", **{ENTERPRISE: {"manager": boss["id"]}})
    assert ids(client, f'id eq "{worker["id"]}" and manager eq "{boss["id"]}"') == {"worker"}


@pytest.mark.parametrize("flt, where", [
    ('nicknames eq "x"', "unknown attribute 'nicknames'"),
    ('title.value eq "x"', "title.value"),
    ("active gt true", "boolean"),
    ('name co "x"', "complex"),
    ('userName eq', "position"),
    ('(userName eq "a"', "')'"),
    ('userName zz "a"', "zz"),
    ('meta.created gt "yesterday"', "dateTime"),
    ('password eq "x"', "never returned"),
    ('emails[type eq "work"', "']'"),
])
def test_bad_filters_are_invalid_filter_with_a_useful_detail(client, people, flt, where):
    body = assert_scim_error(client.get("/Users", query_string={"filter": flt}), 400, "invalidFilter")
    assert where in body["detail"], body["detail"]


def test_group_filters(client):
    user = make_user(client)
    group = make_group(client, "Ops Team", members=[{"value": user["id"]}])
    make_group(client, "Other")
    assert client.get('/Groups?filter=displayName eq "ops team"').get_json()["totalResults"] == 1
    body = client.get(f'/Groups?filter=members[value eq "{user["id"]}"]').get_json()
    assert [g["id"] for g in body["Resources"]] == [group["id"]]
    body = client.get(f'/Users?filter=groups.value eq "{group["id"]}"').get_json()
    assert [u["id"] for u in body["Resources"]] == [user["id"]]


# --- sorting -----------------------------------------------------------------------------
def test_sort_by_user_name_both_ways(client, people):
    body = client.get("/Users?sortBy=userName").get_json()
    assert [u["userName"] for u in body["Resources"]] == ["bob", "Jane", "john", "zed.[*]+?"]
    body = client.get("/Users?sortBy=USERNAME&sortOrder=DESCENDING").get_json()
    assert [u["userName"] for u in body["Resources"]] == ["zed.[*]+?", "john", "Jane", "bob"]


def test_sort_puts_unassigned_last_ascending_and_breaks_ties_by_creation(client, people):
    body = client.get("/Users?sortBy=title").get_json()
    assert [u["userName"] for u in body["Resources"]] == ["john", "Jane", "bob", "zed.[*]+?"]
    body = client.get("/Users?sortBy=userType").get_json()
    assert [u["userName"] for u in body["Resources"]] == ["zed.[*]+?", "john", "bob", "Jane"]


def test_sort_applies_to_the_whole_result_before_paging(client, people):
    pages = [client.get(f"/Users?sortBy=userName&startIndex={i}&count=1").get_json()["Resources"][0]["userName"]
             for i in range(1, 5)]
    assert pages == ["bob", "Jane", "john", "zed.[*]+?"]


def test_sort_by_multi_valued_uses_the_primary_value(client):
    make_user(client, "a", emails=[{"value": "z@x.org"}, {"value": "b@x.org", "primary": True}])
    make_user(client, "b", emails=[{"value": "c@x.org"}])
    make_user(client, "c", emails=[{"value": "a@x.org"}])
    body = client.get("/Users?sortBy=emails.value").get_json()
    assert [u["userName"] for u in body["Resources"]] == ["c", "a", "b"]
    body = client.get("/Users?sortBy=emails").get_json()
    assert [u["userName"] for u in body["Resources"]] == ["c", "a", "b"]


@pytest.mark.parametrize("params", ["sortBy=nosuch", "sortBy=name", "sortOrder=sideways"])
def test_bad_sort_parameters(client, params):
    assert_scim_error(client.get(f"/Users?{params}"), 400, "invalidValue")


# --- index paging -------------------------------------------------------------------------
def test_pages_never_overlap_or_skip(client):
    made = {make_user(client, f"p{i:02d}")["id"] for i in range(23)}
    seen = []
    for start in range(1, 24, 5):
        body = client.get(f"/Users?startIndex={start}&count=5").get_json()
        assert body["totalResults"] == 23 and body["itemsPerPage"] == len(body["Resources"]) <= 5
        seen.extend(u["id"] for u in body["Resources"])
    assert len(seen) == len(set(seen)) == 23 and set(seen) == made


def test_pages_follow_creation_order_through_deletes_and_new_users(client):
    ids = [make_user(client, f"d{i:02d}")["id"] for i in range(10)]

    def page(start, count=4):
        return [u["id"] for u in client.get(f"/Users?startIndex={start}&count={count}").get_json()["Resources"]]

    assert page(3) == ids[2:6]
    for gone in (ids[3], ids[0]):
        assert client.delete(f"/Users/{gone}").status_code == 204
        ids.remove(gone)
        assert page(3) == ids[2:6] and page(1, 20) == ids
    ids.append(make_user(client, "d10")["id"])
    client.patch(f"/Users/{ids[1]}", json=patch_op({"op": "replace", "path": "title", "value": "moved?"}))
    assert page(1, 20) == ids and page(7) == ids[6:10]

def test_total_results_counts_the_whole_filtered_set(client):
    for i in range(7):
        make_user(client, f"t{i}", userType="Employee" if i % 2 else "Intern")
    body = client.get('/Users?filter=userType eq "Employee"&count=2').get_json()
    assert body["totalResults"] == 3 and body["itemsPerPage"] == 2
    assert client.get('/Users?filter=userType eq "Employee"&count=0').get_json()["Resources"] == []


# --- RFC 9865 cursor paging ------------------------------------------------------------------
def _walk(client, count=3, params=""):
    seen, cursor, pages = [], "", 0
    while cursor is not None and pages < 50:
        body = client.get(f"/Users?count={count}&cursor={cursor}{params}").get_json()
        assert "startIndex" not in body
        seen.extend(u["userName"] for u in body["Resources"])
        cursor = body.get("nextCursor")
        pages += 1
    return seen


def test_cursor_paging_walks_every_resource_once(client):
    names = [f"c{i:02d}" for i in range(10)]
    for n in names:
        make_user(client, n)
    assert _walk(client) == names
    assert _walk(client, 4, "&sortBy=userName&sortOrder=descending") == sorted(names, reverse=True)


def test_cursor_paging_survives_creates_and_deletes_between_pages(client):
    made = [make_user(client, f"d{i:02d}") for i in range(6)]
    first = client.get("/Users?count=3&cursor=").get_json()
    assert [u["userName"] for u in first["Resources"]] == ["d00", "d01", "d02"]
    client.delete(f"/Users/{made[1]['id']}")           # already seen
    client.delete(f"/Users/{made[3]['id']}")           # not yet seen
    make_user(client, "d99")
    second = client.get(f"/Users?count=3&cursor={first['nextCursor']}").get_json()
    assert [u["userName"] for u in second["Resources"]] == ["d02", "d04", "d05"][1:] + ["d99"]
    back = client.get(f"/Users?count=3&cursor={second['previousCursor']}").get_json()
    assert [u["userName"] for u in back["Resources"]] == ["d00", "d02"]


def test_bad_cursors(client):
    make_user(client, "only")
    body = client.get("/Users?count=1&cursor=").get_json()
    assert "nextCursor" not in body
    make_user(client, "second")
    nxt = client.get("/Users?count=1&cursor=").get_json()["nextCursor"]
    assert_scim_error(client.get("/Users?count=1&cursor=garbage"), 400, "invalidCursor")
    assert_scim_error(client.get(f"/Users?count=1&cursor={nxt[:-2]}xx"), 400, "invalidCursor")
    assert_scim_error(client.get(f'/Users?count=1&filter=userName pr&cursor={nxt}'), 400, "invalidCursor")
    assert_scim_error(client.get(f"/Users?count=1&startIndex=1&cursor={nxt}"), 400, "invalidValue")


# --- POST .search --------------------------------------------------------------------------
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def test_post_search_on_a_resource_type(client, people):
    r = client.post("/Users/.search", json={"schemas": [SEARCH], "filter": 'userType eq "Employee"',
                                            "attributes": ["userName"], "sortBy": "userName", "count": 1})
    body = r.get_json()
    assert r.status_code == 200 and body["totalResults"] == 2
    assert body["Resources"] == [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                  "id": people["bob"]["id"], "userName": "bob"}]


def test_post_search_at_the_root_spans_resource_types(client, people):
    make_group(client, "Readers")
    body = client.post("/.search", json={"schemas": [SEARCH], "startIndex": 1, "count": 100}).get_json()
    assert body["totalResults"] == 5
    assert {r["meta"]["resourceType"] for r in body["Resources"]} == {"User", "Group"}
    body = client.post("/.search", json={"schemas": [SEARCH], "filter": 'displayName eq "readers"'}).get_json()
    assert body["totalResults"] == 1
    page = client.post("/.search", json={"schemas": [SEARCH], "startIndex": 4, "count": 2}).get_json()
    assert [r["meta"]["resourceType"] for r in page["Resources"]] == ["User", "Group"]


@pytest.mark.parametrize("body, scim_type", [
    ({"schemas": ["urn:wrong"], "filter": "userName pr"}, "invalidValue"),
    ({"schemas": [SEARCH], "count": "many"}, "invalidValue"),
    ({"schemas": [SEARCH], "attributes": 7}, "invalidValue"),
    ({"schemas": [SEARCH], "filter": "userName zz 1"}, "invalidFilter"),
])
def test_bad_search_requests(client, body, scim_type):
    assert_scim_error(client.post("/Users/.search", json=body), 400, scim_type)


# --- projection -------------------------------------------------------------------------------
def test_attributes_on_lists_keep_id_and_asked_attributes_only(client, people):
    body = client.get("/Users?attributes=userName,emails&filter=userName eq \"john\"").get_json()
    assert body["Resources"] == [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                  "id": people["john"]["id"], "userName": "john",
                                  "emails": people["john"]["emails"]}]
    body = client.get('/Users?attributes=emails[type eq "work"]&filter=userName eq "john"').get_json()
    assert set(body["Resources"][0]) == {"schemas", "id", "emails"}
    body = client.get(f"/Users?attributes={ENTERPRISE}:department&filter=userName eq \"john\"").get_json()
    assert body["Resources"][0][ENTERPRISE] == {"department": "R&D"}
    body = client.get(f"/Users?excludedAttributes=name.familyName,{ENTERPRISE}&filter=userName eq \"john\"").get_json()
    assert body["Resources"][0]["name"] == {"givenName": "John"} and ENTERPRISE not in body["Resources"][0]
    assert body["Resources"][0]["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User"]


def test_attributes_and_excluded_attributes_together_are_rejected(client):
    assert_scim_error(client.get("/Users?attributes=userName&excludedAttributes=title"), 400, "invalidValue")


def test_sort_by_a_complex_attribute_sorts_by_its_value(client):
    make_user(client, "m1", **{ENTERPRISE: {"manager": "b-boss"}})
    make_user(client, "m2", **{ENTERPRISE: {"manager": "a-boss"}})
    make_user(client, "m3")
    body = client.get("/Users?sortBy=manager").get_json()
    assert [u["userName"] for u in body["Resources"]] == ["m2", "m1", "m3"]
