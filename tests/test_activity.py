"""Provisioning activity: every change is recorded, and the record outlives the resource."""
from __future__ import annotations

from tests.support import assert_scim_error, make_group, make_user, patch_op


def _activity(client, limit=50):
    r = client.get("/admin/activity", query_string={"limit": limit})
    assert r.status_code == 200
    return r.get_json()["activity"]


def test_every_change_is_recorded_newest_first(client):
    user = make_user(client, "tracked")
    client.patch(f"/Users/{user['id']}", json=patch_op({"op": "replace", "path": "active", "value": False}))
    client.patch(f"/Users/{user['id']}", json=patch_op({"op": "replace", "path": "active", "value": True}))
    client.put(f"/Users/{user['id']}", json={"userName": "tracked", "title": "T"})
    group = make_group(client, "tracked-group")
    client.patch(f"/Groups/{group['id']}", json=patch_op({"op": "add", "path": "members", "value": [{"value": user["id"]}]}))
    client.delete(f"/Users/{user['id']}")
    entries = _activity(client)
    assert [e["operation"] for e in entries] == ["delete", "patch", "create", "replace", "reactivate",
                                                 "deactivate", "create"]
    deleted = entries[0]
    assert deleted["name"] == "tracked" and deleted["resourceId"] == user["id"]   # outlives the user
    assert deleted["workspace"] == "a" and deleted["outcome"] == "success" and deleted["token"].startswith("tok_")
    assert entries[1]["detail"] == "+1 members"


def test_failures_are_recorded_and_workspaces_do_not_see_each_other(client, client_b):
    make_user(client, "dup")
    client.post("/Users", json={"userName": "dup"})
    assert _activity(client, 1)[0]["outcome"] == "failure: 409 uniqueness"
    assert _activity(client_b) == []


def test_activity_needs_a_token_and_a_sane_limit(client, anonymous):
    assert_scim_error(anonymous.get("/admin/activity"), 401)
    assert_scim_error(client.get("/admin/activity?limit=0"), 400, "invalidValue")
