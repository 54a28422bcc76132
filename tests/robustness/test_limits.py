"""Every limit is a clear 4xx whose detail names the limit; nothing takes super-linear time.

Limits are read from the app's Config (scim_service/config.py) and from the
filter parser, never hard-coded, so the tests follow the configuration.
"""
from __future__ import annotations

import http.client
import io
import json
import time
import urllib.parse

import pytest

from scim_service import create_app
from scim_service.blueprints.activity import MAX_LIMIT as MAX_ACTIVITY_LIMIT
from scim_service.config import load_config
from scim_service.filters.parser import MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_NESTING
from scim_service.service.context import limits_of
from tests.robustness.checks import HAS_BULK, assert_scim_outcome, describe, send, snapshot
from tests.robustness.live import running_server
from tests.support import SCIM_JSON, ScimClient, assert_scim_error, make_group, make_user, patch_op

# A ReDoS guard, not a benchmark: linear work on these inputs takes milliseconds.
QUICK = 1.0
REGEX_METACHARACTERS = "\\^$.|?*+()[]{}"


@pytest.fixture
def limits(app):
    return app.config["SCIM"]


def _filter(client, rtype_path: str, text: str):
    return client.get(f"{rtype_path}?{urllib.parse.urlencode({'filter': text})}")


def _raw_post(client, path: str, data: bytes):
    return client.request("POST", path, data=data, headers={"Content-Type": SCIM_JSON})


# --- request body size ------------------------------------------------------------------------
def _padded_user(size: int) -> bytes:
    """A valid user body of exactly ``size`` bytes (JSON whitespace pads it)."""
    body = json.dumps({"userName": f"padded-{size}@example.com"}).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_a_body_over_the_size_limit_by_content_length_is_413_naming_the_limit(client, limits):
    response = _raw_post(client, "/Users", _padded_user(limits.max_body_bytes + 1))
    body = assert_scim_error(response, 413)
    assert str(limits.max_body_bytes) in body["detail"]


def test_a_body_of_exactly_the_size_limit_is_accepted(client, limits):
    response = _raw_post(client, "/Users", _padded_user(limits.max_body_bytes))
    assert response.status_code == 201, response.get_data(as_text=True)


def _chunked(client, path: str, data: bytes):
    """What gunicorn hands the app for ``Transfer-Encoding: chunked``: no CONTENT_LENGTH, a terminated input."""
    return client.request("POST", path, input_stream=io.BytesIO(data),
                          headers={"Content-Type": SCIM_JSON, "Transfer-Encoding": "chunked"},
                          environ_overrides={"wsgi.input_terminated": True})


def test_a_chunked_body_under_the_limit_is_read_whole(client):
    response = _chunked(client, "/Users", _padded_user(200_000))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_a_chunked_body_over_the_size_limit_is_413_naming_the_limit(client, limits):
    response = _chunked(client, "/Users", _padded_user(limits.max_body_bytes + 1))
    body = assert_scim_error(response, 413)
    assert str(limits.max_body_bytes) in body["detail"]


@pytest.mark.skipif(not HAS_BULK, reason="no Bulk endpoint")
def test_a_bulk_body_over_max_payload_size_is_413_naming_the_limit(client, limits):
    size = limits.bulk_max_payload_bytes + 1
    body = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": []}).encode()
    for send_body in (lambda d: _raw_post(client, "/Bulk", d), lambda d: _chunked(client, "/Bulk", d)):
        response = send_body(body[:-1] + b" " * (size - len(body)) + b"}")
        detail = assert_scim_error(response, 413)["detail"]
        assert str(limits.bulk_max_payload_bytes) in detail


@pytest.mark.skipif(not HAS_BULK, reason="no Bulk endpoint")
def test_a_bulk_request_over_max_operations_is_413_naming_the_limit(client, limits):
    n = limits.bulk_max_operations + 1
    operations = [{"method": "POST", "path": "/Users", "bulkId": f"u{i}", "data": {"userName": f"bulk-{i}"}}
                  for i in range(n)]
    response = client.post("/Bulk", json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                                          "Operations": operations})
    detail = assert_scim_error(response, 413)["detail"]
    assert str(limits.bulk_max_operations) in detail
    assert client.get("/Users?count=0").get_json()["totalResults"] == 0


# --- JSON nesting --------------------------------------------------------------------------------
def _nested_user(depth: int) -> bytes:
    """A user body whose deepest value sits ``depth`` levels down (the body itself is level 1)."""
    inner = "[" * (depth - 1) + "]" * (depth - 1)
    return f'{{"userName": "nested-{depth}", "urn:x:unknown": {inner}}}'.encode()


