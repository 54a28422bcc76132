"""The MongoDB backend's storage contract, on mongomock: documents, indexes, CAS, membership, tokens."""
from __future__ import annotations

import logging
import uuid

import mongomock
import pytest
from pymongo.errors import DuplicateKeyError

from backends.base import Member, MembershipChange, Query, SortKey
from bench.mongo_planner import use_indexes
from backends.mongodb import MongoBackend, create_backend
from scim_service.config import Config
from scim_service.errors import ConfigError, InvalidCursor, NotFound, TooMany, Uniqueness, VersionConflict
from scim_service.filters import parse_filter
from scim_service.filters.bind import bind_filter
from scim_service.schema import ENTERPRISE_URN, GROUP_TYPE, USER_TYPE

META = {"created": "2026-01-01T00:00:00.000Z", "lastModified": "2026-01-01T00:00:00.000Z", "version": 1}


def _user(user_name: str, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "userName": user_name, "meta": dict(META), **extra}


def _group(display_name: str, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "displayName": display_name, "meta": dict(META), **extra}


def _bound(text: str, rtype=USER_TYPE):
    return bind_filter(parse_filter(text), rtype)


class Counting:
    """A collection that counts the calls made to it (and passes them on)."""

    def __init__(self, collection):
        self._collection = collection
        self.calls: list[str] = []

    def __getattr__(self, name):
        attr = getattr(self._collection, name)
        if callable(attr):
            def counted(*args, **kwargs):
                self.calls.append(name)
                return attr(*args, **kwargs)
            return counted
        return attr


@pytest.fixture
def client():
    return mongomock.MongoClient()


@pytest.fixture
def backend(client):
    return MongoBackend(client, "scim", single_process=True)


# --- configuration -----------------------------------------------------------------------
def test_a_mongomock_uri_warns_and_pins_one_process(caplog):
    logger = logging.getLogger("scim_service.backends.mongodb")
    logger.addHandler(caplog.handler)   # the app's "scim_service" logger does not propagate to the root
    try:
        with caplog.at_level(logging.WARNING, logger=logger.name):
            backend = create_backend(Config(backend="mongodb", mongodb_uri="mongomock://localhost/acme"))
    finally:
        logger.removeHandler(caplog.handler)
    assert "mongomock: in-process, for tests and demos only" in caplog.text
    assert backend.single_process is True and backend.ping() is True
    assert backend.resources.database.name == "acme"


def test_the_database_defaults_to_scim():
    assert create_backend(Config(mongodb_uri="mongomock://localhost")).resources.database.name == "scim"


def test_an_unreachable_server_is_a_config_error_naming_the_variable():
    with pytest.raises(ConfigError, match="MONGODB_URI"):
        create_backend(Config(mongodb_uri="mongodb://127.0.0.1:9/x?serverSelectionTimeoutMS=100&connectTimeoutMS=100"))


# --- documents --------------------------------------------------------------------------
def test_a_record_reads_back_exactly_and_no_stored_key_holds_a_dot_or_dollar(backend):
    record = _user("Ünïcode", name={"givenName": "Zoë"}, emails=[{"value": "A@x.org", "type": "work", "primary": True}],
                   **{ENTERPRISE_URN: {"department": "R&D", "manager": {"value": "m1", "$ref": "https://x/Users/m1"}}},
                   _password="pbkdf2_sha256$1$aa$bb")
    backend.create("w", USER_TYPE, record)
    assert backend.get("w", USER_TYPE, record["id"]) == record

    stored = backend.resources.find_one({"id": record["id"]})
    bad = []

    def walk(value):
        if isinstance(value, dict):
            bad.extend(k for k in value if "." in k or k.startswith("$"))
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
    walk(stored)
    assert bad == []
    assert stored["record"]["ext:enterpriseuser"]["department"] == "R&D"
    assert stored["search"]["userName"] == "ünïcode" and stored["search"]["emails"][0]["value"] == "a@x.org"


