"""POST /Bulk (RFC 7644 §3.7): the RFC examples, bulkId graphs, failOnErrors, limits, and parity with
single-resource requests.

The RFC examples are in tests/fixtures/rfc7644/, as printed except for two repairs: the §3.7.3 PATCH
``data`` (``{[...]}``, not JSON) is given its ``Operations`` key, and the error responses get the comma
missing after ``scimType``. The RFC does not say why Alice's POST fails in its §3.7.3 error examples;
here an empty ``userName`` makes it fail with the same status (400, scimType invalidValue).
"""
from __future__ import annotations

import itertools
import json
import random
import re

import orjson
import pytest

from scim_service import create_app
from tests.conftest import TOKEN_A
from tests.support import SCIM_JSON, ScimClient, assert_scim_error, make_group, make_user, patch_op, rfc_fixture

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def bulk_request(*operations, **extra) -> dict:
    return {"schemas": [BULK], "Operations": list(operations), **extra}


def post_user(bulk_id, user_name, **extra) -> dict:
    return {"method": "POST", "path": "/Users", "bulkId": bulk_id,
            "data": {"schemas": [USER], "userName": user_name, **extra}}


def post_group(bulk_id, name, *member_values) -> dict:
    return {"method": "POST", "path": "/Groups", "bulkId": bulk_id,
            "data": {"schemas": [GROUP], "displayName": name, "members": [{"value": v} for v in member_values]}}