def test_json_nested_at_the_depth_limit_is_accepted(client, limits):
    response = _raw_post(client, "/Users", _nested_user(limits.max_json_depth))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_json_nested_beyond_the_depth_limit_is_400_naming_the_limit(client, limits):
    response = _raw_post(client, "/Users", _nested_user(limits.max_json_depth + 1))
    body = assert_scim_error(response, 400)
    assert str(limits.max_json_depth) in body["detail"]


def test_a_json_nesting_bomb_is_400_and_the_server_keeps_its_data(tmp_path):
    """orjson before 3.9.15 (CVE-2024-27454) segfaulted here: the worker died with every in-flight request
    and, on the memory backend, all data. Live, because a crash would take the test process down too."""
    bomb = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    with running_server(tmp_path) as server:
        status, _, created = server.request("POST", "/Users", {"userName": "survivor@example.com"})
        assert status == 201, created
        try:
            status, headers, body = server.request("POST", "/Users", bomb, headers={"Content-Type": SCIM_JSON})
        except (ConnectionError, http.client.HTTPException) as exc:
            pytest.fail(f"the server dropped the connection on a nesting bomb: {exc!r}")
        assert status == 400, body
        status, _, still = server.request("GET", f"/Users/{created['id']}")
        assert status == 200, f"the user created before the bomb is gone: {still}"


def test_a_deeply_nested_array_far_beyond_the_limit_is_a_scim_400(client):
    depth = 50_000   # deep enough to overflow a recursive parser's stack, small enough for orjson 3.8
    response = _raw_post(client, "/Users", b"[" * depth + b"]" * depth)
    assert_scim_error(response, 400)


# --- filters -------------------------------------------------------------------------------------
def test_a_filter_of_exactly_the_length_limit_is_accepted(client):
    head = 'userName eq "'
    text = head + "a" * (MAX_FILTER_LENGTH - len(head) - 1) + '"'
    assert len(text) == MAX_FILTER_LENGTH
    assert _filter(client, "/Users", text).status_code == 200


def test_a_filter_over_the_length_limit_is_invalid_filter_naming_the_limit(client):
    text = 'userName eq "' + "a" * MAX_FILTER_LENGTH + '"'
    for response in (_filter(client, "/Users", text),
                     client.post("/Users/.search", json={"filter": text}),
                     client.post("/.search", json={"filter": text})):
        body = assert_scim_error(response, 400, "invalidFilter")
        assert str(MAX_FILTER_LENGTH) in body["detail"]


def test_a_filter_nested_to_the_nesting_limit_is_accepted(client):
    text = "(" * (MAX_FILTER_NESTING - 1) + "userName pr" + ")" * (MAX_FILTER_NESTING - 1)
    assert _filter(client, "/Users", text).status_code == 200
    text = "not (" * (MAX_FILTER_NESTING - 1) + "userName pr" + ")" * (MAX_FILTER_NESTING - 1)
    assert _filter(client, "/Users", text).status_code == 200


@pytest.mark.parametrize("opening", ["(", "not (", "emails[value pr and ("])
def test_a_filter_nested_beyond_the_nesting_limit_is_invalid_filter_naming_the_limit(client, opening):
    depth = MAX_FILTER_NESTING + 1
    closing = {"(": ")", "not (": ")", "emails[value pr and (": ")]"}[opening]
    text = opening + "(" * (depth - 1) + "userName pr" + ")" * (depth - 1) + closing
    body = assert_scim_error(_filter(client, "/Users", text), 400, "invalidFilter")
    assert str(MAX_FILTER_NESTING) in body["detail"]


def test_a_filter_chain_at_the_depth_limit_is_accepted_and_beyond_it_is_invalid_filter(client):
    term = "title pr"
    within = " or ".join([term] * MAX_FILTER_DEPTH)
    beyond = " or ".join([term] * (MAX_FILTER_DEPTH + 1))
    assert len(beyond) <= MAX_FILTER_LENGTH, "the chain must hit the depth limit, not the length limit"
    assert _filter(client, "/Users", within).status_code == 200
    body = assert_scim_error(_filter(client, "/Users", beyond), 400, "invalidFilter")
    assert str(MAX_FILTER_DEPTH) in body["detail"]


# --- PATCH, members, attribute values ---------------------------------------------------------------
def test_a_patch_with_too_many_operations_is_413_naming_the_limit_and_changes_nothing(client, limits):
    user = make_user(client)
    path = f"/Users/{user['id']}"
    before = snapshot(client, path)
    ops = [{"op": "replace", "path": "title", "value": f"t{i}"} for i in range(limits.max_patch_operations + 1)]
    body = assert_scim_error(client.patch(path, json=patch_op(*ops)), 413)
    assert str(limits.max_patch_operations) in body["detail"]
    assert snapshot(client, path) == before


