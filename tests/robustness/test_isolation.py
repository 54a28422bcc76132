"""Workspace isolation: workspace B's token never reaches workspace A's data, on any endpoint.

Another workspace's resource is answered exactly like a resource that does not
exist (404 or an empty list), never 403, which would confirm that it exists.
"""
from __future__ import annotations

import urllib.parse

import pytest

from scim_service.auth import issue_token
from tests.conftest import TOKEN_A, TOKEN_B
from tests.robustness.checks import HAS_BULK, snapshot
from tests.support import ScimClient, assert_scim_error, make_group, make_user, patch_op

BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


@pytest.fixture
def a_data(client):
    """Workspace A's user, and a group holding it."""
    user = make_user(client, externalId="a-ext-1", displayName="A secret name")
    group = make_group(client, members=[{"value": user["id"]}])
    return {"user": user, "group": group}


def _single_resource_requests(a_data):
    user, group = a_data["user"], a_data["group"]
    for path, rid, put_body in (
            ("/Users", user["id"], {"userName": "stolen@example.com"}),
            ("/Groups", group["id"], {"displayName": "stolen"})):
        yield "GET", f"{path}/{rid}", None
        yield "PUT", f"{path}/{rid}", put_body
        yield "PATCH", f"{path}/{rid}", patch_op({"op": "replace", "path": "externalId", "value": "stolen"})
        yield "DELETE", f"{path}/{rid}", None


def test_b_gets_404_for_every_single_resource_request_on_a_data(client, client_b, a_data):
    before = {k: snapshot(client, f"/{'Users' if k == 'user' else 'Groups'}/{v['id']}") for k, v in a_data.items()}
    for method, path, body in _single_resource_requests(a_data):
        response = client_b.request(method, path, json=body)
        assert_scim_error(response, 404)
        text = response.get_data(as_text=True)
        assert "A secret name" not in text and a_data["user"]["userName"] not in text
        # If-Match with A's real version changes nothing either.
        response = client_b.request(method, path, json=body, headers={"If-Match": 'W/"1"'})
        assert_scim_error(response, 404)
    after = {k: snapshot(client, f"/{'Users' if k == 'user' else 'Groups'}/{v['id']}") for k, v in a_data.items()}
    assert after == before


def _searches(a_data):
    user, group = a_data["user"], a_data["group"]
    filters = {
        "/Users": [f'id eq "{user["id"]}"', f'userName eq "{user["userName"]}"', 'externalId eq "a-ext-1"',
                   'displayName co "secret"', "userName pr", f'groups.value eq "{group["id"]}"'],
        "/Groups": [f'id eq "{group["id"]}"', f'displayName eq "{group["displayName"]}"', "displayName pr",
                    f'members.value eq "{user["id"]}"', f'members[value eq "{user["id"]}"]'],
    }
    for endpoint, texts in filters.items():
        for text in texts:
            yield "GET", f"{endpoint}?{urllib.parse.urlencode({'filter': text})}", None
            yield "POST", f"{endpoint}/.search", {"filter": text}
            yield "POST", "/.search", {"filter": text}
        yield "GET", endpoint, None
        yield "GET", f"{endpoint}?cursor=", None


def test_b_finds_nothing_of_a_through_any_list_or_search(client, client_b, a_data):
    for method, path, body in _searches(a_data):
        # A sees its data through the same request, so the query itself is sound.
        seen_by_a = client.request(method, path, json=body)
        assert seen_by_a.status_code == 200 and seen_by_a.get_json()["totalResults"] >= 1, (path, body)
        response = client_b.request(method, path, json=body)
        assert response.status_code == 200, (path, body, response.get_data(as_text=True))
        listed = response.get_json()
        assert listed["totalResults"] == 0 and listed["Resources"] == [], (path, body, listed)


def test_a_cursor_of_workspace_a_does_not_page_workspace_b(client, client_b, a_data):
    for _ in range(3):
        make_user(client)
    first = client.get("/Users?cursor=&count=1").get_json()
    assert "nextCursor" in first
    response = client_b.get("/Users?" + urllib.parse.urlencode({"cursor": first["nextCursor"], "count": 1}))
    if response.status_code == 200:
        assert response.get_json()["Resources"] == []
    else:
        assert_scim_error(response, 400, "invalidCursor")