def send(client, body) -> list[dict]:
    r = client.post("/Bulk", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.content_type.startswith(SCIM_JSON)
    response = r.get_json()
    assert response["schemas"] == [BULK_RESPONSE]
    return response["Operations"]


def id_of(entry: dict) -> str:
    return entry["location"].rsplit("/", 1)[1]


def shape(response: dict) -> dict:
    """A BulkResponse without what differs between servers: ids, ETag values, error wording."""
    operations = []
    for entry in response["Operations"]:
        entry = dict(entry)
        if "location" in entry:
            entry["location"] = re.sub(r"^.*/(Users|Groups)/[^/]+$", r"\1/<id>", entry["location"])
        if "version" in entry:
            assert re.fullmatch(r'W/"[^"]+"', entry["version"]), entry
            entry["version"] = "<etag>"
        if "response" in entry:
            entry["response"] = {k: v for k, v in entry["response"].items() if k != "detail"}
        operations.append(entry)
    return {"schemas": response["schemas"], "Operations": operations}


@pytest.fixture
def small_client(app_env):
    """A service whose Bulk limits are 3 operations and 2048 bytes."""
    app = create_app({**app_env, "SCIM_BULK_MAX_OPERATIONS": "3", "SCIM_BULK_MAX_PAYLOAD_BYTES": "2048"})
    yield ScimClient(app.test_client(), TOKEN_A)
    app.extensions["scim_backend"].close()


# --- RFC 7644 §3.7 examples ----------------------------------------------------------------------------
def test_rfc_3_7_2_user_and_group_answer_as_the_rfc_shows(client):
    r = client.post("/Bulk", json=rfc_fixture("rfc7644-3.7.2-bulk_request"))
    assert r.status_code == 200
    assert shape(r.get_json()) == shape(rfc_fixture("rfc7644-3.7.2-bulk_response"))
    alice, guides = r.get_json()["Operations"]
    group = client.get(f"/Groups/{id_of(guides)}").get_json()
    assert group["displayName"] == "Tour Guides"
    assert [(m["value"], m["type"]) for m in group["members"]] == [(id_of(alice), "User")]
    assert client.get(f"/Users/{id_of(alice)}").get_json()["meta"]["version"] == alice["version"]


def test_rfc_3_7_2_group_listed_before_the_user_it_references_still_gets_it(client):
    body = rfc_fixture("rfc7644-3.7.2-bulk_request")
    body["Operations"].reverse()
    guides, alice = send(client, body)     # answered in request order: the group first
    assert (alice["bulkId"], alice["status"], guides["bulkId"], guides["status"]) == ("qwerty", "201", "ytrewq", "201")
    members = client.get(f"/Groups/{id_of(guides)}").get_json()["members"]
    assert [m["value"] for m in members] == [id_of(alice)]


def test_rfc_3_7_2_bulk_id_inside_an_extension_resolves_the_manager(client):
    alice, bob = send(client, rfc_fixture("rfc7644-3.7.2-extension_request"))
    assert (alice["status"], bob["status"]) == ("201", "201")
    enterprise = client.get(f"/Users/{id_of(bob)}").get_json()[ENTERPRISE]
    assert enterprise["employeeNumber"] == "11250"
    assert enterprise["manager"]["value"] == id_of(alice)


RFC_3_7_3_IDS = ("b7c14771-226c-4d05-8860-134711653041",   # PUT: becomes Bob
                 "5d8d29d3-342c-4b5f-8683-a3cb6763ffcc",   # PATCH: loses nickName, becomes Dave
                 "e9025315-6bea-44e1-899c-1e07454e468b")   # DELETE


def rfc_3_7_3(client, *, current_versions: bool, delete_target_exists: bool) -> tuple[dict, list[dict]]:
    """The §3.7.3 request aimed at real users ("ids aside"); with the RFC's (stale) ETags or current ones."""
    users = [make_user(client, "bob-before"), make_user(client, "dave-before", nickName="Davey")]
    if delete_target_exists:
        users.append(make_user(client, "to-delete"))
    text = orjson.dumps(rfc_fixture("rfc7644-3.7.3-bulk_request")).decode()
    for rfc_id, user in zip(RFC_3_7_3_IDS, users):
        text = text.replace(rfc_id, user["id"])
    body = json.loads(text)
    if current_versions:
        for operation, user in zip(body["Operations"][1:], users):
            operation["version"] = user["meta"]["version"]
    return body, users


def test_rfc_3_7_3_request_answers_as_the_rfc_shows(client):
    body, (bob, dave, gone) = rfc_3_7_3(client, current_versions=True, delete_target_exists=True)
    r = client.post("/Bulk", json=body)
    assert r.status_code == 200
    assert shape(r.get_json()) == shape(rfc_fixture("rfc7644-3.7.3-bulk_response"))
    alice_entry, put_entry, patch_entry, _ = r.get_json()["Operations"]
    assert [id_of(e) for e in r.get_json()["Operations"][1:]] == [bob["id"], dave["id"], gone["id"]]
    assert client.get(f"/Users/{id_of(alice_entry)}").get_json()["userName"] == "Alice"
    assert client.get(f"/Users/{bob['id']}").get_json()["userName"] == "Bob"
    dave_now = client.get(f"/Users/{dave['id']}").get_json()
    assert dave_now["userName"] == "Dave" and "nickName" not in dave_now
    assert (put_entry["version"], patch_entry["version"]) == (
        client.get(f"/Users/{bob['id']}").headers["ETag"], dave_now["meta"]["version"])
    assert client.get(f"/Users/{gone['id']}").status_code == 404


def _failing_alice(body: dict) -> dict:
    body["Operations"][0]["data"]["userName"] = ""
    return body


def _expected_failures(fixture: str) -> dict:
    expected = rfc_fixture(fixture)
    expected["Operations"][0]["response"]["scimType"] = "invalidValue"   # see the module docstring
    return shape(expected)


def test_rfc_3_7_3_fail_on_errors_1_stops_at_the_first_error(client):
    body, (bob, dave, gone) = rfc_3_7_3(client, current_versions=True, delete_target_exists=True)
    r = client.post("/Bulk", json=_failing_alice(body))
    assert r.status_code == 200
    assert shape(r.get_json()) == _expected_failures("rfc7644-3.7.3-bulk_response_fail_on_errors")
    for user in (bob, dave, gone):     # nothing after the first error ran
        assert client.get(f"/Users/{user['id']}").get_json() == user


def test_rfc_3_7_3_without_fail_on_errors_every_failure_is_reported(client):
    body, (bob, dave) = rfc_3_7_3(client, current_versions=False, delete_target_exists=False)
    del body["failOnErrors"]
    r = client.post("/Bulk", json=_failing_alice(body))
    assert r.status_code == 200
    assert shape(r.get_json()) == _expected_failures("rfc7644-3.7.3-bulk_response_all_failed")
    assert client.get(f"/Users/{bob['id']}").get_json()["userName"] == "bob-before"
    assert client.get(f"/Users/{dave['id']}").get_json()["nickName"] == "Davey"


def test_rfc_3_7_1_circular_groups_each_fail_with_409_naming_the_cycle(client):
    # §3.7.1 lets a service provider answer 409 instead of untangling the cycle; this one does.
    r = client.post("/Bulk", json=rfc_fixture("rfc7644-3.7.1-circular_request"))
    assert r.status_code == 200
    entries = r.get_json()["Operations"]
    assert len(entries) == 1       # failOnErrors 1: the first error ends the request
    assert (entries[0]["bulkId"], entries[0]["status"]) == ("qwerty", "409")
    detail = entries[0]["response"]["detail"]
    assert "circular" in detail and "bulkId qwerty" in detail and "bulkId ytrewq" in detail
    body = rfc_fixture("rfc7644-3.7.1-circular_request")
    del body["failOnErrors"]
    entries = send(client, body)
    assert [(e["bulkId"], e["status"]) for e in entries] == [("qwerty", "409"), ("ytrewq", "409")]
    assert client.get("/Groups").get_json()["totalResults"] == 0


def test_rfc_3_7_4_a_body_over_max_payload_size_is_413_from_its_content_length(client):
    assert client.get("/ServiceProviderConfig").get_json()["bulk"]["maxPayloadSize"] == 1048576
    big = orjson.dumps(bulk_request(post_user("a", "a", nickName="x" * 1048576)))
    r = client.post("/Bulk", data=big, headers={"Content-Type": SCIM_JSON})
    body = assert_scim_error(r, 413)
    expected = rfc_fixture("rfc7644-3.7.4-payload_too_large")
    assert body["schemas"] == expected["schemas"] and body["status"] == expected["status"]
    assert "maxPayloadSize" in body["detail"] and "1048576" in body["detail"]
    assert client.get("/Users").get_json()["totalResults"] == 0


# --- limits -----------------------------------------------------------------------------------------------
class ChunkedBody:
    """A request body sent without Content-Length, as gunicorn hands it over: ``read(n)`` returns n bytes
    unless the body ends first. Counts what the server pulled from the client."""

    def __init__(self, chunks):
        self.chunks = iter(chunks)
        self.buffer = b""
        self.consumed = 0

    def read(self, size=-1):
        while size < 0 or len(self.buffer) < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.consumed += len(chunk)
            self.buffer += chunk
        out = self.buffer if size < 0 else self.buffer[:size]
        self.buffer = self.buffer[len(out):]
        return out


def send_chunked(client, body: ChunkedBody):
    return client.post("/Bulk", headers={"Content-Type": SCIM_JSON, "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input": body, "wsgi.input_terminated": True})


def test_a_chunked_body_over_the_limit_is_413_without_being_read_to_its_end(small_client):
    endless = ChunkedBody(itertools.chain([b'{"schemas": ["' + BULK.encode() + b'"], "Operations": ['],
                                          itertools.repeat(b" " * 256)))
    body = assert_scim_error(send_chunked(small_client, endless), 413)
    assert "2048" in body["detail"] and "maxPayloadSize" in body["detail"]
    assert endless.consumed <= 2048 + 1 + 256


def test_a_chunked_body_within_the_limit_is_served(small_client):
    raw = orjson.dumps(bulk_request(post_user("a", "chunked")))
    r = send_chunked(small_client, ChunkedBody([raw[:20], raw[20:50], raw[50:]]))
    assert r.status_code == 200
    assert r.get_json()["Operations"][0]["status"] == "201"


def test_a_body_just_under_the_limit_is_not_too_large(small_client):
    operation = post_user("a", "padded", nickName="")
    raw = orjson.dumps(bulk_request(operation))
    operation["data"]["nickName"] = "n" * (2048 - len(raw))
    raw = orjson.dumps(bulk_request(operation))
    assert len(raw) == 2048
    r = small_client.post("/Bulk", data=raw, headers={"Content-Type": SCIM_JSON})
    assert r.status_code == 200 and r.get_json()["Operations"][0]["status"] == "201"
    too_big = raw.replace(b'"n', b'"nn', 1)
    assert_scim_error(small_client.post("/Bulk", data=too_big, headers={"Content-Type": SCIM_JSON}), 413)


def test_more_operations_than_max_operations_is_413_naming_the_limit(small_client):
    body = bulk_request(*(post_user(f"u{i}", f"user{i}") for i in range(4)))
    error = assert_scim_error(small_client.post("/Bulk", json=body), 413)
    assert "4 operations" in error["detail"] and "maxOperations" in error["detail"] and "3" in error["detail"]
    assert small_client.get("/Users").get_json()["totalResults"] == 0
    assert [e["status"] for e in send(small_client, bulk_request(*body["Operations"][:3]))] == ["201"] * 3


def test_service_provider_config_advertises_the_bulk_limits_in_force(small_client, client):
    assert small_client.get("/ServiceProviderConfig").get_json()["bulk"] == {
        "supported": True, "maxOperations": 3, "maxPayloadSize": 2048}
    assert client.get("/ServiceProviderConfig").get_json()["bulk"] == {
        "supported": True, "maxOperations": 100, "maxPayloadSize": 1048576}


# --- the message ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, scim_type, fragment", [
    ({"Operations": []}, "invalidSyntax", "schemas"),
    ({"schemas": [USER], "Operations": []}, "invalidSyntax", BULK),
    ({"schemas": [BULK]}, "invalidSyntax", "Operations"),
    ({"schemas": [BULK], "Operations": {"method": "POST"}}, "invalidSyntax", "Operations"),
    (bulk_request(post_user("a", "a"), "DELETE /Users/x"), "invalidSyntax", "Operations[1]"),
    (bulk_request(post_user("a", "a"), {"path": "/Users/x"}), "invalidSyntax", "Operations[1].method"),
    (bulk_request({"method": "DELETE"}), "invalidSyntax", "Operations[0].path"),
    (bulk_request({"method": "POST", "path": "/Users", "bulkId": "a"}), "invalidSyntax", "Operations[0].data"),
    (bulk_request({"method": "PUT", "path": "/Users/x", "data": [1]}), "invalidSyntax", "Operations[0].data"),
    (bulk_request({"method": "PATCH", "path": "/Users/x", "data": {}, "bulkId": 7}), "invalidSyntax",
     "Operations[0].bulkId"),
    (bulk_request(post_user("a", "a"), {"method": "GET", "path": "/Users/x"}), "invalidValue",
     "Operations[1].method"),
    (bulk_request(post_user("a", "a"), failOnErrors=0), "invalidValue", "failOnErrors"),
    (bulk_request(post_user("a", "a"), failOnErrors="1"), "invalidValue", "failOnErrors"),
    (bulk_request(post_user("a", "a"), failOnErrors=True), "invalidValue", "failOnErrors"),
])
def test_a_malformed_bulk_request_is_400_naming_the_field_and_runs_nothing(client, body, scim_type, fragment):
    error = assert_scim_error(client.post("/Bulk", json=body), 400, scim_type)
    assert fragment in error["detail"]
    assert client.get("/Users").get_json()["totalResults"] == 0


