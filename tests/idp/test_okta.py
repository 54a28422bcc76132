"""Okta traffic, replayed request by request (idp-scenarios.md §B, O-1..O-13)."""
from __future__ import annotations

from tests.idp.replay import GROUP_URN, USER_URN, assert_list, guid, member_ids
from tests.support import assert_scim_error, make_group, make_user, patch_op

OKTA_HEADERS = {"User-Agent": "Okta SCIM Client 1.0.0", "Accept": "application/scim+json",
                "Content-Type": "application/scim+json; charset=utf-8"}


def okta_user(user_name: str = "test.user@okta.local") -> dict:
    """O-2's create body, from Okta's SCIM 2.0 reference."""
    return {"schemas": [USER_URN], "userName": user_name,
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": True, "value": user_name, "type": "work"}],
            "displayName": "Test User", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7", "groups": [],
            "password": "1mz050nq", "active": True}


def lookup(idp, user_name: str):
    quoted = user_name.replace("@", "%40")
    return idp.get(f"/Users?filter=userName%20eq%20%22{quoted}%22&startIndex=1&count=100", headers=OKTA_HEADERS)


def create(idp, body: dict) -> dict:
    r = idp.post("/Users", json=body, headers=OKTA_HEADERS)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def get_user(idp, uid: str) -> dict:
    r = idp.get(f"/Users/{uid}", headers=OKTA_HEADERS)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def put_user(idp, uid: str, body: dict) -> dict:
    r = idp.put(f"/Users/{uid}", json=body, headers=OKTA_HEADERS)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def patch_user(idp, uid: str, *ops) -> dict:
    r = idp.patch(f"/Users/{uid}", json=patch_op(*ops), headers=OKTA_HEADERS)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def patch_group(idp, gid: str, *ops) -> None:
    r = idp.patch(f"/Groups/{gid}", json=patch_op(*ops), headers=OKTA_HEADERS)
    assert r.status_code == 204, r.get_data(as_text=True)


def test_O_1_save_api_integration_settings(idp):
    for _ in range(3):
        make_user(idp)
    make_group(idp)
    body = assert_list(idp.get("/Users?startIndex=1&count=2", headers=OKTA_HEADERS), 3, length=2)
    assert body["startIndex"] == 1
    assert_list(idp.get("/Groups?startIndex=1&count=100", headers=OKTA_HEADERS), 1)


def test_O_2_assign_user_creates_it(idp):
    assert_list(lookup(idp, "test.user@okta.local"), 0)
    body = okta_user()
    created = create(idp, body)
    assert created["id"]
    for key in ("userName", "name", "emails", "displayName", "locale", "externalId"):
        assert created[key] == body[key], key
    assert created["active"] is True
    assert "password" not in created
    assert "groups" not in created   # groups: [] is read-only input, ignored

    r = idp.post("/Users", json=okta_user(), headers=OKTA_HEADERS)
    assert "test.user@okta.local" in assert_scim_error(r, 409, "uniqueness")["detail"]


def test_O_3_assign_user_who_already_exists(idp):
    uid = create(idp, okta_user())["id"]
    found = assert_list(lookup(idp, "test.user@okta.local"), 1)["Resources"][0]
    assert found["id"] == uid
    assert found["userName"] == "test.user@okta.local"
    assert found["name"] == {"givenName": "Test", "familyName": "User"}
    assert found["emails"][0]["value"] == "test.user@okta.local"
    assert found["active"] is True


