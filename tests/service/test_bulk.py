"""scim_service.service.bulk: paths, bulkId references, dependency order, cycles, and running a request."""
from __future__ import annotations

import random

import pytest

from scim_service.errors import InvalidPath, InvalidValue
from scim_service.schema import GROUP_TYPE, USER_TYPE
from scim_service.service import bulk
from scim_service.service.bulk import BulkOperation, BulkRequest
from scim_service.service.context import Context

BASE = "https://scim.example.com/scim/v2"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def ctx(app):
    return Context(app.extensions["scim_backend"], app.config["SCIM"], "a", "test-token", BASE)


def op(index, method, path, bulk_id=None, data=None, version=None) -> BulkOperation:
    return BulkOperation(index, method, path, bulk_id, version, data)


def post_user(index, bulk_id, user_name, **extra) -> BulkOperation:
    return op(index, "POST", "/Users", bulk_id, {"schemas": [USER], "userName": user_name, **extra})


def post_group(index, bulk_id, name, *member_refs) -> BulkOperation:
    return op(index, "POST", "/Groups", bulk_id,
              {"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in member_refs]})


# --- paths -------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/Users/abc", "Users/abc", f"{BASE}/Users/abc", "http://SCIM.example.com/scim/v2/Users/abc",
    "/scim/v2/Users/abc", "/Users/abc/",
])
def test_paths_relative_to_the_base_or_under_it_name_the_resource(path):
    target = bulk.parse_target(_ctx(), op(0, "PUT", path))
    assert (target.rtype, target.rid) == (USER_TYPE, "abc")


def test_a_percent_encoded_id_is_decoded_as_a_url_path_would_be():
    assert bulk.parse_target(_ctx(), op(0, "DELETE", "/Groups/a%20b")).rid == "a b"


def test_post_targets_the_collection():
    target = bulk.parse_target(_ctx(), op(0, "POST", "/Groups"))
    assert (target.rtype, target.rid) == (GROUP_TYPE, None)


@pytest.mark.parametrize("method, path, hint", [
    ("POST", "/Users/abc", "/Users"),
    ("PUT", "/Users", "/Users/{id}"),
    ("DELETE", "/Groups/", "/Groups/{id}"),
    ("PATCH", "/Schemas/x", "/Users/{id}"),
    ("PATCH", "/Users/abc/groups", "/Users/{id}"),
    ("DELETE", "https://other.example.com/scim/v2/Users/abc", "another server"),
    ("POST", "/users", "/Users"),
])
def test_paths_outside_users_and_groups_are_invalid_paths_that_say_what_fits(method, path, hint):
    with pytest.raises(InvalidPath) as caught:
        bulk.parse_target(_ctx(), op(3, method, path))
    assert "Operations[3]" in caught.value.detail and hint in caught.value.detail


def _ctx():
    return Context(None, None, "a", "t", BASE)


# --- references ---------------------------------------------------------------------------------
def test_references_are_found_anywhere_in_data_including_quoted_in_a_value_filter():
    data = {"members": [{"value": "bulkId:u1"}, {"value": "real-id"}],
            "urn:x": {"manager": {"value": "bulkId:boss"}},
            "Operations": [{"op": "remove", "path": 'members[value eq "bulkId:u2"]'}],
            "nickName": "not bulkId:x", "count": 3}
    assert sorted(bulk.references(data)) == ["boss", "u1", "u2"]


def test_substitute_replaces_every_reference_and_leaves_the_rest_alone():
    data = {"members": [{"value": "bulkId:u1"}, {"value": "real-id"}],
            "Operations": [{"path": 'members[value eq "bulkId:u1"]', "value": ["bulkId:u2"]}], "active": True}
    assert bulk.substitute(data, {"u1": "id-1", "u2": "id-2"}) == {
        "members": [{"value": "id-1"}, {"value": "real-id"}],
        "Operations": [{"path": 'members[value eq "id-1"]', "value": ["id-2"]}], "active": True}


def test_a_repeated_bulk_id_names_every_operation_that_uses_it():
    ops = [post_user(0, "x", "a"), post_user(1, "y", "b"), op(2, "DELETE", "/Users/q", "x")]
    with pytest.raises(InvalidValue) as caught:
        bulk.check_unique_bulk_ids(ops)
    assert "'x'" in caught.value.detail and "Operations[0], Operations[2]" in caught.value.detail


# --- order and cycles -------------------------------------------------------------------------------
def test_dependencies_run_first_and_independent_operations_keep_request_order(ctx):
    ops = [post_group(0, "g", "G", "bulkId:u2", "bulkId:u1"),
           post_user(1, "u1", "one"),
           op(2, "DELETE", "/Users/someone"),
           post_user(3, "u2", "two"),
           op(4, "PATCH", "/Users/bulkId:u1", data={"Operations": [{"op": "add", "path": "title", "value": "t"}]})]
    order, cycles = bulk.execution_order(bulk.plan(ctx, ops))
    assert order == [1, 2, 3, 0, 4]
    assert cycles == {}


def test_cycles_are_found_with_their_chain_and_their_dependents_are_not_in_them(ctx):
    ops = [post_group(0, "a", "A", "bulkId:b"),
           post_group(1, "b", "B", "bulkId:c"),
           post_group(2, "c", "C", "bulkId:a"),
           post_group(3, "d", "D", "bulkId:a"),          # depends on the cycle, is not part of it
           post_user(4, "self", "me", **{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                                          {"manager": {"value": "bulkId:self"}}}),
           post_user(5, "free", "free")]
    order, cycles = bulk.execution_order(bulk.plan(ctx, ops))
    assert order == [5, 0, 1, 2, 3, 4]
    assert cycles == {0: [0, 1, 2, 0], 1: [1, 2, 0, 1], 2: [2, 0, 1, 2], 4: [4, 4]}


