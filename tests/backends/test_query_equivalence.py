"""Every backend's answer to a filter equals a brute-force evaluation over the same data.

The memory backend answers from its indexes where it can; the MongoDB backend
translates the filter into a query. Both must agree with
``scim_service.filters.evaluate.matches`` applied to every record.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends.base import Query
from scim_service.filters import And, AttrPath, Compare, Not, Or, Present, ValuePath, parse_filter, to_string
from scim_service.filters.bind import bind_filter
from scim_service.filters.evaluate import matches
from scim_service.schema import USER_TYPE
from scim_service.service import crud
from scim_service.service.context import Context

EXAMPLES = int(os.environ.get("SCIM_FUZZ_EXAMPLES", "100"))
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
NAMES = ["alice", "Bob", "carol", "DAVE", "eve.x", "frank+1", "gina", "hank"]
VALUES = st.sampled_from(["alice", "ALICE", "bob", "a", "e", ".", "x", "+", "Employee", "work", "home",
                          "@example.com", "ext-1", "EXT-1", "R&D", "", "2020-01-01T00:00:00Z"])


def _users():
    for i, name in enumerate(NAMES):
        user = {"userName": name, "active": i % 3 != 0, "externalId": f"ext-{i % 4}"}
        if i % 2:
            user["title"] = ["Engineer", "", "Boss"][i % 3]
        if i % 3:
            user["userType"] = "Employee" if i % 2 else "Intern"
        user["emails"] = [{"value": f"{name}@example.com", "type": "work", "primary": True}]
        if i % 4 == 1:
            user["emails"].append({"value": f"{name}@home.org", "type": "home"})
        if i % 5:
            user[ENTERPRISE] = {"department": ["R&D", "Sales", "r&d", "Ops"][i % 4]}
        yield user


ATTRS = [AttrPath("userName"), AttrPath("title"), AttrPath("userType"), AttrPath("externalId"),
         AttrPath("emails", "value"), AttrPath("emails", "type"), AttrPath("department", urn=ENTERPRISE),
         AttrPath("id")]
STRING_OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]


def _leaf():
    compare = st.builds(Compare, st.sampled_from(ATTRS), st.sampled_from(STRING_OPS), VALUES)
    boolean = st.builds(Compare, st.just(AttrPath("active")), st.sampled_from(["eq", "ne"]), st.booleans())
    present = st.builds(Present, st.sampled_from(ATTRS + [AttrPath("active")]))
    value_path = st.builds(ValuePath, st.just(AttrPath("emails")), st.builds(
        Compare, st.sampled_from([AttrPath("type"), AttrPath("value")]), st.sampled_from(["eq", "co", "sw"]), VALUES))
    return st.one_of(compare, boolean, present, value_path)


FILTERS = st.recursive(_leaf(), lambda inner: st.one_of(
    st.builds(And, inner, inner), st.builds(Or, inner, inner), st.builds(Not, inner)), max_leaves=6)


@pytest.fixture
def directory(app):
    backend = app.extensions["scim_backend"]
    ctx = Context(backend, app.config["SCIM"], "a", "test", "http://test/scim/v2")
    for user in _users():
        crud.create(ctx, USER_TYPE, user)
    records = backend.search("a", USER_TYPE, Query(count=1000)).records
    return backend, records


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(node=FILTERS)
def test_backend_search_equals_brute_force(directory, node):
    backend, records = directory
    bound = bind_filter(parse_filter(to_string(node)), USER_TYPE)
    expected = [r["id"] for r in records if matches(r, bound, USER_TYPE)]
    page = backend.search("a", USER_TYPE, Query(filter=bound, count=1000))
    assert [r["id"] for r in page.records] == expected
    assert page.total == len(expected)


@pytest.mark.parametrize("flt", ['userName eq "bob"', 'externalId eq "ext-1"', 'emails[type eq "work"].value eq "CAROL@example.com"',
                                 'emails.value eq "bob@home.org"', 'userName eq "nobody"'])
def test_indexed_lookups_equal_brute_force(directory, flt):
    backend, records = directory
    bound = bind_filter(parse_filter(flt), USER_TYPE)
    expected = [r["id"] for r in records if matches(r, bound, USER_TYPE)]
    assert [r["id"] for r in backend.search("a", USER_TYPE, Query(filter=bound)).records] == expected
    by_id = f'id eq "{records[2]["id"]}"'
    assert [r["id"] for r in backend.search("a", USER_TYPE, Query(
        filter=bind_filter(parse_filter(by_id), USER_TYPE))).records] == [records[2]["id"]]
