"""The MongoDB backend answers like the reference semantics, on ~30 users with awkward data.

- Filters: ``MongoBackend.search`` returns exactly the users
  ``scim_service.filters.evaluate.matches`` accepts (relations included).
- Sorting and paging: the same pages, totals and has_more/has_previous as the
  memory backend, for index paging and for cursor walks in both directions.

``SCIM_FUZZ_EXAMPLES`` sets the number of generated cases (default 100).
"""
from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends.base import Member, Query, SortKey
from backends.memory import MemoryBackend
from backends.mongodb import create_backend
from scim_service.config import Config
from scim_service.filters import And, AttrPath, Compare, Not, Or, Present, ValuePath, parse_filter
from scim_service.filters.bind import bind_filter
from scim_service.filters.evaluate import matches
from scim_service.resources import normalize
from scim_service.schema import ENTERPRISE_URN, GROUP_TYPE, USER_TYPE

EXAMPLES = int(os.environ.get("SCIM_FUZZ_EXAMPLES", "100"))
WS = "fuzz"
PROPERTY = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Case folding (ß/SS, dotted İ, final sigma), regex metacharacters, newlines, astral characters.
GIVEN = ["Barbara", "BARBARA", "Straße", "STRASSE", "İlkay", "Σοφία", "o'Neil", "a.b*c", "(paren)",
         "dollar$", "back\\slash", "line\nbreak", "emoji😀", "Zoë", "zoe"]