def test_a_patch_with_exactly_the_most_operations_is_applied(client, limits):
    user = make_user(client)
    ops = [{"op": "replace", "path": "title", "value": f"t{i}"} for i in range(limits.max_patch_operations)]
    response = client.patch(f"/Users/{user['id']}", json=patch_op(*ops))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["title"] == f"t{limits.max_patch_operations - 1}"


def _too_many_members(limits) -> list[dict]:
    return [{"value": f"id-{i}"} for i in range(limits.max_members_per_request + 1)]


def test_too_many_members_in_a_post_is_400_naming_the_limit(client, limits):
    response = client.post("/Groups", json={"displayName": "crowd", "members": _too_many_members(limits)})
    body = assert_scim_error(response, 400)
    assert str(limits.max_members_per_request) in body["detail"]
    assert client.get("/Groups?count=0").get_json()["totalResults"] == 0


@pytest.mark.parametrize("how", ["PATCH", "PUT"])
def test_too_many_members_in_a_write_is_400_naming_the_limit_and_changes_nothing(client, limits, how):
    group = make_group(client, members=[{"value": make_user(client)["id"]}])
    path = f"/Groups/{group['id']}"
    before = snapshot(client, path)
    if how == "PATCH":
        response = client.patch(path, json=patch_op({"op": "add", "path": "members",
                                                     "value": _too_many_members(limits)}))
    else:
        response = client.put(path, json={"displayName": group["displayName"], "members": _too_many_members(limits)})
    body = assert_scim_error(response, 400)
    assert str(limits.max_members_per_request) in body["detail"]
    assert snapshot(client, path) == before


def test_exactly_the_most_members_per_request_pass_the_limit_check(client, limits):
    members = [{"value": f"id-{i}"} for i in range(limits.max_members_per_request)]
    response = client.post("/Groups", json={"displayName": "crowd", "members": members})
    detail = assert_scim_error(response, 400)["detail"]
    assert "unknown id" in detail and str(limits.max_members_per_request) not in detail, detail


def test_each_configuration_enforces_its_own_limits():
    """Limits were once cached by id(config): a Config allocated where a freed one lived inherited its limits."""
    for _ in range(50):
        default = load_config({})
        limits_of(default)
        del default
        small = load_config({"SCIM_MAX_MEMBERS_PER_REQUEST": "4", "SCIM_MAX_STRING_LENGTH": "16"})
        assert (limits_of(small).max_members, limits_of(small).max_string_length) == (4, 16)


@pytest.fixture
def small_client(app_env):
    """An app with small limits, so the boundaries can be reached with a handful of resources."""
    app = create_app({**app_env, "SCIM_MAX_RESULTS": "3", "SCIM_DEFAULT_COUNT": "2",
                      "SCIM_MAX_MEMBERS_PER_REQUEST": "4"})
    yield ScimClient(app.test_client(), "token-workspace-a")
    app.extensions["scim_backend"].close()


def test_exactly_the_most_members_per_request_are_accepted_and_one_more_is_not(small_client):
    ids = [make_user(small_client)["id"] for _ in range(5)]
    group = make_group(small_client, members=[{"value": i} for i in ids[:4]])
    assert {m["value"] for m in group["members"]} == set(ids[:4])
    path = f"/Groups/{group['id']}"
    before = snapshot(small_client, path)
    response = small_client.put(path, json={"displayName": group["displayName"],
                                            "members": [{"value": i} for i in ids]})
    assert "at most 4" in assert_scim_error(response, 400)["detail"]
    assert snapshot(small_client, path) == before


@pytest.mark.parametrize("count", ["4", "1000", "2147483648"])
def test_count_is_capped_at_max_results_without_an_error(small_client, count):
    for _ in range(5):
        make_user(small_client)
    assert small_client.get("/ServiceProviderConfig").get_json()["filter"]["maxResults"] == 3
    for response in (small_client.get(f"/Users?count={count}"),
                     small_client.post("/Users/.search", json={"count": int(count)}),
                     small_client.post("/.search", json={"count": int(count)}),
                     small_client.get(f"/Users?count={count}&cursor=")):
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body["totalResults"] == 5
        assert body["itemsPerPage"] == len(body["Resources"]) == 3


def test_without_count_the_default_page_size_applies(small_client):
    for _ in range(3):
        make_user(small_client)
    assert small_client.get("/Users").get_json()["itemsPerPage"] == 2


def test_start_index_beyond_64_bits_is_a_scim_answer(client):
    make_user(client)
    huge = 2 ** 70
    for response in (client.get(f"/Users?startIndex={huge}"), client.get(f"/Users?count={huge}"),
                     send(client, "POST", "/Users/.search", {"startIndex": huge}),
                     send(client, "POST", "/.search", {"startIndex": huge})):
        assert_scim_outcome(response, describe("GET/POST", "startIndex", huge, response))
        assert response.status_code in (200, 400)


