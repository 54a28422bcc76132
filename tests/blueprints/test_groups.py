"""/Groups: members as a relation, displayName unique per workspace, PATCH answering 204."""
from __future__ import annotations

from tests.support import assert_scim_error, make_group, make_user, patch_op, rfc_fixture

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def test_rfc_example_group_needs_its_members_to_exist(client):
    body = rfc_fixture("rfc7643-8.4-group")
    body = assert_scim_error(client.post("/Groups", json=body), 400, "invalidValue")
    assert "2819c223-7f76-453a-919d-413861904646" in body["detail"]


def test_rfc_example_group_with_existing_members(client):
    body = rfc_fixture("rfc7643-8.4-group")
    babs, mandy = make_user(client, "bjensen"), make_user(client, "mpepperidge")
    body["members"][0]["value"], body["members"][1]["value"] = babs["id"], mandy["id"]
    r = client.post("/Groups", json=body)
    assert r.status_code == 201
    created = r.get_json()
    assert created["displayName"] == "Tour Guides"
    assert [m["value"] for m in created["members"]] == [babs["id"], mandy["id"]]
    assert all(m["type"] == "User" and m["$ref"].endswith(f"/Users/{m['value']}") for m in created["members"])
    assert client.get(f"/Groups/{created['id']}").get_json() == created


def test_display_name_is_required_and_unique_case_insensitively(client):
    assert_scim_error(client.post("/Groups", json={"schemas": [GROUP]}), 400, "invalidValue")
    make_group(client, "Admins")
    assert_scim_error(client.post("/Groups", json={"displayName": "ADMINS"}), 409, "uniqueness")


def test_lookup_by_display_name_with_members_excluded(client):
    user = make_user(client)
    group = make_group(client, "Sales", externalId="g-ext", members=[{"value": user["id"]}])
    body = client.get('/Groups?excludedAttributes=members&filter=displayName eq "sales"').get_json()
    assert body["totalResults"] == 1
    assert body["Resources"][0]["id"] == group["id"] and "members" not in body["Resources"][0]
    assert client.get('/Groups?filter=externalId eq "g-ext"').get_json()["totalResults"] == 1
    assert "members" not in client.get(f"/Groups/{group['id']}?excludedAttributes=members").get_json()


def test_groups_can_contain_groups(client):
    inner = make_group(client, "inner")
    outer = make_group(client, "outer", members=[{"value": inner["id"], "type": "Group"}])
    assert outer["members"][0]["type"] == "Group"
    assert outer["members"][0]["$ref"].endswith(f"/Groups/{inner['id']}")


def test_a_group_cannot_be_its_own_member(client):
    group = make_group(client, "selfish")
    r = client.patch(f"/Groups/{group['id']}", json=patch_op({"op": "add", "path": "members",
                                                              "value": [{"value": group["id"]}]}))
    assert_scim_error(r, 400, "invalidValue")


def test_put_replaces_the_member_list(client):
    u1, u2, u3 = make_user(client), make_user(client), make_user(client)
    group = make_group(client, "put", members=[{"value": u1["id"]}, {"value": u2["id"]}])
    r = client.put(f"/Groups/{group['id']}", json={"schemas": [GROUP], "id": group["id"], "displayName": "put",
                                                   "members": [{"value": u2["id"]}, {"value": u3["id"], "display": None}]})
    assert r.status_code == 200
    assert {m["value"] for m in r.get_json()["members"]} == {u2["id"], u3["id"]}
    assert [g["value"] for g in client.get(f"/Users/{u1['id']}").get_json().get("groups", [])] == []


def test_patch_answers_204_or_200_when_attributes_are_asked(client):
    user = make_user(client)
    group = make_group(client)
    op = patch_op({"op": "add", "path": "members", "value": [{"value": user["id"]}]})
    r = client.patch(f"/Groups/{group['id']}", json=op)
    assert r.status_code == 204 and r.get_data() == b""
    r = client.patch(f"/Groups/{group['id']}?attributes=displayName",
                     json=patch_op({"op": "replace", "path": "displayName", "value": "renamed"}))
    assert r.status_code == 200
    assert r.get_json() == {"schemas": [GROUP], "id": group["id"], "displayName": "renamed"}


def test_membership_change_bumps_the_group_version(client):
    user = make_user(client)
    group = make_group(client)
    client.patch(f"/Groups/{group['id']}", json=patch_op({"op": "add", "path": "members", "value": [{"value": user["id"]}]}))
    after = client.get(f"/Groups/{group['id']}").get_json()
    assert after["meta"]["version"] != group["meta"]["version"]
    assert after["meta"]["lastModified"] >= group["meta"]["lastModified"]


def test_deleting_a_group_keeps_its_members(client):
    user = make_user(client)
    group = make_group(client, members=[{"value": user["id"]}])
    assert client.delete(f"/Groups/{group['id']}").status_code == 204
    assert_scim_error(client.get(f"/Groups/{group['id']}"), 404)
    assert "groups" not in client.get(f"/Users/{user['id']}").get_json()