def test_reads_are_per_workspace_and_per_type(backend):
    record = _user("alice")
    backend.create("w", USER_TYPE, record)
    assert backend.get("other", USER_TYPE, record["id"]) is None
    assert backend.get("w", GROUP_TYPE, record["id"]) is None
    assert backend.search("other", USER_TYPE, Query()).total == 0


# --- indexes and uniqueness ---------------------------------------------------------------
def test_indexes_are_created_once_and_creating_them_again_changes_nothing(client, backend):
    before = {name: spec["key"] for name, spec in backend.resources.index_information().items()}
    MongoBackend(client, "scim")   # a second worker starting on the same database
    after = backend.resources.index_information()
    assert {name: spec["key"] for name, spec in after.items()} == before
    assert after["unique_User_userName"]["unique"] is True
    assert after["unique_User_userName"]["partialFilterExpression"] == {
        "type": "User", "search.userName": {"$exists": True}}
    assert after["resource_id"]["key"] == [("workspace", 1), ("type", 1), ("id", 1)]
    assert backend.memberships.index_information()["membership"]["unique"] is True
    assert backend.tokens.index_information()["token_hash"]["unique"] is True


def test_user_names_are_unique_per_workspace_ignoring_case(backend):
    backend.create("w", USER_TYPE, _user("Alice"))
    with pytest.raises(Uniqueness, match="userName 'ALICE' is already used by another User"):
        backend.create("w", USER_TYPE, _user("ALICE"))
    backend.create("other", USER_TYPE, _user("alice"))


def test_group_display_names_are_unique_but_user_display_names_are_not(backend):
    backend.create("w", GROUP_TYPE, _group("Admins"))
    with pytest.raises(Uniqueness, match="displayName 'admins'"):
        backend.create("w", GROUP_TYPE, _group("admins"))
    backend.create("w", USER_TYPE, _user("a", displayName="Admins"))
    backend.create("w", USER_TYPE, _user("b", displayName="Admins"))


def test_replacing_onto_a_taken_user_name_is_a_uniqueness_error(backend):
    backend.create("w", USER_TYPE, _user("alice"))
    bob = _user("bob")
    backend.create("w", USER_TYPE, bob)
    with pytest.raises(Uniqueness, match="userName"):
        backend.replace("w", USER_TYPE, {**bob, "userName": "Alice", "meta": {**META, "version": 2}}, 1)
    assert backend.get("w", USER_TYPE, bob["id"])["userName"] == "bob"


@pytest.mark.parametrize("rtype, flt", [
    (USER_TYPE, 'id eq "{id}"'), (USER_TYPE, 'userName eq "{userName}"'), (USER_TYPE, 'externalId eq "{externalId}"'),
    (USER_TYPE, 'emails[type eq "work"].value eq "{email}"'), (USER_TYPE, 'emails.value eq "{email}"'),
    (GROUP_TYPE, 'displayName eq "{displayName}"'), (GROUP_TYPE, 'externalId eq "{externalId}"'),
])
def test_every_idp_lookup_is_answered_from_a_declared_index(backend, rtype, flt):
    """With bench/mongo_planner, a query that binds no declared index's keys by equality scans: none may."""
    made = [backend.create("ws", rtype, (_user if rtype is USER_TYPE else _group)(
        f"Name{i}", externalId=f"ext{i}", **({"emails": [{"value": f"n{i}@example.com", "type": "work"}]}
                                             if rtype is USER_TYPE else {}))) for i in range(50)]
    planner = use_indexes(backend.resources)
    target = made[17]
    values = {"id": target["id"], "userName": "NAME17", "displayName": "Name17", "externalId": "ext17",
              "email": "N17@example.com"}
    page = backend.search("ws", rtype, Query(filter=_bound(flt.format(**values), rtype)))
    assert [r["id"] for r in page.records] == [target["id"]]
    assert planner.plans["index"] >= 1 and planner.plans["scan"] == 0