def test_O_4_profile_push_is_get_then_put(idp):
    uid = create(idp, okta_user())["id"]
    before = get_user(idp, uid)
    body = {**before, "name": {**before["name"], "givenName": "Another", "middleName": "Excited"},
            "groups": [], "emails": [{**before["emails"][0], "display": "test.user@okta.local"}]}
    assert "id" in body and "meta" in body
    after = put_user(idp, uid, body)
    assert after["id"] == uid
    assert after["name"] == {"givenName": "Another", "middleName": "Excited", "familyName": "User"}
    assert after["emails"][0]["display"] == "test.user@okta.local"
    assert after["meta"]["lastModified"] >= before["meta"]["lastModified"]
    assert after["meta"]["version"] != before["meta"]["version"]
    assert after["meta"]["created"] == before["meta"]["created"]
    assert get_user(idp, uid) == after

    other_id = guid()
    rekeyed = put_user(idp, uid, {**after, "id": other_id, "displayName": "Kept Id"})
    assert rekeyed["id"] == uid and rekeyed["displayName"] == "Kept Id"
    assert_scim_error(idp.get(f"/Users/{other_id}"), 404)

    without_active = {k: v for k, v in rekeyed.items() if k != "active"}
    assert put_user(idp, uid, without_active)["active"] is True
    assert get_user(idp, uid)["active"] is True


def test_O_5_deactivate_and_reactivate_with_pathless_patch(idp):
    uid = create(idp, okta_user())["id"]
    assert patch_user(idp, uid, {"op": "replace", "value": {"active": False}})["active"] is False
    assert get_user(idp, uid)["active"] is False
    assert patch_user(idp, uid, {"op": "replace", "value": {"active": True}})["active"] is True
    assert get_user(idp, uid)["active"] is True

    before = get_user(idp, uid)
    answered = patch_user(idp, uid, {"op": "replace", "value": {"password": "N3wPassw0rd!"}})
    assert "password" not in answered and "N3wPassw0rd!" not in str(answered)
    assert answered["meta"]["version"] != before["meta"]["version"]   # the password was written
    assert "password" not in get_user(idp, uid)


def test_O_6_deactivate_with_put(idp):
    uid = create(idp, okta_user())["id"]
    body = {**okta_user(), "id": uid, "active": False}
    assert put_user(idp, uid, body)["active"] is False
    assert get_user(idp, uid)["active"] is False


def test_O_7_unassigned_user_stays_present_and_inactive(idp):
    fresh = create(idp, {k: v for k, v in okta_user("fresh@okta.local").items() if k != "active"})
    assert fresh["active"] is True   # else Okta loops reactivating it

    uid = create(idp, okta_user())["id"]
    patch_user(idp, uid, {"op": "replace", "value": {"active": False}})
    user = get_user(idp, uid)
    assert user["active"] is False
    assert assert_list(lookup(idp, "test.user@okta.local"), 1)["Resources"][0]["active"] is False


def test_O_8_import_with_paging(idp):
    # 250 users as in the scenario; 150 groups keep the same request shape (a full page, then a
    # partial one) at less cost: mongomock checks unique indexes by scanning, so seeding is quadratic.
    users = {make_user(idp)["id"] for _ in range(250)}
    groups = {make_group(idp)["id"] for _ in range(150)}
    for endpoint, expected, sizes in (("/Users", users, (100, 100, 50)), ("/Groups", groups, (100, 50))):
        pages = []
        for page, size in enumerate(sizes):
            start = 100 * page + 1
            body = assert_list(idp.get(f"{endpoint}?startIndex={start}&count=100", headers=OKTA_HEADERS),
                               len(expected), length=size)
            assert body["startIndex"] == start
            pages.append([r["id"] for r in body["Resources"]])
        seen = [rid for page in pages for rid in page]
        assert len(seen) == len(set(seen)) and set(seen) == expected
        again = idp.get(f"{endpoint}?startIndex=101&count=100").get_json()
        assert [r["id"] for r in again["Resources"]] == pages[1]   # stable order