def test_a_string_at_the_length_limit_is_accepted_and_beyond_it_is_400_naming_the_limit(client, limits):
    n = limits.max_string_length
    ok = client.post("/Users", json={"userName": "u" * n})
    assert ok.status_code == 201, ok.get_data(as_text=True)[:300]
    for body in ({"userName": "v" * (n + 1)},
                 {"userName": "w@example.com", "name": {"givenName": "g" * (n + 1)}},
                 {"userName": "x@example.com", "emails": [{"value": "e" * (n + 1)}]},
                 {"userName": "y@example.com",
                  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "d" * (n + 1)}}):
        detail = assert_scim_error(client.post("/Users", json=body), 400)["detail"]
        assert str(n) in detail


def test_a_patch_value_beyond_the_string_limit_is_400_and_changes_nothing(client, limits):
    user = make_user(client)
    path = f"/Users/{user['id']}"
    before = snapshot(client, path)
    too_long = "t" * (limits.max_string_length + 1)
    for op in ({"op": "replace", "path": "title", "value": too_long},
               {"op": "add", "value": {"nickName": too_long}},
               {"op": "add", "path": 'emails[type eq "work"].value', "value": too_long}):
        detail = assert_scim_error(client.patch(path, json=patch_op(op)), 400)["detail"]
        assert str(limits.max_string_length) in detail
    assert snapshot(client, path) == before


def test_multi_valued_attributes_accept_the_most_values_and_refuse_one_more(client, limits):
    n = limits.max_multi_values
    emails = [{"value": f"e{i}@example.com"} for i in range(n)]
    ok = client.post("/Users", json={"userName": "many@example.com", "emails": emails})
    assert ok.status_code == 201, ok.get_data(as_text=True)[:300]
    detail = assert_scim_error(client.post("/Users", json={
        "userName": "toomany@example.com", "emails": emails + [{"value": "one-more@example.com"}]}), 400)["detail"]
    assert str(n) in detail
    path = f"/Users/{ok.get_json()['id']}"
    before = snapshot(client, path)
    response = client.patch(path, json=patch_op({"op": "add", "path": "emails", "value": [{"value": "x@example.com"}]}))
    assert str(n) in assert_scim_error(response, 400)["detail"]
    assert snapshot(client, path) == before


@pytest.mark.parametrize("limit", ["0", "-1", str(MAX_ACTIVITY_LIMIT + 1), "abc", "", "1.5", " 7",
                                   pytest.param("%C2%B2", id="superscript-2"),
                                   pytest.param("9" * 5000, id="5000-digits")])
def test_an_activity_limit_outside_1_to_the_maximum_is_400(client, limit):
    body = assert_scim_error(client.get(f"/admin/activity?limit={limit}"), 400)
    assert str(MAX_ACTIVITY_LIMIT) in body["detail"]


# --- no super-linear time -----------------------------------------------------------------------------
def _timed(call):
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def test_a_filter_of_regex_metacharacters_is_answered_quickly(client):
    make_user(client, displayName=REGEX_METACHARACTERS * 10)
    junk = (REGEX_METACHARACTERS * 300)[:4000]
    quoted = json.dumps(junk[:3600])   # JSON doubles each backslash: the literal stays within the length limit
    for text in (f"displayName co {quoted}", f"displayName sw {quoted}", f"emails[value ew {quoted}]", junk,
                 "(" * 2000 + ")" * 2000, "not (" * 800, '"' * 4000, "a" * 4000 + " eq 1"):
        response, elapsed = _timed(lambda: _filter(client, "/Users", text))
        assert_scim_outcome(response, text[:80])
        assert elapsed < QUICK, f"{elapsed:.2f}s for a {len(text)}-character filter starting {text[:40]!r}"


@pytest.mark.parametrize("op", ["co", "sw", "ew", "eq", "gt"])
def test_substring_filters_against_long_values_are_answered_quickly(client, op):
    long_value = "a" * 60_000
    for i in range(5):
        make_user(client, f"{long_value}{i}", displayName=long_value,
                  emails=[{"value": f"{long_value}{i}@example.com"}])
    needle = "a" * 3_900 + "b"   # the worst case for a backtracking matcher: fails at the last character
    for text in (f'userName {op} "{needle}"', f'displayName {op} "{needle}"', f'emails[value {op} "{needle}"]'):
        response, elapsed = _timed(lambda: _filter(client, "/Users", text))
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.get_json()["totalResults"] == 0
        assert elapsed < QUICK, f"{elapsed:.2f}s for {text[:30]}... against 60,000-character values"