def test_the_activity_trail_of_a_is_not_shown_to_b(client, client_b, a_data):
    assert client.get("/admin/activity").get_json()["activity"], "A's trail is empty: the test would prove nothing"
    trail = client_b.get("/admin/activity")
    assert trail.status_code == 200
    assert trail.get_json() == {"workspace": "b", "activity": []}


def test_b_cannot_add_a_user_of_a_to_its_own_group(client, client_b, a_data):
    a_user = a_data["user"]["id"]
    group = make_group(client_b)
    path = f"/Groups/{group['id']}"
    before = snapshot(client_b, path)
    attempts = [
        client_b.patch(path, json=patch_op({"op": "add", "path": "members", "value": [{"value": a_user}]})),
        client_b.patch(path, json=patch_op({"op": "replace", "path": "members", "value": [{"value": a_user}]})),
        client_b.patch(path, json=patch_op({"op": "add", "value": {"members": [{"value": a_user}]}})),
        client_b.put(path, json={"displayName": group["displayName"], "members": [{"value": a_user}]}),
    ]
    for response in attempts:
        body = assert_scim_error(response, 400)
        assert a_data["user"]["userName"] not in body["detail"]
    assert snapshot(client_b, path) == before
    created = client_b.post("/Groups", json={"displayName": "b-with-a", "members": [{"value": a_user}]})
    assert_scim_error(created, 400)
    assert client_b.get("/Groups?count=0").get_json()["totalResults"] == 1
    # A's user did not gain B's group.
    assert [g["value"] for g in snapshot(client, f"/Users/{a_user}")["groups"]] == [a_data["group"]["id"]]


def test_b_cannot_add_a_group_of_a_as_a_member(client_b, a_data):
    group = make_group(client_b)
    response = client_b.patch(f"/Groups/{group['id']}", json=patch_op(
        {"op": "add", "path": "members", "value": [{"value": a_data["group"]["id"], "type": "Group"}]}))
    assert_scim_error(response, 400)


def test_a_member_removal_by_b_does_not_touch_a_group(client, client_b, a_data):
    group_b = make_group(client_b)
    before = snapshot(client, f"/Groups/{a_data['group']['id']}")
    response = client_b.patch(f"/Groups/{group_b['id']}", json=patch_op(
        {"op": "remove", "path": f'members[value eq "{a_data["user"]["id"]}"]'}))
    assert response.status_code in (200, 204, 400), response.get_data(as_text=True)
    assert snapshot(client, f"/Groups/{a_data['group']['id']}") == before


def test_the_same_user_name_and_group_name_may_exist_in_both_workspaces(client, client_b, a_data):
    user_b = make_user(client_b, a_data["user"]["userName"])
    group_b = make_group(client_b, a_data["group"]["displayName"])
    assert user_b["id"] != a_data["user"]["id"] and group_b["id"] != a_data["group"]["id"]
    for who, own in ((client, a_data["user"]["id"]), (client_b, user_b["id"])):
        found = who.get("/Users?" + urllib.parse.urlencode({"filter": f'userName eq "{user_b["userName"]}"'}))
        assert [r["id"] for r in found.get_json()["Resources"]] == [own]
    # Renaming B's user onto a name only A uses is no conflict either.
    other = make_user(client)
    renamed = client_b.patch(f"/Users/{user_b['id']}", json=patch_op(
        {"op": "replace", "path": "userName", "value": other["userName"]}))
    assert renamed.status_code == 200, renamed.get_data(as_text=True)


def test_deleting_in_b_leaves_a_untouched(client, client_b, a_data):
    user_b = make_user(client_b, a_data["user"]["userName"])
    assert client_b.delete(f"/Users/{user_b['id']}").status_code == 204
    assert snapshot(client, f"/Users/{a_data['user']['id']}")["userName"] == a_data["user"]["userName"]
    assert [m["value"] for m in snapshot(client, f"/Groups/{a_data['group']['id']}")["members"]] == \
        [a_data["user"]["id"]]