def test_O_9_group_push_create_and_membership(idp):
    u1 = create(idp, okta_user())["id"]
    u2, u3 = make_user(idp)["id"], make_user(idp)["id"]

    r = idp.post("/Groups", json={"schemas": [GROUP_URN], "displayName": "Test SCIMv2", "members": []},
                 headers=OKTA_HEADERS)
    assert r.status_code == 201, r.get_data(as_text=True)
    group = r.get_json()
    gid = group["id"]
    assert group["displayName"] == "Test SCIMv2" and group.get("members", []) == []
    assert idp.get(f"/Groups/{gid}", headers=OKTA_HEADERS).status_code == 200

    patch_group(idp, gid, {"op": "add", "path": "members", "value": [{"value": u2, "display": "u2"}]})
    assert member_ids(idp, gid) == [u2]
    patch_group(idp, gid, {"op": "remove", "path": f"members[value eq \"{u2}\"]"},
                {"op": "add", "path": "members", "value": [{"value": u1, "display": "test.user@okta.local"}]})
    assert member_ids(idp, gid) == [u1]

    patch_group(idp, gid, {"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv2 renamed"}})
    renamed = idp.get(f"/Groups/{gid}").get_json()
    assert renamed["displayName"] == "Test SCIMv2 renamed" and renamed["id"] == gid

    patch_group(idp, gid, {"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv2 renamed"}})
    assert idp.get(f"/Groups/{gid}").get_json()["meta"] == renamed["meta"]

    patch_group(idp, gid, {"op": "replace", "path": "members",
                           "value": [{"value": u1, "display": "test.user@okta.local"}, {"value": u3, "display": "u3"}]})
    assert member_ids(idp, gid) == sorted([u1, u3])

    batch_gid = idp.post("/Groups", json={"schemas": [GROUP_URN], "displayName": "Batched", "members": []},
                         headers=OKTA_HEADERS).get_json()["id"]
    everyone = [make_user(idp)["id"] for _ in range(100)]
    for i in range(5):
        patch_group(idp, batch_gid, {"op": "add", "path": "members",
                                     "value": [{"value": uid, "display": uid} for uid in everyone[20 * i:20 * i + 20]]})
    assert member_ids(idp, batch_gid) == sorted(everyone)


def test_O_10_group_update_with_put(idp):
    u1, u2, u3 = (make_user(idp)["id"] for _ in range(3))
    gid = make_group(idp, members=[{"value": u2}])["id"]
    body = {"schemas": [GROUP_URN], "id": gid, "displayName": "KOTestGroup Test",
            "members": [{"value": u1, "display": None}, {"value": u3, "display": None}]}
    r = idp.put(f"/Groups/{gid}", json=body, headers=OKTA_HEADERS)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["displayName"] == "KOTestGroup Test"
    assert sorted(m["value"] for m in r.get_json()["members"]) == sorted([u1, u3])
    assert member_ids(idp, gid) == sorted([u1, u3])


def test_O_11_group_unlink_with_delete(idp):
    gid = make_group(idp)["id"]
    r = idp.delete(f"/Groups/{gid}", headers=OKTA_HEADERS)
    assert r.status_code == 204 and r.get_data() == b""
    assert_scim_error(idp.get(f"/Groups/{gid}"), 404)


def test_O_13_okta_crud_test_server_side_half(idp):
    email = f"runscope{guid()[:6]}@atko.com"

    def by_filter() -> dict:
        user = assert_list(idp.get(f'/Users?filter=userName eq "{email}"'), 1)["Resources"][0]
        assert user["userName"] == email and user["emails"][0]["value"] == email
        return user

    uid = create(idp, {**okta_user(email), "name": {"givenName": "Runscope", "familyName": "Crud"}})["id"]
    found = by_filter()
    assert found["id"] == uid and found["name"] == {"givenName": "Runscope", "familyName": "Crud"}

    put_user(idp, uid, {**get_user(idp, uid), "name": {"givenName": "Renamed", "familyName": "Crud"}})
    assert get_user(idp, uid)["name"]["givenName"] == "Renamed"
    for active in (False, True, False):   # deactivate, reactivate, unassign
        patch_user(idp, uid, {"op": "replace", "value": {"active": active}})
        assert get_user(idp, uid)["active"] is active
        assert by_filter()["active"] is active
