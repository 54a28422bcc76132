"""Property-based fuzzing through the Flask test client, on every backend.

Properties: every answer is 2xx/3xx or a SCIM 4xx error (never 5xx), and a
failed write leaves the resource exactly as it was (meta.version included).
``SCIM_FUZZ_EXAMPLES`` sets the corpus size per property (default 60).
"""
from __future__ import annotations

import os
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scim_service.schema import GROUP_TYPE, RESOURCE_TYPES, USER_TYPE
from tests.robustness import strategies as gen
from tests.robustness.checks import (
    HAS_BULK, LIST_URN, assert_scim_outcome, describe, rich_user_body, send, snapshot, version_of,
)
from tests.support import make_group, make_user

FUZZ = settings(max_examples=int(os.environ.get("SCIM_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Drawn by name: a failing example then prints "User", not the whole schema.
KINDS = st.sampled_from(["User", "Group"])
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


@pytest.fixture
def seeded(client):
    """A rich user, a plain user and a group holding both, shared by every example of a test."""
    rich = make_user(client, **{k: v for k, v in rich_user_body().items() if k != "schemas"})
    plain = make_user(client)
    group = make_group(client, members=[{"value": rich["id"]}, {"value": plain["id"]}])
    return {"rich": rich, "plain": plain, "group": group}


def _fresh(client, rtype) -> tuple[str, dict]:
    """A new resource of ``rtype`` for one example: its path and the placeholder ids."""
    user = make_user(client, **{k: v for k, v in rich_user_body().items() if k != "schemas"})
    ids = {gen.USER_ID: user["id"]}
    if rtype is USER_TYPE:
        return f"/Users/{user['id']}", ids
    group = make_group(client, members=[{"value": user["id"]}])
    ids[gen.GROUP_ID] = group["id"]
    return f"/Groups/{group['id']}", ids


def _check_list(body: dict, max_results: int, what: str) -> None:
    assert LIST_URN in body["schemas"], what
    assert body["itemsPerPage"] == len(body["Resources"]) <= max_results, what
    assert body["totalResults"] >= body["itemsPerPage"], what


@FUZZ
@given(kind=KINDS, text=st.one_of(gen.any_filter(USER_TYPE), gen.any_filter(GROUP_TYPE)), how=st.integers(0, 2))
def test_any_filter_answers_a_list_or_a_scim_error(client, app, seeded, kind, text, how):
    rtype = RESOURCE_TYPES[kind]
    max_results = app.config["SCIM"].max_results
    if how == 0:
        path = f"{rtype.endpoint}?{urllib.parse.urlencode({'filter': text})}"
        response = client.get(path)
        body = None
    else:
        path = f"{rtype.endpoint}/.search" if how == 1 else "/.search"
        body = {"schemas": [gen.SEARCH_URN], "filter": text}
        response = send(client, "POST", path, body)
    what = describe("GET" if how == 0 else "POST", path, body, response)
    result = assert_scim_outcome(response, what)
    if response.status_code == 200:
        _check_list(result, max_results, what)
    else:
        assert response.status_code == 400, what


@FUZZ
@given(kind=KINDS, data=st.data())
def test_search_requests_answer_a_list_or_a_scim_error(client, app, seeded, kind, data):
    rtype = RESOURCE_TYPES[kind]
    request = data.draw(gen.search_requests(rtype))
    max_results = app.config["SCIM"].max_results
    how = data.draw(st.integers(0, 2))
    if how == 0:
        path = f"{rtype.endpoint}?{urllib.parse.urlencode(gen.query_params(request))}"
        response, body = client.get(path), None
    else:
        path = f"{rtype.endpoint}/.search" if how == 1 else "/.search"
        response, body = send(client, "POST", path, request), request
    what = describe("GET" if how == 0 else "POST", path, body, response)
    result = assert_scim_outcome(response, what)
    if response.status_code == 200:
        _check_list(result, max_results, what)


def _write_once(client, kind, data, method, bodies):
    """Send one generated write; a failed one must change nothing. (before, after, answer, what) if it landed."""
    rtype = RESOURCE_TYPES[kind]
    path, ids = _fresh(client, rtype)
    body = gen.fill(data.draw(bodies(rtype)), ids)
    before = snapshot(client, path)
    response = send(client, method, path, body)
    what = describe(method, path, body, response)
    result = assert_scim_outcome(response, what)
    after = snapshot(client, path)
    if response.status_code >= 400:
        assert after == before, f"a failed {method} changed the resource: {what}"
        return None
    return before, after, result, what


@FUZZ
@given(kind=KINDS, data=st.data())
def test_patch_never_fails_the_server_and_a_failed_patch_changes_nothing(client, kind, data):
    written = _write_once(client, kind, data, "PATCH", gen.patch_bodies)
    if written is None:
        return
    before, after, result, what = written
    assert version_of(after) in (version_of(before), version_of(before) + 1), what
    if result is not None:
        assert result == after, f"the PATCH answer differs from a GET after it: {what}"


@FUZZ
@given(kind=KINDS, data=st.data())
def test_put_never_fails_the_server_and_a_failed_put_changes_nothing(client, kind, data):
    written = _write_once(client, kind, data, "PUT", gen.resource_bodies)
    if written is None:
        return
    before, after, result, what = written
    assert version_of(after) == version_of(before) + 1, what
    assert result == after, f"the PUT answer differs from a GET after it: {what}"


@FUZZ
@given(kind=KINDS, data=st.data())
def test_post_never_fails_the_server_and_a_failed_post_creates_nothing(client, seeded, kind, data):
    rtype = RESOURCE_TYPES[kind]
    body = gen.fill(data.draw(gen.resource_bodies(rtype)), {gen.USER_ID: seeded["plain"]["id"]})
    total = client.get(f"{rtype.endpoint}?count=0").get_json()["totalResults"]
    response = send(client, "POST", rtype.endpoint, body)
    what = describe("POST", rtype.endpoint, body, response)
    result = assert_scim_outcome(response, what)
    after = client.get(f"{rtype.endpoint}?count=0").get_json()["totalResults"]
    if response.status_code >= 400:
        assert after == total, f"a failed POST created a resource: {what}"
        return
    assert response.status_code == 201 and after == total + 1, what
    assert result == snapshot(client, f"{rtype.endpoint}/{result['id']}"), what


@FUZZ
@given(kind=KINDS, rid=st.text(min_size=1, max_size=40), method=st.sampled_from(["GET", "PATCH", "PUT", "DELETE"]))
def test_unknown_ids_answer_404(client, kind, rid, method):
    rtype = RESOURCE_TYPES[kind]
    path = f"{rtype.endpoint}/{urllib.parse.quote(rid, safe='')}"
    body = None
    if method == "PUT":
        body = {"userName": "x"} if rtype is USER_TYPE else {"displayName": "x"}
    elif method == "PATCH":
        body = {"schemas": [gen.PATCH_URN], "Operations": [{"op": "remove", "path": "title"}]}
    response = send(client, method, path, body)
    what = describe(method, path, body, response)
    assert_scim_outcome(response, what)
    assert response.status_code in (404, 405), what


@FUZZ
@given(kind=KINDS, method=st.sampled_from(["GET", "PUT", "PATCH", "DELETE", "POST"]), headers=gen.header_sets)
def test_any_request_headers_answer_a_scim_outcome_and_a_failed_write_changes_nothing(client, kind, method, headers):
    rtype = RESOURCE_TYPES[kind]
    path, _ = _fresh(client, rtype)
    name = "userName" if rtype is USER_TYPE else "displayName"
    body = {"PUT": {name: f"renamed-{os.urandom(4).hex()}"},
            "PATCH": {"schemas": [gen.PATCH_URN],
                      "Operations": [{"op": "replace", "path": "externalId", "value": "x"}]},
            "POST": {name: f"new-{os.urandom(4).hex()}"}}.get(method)
    target = rtype.endpoint if method == "POST" else path
    before = snapshot(client, path)
    response = send(client, method, target, body, headers=headers)
    what = describe(method, target, body, response) + f"\n headers {headers!r}"
    assert_scim_outcome(response, what)
    if response.status_code >= 400:
        assert snapshot(client, path) == before, f"a failed {method} changed the resource: {what}"


@pytest.mark.parametrize("etag", ['W/"\u00b2"', '"\u00b9"', 'W/"' + "9" * 5000 + '"'],
                         ids=["weak-superscript-2", "strong-superscript-1", "5000-digits"])
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_an_if_match_with_an_unreadable_version_is_412_not_500(client, etag, method):
    user = make_user(client)
    path = f"/Users/{user['id']}"
    body = {"PUT": {"userName": "renamed"},
            "PATCH": {"schemas": [gen.PATCH_URN], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}}
    response = send(client, method, path, body.get(method), headers={"If-Match": etag})
    assert_scim_outcome(response, describe(method, path, body.get(method), response))
    assert response.status_code == 412
    assert snapshot(client, path) == user


@pytest.mark.skipif(not HAS_BULK, reason="scim_service/blueprints/bulk.py does not exist yet")
@FUZZ
@given(data=st.data())
def test_bulk_requests_answer_a_bulk_response_or_a_scim_error(client, seeded, data):
    ids = {gen.USER_ID: seeded["plain"]["id"], gen.GROUP_ID: seeded["group"]["id"]}
    body = gen.fill(data.draw(gen.bulk_requests()), ids)
    response = send(client, "POST", "/Bulk", body)
    what = describe("POST", "/Bulk", body, response)
    result = assert_scim_outcome(response, what)
    if response.status_code == 200:
        assert "urn:ietf:params:scim:api:messages:2.0:BulkResponse" in result["schemas"], what
        for op in result.get("Operations", []):
            assert int(op["status"]) < 500, f"a Bulk operation failed with a server error: {what}"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_id_holding_a_slash_answers_a_scim_404(client, method):
    user = make_user(client)
    path = f"/Users/%2F{user['id']}"
    body = {"userName": "renamed"} if method == "PUT" else None
    response = send(client, method, path, body)
    assert_scim_outcome(response, describe(method, path, body, response))
    assert response.status_code == 404, describe(method, path, body, response)
