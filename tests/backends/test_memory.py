"""The memory backend answers every IdP lookup from an index, and is safe under threads."""
from __future__ import annotations

import threading

import pytest

import backends.memory as memory
from backends.base import Member, MembershipChange, Query
from scim_service.errors import Uniqueness, VersionConflict
from scim_service.filters import parse_filter
from scim_service.filters.bind import bind_filter
from scim_service.schema import GROUP_TYPE, USER_TYPE


def _record(i: int, **extra) -> dict:
    return {"id": f"u{i}", "userName": f"User{i}", "externalId": f"ext{i}",
            "emails": [{"value": f"user{i}@Example.com", "type": "work"}],
            "meta": {"created": "2026-01-01T00:00:00.000Z", "lastModified": "2026-01-01T00:00:00.000Z", "version": 1},
            **extra}


@pytest.fixture
def loaded():
    backend = memory.MemoryBackend()
    for i in range(2000):
        backend.create("ws", USER_TYPE, _record(i))
    return backend


@pytest.mark.parametrize("flt", ['userName eq "user1234"', 'externalId eq "ext1234"', 'id eq "u1234"',
                                 'emails[type eq "work"].value eq "USER1234@example.com"',
                                 'emails.value eq "user1234@example.com"',
                                 'userName eq "user1234" and active pr'])
def test_idp_lookups_evaluate_at_most_the_indexed_candidates(loaded, monkeypatch, flt):
    calls = []
    real = memory.matches
    monkeypatch.setattr(memory, "matches", lambda *a: calls.append(1) or real(*a))
    page = loaded.search("ws", USER_TYPE, Query(filter=bind_filter(parse_filter(flt), USER_TYPE)))
    assert len(calls) <= 1
    assert [r["id"] for r in page.records] == ([] if "active" in flt else ["u1234"])


def test_unique_index_rejects_case_variants_and_frees_on_delete(loaded):
    with pytest.raises(Uniqueness):
        loaded.create("ws", USER_TYPE, _record(5000, userName="USER7"))
    loaded.create("other-ws", USER_TYPE, _record(7))           # another workspace may reuse it
    loaded.delete("ws", USER_TYPE, "u7")
    loaded.create("ws", USER_TYPE, _record(5001, userName="user7"))


@pytest.mark.parametrize("flt", ['externalId eq "shared"', 'emails.value eq "Shared@example.com"'])
def test_a_value_several_users_share_stays_indexed_as_they_come_and_go(flt):
    backend = memory.MemoryBackend()
    bound = bind_filter(parse_filter(flt), USER_TYPE)

    def found():
        return sorted(r["id"] for r in backend.search("ws", USER_TYPE, Query(filter=bound)).records)

    shared = {"externalId": "shared", "emails": [{"value": "shared@example.com"}]}
    for i in range(3):
        backend.create("ws", USER_TYPE, _record(i, **shared))
    assert found() == ["u0", "u1", "u2"]
    backend.delete("ws", USER_TYPE, "u1")
    backend.delete("ws", USER_TYPE, "u0")
    assert found() == ["u2"]
    backend.create("ws", USER_TYPE, _record(3, **shared))
    moved = {**_record(2), "meta": {**_record(2)["meta"], "version": 2}}   # u2 gets its own values
    backend.replace("ws", USER_TYPE, moved, expected_version=1)
    assert found() == ["u3"]
    backend.delete("ws", USER_TYPE, "u3")
    assert found() == [] and not backend._table("ws", USER_TYPE).external.get("shared")

def test_replace_is_compare_and_swap(loaded):
    new = _record(1, title="x")
    with pytest.raises(VersionConflict):
        loaded.replace("ws", USER_TYPE, new, expected_version=9)
    new["meta"] = {**new["meta"], "version": 2}
    loaded.replace("ws", USER_TYPE, new, expected_version=1)
    assert loaded.get("ws", USER_TYPE, "u1")["title"] == "x"


def test_membership_is_indexed_both_ways_and_cleaned_on_delete(loaded):
    group = {"id": "g1", "displayName": "G", "meta": _record(0)["meta"]}
    loaded.create("ws", GROUP_TYPE, group, [Member("u1"), Member("u2")])
    assert [g["value"] for g in loaded.groups_of("ws", "u1")] == ["g1"]
    loaded.change_members("ws", "g1", MembershipChange(add=[Member("u3")], remove={"u2"}),
                          {"lastModified": "2026-01-02T00:00:00.000Z"})
    assert [m.value for m in loaded.members("ws", "g1")] == ["u1", "u3"]
    assert loaded.get("ws", GROUP_TYPE, "g1")["meta"]["version"] == 2
    loaded.delete("ws", USER_TYPE, "u1")
    assert [m.value for m in loaded.members("ws", "g1")] == ["u3"]
    loaded.delete("ws", GROUP_TYPE, "g1")
    assert loaded.groups_of("ws", "u3") == []


def test_parallel_member_adds_lose_nothing():
    backend = memory.MemoryBackend()
    backend.create("ws", GROUP_TYPE, {"id": "g", "displayName": "G", "meta": _record(0)["meta"]})
    for i in range(200):
        backend.create("ws", USER_TYPE, _record(i))

    def add(i):
        backend.change_members("ws", "g", MembershipChange(add=[Member(f"u{i}")]), {"lastModified": "x"})

    threads = [threading.Thread(target=add, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(backend.members("ws", "g")) == 200
    assert backend.get("ws", GROUP_TYPE, "g")["meta"]["version"] == 201


def test_a_member_deleted_before_the_write_is_not_added(loaded):
    loaded.create("ws", GROUP_TYPE, {"id": "g", "displayName": "G", "meta": _record(0)["meta"]})
    loaded.delete("ws", USER_TYPE, "u5")
    loaded.change_members("ws", "g", MembershipChange(add=[Member("u4"), Member("u5")]), {"lastModified": "x"})
    assert [m.value for m in loaded.members("ws", "g")] == ["u4"]
