"""Microsoft Entra ID traffic, replayed request by request (idp-scenarios.md §A, E-1..E-20)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import TOKEN_A
from tests.idp.replay import (
    ENTERPRISE_URN, GROUP_URN, PATCH_URN, USER_URN, ReplayClient, assert_list, assert_no_nulls, guid, member_ids,
)
from tests.support import assert_scim_error, make_group, make_user, patch_op


def tutorial_user(user_name: str, external_id: str) -> dict:
    """E-2's body, from Microsoft's SCIM tutorial."""
    return {"schemas": [USER_URN, ENTERPRISE_URN],
            "externalId": external_id, "userName": user_name, "active": True,
            "emails": [{"primary": True, "type": "work", "value": f"{user_name}@testuser.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
            "roles": []}


def get_user(idp, uid: str) -> dict:
    r = idp.get(f"/Users/{uid}")
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()


def patch_user(idp, uid: str, *ops, body=None) -> dict:
    """Users PATCH: our server answers 200 with the user."""
    r = idp.patch(f"/Users/{uid}", json=body if body is not None else patch_op(*ops))
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["id"] == uid
    return r.get_json()


def patch_group(idp, gid: str, *ops) -> None:
    """Groups PATCH: our server answers 204 with no body."""
    r = idp.patch(f"/Groups/{gid}", json=patch_op(*ops))
    assert r.status_code == 204, r.get_data(as_text=True)
    assert r.get_data() == b""


def test_E_1_test_connection_probe(idp):
    probe = guid()
    assert_list(idp.get(f'/Users?filter=userName eq "{probe}"'), 0)
    assert_list(idp.get(f'/Users?filter=userName+eq+"{probe}"'), 0)
    assert_list(idp.get(f'/Users?filter=externalId eq "{probe}"'), 0)
    assert_list(idp.get(f"/Users?filter=externalId eq {probe}"), 0)
    assert_list(idp.get(f'/Groups?excludedAttributes=members&filter=displayName eq "{probe}"'), 0)


def test_E_2_create_user_tutorial_body_and_read_back(idp):
    g, g2 = guid(), guid()
    user_name = f"Test_User_{g}"
    assert_list(idp.get(f'/Users?filter=userName eq "{user_name}"'), 0)

    r = idp.post("/Users", json=tutorial_user(user_name, g2))
    assert r.status_code == 201, r.get_data(as_text=True)
    created = r.get_json()
    uid = created["id"]
    assert uid
    assert created["userName"] == user_name
    assert created["externalId"] == g2
    assert created["name"] == {"formatted": "givenName familyName", "familyName": "familyName",
                               "givenName": "givenName"}
    assert created["emails"][0] == {"primary": True, "type": "work", "value": f"{user_name}@testuser.com"}
    assert created["active"] is True
    assert created["meta"]["resourceType"] == "User"
    assert created["meta"]["created"] and created["meta"]["lastModified"]
    assert created["meta"]["location"].endswith(f"/Users/{uid}")
    assert r.headers["Location"] == created["meta"]["location"]

    read = get_user(idp, uid)
    assert read["id"] == uid
    for key in ("userName", "externalId", "name", "emails", "active"):
        assert read[key] == created[key]

    assert assert_list(idp.get(f'/Users?filter=userName eq "{user_name}"'), 1)["Resources"][0]["id"] == uid
    assert_list(idp.get(f'/Users?filter=externalId eq "{g2}"'), 1)
    assert_list(idp.get(f'/Users?filter=emails[type eq "work"].value eq "{user_name}@testuser.com"'), 1)
    upper = f"TEST_USER_{g.upper()}"
    assert assert_list(idp.get(f'/Users?filter=userName eq "{upper}"'), 1)["Resources"][0]["id"] == uid


def test_E_3_create_user_example_2_with_nulls_and_bad_schema_urn(idp):
    n = guid()[:8]
    body = {"schemas": [USER_URN, "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
            "externalId": f"jyoung-{n}", "userName": f"jyoung-{n}@testuser.com", "active": True, "addresses": None,
            "displayName": "Joy Young",
            "emails": [{"type": "work", "value": "jyoung@Contoso.com", "primary": True}],
            "meta": {"resourceType": "User"},
            "name": {"familyName": "Young", "givenName": "Joy"}, "phoneNumbers": None, "preferredLanguage": None,
            "title": None, "department": None, "manager": None}
    r = idp.post("/Users", json=body)
    assert r.status_code == 201, r.get_data(as_text=True)
    created = r.get_json()
    assert created["displayName"] == "Joy Young"
    assert_no_nulls(created)
    assert created["schemas"] == [USER_URN]
    assert created["emails"] == [{"type": "work", "value": "jyoung@Contoso.com", "primary": True}]
    for absent in ("addresses", "phoneNumbers", "preferredLanguage", "title", ENTERPRISE_URN):
        assert absent not in created


def test_E_4_full_default_mapping_user_round_trips(idp):
    n = guid()[:8]
    body = {"schemas": [USER_URN, ENTERPRISE_URN],
            "userName": f"omalley-{n}@contoso.com", "externalId": f"omalley{n}", "active": True,
            "displayName": "Kimberly Baker", "title": "Site engineer", "preferredLanguage": "xh",
            "name": {"formatted": "Darl OMalley", "familyName": "OMalley", "givenName": "Darl"},
            "emails": [{"type": "work", "primary": True, "value": "anna33@example.com"},
                       {"type": "other", "primary": False, "value": "anna33@gmail.com"}],
            "phoneNumbers": [{"type": "fax", "value": "312-320-0500"}, {"type": "mobile", "value": "312-320-1707"},
                             {"type": "work", "primary": True, "value": "312-320-0932"}],
            "addresses": [{"type": "work", "formatted": "9132 Jennifer Way", "streetAddress": "4939 Hess Fork",
                           "locality": "West Mercedes", "region": "Montana", "postalCode": "99265",
                           "country": "US", "primary": False},
                          {"type": "other", "formatted": "18522 Lisa Unions", "country": None, "locality": None}],
            ENTERPRISE_URN: {"employeeNumber": "100009", "department": "Human Resources US"}}
    r = idp.post("/Users", json=body)
    assert r.status_code == 201, r.get_data(as_text=True)
    read = get_user(idp, r.get_json()["id"])
    for key in ("userName", "externalId", "active", "displayName", "title", "preferredLanguage", "name",
                "emails", "phoneNumbers", ENTERPRISE_URN):
        assert read[key] == body[key], key
    # null sub-attributes are unassigned: they are not stored, everything else is as sent
    assert read["addresses"] == [body["addresses"][0], {"type": "other", "formatted": "18522 Lisa Unions"}]
    assert set(read["schemas"]) == {USER_URN, ENTERPRISE_URN}


def test_E_5_duplicate_user_name(idp):
    user_name = f"Test_User_{guid()}"
    assert idp.post("/Users", json=tutorial_user(user_name, guid())).status_code == 201
    assert_scim_error(idp.post("/Users", json=tutorial_user(user_name, guid())), 409, "uniqueness")
    assert_scim_error(idp.post("/Users", json=tutorial_user(user_name.upper(), guid())), 409, "uniqueness")
    assert_list(idp.get(f'/Users?filter=userName eq "{user_name}"'), 1)


def test_E_6_replace_via_value_filter_and_dotted_path(idp):
    uid = idp.post("/Users", json=tutorial_user(f"Test_User_{guid()}", guid())).get_json()["id"]

    user = patch_user(idp, uid,
                      {"op": "Replace", "path": "emails[type eq \"work\"].value",
                       "value": "updatedEmail@microsoft.com"},
                      {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"})
    work = [e for e in user["emails"] if e.get("type") == "work"]
    assert [e["value"] for e in work] == ["updatedEmail@microsoft.com"]
    assert user["name"]["familyName"] == "updatedFamilyName"
    assert user["name"]["givenName"] == "givenName"

    new_name = f"renamed-{guid()}@testuser.com"
    assert patch_user(idp, uid, {"op": "Replace", "path": "userName", "value": new_name})["userName"] == new_name
    assert assert_list(idp.get(f'/Users?filter=userName eq "{new_name}"'), 1)["Resources"][0]["id"] == uid

    other = make_user(idp)
    r = idp.patch(f"/Users/{uid}", json=patch_op({"op": "Replace", "path": "userName", "value": other["userName"]}))
    assert_scim_error(r, 409, "uniqueness")
    assert get_user(idp, uid)["userName"] == new_name


def test_E_7_pre_flag_multi_attribute_replace(idp):
    uid = idp.post("/Users", json=tutorial_user(f"Test_User_{guid()}", guid())).get_json()["id"]
    patch_user(idp, uid, body={"schemas": [PATCH_URN], "Operations": [
        {"op": "Replace", "path": "displayName", "value": "Pvlo"},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "TestBcwqnm@test.microsoft.com"},
        {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
        {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
        {"op": "Replace", "path": "externalId", "value": "Eqpj"},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
         "value": "Eqpj"}]})
    user = get_user(idp, uid)
    assert user["displayName"] == "Pvlo"
    assert user["name"]["givenName"] == "Gtfd"
    assert user["name"]["familyName"] == "Pkqf"
    assert user["externalId"] == "Eqpj"
    assert user[ENTERPRISE_URN]["employeeNumber"] == "Eqpj"
    assert [e["value"] for e in user["emails"] if e["type"] == "work"] == ["TestBcwqnm@test.microsoft.com"]


def test_E_8_flag_form_pathless_dotted_and_urn_keys(idp):
    uid = idp.post("/Users", json=tutorial_user(f"Test_User_{guid()}", guid())).get_json()["id"]
    patch_user(idp, uid, body={"schemas": [PATCH_URN], "Operations": [
        {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "TestMhvaes@test.microsoft.com"},
        {"op": "replace", "value": {"displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua",
                                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":
                                        "Aklq"}}]})
    user = get_user(idp, uid)
    assert user["name"] == {"formatted": "givenName familyName", "givenName": "Kkom", "familyName": "Unua"}
    assert "name.givenName" not in user and "name.familyName" not in user
    assert user["displayName"] == "Bjfe"
    assert user[ENTERPRISE_URN] == {"employeeNumber": "Aklq"}
    assert f"{ENTERPRISE_URN}:employeeNumber" not in user
    assert [e["value"] for e in user["emails"] if e["type"] == "work"] == ["TestMhvaes@test.microsoft.com"]

    # production variant: add with dotted keys only
    patch_user(idp, uid, {"op": "add", "value": {"name.givenName": "John", "name.familyName": "Doe",
                                                 "name.formatted": "John Doe"}})
    user = get_user(idp, uid)
    assert user["name"] == {"formatted": "John Doe", "givenName": "John", "familyName": "Doe"}
    assert not [k for k in user if k.startswith("name.")]


def test_E_9_add_attributes_whose_target_does_not_exist(idp):
    user = make_user(idp, addresses=[{"type": "home", "formatted": "1 Home Rd"}],
                     emails=[{"type": "work", "value": "work@example.com"}])
    uid = user["id"]
    patch_user(idp, uid, body={"schemas": [PATCH_URN], "Operations": [
        {"op": "Add", "path": "addresses[type eq \"work\"].formatted", "value": "123 fake st."},
        {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"},
        {"op": "add", "path": "emails[type eq \"home\"].value", "value": "angelita@mante.us"},
        {"op": "replace", "path": "emails[type eq \"work\"].display", "value": "0TXBC2MOGUI0"},
        {"op": "Replace", "path": "addresses[type eq \"work\"].locality", "value": "KMYVNUJVVZWC"},
        {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
         "value": "Retail"}]})
    user = get_user(idp, uid)
    assert user["addresses"] == [{"type": "home", "formatted": "1 Home Rd"},
                                 {"type": "work", "formatted": "123 fake st.", "locality": "KMYVNUJVVZWC"}]
    assert user["phoneNumbers"] == [{"type": "mobile", "value": "+1 555 0100"}]
    assert user["emails"] == [{"type": "work", "value": "work@example.com", "display": "0TXBC2MOGUI0"},
                              {"type": "home", "value": "angelita@mante.us"}]
    assert user[ENTERPRISE_URN]["department"] == "Retail"


def test_E_10_disable_and_re_enable_in_every_observed_form(idp):
    user = make_user(idp)
    uid, user_name = user["id"], user["userName"]

    def active_after(op) -> bool:
        patched = patch_user(idp, uid, op)
        assert get_user(idp, uid)["active"] is patched["active"]
        return patched["active"]

    assert active_after({"op": "Replace", "path": "active", "value": "False"}) is False
    assert get_user(idp, uid)["active"] is False
    listed = assert_list(idp.get(f'/Users?filter=userName eq "{user_name}"'), 1)
    assert listed["Resources"][0]["active"] is False

    assert active_after({"op": "Replace", "path": "active", "value": "True"}) is True
    assert active_after({"op": "replace", "path": "active", "value": False}) is False
    assert active_after({"op": "Replace", "path": "active", "value": "True"}) is True
    assert active_after({"op": "Add", "path": "active", "value": "False"}) is False

    assert active_after({"op": "Replace", "path": "active", "value": "True"}) is True
    # tutorial form: Operations before schemas
    assert patch_user(idp, uid, body={"Operations": [{"op": "Replace", "path": "active", "value": False}],
                                      "schemas": [PATCH_URN]})["active"] is False
    assert active_after({"op": "Replace", "path": "active", "value": "True"}) is True

    # periodic no-op PATCH on an active user: 200, nothing changes, not even the version
    before = get_user(idp, uid)
    assert patch_user(idp, uid, {"op": "Replace", "path": "active", "value": "True"}) == before
    assert get_user(idp, uid)["meta"] == before["meta"]

    r = idp.patch(f"/Users/{uid}", json=patch_op({"op": "Replace", "path": "active", "value": "maybe"}))
    assert "active" in assert_scim_error(r, 400, "invalidValue")["detail"]
    assert get_user(idp, uid)["active"] is True


def test_E_11_manager_in_every_observed_form(idp):
    uid = make_user(idp)["id"]
    mid, mid2 = make_user(idp)["id"], make_user(idp)["id"]
    manager_path = f"{ENTERPRISE_URN}:manager"

    patch_user(idp, uid, {"op": "Add", "path": manager_path, "value": mid})
    assert get_user(idp, uid)[ENTERPRISE_URN]["manager"]["value"] == mid

    patch_user(idp, uid, {"op": "replace", "path": manager_path, "value": {"value": mid2}})
    assert get_user(idp, uid)[ENTERPRISE_URN]["manager"] == {"value": mid2}

    patch_user(idp, uid, {"op": "Add", "path": "manager",
                          "value": [{"$ref": f"http://localhost/scim/Users/{mid}", "value": mid}]})
    manager = get_user(idp, uid)[ENTERPRISE_URN]["manager"]
    assert isinstance(manager, dict) and manager["value"] == mid

    patch_user(idp, uid, {"op": "remove", "path": manager_path})
    assert ENTERPRISE_URN not in get_user(idp, uid)

    patch_user(idp, uid, {"op": "Add", "path": manager_path, "value": mid})
    patch_user(idp, uid, {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                          "value": ""})
    assert ENTERPRISE_URN not in get_user(idp, uid)

    r = idp.post("/Users", json={"schemas": [USER_URN, ENTERPRISE_URN], "userName": f"managed-{guid()}",
                                 ENTERPRISE_URN: {"manager": mid}})
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.get_json()[ENTERPRISE_URN]["manager"] == {"value": mid}


def test_E_12_null_and_empty_updates(idp):
    uid = make_user(idp, title="Boss", preferredLanguage="en", **{ENTERPRISE_URN: {"department": "Ops"}})["id"]
    department = f"{ENTERPRISE_URN}:department"
    for empty in ("", None):
        patch_user(idp, uid, {"op": "Replace", "path": "title", "value": empty},
                   {"op": "Replace", "path": "preferredLanguage", "value": empty},
                   {"op": "Replace", "path": department, "value": empty})
        user = get_user(idp, uid)
        assert "title" not in user and "preferredLanguage" not in user and ENTERPRISE_URN not in user
        patch_user(idp, uid, {"op": "Replace", "path": "title", "value": "Boss"})


def test_E_13_delete_user(idp):
    uid = make_user(idp)["id"]
    r = idp.delete(f"/Users/{uid}")
    assert r.status_code == 204 and r.get_data() == b""
    assert_scim_error(idp.get(f"/Users/{uid}"), 404)
    assert_scim_error(idp.delete(f"/Users/{uid}"), 404)
    assert_scim_error(idp.delete(f"/Users/{guid()}"), 404)


def test_E_14_group_lifecycle(idp):
    n = guid()[:8]
    name = f"Grp-{n}"
    assert_list(idp.get(f'/Groups?excludedAttributes=members&filter=displayName eq "{name}"'), 0)
    body = {"schemas": [GROUP_URN, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": guid(), "displayName": name, "meta": {"resourceType": "Group"}}
    r = idp.post("/Groups", json=body)
    assert r.status_code == 201, r.get_data(as_text=True)
    created = r.get_json()
    gid = created["id"]
    assert created["displayName"] == name and created["externalId"] == body["externalId"]
    assert "members" not in created
    assert created["meta"]["resourceType"] == "Group"

    r = idp.get(f"/Groups/{gid}?excludedAttributes=members")
    assert r.status_code == 200 and "members" not in r.get_json()
    found = assert_list(idp.get(f'/Groups?excludedAttributes=members&filter=displayName eq "grp-{n}"'), 1)
    assert found["Resources"][0]["id"] == gid and "members" not in found["Resources"][0]

    assert_scim_error(idp.post("/Groups", json=body), 409, "uniqueness")

    patch_group(idp, gid, {"op": "Replace", "path": "displayName", "value": f"Grp-{n}-renamed"})
    assert_list(idp.get(f'/Groups?filter=displayName eq "Grp-{n}-renamed"'), 1)

    external = guid()
    patch_group(idp, gid, {"op": "replace", "value": {"displayName": "MSADPJJZWBUS"}})
    patch_group(idp, gid, {"op": "replace", "value": {"externalId": external}})
    group = idp.get(f"/Groups/{gid}").get_json()
    assert group["displayName"] == "MSADPJJZWBUS" and group["externalId"] == external

    assert idp.delete(f"/Groups/{gid}").status_code == 204
    assert_scim_error(idp.get(f"/Groups/{gid}"), 404)
    assert_scim_error(idp.delete(f"/Groups/{gid}"), 404)


def test_E_15_group_membership_both_removal_dialects(idp):
    u1, u2, u3 = (make_user(idp)["id"] for _ in range(3))
    gid = make_group(idp)["id"]

    patch_group(idp, gid, {"op": "Add", "path": "members",
                           "value": [{"$ref": None, "value": u1}, {"$ref": None, "value": u2},
                                     {"$ref": None, "value": u3}]})
    assert member_ids(idp, gid) == sorted([u1, u2, u3])
    patch_group(idp, gid, {"op": "Add", "path": "members", "value": [{"$ref": None, "value": u1}]})
    assert member_ids(idp, gid) == sorted([u1, u2, u3])

    patch_group(idp, gid, {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": u1}]})
    assert member_ids(idp, gid) == sorted([u2, u3])
    patch_group(idp, gid, {"op": "remove", "path": f"members[value eq \"{u2}\"]"})
    assert member_ids(idp, gid) == [u3]

    patch_group(idp, gid, {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": u1}]})
    patch_group(idp, gid, {"op": "remove", "path": f"members[value eq \"{u1}\"]"})
    assert member_ids(idp, gid) == [u3]

    version = idp.get(f"/Groups/{gid}").get_json()["meta"]["version"]
    r = idp.patch(f"/Groups/{gid}", json=patch_op({"op": "Add", "path": "members", "value": [{"value": u1},
                                                                                             {"value": guid()}]}))
    assert "unknown id" in assert_scim_error(r, 400, "invalidValue")["detail"]
    assert member_ids(idp, gid) == [u3]
    assert idp.get(f"/Groups/{gid}").get_json()["meta"]["version"] == version

    patch_group(idp, gid, {"op": "remove", "path": "members"})
    assert member_ids(idp, gid) == []


def test_E_16_concurrent_membership_patches(app, idp):
    users = [make_user(idp)["id"] for _ in range(20)]
    gid = make_group(idp)["id"]
    start = threading.Barrier(20)

    def send(op: str, uid: str) -> int:
        own = ReplayClient(app.test_client(), TOKEN_A)   # a Flask test client per thread
        start.wait(timeout=10)
        body = patch_op({"op": op, "path": "members", "value": [{"value": uid}]} if op == "Add"
                        else {"op": op, "path": f"members[value eq \"{uid}\"]"})
        return own.patch(f"/Groups/{gid}", json=body).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(lambda u: send("Add", u), users)) == [204] * 20
    assert member_ids(idp, gid) == sorted(users)

    start = threading.Barrier(10)
    with ThreadPoolExecutor(max_workers=10) as pool:
        assert list(pool.map(lambda u: send("remove", u), users[:10])) == [204] * 10
    assert member_ids(idp, gid) == sorted(users[10:])


def test_E_17_pagination(idp):
    ids = {make_user(idp)["id"] for _ in range(11)}
    seen = []
    for p in range(3):
        body = idp.get(f"/Users?startIndex={5 * p + 1}&count=5").get_json()
        assert body["startIndex"] == 5 * p + 1
        assert body["itemsPerPage"] == len(body["Resources"]) <= 5
        assert body["totalResults"] == 11
        seen += [u["id"] for u in body["Resources"]]
    assert len(seen) == len(set(seen)) == 11
    assert set(seen) == ids

    group_ids = {make_group(idp)["id"] for _ in range(6)}
    pages = [idp.get(f"/Groups?startIndex={i}&count=5").get_json() for i in (1, 6)]
    assert [p["totalResults"] for p in pages] == [6, 6]
    assert {g["id"] for p in pages for g in p["Resources"]} == group_ids


def test_E_18_discovery_endpoints(idp):
    schemas = assert_list(idp.get("/Schemas"), 3)
    by_id = {s["id"]: s for s in schemas["Resources"]}
    assert set(by_id) == {USER_URN, GROUP_URN, ENTERPRISE_URN}
    assert by_id[USER_URN]["description"] == "User Account"
    user_name = next(a for a in by_id[USER_URN]["attributes"] if a["name"] == "userName")
    assert user_name["mutability"] == "readWrite" and user_name["uniqueness"] == "server"
    assert_no_nulls(schemas)

    r = idp.get("/ServiceProviderConfig")
    assert r.status_code == 200
    assert r.get_json()["patch"]["supported"] is True and r.get_json()["filter"]["supported"] is True

    resource_types = assert_list(idp.get("/ResourceTypes"), 2)
    assert resource_types["Resources"][0]["endpoint"] == "/Users"

    for path in ("/Schemas", "/ServiceProviderConfig", "/ResourceTypes", "/Users", "/Groups"):
        plain, flagged = idp.get(path), idp.get(f"{path}?aadOptscim062020")
        assert flagged.status_code == plain.status_code == 200
        assert flagged.get_json() == plain.get_json()


def test_E_20_transport(idp, anonymous):
    for content_type in ("application/scim+json; charset=utf-8", "application/json"):
        r = idp.post("/Users", json={"schemas": [USER_URN], "userName": f"ct-{guid()}"},
                     headers={"Content-Type": content_type})
        assert r.status_code == 201, (content_type, r.get_data(as_text=True))
    missing = ReplayClient(anonymous.flask, None).get("/Users")
    assert_scim_error(missing, 401)
    assert_scim_error(ReplayClient(anonymous.flask, "not-a-token").get("/Users"), 401)