def _reaches(edges, start, goal) -> bool:
    seen, todo = set(), list(edges[start])
    while todo:
        v = todo.pop()
        if v == goal:
            return True
        if v not in seen:
            seen.add(v)
            todo.extend(edges[v])
    return False


def test_find_cycles_reports_exactly_the_operations_that_reach_themselves_with_a_real_cycle():
    rng = random.Random(7644)
    for _ in range(300):
        n = rng.randint(1, 8)
        edges = {v: {w: f"b{w}" for w in range(n) if rng.random() < 0.25} for v in range(n)}
        cycles = bulk.find_cycles(edges)
        assert set(cycles) == {v for v in edges if _reaches(edges, v, v)}, edges
        for v, chain in cycles.items():
            assert chain[0] == chain[-1] == v
            assert all(b in edges[a] for a, b in zip(chain, chain[1:])), (edges, chain)


def test_a_ring_of_thousands_of_operations_is_one_cycle_without_hitting_the_recursion_limit():
    n = 5000
    edges = {v: {(v + 1) % n: f"b{(v + 1) % n}"} for v in range(n)}
    edges.update({n + v: {v: f"b{v}"} for v in range(n)})      # a dependent hanging off each member
    cycles = bulk.find_cycles(edges)
    assert sorted(cycles) == list(range(n))
    assert cycles[7][:3] == [7, 8, 9] and len(cycles[7]) == n + 1


def test_only_post_bulk_ids_can_be_referenced(ctx):
    ops = [op(0, "PUT", "/Users/x", "p", {"userName": "x"}), post_group(1, "g", "G", "bulkId:p")]
    plans = bulk.plan(ctx, ops)
    assert isinstance(plans[1].error, InvalidValue) and "bulkId:p" in plans[1].error.detail


# --- running against a backend ------------------------------------------------------------------------
def _statuses(response) -> list[tuple]:
    return [(e["method"], e.get("bulkId"), e["status"]) for e in response["Operations"]]


def test_a_group_listed_before_its_members_gets_their_new_ids(ctx):
    ops = [post_group(0, "g", "Team", "bulkId:u1", "bulkId:u2"), post_user(1, "u1", "ann"), post_user(2, "u2", "ben")]
    response = bulk.execute(ctx, BulkRequest(ops))
    assert _statuses(response) == [("POST", "g", "201"), ("POST", "u1", "201"), ("POST", "u2", "201")]
    group_id, *user_ids = (e["location"].rsplit("/", 1)[1] for e in response["Operations"])
    assert sorted(m.value for m in ctx.backend.members("a", group_id)) == sorted(user_ids)


def test_a_failed_operation_fails_its_dependents_transitively_and_spares_the_others(ctx):
    bulk.execute(ctx, BulkRequest([post_user(0, "first", "taken")]))
    ops = [post_user(0, "u", "TAKEN"),                                  # uniqueness: 409
           post_group(1, "g", "G", "bulkId:u"),                         # references the failed user
           op(2, "PATCH", "/Groups/bulkId:g", data={"Operations": [{"op": "replace", "path": "displayName",
                                                                    "value": "H"}]}),
           post_user(3, "ok", "fine")]
    entries = bulk.execute(ctx, BulkRequest(ops))["Operations"]
    assert [e["status"] for e in entries] == ["409", "409", "409", "201"]
    assert entries[0]["response"]["scimType"] == "uniqueness"
    assert "bulkId:u" in entries[1]["response"]["detail"] and "Operations[0]" in entries[1]["response"]["detail"]
    assert "bulkId:g" in entries[2]["response"]["detail"] and "Operations[1]" in entries[2]["response"]["detail"]
    assert "location" not in entries[2]      # the group it would have patched never existed


def test_fail_on_errors_stops_after_that_many_errors_and_reports_only_what_ran(ctx):
    ops = [op(0, "DELETE", "/Users/missing-1"), post_user(1, "u", "runs"), op(2, "DELETE", "/Users/missing-2"),
           post_user(3, "v", "never")]
    response = bulk.execute(ctx, BulkRequest(ops, fail_on_errors=2))
    assert _statuses(response) == [("DELETE", None, "404"), ("POST", "u", "201"), ("DELETE", None, "404")]
    names = {e["name"] for e in ctx.backend.activity("a") if e["operation"] == "create"}
    assert names == {"runs"}


def test_each_operation_records_the_same_activity_as_a_single_request(ctx):
    response = bulk.execute(ctx, BulkRequest([
        post_user(0, "u", "carol"),
        op(1, "PATCH", "/Users/bulkId:u", data={"Operations": [{"op": "replace", "path": "active", "value": False}]}),
        op(2, "DELETE", "/Users/bulkId:u")]))
    assert [e["status"] for e in response["Operations"]] == ["201", "200", "204"]
    user_id = response["Operations"][0]["location"].rsplit("/", 1)[1]
    log = [(e["operation"], e["resourceId"], e["outcome"]) for e in reversed(ctx.backend.activity("a"))]
    assert log == [("create", user_id, "success"), ("deactivate", user_id, "success"), ("delete", user_id, "success")]


def test_an_unexpected_error_in_one_operation_is_a_500_for_it_alone(ctx, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("storage bug")
    monkeypatch.setattr(bulk.crud, "delete", broken)
    response = bulk.execute(ctx, BulkRequest([op(0, "DELETE", "/Users/x"), post_user(1, "u", "dora")]))
    first, second = response["Operations"]
    assert first["status"] == "500" and "storage bug" not in first["response"]["detail"]
    assert second["status"] == "201"