def test_attribute_names_and_methods_are_accepted_in_any_case(client):
    body = {"SCHEMAS": [BULK], "operations": [{"Method": "post", "PATH": "/Users", "bulkid": "a",
                                                "Data": {"userName": "cased"}}], "FailOnErrors": 1}
    [entry] = send(client, body)
    assert (entry["method"], entry["bulkId"], entry["status"]) == ("POST", "a", "201")


def test_a_body_that_is_not_json_or_not_scim_json_is_refused(client):
    assert_scim_error(client.post("/Bulk", data=b"{not json", headers={"Content-Type": SCIM_JSON}),
                      400, "invalidSyntax")
    assert_scim_error(client.post("/Bulk", data=b"<xml/>", headers={"Content-Type": "text/xml"}), 415)
    assert_scim_error(client.post("/Bulk", data=b"[]", headers={"Content-Type": SCIM_JSON}), 400, "invalidSyntax")


def test_bulk_needs_a_token(anonymous):
    assert_scim_error(anonymous.post("/Bulk", json=bulk_request(post_user("a", "a"))), 401)


def test_bulk_acts_only_inside_the_callers_workspace(client, client_b):
    theirs = make_user(client_b, "theirs")
    [entry] = send(client, bulk_request({"method": "DELETE", "path": f"/Users/{theirs['id']}"}))
    assert entry["status"] == "404"
    assert client_b.get(f"/Users/{theirs['id']}").status_code == 200


