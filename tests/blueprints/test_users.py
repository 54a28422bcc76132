"""/Users: RFC 7644 §3.3 create, §3.4.1 read, §3.5.1 replace, §3.6 delete, with RFC 7643 §8 payloads."""
from __future__ import annotations

import pytest

from tests.support import assert_scim_error, make_group, make_user, patch_op, rfc_fixture

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.mark.parametrize("fixture", ["rfc7643-8.1-user-minimal", "rfc7643-8.2-user-full", "rfc7643-8.3-enterprise-user"])
def test_rfc_example_users_round_trip(client, fixture):
    body = rfc_fixture(fixture)
    r = client.post("/Users", json=body)
    assert r.status_code == 201
    created = r.get_json()
    assert created["id"] != body["id"]                      # server assigns ids
    assert created["meta"]["created"] != body["meta"]["created"]   # meta is read-only
    assert r.headers["Location"] == created["meta"]["location"]
    assert r.headers["ETag"] == created["meta"]["version"]
    assert "password" not in created
    assert "groups" not in created                          # read-only input ignored
    read = client.get(f"/Users/{created['id']}").get_json()
    assert read == created
    if ENTERPRISE in body:   # manager.displayName is readOnly: the server would derive it, not store it
        del body[ENTERPRISE]["manager"]["displayName"]
    for key, value in body.items():
        if key in ("id", "meta", "password", "groups"):
            continue
        assert read[key] == value, key


def test_create_answers_every_core_attribute(client):
    full = rfc_fixture("rfc7643-8.2-user-full")
    created = client.post("/Users", json=full).get_json()
    for attr in ("name", "displayName", "nickName", "profileUrl", "emails", "addresses", "phoneNumbers", "ims",
                 "photos", "userType", "title", "preferredLanguage", "locale", "timezone", "active",
                 "x509Certificates", "externalId"):
        assert created[attr] == full[attr], attr


def test_responses_have_no_nulls_and_no_empty_lists(client):
    r = client.post("/Users", json={"schemas": [USER], "userName": "nulls", "addresses": None, "title": None,
                                    "roles": [], "emails": [], "name": {"givenName": None, "familyName": "F"}})
    body = r.get_json()
    assert "addresses" not in body and "title" not in body and "roles" not in body and "emails" not in body
    assert body["name"] == {"familyName": "F"}


def test_missing_user_name_is_invalid_value(client):
    assert_scim_error(client.post("/Users", json={"schemas": [USER], "displayName": "x"}), 400, "invalidValue")


def test_duplicate_user_name_is_a_conflict_case_insensitively(client):
    make_user(client, "Alice@Example.com")
    body = assert_scim_error(client.post("/Users", json={"schemas": [USER], "userName": "alice@example.COM"}),
                             409, "uniqueness")
    assert "userName" in body["detail"]


def test_attribute_names_are_case_insensitive_and_strings_become_booleans(client):
    r = client.post("/Users", json={"schemas": [USER], "USERNAME": "casey", "Active": "False",
                                    "Emails": [{"Value": "c@x.org", "Primary": "True", "TYPE": "work"}],
                                    "Department": "Ops", "Manager": "mgr-1"})
    body = r.get_json()
    assert r.status_code == 201
    assert body["userName"] == "casey"
    assert body["active"] is False
    assert body["emails"] == [{"value": "c@x.org", "primary": True, "type": "work"}]
    assert body[ENTERPRISE] == {"department": "Ops", "manager": {"value": "mgr-1"}}
    assert ENTERPRISE in body["schemas"]


def test_bad_types_are_invalid_value_naming_the_attribute(client):
    body = assert_scim_error(client.post("/Users", json={"userName": "t", "active": "maybe"}), 400, "invalidValue")
    assert "active" in body["detail"]
    body = assert_scim_error(client.post("/Users", json={"userName": "t", "name": "Bob"}), 400, "invalidValue")
    assert "name" in body["detail"]
    assert_scim_error(client.post("/Users", json={"userName": "t", "emails": [{"value": "a", "primary": True},
                                                                               {"value": "b", "primary": True}]}),
                      400, "invalidValue")


def test_get_unknown_id_is_404(client):
    assert_scim_error(client.get("/Users/00919288221112222"), 404)


def test_filter_miss_is_an_empty_list_response(client):
    r = client.get('/Users?filter=userName eq "nobody"')
    assert r.status_code == 200
    assert r.get_json() == {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                            "totalResults": 0, "itemsPerPage": 0, "startIndex": 1, "Resources": []}


