"""Parallel writes through a live gunicorn server (8 threads): no lost update, no 5xx.

One server per backend for the whole module; every test makes its own resources.
"""
from __future__ import annotations

import urllib.parse
import uuid

import pytest

from scim_service.schema import USER_TYPE
from tests.robustness.checks import version_of
from tests.robustness.live import BACKENDS, in_parallel, running_server
from tests.support import make_group, make_user, patch_op

@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory):
    with running_server(tmp_path_factory.mktemp(f"server-{request.param}"), request.param) as live:
        yield live


def _ok(result, what: str):
    """A (status, headers, body) answer that must be 2xx."""
    assert not isinstance(result, Exception), f"{what}: {result!r}"
    assert 200 <= result[0] < 300, f"{what}: {result[0]} {result[2]}"
    return result


def _create_user(server, **extra) -> dict:
    status, _, body = server.request("POST", "/Users", {"userName": f"c-{uuid.uuid4().hex[:12]}", **extra})
    assert status == 201, body
    return body


def _get(server, path: str) -> dict:
    status, _, body = server.request("GET", path)
    assert status == 200, body
    return body


def test_parallel_member_adds_then_removes_leave_the_exact_membership(server):
    status, _, group = server.request("POST", "/Groups", {"displayName": f"crowd-{uuid.uuid4().hex[:8]}"})
    assert status == 201, group
    users = in_parallel([lambda: _create_user(server) for _ in range(60)])
    ids = [u["id"] for u in users]
    path = f"/Groups/{group['id']}"

    adds = in_parallel([
        (lambda uid=uid: server.request("PATCH", path, patch_op({"op": "add", "path": "members",
                                                                "value": [{"value": uid}]})))
        for uid in ids])
    for uid, result in zip(ids, adds):
        _ok(result, f"add {uid}")
    after_adds = _get(server, path)
    assert {m["value"] for m in after_adds.get("members", [])} == set(ids)

    removed, kept = ids[::2], ids[1::2]
    removes = in_parallel([
        (lambda uid=uid: server.request("PATCH", path, patch_op(
            {"op": "remove", "path": f'members[value eq "{uid}"]'})))
        for uid in removed])
    for uid, result in zip(removed, removes):
        _ok(result, f"remove {uid}")
    final = _get(server, path)
    assert {m["value"] for m in final.get("members", [])} == set(kept)
    # Every membership change is its own write: one version each, none lost.
    assert version_of(final) == 1 + len(ids) + len(removed)
    for uid in removed:
        assert not _get(server, f"/Users/{uid}").get("groups")
    assert [g["value"] for g in _get(server, f"/Users/{kept[0]}")["groups"]] == [group["id"]]


def test_parallel_creates_of_one_user_name_give_one_201_and_409s(server):
    name = f"Race.{uuid.uuid4().hex[:10]}@Example.com"
    # The same name in different letter cases: userName is case-insensitive (caseExact false).
    names = [name if i % 2 else name.swapcase() for i in range(30)]
    results = in_parallel([(lambda n=n: server.request("POST", "/Users", {"userName": n})) for n in names])
    for result in results:
        assert not isinstance(result, Exception), repr(result)
    statuses = sorted(r[0] for r in results)
    assert statuses.count(201) == 1, statuses
    conflicts = [r for r in results if r[0] != 201]
    assert all(r[0] == 409 and r[2]["scimType"] == "uniqueness" for r in conflicts), conflicts[:3]
    found = _get(server, "/Users?filter=" + urllib.parse.quote(f"userName eq \"{name}\""))
    assert found["totalResults"] == 1


def test_parallel_writes_without_if_match_all_land_one_version_each(server):
    user = _create_user(server, displayName="start")
    path = f"/Users/{user['id']}"
    calls, written = [], []
    for i in range(24):
        value = f"{'patch' if i % 2 else 'put'}-{i}"
        written.append(value)
        if i % 2:
            calls.append(lambda v=value: server.request("PATCH", path, patch_op(
                {"op": "replace", "path": "displayName", "value": v})))
        else:
            calls.append(lambda v=value: server.request("PUT", path, {"userName": user["userName"], "displayName": v}))
    results = in_parallel(calls)
    for result in results:
        assert not isinstance(result, Exception), repr(result)
        assert result[0] < 500, result
        assert result[0] in (200, 412), result   # 412: the server gave up retrying a hot resource
    succeeded = [r for r in results if r[0] == 200]
    assert succeeded, "no write succeeded"
    final = _get(server, path)
    assert final["displayName"] in {r[2]["displayName"] for r in succeeded}
    assert version_of(final) == version_of(user) + len(succeeded)
    # Each success saw its own version: the writes were serialised, none overwrote another unseen.
    assert sorted(version_of(r[2]) for r in succeeded) == list(range(2, 2 + len(succeeded)))


@pytest.mark.parametrize("method", ["PATCH", "PUT", "mixed"])
def test_parallel_writes_with_the_same_if_match_let_exactly_one_through(server, method):
    user = _create_user(server, displayName="start")
    path = f"/Users/{user['id']}"
    etag = user["meta"]["version"]
    calls = []
    for i in range(20):
        kind = method if method != "mixed" else ("PATCH" if i % 2 else "PUT")
        body = (patch_op({"op": "replace", "path": "displayName", "value": f"w-{i}"}) if kind == "PATCH"
                else {"userName": user["userName"], "displayName": f"w-{i}"})
        calls.append(lambda k=kind, b=body: server.request(k, path, b, headers={"If-Match": etag}))
    results = in_parallel(calls)
    for result in results:
        assert not isinstance(result, Exception), repr(result)
    statuses = sorted(r[0] for r in results)
    assert statuses.count(200) == 1 and statuses.count(412) == len(results) - 1, statuses
    winner = next(r for r in results if r[0] == 200)
    final = _get(server, path)
    assert final["displayName"] == winner[2]["displayName"]
    assert version_of(final) == version_of(user) + 1


def test_parallel_deletes_of_one_user_give_one_204(server):
    user = _create_user(server)
    results = in_parallel([lambda: server.request("DELETE", f"/Users/{user['id']}") for _ in range(10)])
    statuses = sorted(r[0] for r in results)
    assert statuses.count(204) == 1 and statuses.count(404) == 9, statuses


def test_a_member_deleted_while_being_added_does_not_linger_in_the_group(app, client, monkeypatch):
    """The interleaving a live race produces, made deterministic: the delete lands inside the add."""
    backend = app.extensions["scim_backend"]
    group, user = make_group(client), make_user(client)
    checked = backend.existing_ids

    def delete_right_after_the_check(workspace, ids):
        found = checked(workspace, ids)
        backend.delete(workspace, USER_TYPE, user["id"])   # a concurrent DELETE /Users/{id} wins the race here
        return found

    monkeypatch.setattr(backend, "existing_ids", delete_right_after_the_check)
    client.patch(f"/Groups/{group['id']}", json=patch_op({"op": "add", "path": "members",
                                                          "value": [{"value": user["id"]}]}))
    monkeypatch.undo()
    assert client.get(f"/Users/{user['id']}").status_code == 404
    members = client.get(f"/Groups/{group['id']}").get_json().get("members", [])
    assert user["id"] not in [m["value"] for m in members], "the group lists a deleted user"