# --- bulkIds ------------------------------------------------------------------------------------------------
def test_a_duplicate_bulk_id_rejects_the_whole_request_and_runs_nothing(client):
    body = bulk_request(post_user("same", "one"), post_user("other", "two"), post_group("same", "G"))
    error = assert_scim_error(client.post("/Bulk", json=body), 400, "invalidValue")
    assert "'same'" in error["detail"] and "Operations[0], Operations[2]" in error["detail"]
    assert client.get("/Users").get_json()["totalResults"] == 0


def test_an_unknown_bulk_id_fails_only_the_operations_that_use_it(client):
    entries = send(client, bulk_request(
        post_group("g", "G", "bulkId:nobody"),
        {"method": "DELETE", "path": "/Users/bulkId:ghost"},
        post_user("u", "fine")))
    assert [e["status"] for e in entries] == ["400", "400", "201"]
    assert entries[0]["response"]["scimType"] == "invalidValue" and "bulkId:nobody" in entries[0]["response"]["detail"]
    assert "bulkId:ghost" in entries[1]["response"]["detail"] and "location" not in entries[1]


def test_a_reference_to_a_failed_operation_fails_with_409_down_the_chain(client):
    make_user(client, "taken")
    entries = send(client, bulk_request(
        {"method": "PATCH", "path": "/Groups/bulkId:g",
         "data": patch_op({"op": "add", "path": "members", "value": [{"value": "bulkId:u2"}]})},
        post_group("g", "G", "bulkId:u1"),
        post_user("u1", "taken"),
        post_user("u2", "free")))
    assert [e["status"] for e in entries] == ["409", "409", "409", "201"]
    assert entries[2]["response"]["scimType"] == "uniqueness"
    assert "Operations[2]" in entries[1]["response"]["detail"]
    assert "Operations[1]" in entries[0]["response"]["detail"]
    assert client.get("/Groups").get_json()["totalResults"] == 0