@pytest.mark.parametrize("flt", [
    'userName eq "BOB@example.com"', 'externalId eq "ext-bob"', 'emails[type eq "work"].value eq "Bob@Work.example"',
    'id eq "{id}"', 'userName eq "bob@example.com" and externalId eq "ext-bob"'])
def test_idp_lookups_find_the_user(client, flt):
    bob = make_user(client, "bob@example.com", externalId="ext-bob",
                    emails=[{"value": "bob@work.example", "type": "work"}])
    make_user(client, "other@example.com", externalId="ext-other")
    body = client.get("/Users", query_string={"filter": flt.format(id=bob["id"])}).get_json()
    assert body["totalResults"] == 1
    assert body["Resources"][0]["id"] == bob["id"]


def test_external_id_is_case_exact(client):
    make_user(client, "x@example.com", externalId="ABC")
    assert client.get('/Users?filter=externalId eq "abc"').get_json()["totalResults"] == 0


def test_list_paging_fields(client):
    for i in range(5):
        make_user(client, f"page{i}")
    body = client.get("/Users?startIndex=2&count=2").get_json()
    assert body["totalResults"] == 5 and body["startIndex"] == 2 and body["itemsPerPage"] == 2
    assert [u["userName"] for u in body["Resources"]] == ["page1", "page2"]
    assert client.get("/Users?startIndex=-4&count=1").get_json()["startIndex"] == 1
    zero = client.get("/Users?count=-1").get_json()
    assert zero["totalResults"] == 5 and zero["Resources"] == [] and zero["itemsPerPage"] == 0


def test_count_is_capped_at_max_results(client, app):
    app.config["SCIM"] = app.config["SCIM"].with_overrides(max_results=3)
    for i in range(5):
        make_user(client, f"cap{i}")
    body = client.get("/Users?count=1000").get_json()
    assert body["itemsPerPage"] == 3 and body["totalResults"] == 5


def test_bad_paging_values_are_invalid_value(client):
    assert_scim_error(client.get("/Users?count=ten"), 400, "invalidValue")


def test_put_replaces_ignores_read_only_and_never_creates(client):
    user = make_user(client, "putter", title="Old", nickName="Nick", password="secret-1")
    r = client.put(f"/Users/{user['id']}", json={"schemas": [USER], "id": "other-id", "userName": "putter",
                                                   "displayName": "New", "meta": {"version": "x"}})
    assert r.status_code == 200
    body = r.get_json()
    assert body["id"] == user["id"]
    assert body["displayName"] == "New"
    assert "title" not in body and "nickName" not in body          # replaced, not merged
    assert body["active"] is True                                  # PUT without active leaves it
    assert body["meta"]["version"] != user["meta"]["version"]
    assert body["meta"]["created"] == user["meta"]["created"]
    assert_scim_error(client.put("/Users/does-not-exist", json={"userName": "ghost"}), 404)
    assert client.get('/Users?filter=userName eq "ghost"').get_json()["totalResults"] == 0


def test_put_onto_another_users_name_is_a_conflict(client):
    make_user(client, "taken")
    mine = make_user(client, "mine")
    assert_scim_error(client.put(f"/Users/{mine['id']}", json={"userName": "TAKEN"}), 409, "uniqueness")
    assert client.get(f"/Users/{mine['id']}").get_json()["userName"] == "mine"


def test_if_match_on_put_and_delete(client):
    user = make_user(client, "etag")
    stale = user["meta"]["version"]
    r = client.put(f"/Users/{user['id']}", json={"userName": "etag", "title": "T"}, headers={"If-Match": stale})
    assert r.status_code == 200
    assert_scim_error(client.put(f"/Users/{user['id']}", json={"userName": "etag"}, headers={"If-Match": stale}), 412)
    assert_scim_error(client.delete(f"/Users/{user['id']}", headers={"If-Match": stale}), 412)
    assert client.delete(f"/Users/{user['id']}", headers={"If-Match": r.headers["ETag"]}).status_code == 204


def test_if_none_match_on_get_is_304(client):
    user = make_user(client, "cached")
    r = client.get(f"/Users/{user['id']}", headers={"If-None-Match": user["meta"]["version"]})
    assert r.status_code == 304
    assert client.get(f"/Users/{user['id']}", headers={"If-None-Match": 'W/"999"'}).status_code == 200