def test_the_index_planner_scans_what_no_index_serves(backend):
    backend.create("ws", USER_TYPE, _user("a", title="boss"))
    planner = use_indexes(backend.resources)
    assert [r["title"] for r in backend.search("ws", USER_TYPE, Query(filter=_bound('title eq "boss"'))).records] \
        == ["boss"]
    assert planner.plans["scan"] == 1

def test_uniqueness_comes_from_the_unique_index_alone(backend):
    backend.resources.drop_index("unique_User_userName")
    backend.create("w", USER_TYPE, _user("alice"))
    backend.create("w", USER_TYPE, _user("ALICE"))   # nothing else checks
    assert backend.search("w", USER_TYPE, Query()).total == 2


def test_a_real_servers_duplicate_key_message_names_the_attribute_from_the_index(backend):
    message = ("E11000 duplicate key error collection: scim.resources index: unique_Group_displayName "
               "dup key: { workspace: \"w\", type: \"Group\", search.displayName: \"ops\" }")
    error = DuplicateKeyError(message, 11000, {"errmsg": message, "code": 11000})
    found = backend._uniqueness(error, "w", GROUP_TYPE, _group("Ops"))
    assert "displayName 'Ops' is already used by another Group" in found.detail


# --- compare-and-swap ---------------------------------------------------------------------
def test_replace_is_compare_and_swap_on_the_version(backend):
    record = _user("alice")
    backend.create("w", USER_TYPE, record)
    newer = {**record, "title": "Boss", "meta": {**META, "version": 2}}
    with pytest.raises(VersionConflict):
        backend.replace("w", USER_TYPE, newer, expected_version=7)
    backend.replace("w", USER_TYPE, newer, expected_version=1)
    assert backend.get("w", USER_TYPE, record["id"]) == newer
    with pytest.raises(NotFound):
        backend.replace("w", USER_TYPE, {**newer, "id": "gone"}, expected_version=2)


def test_two_workers_racing_on_one_version_one_wins_one_conflicts(client):
    first, second = MongoBackend(client, "scim"), MongoBackend(client, "scim")
    record = _user("alice")
    first.create("w", USER_TYPE, record)
    first.replace("w", USER_TYPE, {**record, "title": "A", "meta": {**META, "version": 2}}, 1)
    with pytest.raises(VersionConflict):
        second.replace("w", USER_TYPE, {**record, "title": "B", "meta": {**META, "version": 2}}, 1)
    assert second.get("w", USER_TYPE, record["id"])["title"] == "A"


def test_delete_checks_the_version_and_releases_memberships_both_ways(backend):
    user, group, parent = _user("alice"), _group("Team"), _group("Parent")
    backend.create("w", USER_TYPE, user)
    backend.create("w", GROUP_TYPE, group, [Member(user["id"])])
    backend.create("w", GROUP_TYPE, parent, [Member(group["id"], "Group")])
    with pytest.raises(VersionConflict):
        backend.delete("w", GROUP_TYPE, group["id"], expected_version=5)
    assert backend.delete("w", GROUP_TYPE, group["id"], expected_version=1) == group
    assert backend.members("w", parent["id"]) == []
    assert backend.groups_of("w", user["id"]) == []
    assert backend.memberships.count_documents({}) == 0
    assert backend.delete("w", GROUP_TYPE, group["id"]) is None


# --- membership ---------------------------------------------------------------------------
def test_membership_changes_apply_replace_then_remove_then_add_and_bump_the_version(backend):
    users = [_user(f"u{i}") for i in range(5)]
    for u in users:
        backend.create("w", USER_TYPE, u)
    group = _group("Team")
    backend.create("w", GROUP_TYPE, group, [Member(users[0]["id"])])
    change = MembershipChange(add=[Member(users[3]["id"]), Member(users[1]["id"])], remove={users[2]["id"]},
                              replace_all=[Member(users[1]["id"]), Member(users[2]["id"])])
    stored = backend.change_members("w", group["id"], change, {"lastModified": "2026-02-02T00:00:00.000Z"})
    assert [m.value for m in backend.members("w", group["id"])] == [users[1]["id"], users[3]["id"]]
    assert stored["meta"] == {**META, "version": 2, "lastModified": "2026-02-02T00:00:00.000Z"}
    assert backend.get("w", GROUP_TYPE, group["id"]) == stored
    modified = _bound('meta.lastModified gt "2026-02-01T00:00:00Z"', GROUP_TYPE)
    found = backend.search("w", GROUP_TYPE, Query(filter=modified))
    assert [g["id"] for g in found.records] == [group["id"]]


