"""OneLogin traffic, replayed request by request (idp-scenarios.md §C, L-1..L-11)."""
from __future__ import annotations

from tests.idp.replay import ENTERPRISE_URN, GROUP_URN, PATCH_URN, USER_URN, assert_list, member_ids
from tests.support import assert_scim_error, make_group, make_user

ONELOGIN_HEADERS = {"User-Agent": "", "Content-Type": "application/scim+json"}


def core_user(user_name: str = "peter.meier@example.com") -> dict:
    """L-3's body, from the SCIM v2 Core connector transcript."""
    return {"userName": user_name, "name": {"givenName": "Peter", "familyName": "Meier"},
            "schemas": [USER_URN], "emails": [{"primary": True, "type": "work", "value": "pm@example.com"}],
            "active": True}


def member_patch(op: str, uid: str) -> dict:
    return {"schemas": [PATCH_URN], "Operations": [{"value": [{"value": uid}], "op": op, "path": "members"}]}


def post_user(idp, body: dict) -> dict:
    r = idp.post("/Users", json=body, headers=ONELOGIN_HEADERS)
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def patch_group(idp, gid: str, body: dict) -> None:
    r = idp.patch(f"/Groups/{gid}", json=body, headers=ONELOGIN_HEADERS)
    assert r.status_code == 204, r.get_data(as_text=True)


def test_L_1_enable_api_connection(idp):
    assert_list(idp.get('/Users?filter=userName eq "never-existing-user"', headers=ONELOGIN_HEADERS), 0)


def test_L_2_load_existing_groups(idp):
    groups = {make_group(idp)["id"]: None for _ in range(3)}
    for gid in groups:
        groups[gid] = idp.get(f"/Groups/{gid}").get_json()["displayName"]
    listed = assert_list(idp.get("/Groups?count=100&startIndex=1", headers=ONELOGIN_HEADERS), 3)
    assert {g["id"]: g["displayName"] for g in listed["Resources"]} == groups


def test_L_3_create_user_with_the_v2_core_connector(idp):
    assert_list(idp.get('/Users?filter=userName eq "peter.meier@example.com"', headers=ONELOGIN_HEADERS), 0)
    created = post_user(idp, core_user())
    assert created["id"]
    assert created["userName"] == "peter.meier@example.com"
    assert created["emails"] == core_user()["emails"]


def test_L_4_create_user_from_a_v2_enterprise_template(idp):
    mid = make_user(idp)["id"]
    body = {ENTERPRISE_URN: {"department": "Sales", "manager": {"managerId": mid, "displayName": "Ann Boss"}},
            "active": "true", "emails": [{"value": "jd@example.com", "type": "work", "primary": True}],
            "meta": {"resourceType": "User"},
            "name": {"familyName": "Doe", "givenName": "Jane", "formatted": "Jane Doe"},
            "userName": "jd@example.com", "id": None, "schemas": [USER_URN]}
    created = post_user(idp, body)
    assert isinstance(created["id"], str) and created["id"]
    assert created["active"] is True
    assert created[ENTERPRISE_URN] == {"department": "Sales", "manager": {"value": mid}}
    assert ENTERPRISE_URN in created["schemas"]
    assert idp.get(f"/Users/{created['id']}").get_json() == created


def test_L_5_create_user_from_the_legacy_v1_1_enterprise_template(idp):
    body = {"schemas": ["urn:scim:schemas:core:1.0", "urn:scim:schemas:extension:enterprise:1.0"],
            "userName": "jd2@example.com",
            "name": {"familyName": "Doe", "givenName": "John", "formatted": "John Doe"},
            "emails": {"value": "jd2@example.com", "type": "work", "primary": True}, "title": "Engineer",
            "urn:scim:schemas:extension:enterprise:1.0": {"department": "R&D",
                                                          "manager": {"managerId": "", "displayName": " "}}}
    created = post_user(idp, body)
    assert created["emails"] == [{"value": "jd2@example.com", "type": "work", "primary": True}]
    assert created["name"] == body["name"] and created["title"] == "Engineer"
    # the 1.1 enterprise extension lands in the 2.0 one; the blank manager template is unassigned
    assert created[ENTERPRISE_URN] == {"department": "R&D"}
    assert created["schemas"] == [USER_URN, ENTERPRISE_URN]
    assert idp.get(f"/Users/{created['id']}").get_json() == created