def test_longer_cycles_and_self_references_are_409_and_spare_independent_operations(client):
    entries = send(client, bulk_request(
        post_group("a", "A", "bulkId:b"), post_group("b", "B", "bulkId:c"), post_group("c", "C", "bulkId:a"),
        post_user("me", "me", **{ENTERPRISE: {"manager": {"value": "bulkId:me"}}}),
        post_group("d", "D", "bulkId:a"),
        post_user("free", "free")))
    assert [e["status"] for e in entries] == ["409"] * 5 + ["201"]
    assert "Operations[0] (bulkId a) → Operations[1] (bulkId b) → Operations[2] (bulkId c) → Operations[0]" \
        in entries[0]["response"]["detail"]
    assert "Operations[3] (bulkId me) → Operations[3] (bulkId me)" in entries[3]["response"]["detail"]
    assert "circular" in entries[4]["response"]["detail"] and "not attempted" in entries[4]["response"]["detail"]


def test_a_post_without_bulk_id_is_tolerated_and_answered_in_its_place(client):
    entries = send(client, bulk_request({"method": "POST", "path": "/Users", "data": {"userName": "anon"}},
                                        post_user("b", "named")))
    assert "bulkId" not in entries[0] and entries[0]["status"] == "201"
    assert client.get(f"/Users/{id_of(entries[0])}").get_json()["userName"] == "anon"


@pytest.mark.parametrize("seed", range(4))
def test_a_bulk_id_graph_in_any_order_ends_in_the_same_directory(client, seed):
    operations = [
        post_user("ann", "ann"), post_user("ben", "ben"),
        post_user("cat", "cat", **{ENTERPRISE: {"manager": {"value": "bulkId:ann"}}}),
        post_group("devs", "devs", "bulkId:ben", "bulkId:cat"),
        post_group("all", "all", "bulkId:devs", "bulkId:ann"),
        {"method": "PATCH", "path": "/Groups/bulkId:devs",
         "data": patch_op({"op": "remove", "path": 'members[value eq "bulkId:cat"]'})},
        {"method": "PUT", "path": "/Users/bulkId:ben", "data": {"userName": "ben", "title": "lead"}},
    ]
    random.Random(seed).shuffle(operations)
    entries = send(client, bulk_request(*operations))
    assert all(e["status"] in ("200", "201") for e in entries), entries
    ids = {e["bulkId"]: id_of(e) for e in entries if "bulkId" in e}

    def members(group_id):
        return sorted(m["value"] for m in client.get(f"/Groups/{group_id}").get_json().get("members", []))

    assert members(ids["devs"]) == [ids["ben"]]
    assert members(ids["all"]) == sorted([ids["devs"], ids["ann"]])
    assert client.get(f"/Users/{ids['cat']}").get_json()[ENTERPRISE]["manager"]["value"] == ids["ann"]
    assert client.get(f"/Users/{ids['ben']}").get_json()["title"] == "lead"