def test_member_adds_are_idempotent_and_keep_insertion_order(backend):
    users = [_user(f"u{i}") for i in range(3)]
    for u in users:
        backend.create("w", USER_TYPE, u)
    group = _group("Team")
    backend.create("w", GROUP_TYPE, group)
    for u in (users[2], users[0], users[2], users[1], users[0]):
        backend.change_members("w", group["id"], MembershipChange(add=[Member(u["id"])]), {})
    assert [m.value for m in backend.members("w", group["id"])] == [users[2]["id"], users[0]["id"], users[1]["id"]]
    assert backend.get("w", GROUP_TYPE, group["id"])["meta"]["version"] == 6


def test_a_member_deleted_after_the_services_check_is_not_left_in_the_group(backend):
    user, group = _user("alice"), _group("Team")
    backend.create("w", USER_TYPE, user)
    backend.create("w", GROUP_TYPE, group)
    assert backend.existing_ids("w", [user["id"]]) == {user["id"]: "User"}   # the service's check
    backend.delete("w", USER_TYPE, user["id"])                               # a concurrent DELETE wins
    backend.change_members("w", group["id"], MembershipChange(add=[Member(user["id"])]), {})
    assert backend.members("w", group["id"]) == []


def test_a_group_deleted_while_members_are_added_keeps_no_membership(backend):
    user, group = _user("alice"), _group("Team")
    backend.create("w", USER_TYPE, user)
    backend.create("w", GROUP_TYPE, group)
    memberships = backend.memberships

    class DeleteGroupFirst(Counting):
        def insert_many(self, docs, **kwargs):   # the DELETE lands between the version bump and the insert
            backend.delete("w", GROUP_TYPE, group["id"])
            return memberships.insert_many(docs, **kwargs)

    backend.memberships = DeleteGroupFirst(memberships)
    backend.change_members("w", group["id"], MembershipChange(add=[Member(user["id"])]), {})
    assert memberships.count_documents({}) == 0


def test_change_members_on_a_missing_group_is_not_found_and_writes_nothing(backend):
    with pytest.raises(NotFound):
        backend.change_members("w", "nope", MembershipChange(add=[Member("x")]), {})
    assert backend.memberships.count_documents({}) == 0


def test_groups_of_lists_groups_in_creation_order_with_their_display_name(backend):
    user = _user("alice")
    backend.create("w", USER_TYPE, user)
    second, first = _group("Second"), _group("First")
    backend.create("w", GROUP_TYPE, first, [Member(user["id"])])
    backend.create("w", GROUP_TYPE, second, [Member(user["id"])])
    assert backend.groups_of("w", user["id"]) == [{"value": first["id"], "display": "First"},
                                                   {"value": second["id"], "display": "Second"}]
    assert backend.groups_of("other", user["id"]) == []


def test_group_reads_do_not_touch_the_membership_collection(backend):
    group = _group("Team")
    backend.create("w", GROUP_TYPE, group)
    backend.memberships = Counting(backend.memberships)
    backend.get("w", GROUP_TYPE, group["id"])
    backend.search("w", GROUP_TYPE, Query(filter=_bound('displayName eq "team"', GROUP_TYPE)))
    assert backend.memberships.calls == []