FAMILY = ["Jensen", "jensen", "Ünal", "Smith", None]
DEPARTMENTS = ["R&D", "r&d", "Sales", "SALES ", None]
TYPES = ["work", "home", "Work", "other"]
BASE_TIME = datetime(2024, 2, 29, 23, 59, 59, 999000, tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _user_body(i: int) -> dict:
    body = {"userName": f"{GIVEN[i % len(GIVEN)]}{i}"}
    if i % 4:
        body["name"] = {"givenName": GIVEN[(i * 7) % len(GIVEN)], "familyName": FAMILY[i % len(FAMILY)]}
    if i % 3:
        body["displayName"] = ["Barbara Jensen", "barbara jensen", "Ümit", "x"][i % 4]
    if i % 5 != 2:
        body["active"] = bool(i % 2)
    if i % 6:
        body["title"] = ["Boss", "boss", "Engineer", "Boss\n", "a.b*c"][i % 5]
    if i % 3 != 1:
        body["externalId"] = ["ext-1", "EXT-1", "ext-2", f"ext-{i}"][i % 4]
    emails = []
    for j in range(i % 4):
        email = {"value": f"{GIVEN[(i + j) % len(GIVEN)]}.{i}@Example.COM", "type": TYPES[(i + j) % 4]}
        if (i + j) % 3 == 0:
            email["primary"] = True if j == i % 4 - 1 else False
        if (i + j) % 5 == 0:
            email["display"] = "Work Mail"
        emails.append(email)
    if i % 7 == 3:
        emails.append({"type": "home"})   # an element without a value
    if emails:
        body["emails"] = emails
    if i % 4 == 1:
        body["phoneNumbers"] = [{"value": f"+1 555 {i:04d}", "type": "mobile"}]
    if i % 5 == 1:
        body["addresses"] = [{"locality": ["Zürich", "ZÜRICH", "Paris"][i % 3], "country": "CH", "primary": True}]
    enterprise = {}
    if DEPARTMENTS[i % len(DEPARTMENTS)] is not None:
        enterprise["department"] = DEPARTMENTS[i % len(DEPARTMENTS)]
    if i % 3 == 2:
        enterprise["manager"] = {"value": f"m-{i % 2}"}
    if i % 4 == 3:
        enterprise["costCenter"] = "CC-1"
    if enterprise:
        body[ENTERPRISE_URN] = enterprise
    return body


def _records() -> list[dict]:
    out = []
    for i in range(30):
        record, _ = normalize(_user_body(i), USER_TYPE)
        created = BASE_TIME + timedelta(minutes=(i * 37) % 11, milliseconds=i % 3)   # ties and disorder
        record = {"id": str(uuid.UUID(int=i + 1)), **record,
                  "meta": {"created": _iso(created), "lastModified": _iso(created + timedelta(days=i % 2)),
                           "version": 1}}
        out.append(record)
    return out


RECORDS = _records()
USER_IDS = [r["id"] for r in RECORDS]
GROUPS = {  # group index -> member user indexes
    0: [0, 1, 2, 3],
    1: [3, 4],
    2: [],
    3: [7, 8, 9, 10, 0],
}


def _group_records() -> list[tuple[dict, list[Member]]]:
    out = []
    for g, members in GROUPS.items():
        record = {"id": f"9000000{g}-0000-4000-8000-000000000000",
                  "displayName": ["Admins", "ADMINS-2", "Ops", "R&D"][g],
                  "meta": {"created": _iso(BASE_TIME), "lastModified": _iso(BASE_TIME), "version": 1}}
        out.append((record, [Member(USER_IDS[i]) for i in members]))
    return out


GROUP_RECORDS = _group_records()
GROUP_IDS = [g["id"] for g, _ in GROUP_RECORDS]


def _load(backend):
    for record in RECORDS:
        backend.create(WS, USER_TYPE, record)
    for record, members in GROUP_RECORDS:
        backend.create(WS, GROUP_TYPE, record, members)
    return backend


@pytest.fixture(scope="module")
def mongo():
    uri = f"mongomock://localhost/fuzz_{uuid.uuid4().hex[:8]}"
    backend = create_backend(Config(backend="mongodb", mongodb_uri=uri))
    yield _load(backend)
    backend.close()


@pytest.fixture(scope="module")
def memory():
    return _load(MemoryBackend())


def _hydrate(record: dict, attr: str):
    """Relations and ``schemas``, from the fixture's own data (independent of any backend)."""
    if attr == "schemas":
        rtype = GROUP_TYPE if record["id"] in GROUP_IDS else USER_TYPE
        return [s for s in rtype.schema_ids if s == rtype.schema.id or s in record]
    if attr == "groups":
        return [{"value": GROUP_IDS[g], "type": "direct"} for g, members in GROUPS.items()
                if USER_IDS.index(record["id"]) in members]
    if attr == "members":
        members = GROUPS[GROUP_IDS.index(record["id"])]
        return [{"value": USER_IDS[i], "type": "User"} for i in members]
    return None


# --- filter generation ---------------------------------------------------------------
STRINGS = sorted({*GIVEN, *(g.upper() for g in GIVEN), *(g.casefold() for g in GIVEN), *FAMILY[:-1],
                  "", "a", "A", "ss", "SS", "ß", "i̇", "İ", "σ", "ς", ".", "*", "(", "\\", "$", "^", "\n",
                  "barbara", "Barbara Jensen", "@example.com", ".COM", "work", "WORK", "home", "Boss",
                  "ext-1", "EXT-1", "ext-2", "r&d", "R&D", "sales", "SALES ", "zürich", "CH", "+1 555",
                  "m-1", "m-0", "a\ud800", "\U0001F600", "zz", "Ü", "0", "1"})


def _stored_strings(value) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    return set().union(*map(_stored_strings, value)) if isinstance(value, list) else set()


def _piece(text: str, start: int, end: int, case) -> str:
    """A whole stored value, or a prefix, suffix or middle of it, in some case."""
    return case(text[min(start, end):max(start, end)])


STORED = sorted(_stored_strings(RECORDS))
FROM_DATA = st.builds(lambda text, a, b, case: _piece(text, a * len(text) // 8, b * len(text) // 8, case),
                      st.sampled_from(STORED), st.sampled_from([0, 0, 1, 4]), st.sampled_from([8, 8, 7, 4]),
                      st.sampled_from([str, str.upper, str.lower, str.casefold]))
STRING_VALUES = st.one_of(st.sampled_from(STRINGS), FROM_DATA, st.text(max_size=3))
INSTANTS = st.one_of(
    st.sampled_from([r["meta"]["created"] for r in RECORDS] + [r["meta"]["lastModified"] for r in RECORDS]),
    st.builds(lambda minutes, offset: (BASE_TIME + timedelta(minutes=minutes)).astimezone(
        timezone(timedelta(hours=offset))).isoformat(), st.integers(-30, 2000), st.integers(-12, 12)),
    st.sampled_from(["2024-03-01T00:00:00Z", "2024-02-29T23:59:59.9990001Z", "0001-01-01T00:00:00+01:00",
                     "9999-12-31T23:59:59-01:00"]))
ALL_OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]

STRING_PATHS = [AttrPath("userName"), AttrPath("displayName"), AttrPath("name", "givenName"),
                AttrPath("name", "familyName"), AttrPath("title"), AttrPath("externalId"), AttrPath("id"),
                AttrPath("emails", "value"), AttrPath("emails", "type"), AttrPath("emails", "display"),
                AttrPath("emails"), AttrPath("phoneNumbers", "value"), AttrPath("addresses", "locality"),
                AttrPath("department", urn=ENTERPRISE_URN), AttrPath("costCenter", urn=ENTERPRISE_URN),
                AttrPath("manager", "value", urn=ENTERPRISE_URN), AttrPath("meta", "resourceType"),
                AttrPath("schemas")]
BOOLEAN_PATHS = [AttrPath("active"), AttrPath("emails", "primary"), AttrPath("addresses", "primary")]
DATETIME_PATHS = [AttrPath("meta", "created"), AttrPath("meta", "lastModified")]
PRESENT_PATHS = STRING_PATHS + BOOLEAN_PATHS + DATETIME_PATHS + [
    AttrPath("name"), AttrPath("addresses"), AttrPath("manager", urn=ENTERPRISE_URN), AttrPath("groups")]
SUBS = {"emails": ["value", "type", "display", "primary"], "addresses": ["locality", "country", "primary"],
        "phoneNumbers": ["value", "type"]}


def _compares(paths, ops, values):
    return st.builds(Compare, st.sampled_from(paths), st.sampled_from(ops), values)


def _null_compares(paths):
    return st.builds(Compare, st.sampled_from(paths), st.sampled_from(["eq", "ne"]), st.none())


def _element_leaf(parent: str):
    def leaf(sub: str):
        path = AttrPath(sub)
        if sub == "primary":
            return st.one_of(st.builds(Compare, st.just(path), st.sampled_from(["eq", "ne"]), st.booleans()),
                             st.builds(Present, st.just(path)))
        return st.one_of(st.builds(Compare, st.just(path), st.sampled_from(ALL_OPS), STRING_VALUES),
                         st.builds(Compare, st.just(path), st.sampled_from(["eq", "ne"]), st.none()),
                         st.builds(Present, st.just(path)))
    return st.sampled_from(SUBS[parent]).flatmap(leaf)


def _value_path():
    def build(parent):
        inner = st.recursive(_element_leaf(parent), lambda f: st.one_of(
            st.builds(And, f, f), st.builds(Or, f, f), st.builds(Not, f)), max_leaves=3)
        return st.builds(ValuePath, st.just(AttrPath(parent)), inner)
    return st.sampled_from(sorted(SUBS)).flatmap(build)


GROUP_VALUES = st.one_of(st.sampled_from(GROUP_IDS), st.sampled_from([g.upper() for g in GROUP_IDS]),
                         st.sampled_from(["9", "9000000", "zz", ""]))
RELATION_FILTERS = st.one_of(
    _compares([AttrPath("groups", "value")], ALL_OPS, GROUP_VALUES),
    _null_compares([AttrPath("groups", "value")]),
    st.builds(ValuePath, st.just(AttrPath("groups")), _compares([AttrPath("value")], ["eq", "ne", "sw"], GROUP_VALUES)),
)
LEAVES = st.one_of(
    _compares(STRING_PATHS, ALL_OPS, STRING_VALUES),
    _compares(BOOLEAN_PATHS, ["eq", "ne"], st.booleans()),
    _compares(DATETIME_PATHS, ["eq", "ne", "gt", "ge", "lt", "le"], INSTANTS),
    _null_compares(STRING_PATHS + BOOLEAN_PATHS + DATETIME_PATHS),
    st.builds(Present, st.sampled_from(PRESENT_PATHS)),
    _value_path(),
    RELATION_FILTERS,
)
FILTERS = st.recursive(LEAVES, lambda inner: st.one_of(
    st.builds(And, inner, inner), st.builds(Or, inner, inner), st.builds(Not, inner)), max_leaves=5)


def _expected(records, bound, rtype) -> list[str]:
    return [r["id"] for r in records if matches(r, bound, rtype, _hydrate)]


@PROPERTY
@given(node=FILTERS)
def test_search_returns_exactly_the_users_the_filter_semantics_accept(mongo, node):
    bound = bind_filter(node, USER_TYPE)
    page = mongo.search(WS, USER_TYPE, Query(filter=bound, count=1000))
    assert [r["id"] for r in page.records] == _expected(RECORDS, bound, USER_TYPE)
    assert page.total == len(page.records)


GROUP_FILTERS = st.recursive(st.one_of(
    _compares([AttrPath("displayName")], ALL_OPS, STRING_VALUES),
    _compares([AttrPath("members", "value"), AttrPath("members")], ALL_OPS,
              st.one_of(st.sampled_from(USER_IDS[:12]), st.sampled_from([u.upper() for u in USER_IDS[:4]]),
                        st.sampled_from(["0000", "zz", ""]))),
    _null_compares([AttrPath("members", "value")]),
    st.builds(Present, st.sampled_from([AttrPath("members"), AttrPath("members", "value"), AttrPath("externalId")])),
    st.builds(ValuePath, st.just(AttrPath("members")),
              _compares([AttrPath("value")], ["eq", "ne", "co"], st.sampled_from(USER_IDS[:5] + ["0"]))),
), lambda inner: st.one_of(st.builds(And, inner, inner), st.builds(Or, inner, inner), st.builds(Not, inner)),
    max_leaves=4)


@PROPERTY
@given(node=GROUP_FILTERS)
def test_group_search_with_member_filters_equals_the_filter_semantics(mongo, node):
    bound = bind_filter(node, GROUP_TYPE)
    page = mongo.search(WS, GROUP_TYPE, Query(filter=bound, count=1000))
    assert [r["id"] for r in page.records] == _expected([g for g, _ in GROUP_RECORDS], bound, GROUP_TYPE)


@pytest.mark.parametrize("filter_text", [
    'userName eq "STRASSE3"', 'emails[type eq "work"].value eq "(PAREN).7@example.com"',
    'name.givenName sw "i̇"', 'displayName co "Ü"', 'title ew "*C"', 'meta.created gt "2024-03-01T00:03:00+00:00"',
    'groups[value eq "90000000-0000-4000-8000-000000000000"]', 'emails.primary eq false', 'title ew "BOSS"',
    'title eq "boss\\n"',
])
def test_hand_picked_filters_match_someone_and_agree(mongo, filter_text):
    bound = bind_filter(parse_filter(filter_text), USER_TYPE)
    expected = _expected(RECORDS, bound, USER_TYPE)
    assert expected, "the fixture data should make this filter select someone"
    assert [r["id"] for r in mongo.search(WS, USER_TYPE, Query(filter=bound, count=1000)).records] == expected


# --- sorting and paging ---------------------------------------------------------------
SORTS = st.one_of(st.none(), st.builds(
    SortKey,
    st.sampled_from(["userName", "displayName", "title", "externalId", "active", "emails", "id", "phoneNumbers"]),
    st.none(), st.none(), st.booleans()),
    st.builds(lambda path, desc: SortKey(path[0], path[1], path[2], desc), st.sampled_from([
        ("name", "givenName", None), ("name", "familyName", None), ("emails", "type", None),
        ("meta", "created", None), ("meta", "lastModified", None), ("addresses", "locality", None),
        ("department", None, ENTERPRISE_URN), ("costCenter", None, ENTERPRISE_URN)]), st.booleans()))
PAGING_FILTERS = st.sampled_from([None, 'active eq true', 'emails pr', 'not (title pr)', 'userName sw "b"'])


def _summary(page):
    return [r["id"] for r in page.records], page.total, page.has_more, page.has_previous


@PROPERTY
@given(sort=SORTS, filter_text=PAGING_FILTERS, count=st.integers(0, 7), start=st.integers(1, 33))
def test_index_paging_equals_the_memory_backend(mongo, memory, sort, filter_text, count, start):
    flt = bind_filter(parse_filter(filter_text), USER_TYPE) if filter_text else None
    query = Query(filter=flt, sort=sort, start_index=start, count=count)
    assert _summary(mongo.search(WS, USER_TYPE, query)) == _summary(memory.search(WS, USER_TYPE, query))


def _walk(backend, flt, sort, count):
    """Follow next cursors to the end, then previous cursors back; every page summarised."""
    pages, query = [], Query(filter=flt, sort=sort, count=count)
    page = backend.search(WS, USER_TYPE, query)
    pages.append(_summary(page))
    while page.has_more and len(pages) < 40:
        page = backend.search(WS, USER_TYPE, Query(filter=flt, sort=sort, count=count, after=_json(page.last_key)))
        pages.append(_summary(page))
    while page.has_previous and page.first_key is not None and len(pages) < 80:
        page = backend.search(WS, USER_TYPE, Query(filter=flt, sort=sort, count=count, before=_json(page.first_key)))
        pages.append(_summary(page))
    return pages


def _json(key):
    """A position key after its trip through a signed cursor (JSON: lists back as tuples)."""
    def tuples(v):
        return tuple(tuples(x) for x in v) if isinstance(v, list) else v
    return tuples(json.loads(json.dumps(key)))


@settings(PROPERTY, max_examples=max(EXAMPLES // 4, 10))   # each example is dozens of searches
@given(sort=SORTS, filter_text=PAGING_FILTERS, count=st.integers(2, 9))
def test_cursor_walks_both_ways_equal_the_memory_backend(mongo, memory, sort, filter_text, count):
    flt = bind_filter(parse_filter(filter_text), USER_TYPE) if filter_text else None
    assert _walk(mongo, flt, sort, count) == _walk(memory, flt, sort, count)