# --- failOnErrors ---------------------------------------------------------------------------------------------
def test_fail_on_errors_counts_every_kind_of_error_and_leaves_the_rest_unrun(client):
    entries = send(client, bulk_request(
        {"method": "DELETE", "path": "/Users/missing"},          # 404
        post_user("x", "x"),
        {"method": "POST", "path": "/Nowhere", "data": {}},      # invalid path
        post_user("y", "never-created"),
        failOnErrors=2))
    assert [e["status"] for e in entries] == ["404", "201", "400"]
    users = client.get("/Users").get_json()
    assert [u["userName"] for u in users["Resources"]] == ["x"]


# --- paths ------------------------------------------------------------------------------------------------------
def test_a_location_echoed_as_path_or_a_base_path_prefix_is_accepted(client):
    user = make_user(client, "echo")
    entries = send(client, bulk_request(
        {"method": "PATCH", "path": user["meta"]["location"],
         "data": patch_op({"op": "replace", "path": "title", "value": "t1"})},
        {"method": "PATCH", "path": f"/scim/v2/Users/{user['id']}",
         "data": patch_op({"op": "replace", "path": "nickName", "value": "n1"})},
        {"method": "DELETE", "path": f"https://elsewhere.example.com/scim/v2/Users/{user['id']}"}))
    assert [e["status"] for e in entries] == ["200", "200", "400"]
    assert entries[2]["response"]["scimType"] == "invalidPath"
    now = client.get(f"/Users/{user['id']}").get_json()
    assert (now["title"], now["nickName"]) == ("t1", "n1")


# --- a full request ---------------------------------------------------------------------------------------------
def test_a_hundred_operations_of_creates_patches_and_deletes_all_land(client):
    operations = [post_user(f"u{i}", f"user{i}") for i in range(50)]
    operations += [post_group(f"g{g}", f"group{g}", *(f"bulkId:u{10 * g + k}" for k in range(10))) for g in range(5)]
    operations += [{"method": "PATCH", "path": f"/Users/bulkId:u{i}",
                    "data": patch_op({"op": "replace", "path": "title", "value": f"title{i}"},
                                     {"op": "replace", "path": "active", "value": i % 2 == 0})} for i in range(25)]
    operations += [{"method": "PUT", "path": f"/Users/bulkId:u{i}",
                    "data": {"userName": f"user{i}", "displayName": f"Display {i}"}} for i in range(25, 30)]
    operations += [{"method": "PATCH", "path": f"/Groups/bulkId:g{g}",
                    "data": patch_op({"op": "replace", "path": "displayName", "value": f"renamed{g}"})}
                   for g in range(5)]
    operations += [{"method": "DELETE", "path": f"/Users/bulkId:u{i}"} for i in range(40, 50)]
    assert len(operations) == 100
    entries = send(client, bulk_request(*operations))
    assert len(entries) == 100
    expected_status = ["201"] * 55 + ["200"] * 35 + ["204"] * 10
    assert [e["status"] for e in entries] == expected_status, [e for e in entries if "response" in e]
    ids = {e["bulkId"]: id_of(e) for e in entries[:55]}
    for i in range(50):
        r = client.get(f"/Users/{ids[f'u{i}']}")
        if i >= 40:
            assert r.status_code == 404, i
            continue
        user = r.get_json()
        assert user["userName"] == f"user{i}"
        assert user.get("title") == (f"title{i}" if i < 25 else None), i
        assert user["active"] is (i % 2 == 0 if i < 25 else True), i
        assert user.get("displayName") == (f"Display {i}" if 25 <= i < 30 else None), i
    for g in range(5):
        group = client.get(f"/Groups/{ids[f'g{g}']}").get_json()
        assert group["displayName"] == f"renamed{g}"
        expected = sorted(ids[f"u{10 * g + k}"] for k in range(10) if 10 * g + k < 40)
        assert sorted(m["value"] for m in group.get("members", [])) == expected, g