def test_L_6_group_create_and_add_member(idp):
    uid = post_user(idp, core_user())["id"]
    r = idp.post("/Groups", json={"displayName": "Group C", "schemas": [GROUP_URN]}, headers=ONELOGIN_HEADERS)
    assert r.status_code == 201, r.get_data(as_text=True)
    gid = r.get_json()["id"]
    patch_group(idp, gid, member_patch("add", uid))
    assert member_ids(idp, gid) == [uid]
    patch_group(idp, gid, member_patch("add", uid))
    assert member_ids(idp, gid) == [uid]


def test_L_7_profile_update_with_put(idp):
    uid = post_user(idp, core_user())["id"]
    r = idp.put(f"/Users/{uid}", json={**core_user(), "displayName": "Peter M."}, headers=ONELOGIN_HEADERS)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["displayName"] == "Peter M." and r.get_json()["id"] == uid
    assert idp.get(f"/Users/{uid}").get_json()["displayName"] == "Peter M."


def _user_in_two_groups(idp) -> tuple[str, str, list[str]]:
    uid = post_user(idp, core_user())["id"]
    u2 = make_user(idp)["id"]
    gids = [make_group(idp, members=[{"value": uid}, {"value": u2}])["id"] for _ in range(2)]
    for gid in gids:
        patch_group(idp, gid, member_patch("remove", uid))
        assert member_ids(idp, gid) == [u2]
    return uid, u2, gids


def test_L_8_deprovision_suspend(idp):
    uid, _, _ = _user_in_two_groups(idp)
    r = idp.put(f"/Users/{uid}", json={**core_user(), "active": False}, headers=ONELOGIN_HEADERS)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["active"] is False
    assert idp.get(f"/Users/{uid}").get_json()["active"] is False


def test_L_9_deprovision_delete(idp):
    uid, u2, gids = _user_in_two_groups(idp)
    assert idp.delete(f"/Users/{uid}", headers=ONELOGIN_HEADERS).status_code == 204
    assert_scim_error(idp.get(f"/Users/{uid}"), 404)
    for gid in gids:
        assert member_ids(idp, gid) == [u2]


def test_L_10_periodic_sync_paging(idp):
    # The scenario's 500 users become 200 (the page size is the transcript author's choice, and
    # mongomock makes seeding quadratic); the requests keep their shape, plus the page past the end.
    users = {make_user(idp)["id"] for _ in range(200)}
    seen = []
    for start in (1, 101):
        body = assert_list(idp.get(f"/Users?count=100&startIndex={start}", headers=ONELOGIN_HEADERS), 200, 100)
        assert body["startIndex"] == start
        seen += [u["id"] for u in body["Resources"]]
    assert len(seen) == 200 and set(seen) == users
    past_the_end = assert_list(idp.get("/Users?count=100&startIndex=201", headers=ONELOGIN_HEADERS), 200, 0)
    assert past_the_end["startIndex"] == 201
    again = idp.get("/Users?count=100&startIndex=101").get_json()
    assert [u["id"] for u in again["Resources"]] == seen[100:]


def test_L_11_scim_1_1_style_group_patch(idp):
    u1, u2 = make_user(idp)["id"], make_user(idp)["id"]
    gid = make_group(idp, members=[{"value": u2}])["id"]
    patch_group(idp, gid, {"members": [{"value": u1}, {"value": u2, "operation": "delete"}]})
    assert member_ids(idp, gid) == [u1]
