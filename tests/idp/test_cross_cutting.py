"""Negative and robustness scenarios every IdP relies on (idp-scenarios.md §D, X-1..X-5)."""
from __future__ import annotations

from tests.idp.replay import ENTERPRISE_URN, USER_URN, ReplayClient, assert_list, guid
from tests.support import SCIM_JSON, assert_scim_error, make_group, make_user, patch_op


def test_X_1_authentication(idp, anonymous):
    query = '/Users?filter=userName eq "x"'
    for token, header in ((None, {"Authorization": "non-token"}), (None, {}), ("wrong-bearer", {})):
        r = ReplayClient(anonymous.flask, token).get(query, headers=header)
        body = assert_scim_error(r, 401)
        assert body["status"] == "401" and body["detail"]


def test_X_2_unknown_id(idp):
    unknown = guid()
    assert_scim_error(idp.get("/Users/010101001010101011001010101011"), 404)
    assert_scim_error(idp.get("/Users/00919288221112222"), 404)
    assert_scim_error(idp.get(f"/Groups/{guid()}"), 404)
    assert_scim_error(idp.patch(f"/Users/{unknown}",
                                json=patch_op({"op": "replace", "path": "active", "value": False})), 404)
    assert_scim_error(idp.put(f"/Users/{unknown}", json={"schemas": [USER_URN], "userName": "put-creates"}), 404)
    assert_scim_error(idp.get(f"/Users/{unknown}"), 404)
    assert_list(idp.get('/Users?filter=userName eq "put-creates"'), 0)


def test_X_3_malformed_input(idp):
    r = idp.request("POST", "/Users", data=b'{"userName": "half', headers={"Content-Type": SCIM_JSON})
    assert_scim_error(r, 400, "invalidSyntax")
    assert "userName" in assert_scim_error(idp.post("/Users", json={"schemas": [USER_URN], "displayName": "x"}),
                                           400, "invalidValue")["detail"]
    uid = make_user(idp)["id"]
    r = idp.patch(f"/Users/{uid}", json=patch_op({"op": "move", "path": "userName", "value": "x"}))
    assert "move" in assert_scim_error(r, 400, "invalidSyntax")["detail"]
    r = idp.patch(f"/Users/{uid}", json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]})
    assert "Operations" in assert_scim_error(r, 400, "invalidSyntax")["detail"]
    assert_scim_error(idp.get("/Users?filter=userName eq"), 400, "invalidFilter")


def test_X_4_filter_grammar_coverage(idp):
    mid = make_user(idp, "manager@example.net")["id"]
    employees = [make_user(idp, f"Emp{i}@example.net", name={"familyName": "Employee"},
                           emails=[{"type": "work", "value": f"emp{i}@{domain}", "primary": True}])
                 for i, domain in enumerate(("example.com", "example.org", "example.com", "example.org"))]
    make_user(idp, "Other@example.net", name={"familyName": "Employee"},
              emails=[{"type": "work", "value": "other@example.net"}])
    managed = make_user(idp, "Owen@example.net", **{ENTERPRISE_URN: {"manager": {"value": mid}}},
                        emails=[{"type": "home", "value": "a@b.c", "primary": True}])

    def total(flt: str) -> int:
        r = idp.get(f"/Users?filter={flt}")
        assert r.status_code == 200, (flt, r.get_data(as_text=True))
        return r.get_json()["totalResults"]

    assert total("name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)") == 4
    assert total('userName sw "O"') == 2
    assert total('meta.Created gt "2015-10-10T14:38:21.8617979-07:00"') == 7
    assert total("meta.Created gt 2015-10-10T14:38:21.8617979-07:00") == 7
    assert total(f'emails[type eq "work"].value eq "{employees[0]["emails"][0]["value"]}"') == 1
    assert total('emails[type eq "work"].value eq "a@b.c"') == 0
    assert total('emails[primary eq true].value eq "a@b.c"') == 1
    assert total('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "owen@example.net"') == 1
    assert total(f'id eq "{managed["id"]}" and manager eq "{mid}"') == 1
    assert total(f'id eq "{employees[0]["id"]}" and manager eq "{mid}"') == 0
    assert "shoeSize" in assert_scim_error(idp.get('/Users?filter=shoeSize eq "9"'), 400, "invalidFilter")["detail"]


def test_X_5_attributes_and_excluded_attributes(idp):
    with_email = make_user(idp, emails=[{"type": "work", "value": "w@example.com"}], displayName="Not asked for")
    without = make_user(idp, title="No Emails")
    body = assert_list(idp.get("/Users?attributes=userName,emails"), 2)
    by_id = {r["id"]: r for r in body["Resources"]}
    assert by_id[with_email["id"]] == {"schemas": [USER_URN], "id": with_email["id"],
                                       "userName": with_email["userName"], "emails": with_email["emails"]}
    assert by_id[without["id"]] == {"schemas": [USER_URN], "id": without["id"], "userName": without["userName"]}

    r = idp.get('/Users?attributes=emails[type eq "work"]')
    assert r.status_code == 200
    assert [e["value"] for res in r.get_json()["Resources"] for e in res.get("emails", [])] == ["w@example.com"]

    gid = make_group(idp, members=[{"value": make_user(idp)["id"]}])["id"]
    r = idp.get(f"/Groups/{gid}?excludedAttributes=members")
    assert r.status_code == 200 and "members" not in r.get_json()
    assert "members" in idp.get(f"/Groups/{gid}").get_json()