# --- bulk and single requests give the same results ----------------------------------------------------------------
def test_a_duplicate_user_name_fails_with_the_same_409_body_in_bulk_and_alone(client):
    make_user(client, "dup@example.com")
    alone = assert_scim_error(client.post("/Users", json={"schemas": [USER], "userName": "DUP@example.com"}),
                              409, "uniqueness")
    [entry] = send(client, bulk_request(post_user("d", "DUP@example.com")))
    assert entry["status"] == "409" and entry["response"] == alone


def test_a_stale_version_fails_with_the_same_412_body_as_a_stale_if_match(client):
    user = make_user(client, "versioned")
    stale = 'W/"999"'
    alone = assert_scim_error(client.put(f"/Users/{user['id']}", json={"userName": "v2"},
                                         headers={"If-Match": stale}), 412)
    [entry] = send(client, bulk_request({"method": "PUT", "path": f"/Users/{user['id']}", "version": stale,
                                         "data": {"userName": "v2"}}))
    assert entry["status"] == "412" and entry["response"] == alone
    assert entry["location"] == user["meta"]["location"]


@pytest.mark.parametrize("kind, operations", [
    ("user", [{"op": "Replace", "path": "active", "value": "False"},                 # Entra's capitals and strings
              {"op": "Add", "path": 'emails[type eq "work"].value', "value": "w@example.com"},
              {"op": "replace", "value": {"name.givenName": "Given", "title": "T"}}]),
    ("user", [{"op": "remove", "path": "nickName"}, {"op": "add", "value": {"nickName": "again"}}]),
    ("group", [{"op": "add", "path": "members", "value": [{"value": "<member>"}]},
               {"op": "replace", "path": "externalId", "value": "ext-1"}]),
    ("group", [{"op": "remove", "path": "members", "value": [{"value": "<member>"}]}]),
    ("user", [{"op": "frobnicate", "path": "title", "value": "x"}]),                 # an error, both ways
    ("user", [{"op": "replace", "path": "emails[type eq", "value": "x"}]),
])
def test_a_patch_gives_the_same_resource_or_error_in_bulk_and_alone(client, kind, operations):
    member = make_user(client, "member")
    text = orjson.dumps(patch_op(*operations)).decode().replace("<member>", member["id"])
    body = json.loads(text)
    if kind == "user":
        alone_target = make_user(client, "alone", nickName="nick", emails=[{"value": "a@example.com", "type": "work"}])
        bulk_target = make_user(client, "bulk", nickName="nick", emails=[{"value": "a@example.com", "type": "work"}])
        endpoint = "/Users"
    else:
        alone_target = make_group(client, "alone", members=[{"value": member["id"]}])
        bulk_target = make_group(client, "bulk", members=[{"value": member["id"]}])
        endpoint = "/Groups"
    r = client.patch(f"{endpoint}/{alone_target['id']}", json=body)
    [entry] = send(client, bulk_request({"method": "PATCH", "path": f"{endpoint}/{bulk_target['id']}", "data": body}))
    if r.status_code >= 400:
        assert entry["status"] == str(r.status_code) and entry["response"] == r.get_json()
        return
    assert entry["status"] == "200"
    alone_now = client.get(f"{endpoint}/{alone_target['id']}").get_json()
    bulk_now = client.get(f"{endpoint}/{bulk_target['id']}").get_json()
    assert entry["version"] == bulk_now["meta"]["version"] == alone_now["meta"]["version"]
    assert comparable(alone_now) == comparable(bulk_now)


def comparable(resource: dict) -> dict:
    out = {k: v for k, v in resource.items() if k not in ("id", "meta", "userName")}
    if out.get("displayName") in ("alone", "bulk"):
        del out["displayName"]
    return out


def test_a_group_with_an_unknown_member_fails_the_same_way_in_bulk_and_alone(client):
    body = {"schemas": [GROUP], "displayName": "ghosts", "members": [{"value": "no-such-id"}]}
    alone = assert_scim_error(client.post("/Groups", json=body), 400, "invalidValue")
    [entry] = send(client, bulk_request({"method": "POST", "path": "/Groups", "bulkId": "g", "data": body}))
    assert entry["response"] == alone and "location" not in entry