def test_a_rotated_token_stops_working_at_once_and_the_new_one_works(app, client, client_b, a_data):
    new_token = issue_token(app.extensions["scim_backend"], "a")
    old = client.get(f"/Users/{a_data['user']['id']}")
    assert_scim_error(old, 401)
    assert old.headers.get("WWW-Authenticate", "").startswith("Bearer")
    fresh = ScimClient(app.test_client(), new_token)
    assert fresh.get(f"/Users/{a_data['user']['id']}").status_code == 200
    assert fresh.post("/Users", json={"userName": "after-rotation@example.com"}).status_code == 201
    assert client_b.get("/Users").status_code == 200    # the other workspace's token is untouched
    assert client_b.get(f"/Users/{a_data['user']['id']}").status_code == 404


def test_near_miss_tokens_are_refused(app, a_data):
    for token in (TOKEN_A[:-1], TOKEN_A + "x", TOKEN_A.upper(), f"{TOKEN_A},{TOKEN_A}", TOKEN_B + TOKEN_A):
        response = ScimClient(app.test_client(), token).get(f"/Users/{a_data['user']['id']}")
        assert_scim_error(response, 401)


# --- Bulk -------------------------------------------------------------------------------------------
def _bulk(client, *operations, fail_on_errors=None):
    body = {"schemas": [BULK_URN], "Operations": list(operations)}
    if fail_on_errors is not None:
        body["failOnErrors"] = fail_on_errors
    response = client.post("/Bulk", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["Operations"]


@pytest.mark.skipif(not HAS_BULK, reason="no Bulk endpoint")
def test_bulk_operations_of_b_on_a_resources_are_404_each(client, client_b, a_data):
    user, group = a_data["user"]["id"], a_data["group"]["id"]
    before = (snapshot(client, f"/Users/{user}"), snapshot(client, f"/Groups/{group}"))
    results = _bulk(client_b,
                    {"method": "PUT", "path": f"/Users/{user}", "data": {"userName": "stolen"}},
                    {"method": "PATCH", "path": f"/Groups/{group}",
                     "data": patch_op({"op": "replace", "path": "displayName", "value": "stolen"})},
                    {"method": "DELETE", "path": f"/Users/{user}"},
                    {"method": "DELETE", "path": f"/Groups/{group}"})
    assert [r["status"] for r in results] == ["404"] * 4, results
    assert (snapshot(client, f"/Users/{user}"), snapshot(client, f"/Groups/{group}")) == before


@pytest.mark.skipif(not HAS_BULK, reason="no Bulk endpoint")
def test_a_bulk_id_of_workspace_a_means_nothing_in_workspace_b(client, client_b):
    made = _bulk(client, {"method": "POST", "path": "/Users", "bulkId": "shared", "data": {"userName": "bulk-a"}})
    assert made[0]["status"] == "201", made
    results = _bulk(client_b, {"method": "POST", "path": "/Groups", "bulkId": "g",
                               "data": {"displayName": "b-group", "members": [{"value": "bulkId:shared"}]}},
                    {"method": "PATCH", "path": "/Users/bulkId:shared",
                     "data": patch_op({"op": "replace", "path": "displayName", "value": "x"})})
    assert all(r["status"].startswith("4") for r in results), results
    assert client_b.get("/Groups?count=0").get_json()["totalResults"] == 0
    a_user = client.get("/Users?filter=userName%20eq%20%22bulk-a%22").get_json()["Resources"][0]
    assert "displayName" not in a_user and not a_user.get("groups")


@pytest.mark.skipif(not HAS_BULK, reason="no Bulk endpoint")
def test_a_bulk_request_of_b_cannot_put_a_user_of_a_in_a_group(client, client_b, a_data):
    results = _bulk(client_b, {"method": "POST", "path": "/Groups", "bulkId": "g",
                               "data": {"displayName": "b-group", "members": [{"value": a_data["user"]["id"]}]}})
    assert results[0]["status"] == "400", results
    assert client_b.get("/Groups?count=0").get_json()["totalResults"] == 0