def test_delete_removes_the_user_from_every_group(client):
    user = make_user(client, "leaver")
    stay = make_user(client, "stayer")
    group = make_group(client, "crew", members=[{"value": user["id"]}, {"value": stay["id"]}])
    assert client.delete(f"/Users/{user['id']}").status_code == 204
    assert_scim_error(client.get(f"/Users/{user['id']}"), 404)
    assert_scim_error(client.delete(f"/Users/{user['id']}"), 404)
    members = client.get(f"/Groups/{group['id']}").get_json()["members"]
    assert [m["value"] for m in members] == [stay["id"]]


def test_groups_attribute_is_derived_from_memberships(client):
    user = make_user(client, "member")
    group = make_group(client, "readers", members=[{"value": user["id"]}])
    groups = client.get(f"/Users/{user['id']}").get_json()["groups"]
    assert groups == [{"value": group["id"], "$ref": group["meta"]["location"], "type": "direct",
                       "display": "readers"}]


def test_deactivated_users_stay_readable_and_listed(client):
    user = make_user(client, "sleepy")
    client.patch(f"/Users/{user['id']}", json=patch_op({"op": "replace", "path": "active", "value": False}))
    assert client.get(f"/Users/{user['id']}").get_json()["active"] is False
    listed = client.get('/Users?filter=userName eq "sleepy"').get_json()["Resources"]
    assert listed[0]["active"] is False


def test_primary_email_can_be_changed(client):
    user = make_user(client, "prim", emails=[{"value": "a@x.org", "type": "work", "primary": True},
                                             {"value": "b@x.org", "type": "home"}])
    r = client.patch(f"/Users/{user['id']}", json=patch_op(
        {"op": "replace", "path": 'emails[value eq "b@x.org"].primary', "value": True}))
    emails = {e["value"]: e.get("primary") for e in r.get_json()["emails"]}
    assert emails == {"a@x.org": None, "b@x.org": True}


def test_content_types(client):
    for content_type in ("application/scim+json", "application/json", "application/json; charset=utf-8",
                         "application/scim+json; charset=utf-8"):
        r = client.flask.post("/scim/v2/Users", data=f'{{"userName": "{content_type}"}}',
                              headers={"Authorization": f"Bearer {client.token}", "Content-Type": content_type})
        assert r.status_code == 201, content_type
        assert r.content_type == "application/scim+json; charset=utf-8"
    r = client.flask.post("/scim/v2/Users", data="userName=x",
                          headers={"Authorization": f"Bearer {client.token}", "Content-Type": "text/plain"})
    assert_scim_error(r, 415)


def test_bad_json_is_invalid_syntax(client):
    r = client.flask.post("/scim/v2/Users", data="{not json", headers={
        "Authorization": f"Bearer {client.token}", "Content-Type": "application/scim+json"})
    assert_scim_error(r, 400, "invalidSyntax")
    r = client.flask.post("/scim/v2/Users", data="[1, 2]", headers={
        "Authorization": f"Bearer {client.token}", "Content-Type": "application/scim+json"})
    assert_scim_error(r, 400, "invalidSyntax")


def test_oversize_body_is_413(client, app):
    limit = app.config["SCIM"].max_body_bytes
    r = client.post("/Users", json={"userName": "big", "title": "x" * (limit + 1)})
    assert_scim_error(r, 413)


def test_attributes_projection_on_create_and_get(client):
    user = make_user(client, "proj", title="T", emails=[{"value": "p@x.org", "type": "work"}])
    body = client.get(f"/Users/{user['id']}?attributes=userName,emails.value").get_json()
    assert body == {"schemas": [USER], "id": user["id"], "userName": "proj", "emails": [{"value": "p@x.org"}]}
    body = client.get(f"/Users/{user['id']}?excludedAttributes=title,meta").get_json()
    assert "title" not in body and "meta" not in body and body["userName"] == "proj"
    r = client.post("/Users?attributes=userName", json={"userName": "proj2", "title": "T"})
    assert r.get_json() == {"schemas": [USER], "id": r.get_json()["id"], "userName": "proj2"}


def test_etag_header_is_sent_even_when_meta_is_projected_away(client):
    user = make_user(client, "etag-proj")
    r = client.get(f"/Users/{user['id']}?attributes=userName")
    assert "meta" not in r.get_json() and r.headers["ETag"] == user["meta"]["version"]
    r = client.patch(f"/Users/{user['id']}?attributes=userName",
                     json=patch_op({"op": "replace", "path": "title", "value": "T"}))
    assert r.headers["ETag"] == 'W/"2"'