def test_existing_ids_is_one_query_over_both_types_of_this_workspace(backend):
    user, group = _user("alice"), _group("Team")
    backend.create("w", USER_TYPE, user)
    backend.create("w", GROUP_TYPE, group)
    backend.create("other", USER_TYPE, foreign := _user("bob"))
    backend.resources = Counting(backend.resources)
    found = backend.existing_ids("w", iter([user["id"], group["id"], foreign["id"], "missing", user["id"]]))
    assert found == {user["id"]: "User", group["id"]: "Group"}
    assert backend.resources.calls == ["find"]


def test_a_relation_filter_too_broad_to_resolve_is_too_many(backend, monkeypatch):
    monkeypatch.setattr("backends.mongodb.RELATION_FILTER_LIMIT", 2)
    users = [_user(f"u{i}") for i in range(3)]
    for u in users:
        backend.create("w", USER_TYPE, u)
    group = _group("All")
    backend.create("w", GROUP_TYPE, group, [Member(u["id"]) for u in users])
    with pytest.raises(TooMany, match="groups"):
        backend.search("w", USER_TYPE, Query(filter=_bound(f'groups.value eq "{group["id"]}"')))


# --- queries ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ['userName eq "USER3"', 'externalId eq "ext3"', 'id eq "{id}"',
                                  'emails[type eq "work"].value eq "USER3@example.com"'])
def test_lookups_and_gets_are_one_query_each(backend, text):
    users = [_user(f"user{i}", externalId=f"ext{i}", emails=[{"value": f"user{i}@example.com", "type": "work"}])
             for i in range(5)]
    for u in users:
        backend.create("w", USER_TYPE, u)
    backend.resources = Counting(backend.resources)
    page = backend.search("w", USER_TYPE, Query(filter=_bound(text.format(id=users[3]["id"]))))
    assert [r["id"] for r in page.records] == [users[3]["id"]] and page.total == 1
    backend.get("w", USER_TYPE, users[3]["id"])
    assert backend.resources.calls == ["find", "find_one"]


def test_a_page_that_does_not_reach_the_end_counts_the_total(backend):
    for i in range(5):
        backend.create("w", USER_TYPE, _user(f"user{i}"))
    page = backend.search("w", USER_TYPE, Query(start_index=2, count=2))
    assert (page.total, len(page.records), page.has_more, page.has_previous) == (5, 2, True, True)
    beyond = backend.search("w", USER_TYPE, Query(start_index=9, count=2))
    assert (beyond.total, beyond.records, beyond.has_more) == (5, [], False)


def test_position_keys_survive_json_and_a_foreign_key_is_an_invalid_cursor(backend):
    for i in range(3):
        backend.create("w", USER_TYPE, _user(f"user{i}", title=["b", None, "a"][i] or "c"))
    page = backend.search("w", USER_TYPE, Query(sort=_sort("title"), count=1))
    assert isinstance(page.last_key, tuple) and isinstance(page.last_key[2], str)
    following = backend.search("w", USER_TYPE, Query(sort=_sort("title"), count=5, after=page.last_key))
    assert [r["title"] for r in following.records] == ["b", "c"]
    with pytest.raises(InvalidCursor):
        backend.search("w", USER_TYPE, Query(sort=_sort("title"), after=(17,)))
    with pytest.raises(InvalidCursor):
        backend.search("w", USER_TYPE, Query(after=("not-an-object-id",)))


def _sort(attr, descending=False):
    return SortKey(attr, descending=descending)


def test_unassigned_values_sort_last_ascending_and_first_descending(backend):
    for name, title in (("a", "z"), ("b", None), ("c", "Y")):
        backend.create("w", USER_TYPE, _user(name, **({"title": title} if title else {})))
    ascending = backend.search("w", USER_TYPE, Query(sort=_sort("title")))
    descending = backend.search("w", USER_TYPE, Query(sort=_sort("title", True)))
    assert [r["userName"] for r in ascending.records] == ["c", "a", "b"]
    assert [r["userName"] for r in descending.records] == ["b", "a", "c"]


# --- tokens and activity --------------------------------------------------------------------
def test_a_new_token_replaces_the_workspaces_previous_one(backend):
    assert backend.has_tokens() is False
    backend.set_token("w", "hash-1", "tok_1")
    backend.set_token("w", "hash-2", "tok_2")
    assert backend.find_token("hash-1") is None
    assert backend.find_token("hash-2") == ("w", "tok_2", "hash-2")
    assert backend.has_tokens() is True
    assert backend.tokens.count_documents({}) == 1


def test_tokens_and_activity_are_shared_by_every_worker_on_the_database(client, backend):
    backend.set_token("w", "hash-1", "tok_1")
    backend.record_activity({"workspace": "w", "time": "2026-01-01T00:00:00.000Z", "operation": "create"})
    other = MongoBackend(client, "scim")
    assert other.find_token("hash-1") == ("w", "tok_1", "hash-1")
    assert [e["operation"] for e in other.activity("w")] == ["create"]


def test_one_token_cannot_serve_two_workspaces(backend):
    backend.set_token("w", "hash-1", "tok_1")
    with pytest.raises(ConfigError, match="another workspace"):
        backend.set_token("v", "hash-1", "tok_1")


def test_activity_is_newest_first_per_workspace_and_limited(backend):
    for i, ws in enumerate(["w", "w", "v", "w"]):
        backend.record_activity({"workspace": ws, "time": f"2026-01-01T00:00:0{i % 2}.000Z", "operation": f"op{i}"})
    assert [e["operation"] for e in backend.activity("w")] == ["op3", "op1", "op0"]
    assert [e["operation"] for e in backend.activity("w", limit=2)] == ["op3", "op1"]
    assert backend.activity("w", limit=0) == []
    assert "_id" not in backend.activity("v")[0]


def test_a_group_create_killed_before_its_document_is_written_leaves_no_visible_group(monkeypatch):
    """Crash safety by write order: memberships are written first, the group document last."""
    backend = MongoBackend(mongomock.MongoClient(), "crash")
    meta = {"created": "2026-01-01T00:00:00.000Z", "lastModified": "2026-01-01T00:00:00.000Z", "version": 1}
    backend.create("ws", USER_TYPE, {"id": "u1", "userName": "u1", "meta": meta})

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(backend.resources, "insert_one", killed)
    with pytest.raises(SystemExit):
        backend.create("ws", GROUP_TYPE, {"id": "g1", "displayName": "G", "meta": meta}, [Member("u1", "User")])
    monkeypatch.undo()
    assert backend.get("ws", GROUP_TYPE, "g1") is None
    assert backend.groups_of("ws", "u1") == []
    backend.create("ws", GROUP_TYPE, {"id": "g2", "displayName": "G", "meta": meta}, [Member("u1", "User")])
    assert [g["value"] for g in backend.groups_of("ws", "u1")] == ["g2"]


def test_a_delete_killed_between_its_two_writes_leaves_no_visible_member(monkeypatch):
    """The resource goes first; memberships naming it that a killed worker left are hidden and healed."""
    backend = MongoBackend(mongomock.MongoClient(), "crash-delete")
    meta = {"created": "2026-01-01T00:00:00.000Z", "lastModified": "2026-01-01T00:00:00.000Z", "version": 1}
    for uid in ("u1", "u2"):
        backend.create("ws", USER_TYPE, {"id": uid, "userName": uid, "meta": meta})
    backend.create("ws", GROUP_TYPE, {"id": "g1", "displayName": "G", "meta": meta},
                   [Member("u1", "User"), Member("u2", "User")])

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(backend.memberships, "delete_many", killed)
    with pytest.raises(SystemExit):
        backend.delete("ws", USER_TYPE, "u1")
    monkeypatch.undo()
    assert backend.memberships.count_documents({"member": "u1"}) == 1     # the orphan the crash left
    assert [m.value for m in backend.members("ws", "g1")] == ["u2"]
    assert backend.memberships.count_documents({"member": "u1"}) == 0     # healed by that read
