"""Hypothesis strategies for SCIM input, valid and hostile, built from the schema registry.

Filters follow the RFC 7644 §3.4.2.2 grammar (attribute paths from the
registry plus unknown ones, every operator, every literal form, nesting) and
can be mutated character by character. Bodies are valid resources from the
schema plus mutations (wrong types, nulls, huge strings, junk, unknown keys).
The placeholders ``USER_ID``/``GROUP_ID`` stand for ids the test fills in.
"""
from __future__ import annotations

import functools
import json

from hypothesis import strategies as st

from scim_service.filters.ast import COMPARISON_OPERATORS
from scim_service.schema import GROUP_TYPE, USER_TYPE, ResourceType
from scim_service.schema.attributes import (
    BINARY, BOOLEAN, COMPLEX, DATETIME, DECIMAL, INTEGER, READ_ONLY, REFERENCE,
)

USER_ID, GROUP_ID = "{{USER_ID}}", "{{GROUP_ID}}"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"

METACHARACTERS = "\\^$.|?*+()[]{}\"'`:;,/=<>!&%#@~- \t"
WEIRD_STRINGS = [
    "", " ", "\\", '"', "'", "\\\"", "*", ".*", "(a+)+$", "[", "]", "(", ")", "{", "}", "$where",
    "{\"$gt\": \"\"}", "$ne", "%00", "\x00", "\u202e", "\ufeff", "😀", "ǅ", "ß", "İ", "ﬀ", "\U0010ffff",
    "a" * 300, "urn:ietf:params:scim:schemas:core:2.0:User:userName", "null", "true", "NaN",
]

_texts = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=METACHARACTERS, max_size=20),
    st.sampled_from(WEIRD_STRINGS),
)


@functools.lru_cache(maxsize=None)
def case_variants(word: str):
    """``word`` in any letter case (names, operators and keywords are case-insensitive)."""
    def mixed(mask: int) -> str:
        return "".join(c.upper() if mask >> i & 1 else c.lower() for i, c in enumerate(word))
    return st.one_of(st.just(word), st.integers(0, 2 ** len(word) - 1).map(mixed))


# --- attribute paths -----------------------------------------------------------------------
def known_paths(rtype: ResourceType) -> list[str]:
    """Every attribute path the registry knows, bare, dotted and URN-qualified."""
    paths = []
    for urn, attr in rtype.all_attributes():
        names = [attr.name] + [f"{attr.name}.{s.name}" for s in attr.sub_attributes]
        for name in names:
            paths.append(name)
            paths.append(f"{urn or rtype.schema.id}:{name}")
    return paths


def multi_valued_complex(rtype: ResourceType) -> list:
    return [a for _, a in rtype.all_attributes() if a.type == COMPLEX and a.multi_valued]


_unknown_names = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,12}(\.[A-Za-z][A-Za-z0-9_-]{0,8})?", fullmatch=True),
    st.sampled_from(["$ref", "members.value", "urn:x:y:z:attr", "urn:ietf:params:scim:schemas:core:2.0:User:",
                     "a.b.c", "1abc", "_x", "meta.version", "groups.value", "password"]),
)


@functools.lru_cache(maxsize=None)
def attr_paths(rtype: ResourceType):
    return st.one_of(st.sampled_from(known_paths(rtype)).flatmap(case_variants), _unknown_names)


# --- literals ------------------------------------------------------------------------------
def _quoted(text: str, ascii_only: bool) -> str:
    return json.dumps(text, ensure_ascii=ascii_only)


literals = st.one_of(
    st.sampled_from(["true", "false", "null"]).flatmap(case_variants),
    st.integers().map(str),
    st.integers(min_value=2 ** 63 - 2, max_value=2 ** 80).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e400", "-0", "0.0", "1E5", "01", "-", ".5", "2011-05-13T04:42:34Z",
                     "2011-05-13T04:42:34.1234567+02:00", "9999-99-99T99:99:99Z"]),
    st.builds(_quoted, _texts, st.booleans()),
    st.sampled_from(['"\\ud800"', '"\\udfff\\ud800"', '"\\u0000"', '"\\x41"', '"\\', '"unterminated',
                     '"a\\"b"', '"\\/\\b\\f\\n\\r\\t"']),
    st.from_regex(r"[A-Za-z0-9@._%+-]{1,16}", fullmatch=True),
)

_operators = st.one_of(st.sampled_from(COMPARISON_OPERATORS).flatmap(case_variants),
                       st.sampled_from(["pr", "PR", "eqq", "=", "==", "in", "like", ""]))
_logic = st.sampled_from(["and", "or"]).flatmap(case_variants)
_spaces = st.sampled_from([" ", "  ", "\t", " \t "])


def _attr_expression(paths):
    present = st.builds(lambda p, pr, sp: f"{p}{sp}{pr}", paths, case_variants("pr"), _spaces)
    compare = st.builds(lambda p, op, v, s1, s2: f"{p}{s1}{op}{s2}{v}", paths, _operators, literals, _spaces, _spaces)
    return st.one_of(present, compare)


def _bracketed(rtype: ResourceType, tail):
    """``attr[valFilter]`` plus whatever ``tail(sub-attribute names)`` draws after the bracket."""
    def build(attr):
        subs = st.one_of(st.sampled_from([s.name for s in attr.sub_attributes]).flatmap(case_variants),
                         _unknown_names)
        inner = st.recursive(
            _attr_expression(subs),
            lambda f: st.one_of(
                st.builds(lambda a, op, b: f"{a} {op} {b}", f, _logic, f),
                st.builds(lambda a: f"not ({a})", f),
                st.builds(lambda a: f"({a})", f)),
            max_leaves=3)
        return st.builds(lambda name, body, t: f"{name}[{body}]{t}", case_variants(attr.name), inner, tail(subs))
    return st.one_of([build(a) for a in multi_valued_complex(rtype)])


@functools.lru_cache(maxsize=None)
def _value_path(rtype: ResourceType):
    """A valuePath filter, sometimes in Entra's ``emails[type eq "work"].value eq "x"`` form."""
    return _bracketed(rtype, lambda subs: st.one_of(
        st.just(""), st.builds(lambda s, op, v: f".{s} {op} {v}", subs, _operators, literals)))


@functools.lru_cache(maxsize=None)
def filters(rtype: ResourceType):
    """Filters generated from the RFC 7644 grammar (mostly valid, sometimes not)."""
    base = st.one_of(_attr_expression(attr_paths(rtype)), _value_path(rtype))
    return st.recursive(
        base,
        lambda f: st.one_of(
            st.builds(lambda a, op, b, s: f"{a}{s}{op}{s}{b}", f, _logic, f, _spaces),
            st.builds(lambda n, a: f"{n} ({a})", case_variants("not"), f),
            st.builds(lambda a: f"({a})", f)),
        max_leaves=6)


# --- mutations -----------------------------------------------------------------------------
_junk_chars = st.text(alphabet=METACHARACTERS + "aZ0\u00e9\u0000\n😀", min_size=1, max_size=4)


@st.composite
def mutated(draw, strategy):
    """A value of ``strategy`` (a string) with a few random character-level edits."""
    text = draw(strategy)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate", "swapcase"]))
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, len(text)))
        if kind == "delete":
            text = text[:i] + text[j:]
        elif kind == "insert":
            text = text[:i] + draw(_junk_chars) + text[i:]
        elif kind == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif kind == "truncate":
            text = text[:i]
        else:
            text = text[:i] + text[i:j].swapcase() + text[j:]
    return text


@functools.lru_cache(maxsize=None)
def any_filter(rtype: ResourceType):
    return st.one_of(filters(rtype), mutated(filters(rtype)), st.text(max_size=40))


# --- JSON values ---------------------------------------------------------------------------
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=False, allow_infinity=False), _texts,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(_texts, attr_paths(USER_TYPE)), inner, max_size=4)),
    max_leaves=10)


def _scalar_for(attr):
    if attr.type == BOOLEAN:
        return st.one_of(st.booleans(), st.sampled_from(["True", "false"]))
    if attr.type in (INTEGER, DECIMAL):
        return st.integers(-1000, 1000)
    if attr.type == DATETIME:
        return st.just("2011-05-13T04:42:34Z")
    if attr.type == BINARY:
        return st.sampled_from(["TUlJREp6Q0NB", ""])
    if attr.type == REFERENCE:
        return st.sampled_from(["https://example.com/photo.jpg", "urn:x:y"])
    return st.text(min_size=1, max_size=20)


@functools.lru_cache(maxsize=None)
def valid_value(attr):
    """A value that fits ``attr`` as the schema describes it."""
    if attr.type != COMPLEX:
        one = _scalar_for(attr)
        return st.lists(one, min_size=1, max_size=3) if attr.multi_valued else one
    subs = [s for s in attr.sub_attributes if s.mutability != READ_ONLY and s.name != "primary"]
    element = st.fixed_dictionaries({}, optional={s.name: _scalar_for(s) for s in subs})
    if not attr.multi_valued:
        return element
    # At most one element is primary (the schema allows no more); -1 or an index past the end: none.
    return st.builds(lambda items, p: [{**e, "primary": True} if i == p else e for i, e in enumerate(items)],
                     st.lists(element, min_size=1, max_size=3), st.integers(-1, 2))


@functools.lru_cache(maxsize=None)
def _writable(rtype: ResourceType):
    """Some attributes a client may set, except the ones valid_resource always sets itself."""
    own = {"members", "groups", "userName"} | ({"displayName"} if rtype is GROUP_TYPE else set())
    choices = [(urn, a) for urn, a in rtype.all_attributes() if a.mutability != READ_ONLY and a.name not in own]
    return st.lists(st.sampled_from(choices), max_size=6, unique=True)


@st.composite
def valid_resource(draw, rtype: ResourceType):
    """A resource body that the schema says is valid (members name ``USER_ID``)."""
    body = {"schemas": [rtype.schema.id]}
    unique = draw(st.uuids()).hex[:12]
    if rtype is USER_TYPE:
        body["userName"] = draw(st.one_of(st.just(f"user-{unique}@example.com"),
                                          st.text(min_size=1, max_size=10).map(lambda t: f"{t}-{unique}")))
    else:
        body["displayName"] = f"group-{unique}"
        if draw(st.booleans()):
            body["members"] = [{"value": USER_ID}]
    for urn, attr in draw(_writable(rtype)):
        value = draw(valid_value(attr))
        if urn:
            body.setdefault(urn, {})[attr.name] = value
            if urn not in body["schemas"]:
                body["schemas"].append(urn)
        else:
            body[attr.name] = value
    return body


_huge = st.integers(65_000, 70_000).map(lambda n: "x" * n)
_deep = st.integers(20, 40).map(lambda n: json.loads("[" * n + "]" * n))


@st.composite
def mutated_resource(draw, rtype: ResourceType):
    """A valid resource with a few hostile edits."""
    body = draw(valid_resource(rtype))
    for _ in range(draw(st.integers(1, 3))):
        if not body:
            break
        key = draw(st.sampled_from(list(body)))
        kind = draw(st.sampled_from(["wrong", "null", "huge", "deep", "unknown", "case", "drop", "nested"]))
        if kind == "wrong":
            body[key] = draw(json_values)
        elif kind == "null":
            body[key] = None
        elif kind == "huge":
            body[key] = draw(_huge)
        elif kind == "deep":
            body[key] = draw(_deep)
        elif kind == "unknown":
            body[draw(st.one_of(_unknown_names, _texts))] = draw(json_values)
        elif kind == "case":
            body[draw(case_variants(key))] = body.pop(key)
        elif kind == "drop":
            body.pop(key)
        elif isinstance(body.get(key), dict):
            body[key][draw(_texts)] = draw(json_values)
        elif isinstance(body.get(key), list) and body[key]:
            body[key][0] = draw(json_values)
    return body


@functools.lru_cache(maxsize=None)
def resource_bodies(rtype: ResourceType):
    return st.one_of(valid_resource(rtype), mutated_resource(rtype), json_values)


# --- PATCH -----------------------------------------------------------------------------------
_op_names = st.one_of(st.sampled_from(["add", "replace", "remove"]).flatmap(case_variants),
                      st.sampled_from(["delete", "move", "copy", "", "ADD ", None, 1, ["add"]]))


@functools.lru_cache(maxsize=None)
def patch_paths(rtype: ResourceType):
    member_paths = st.sampled_from([
        "members", f'members[value eq "{USER_ID}"]', 'members[value eq "nope"]', "members.value",
        'members[type eq "User"]', f'members[value eq "{USER_ID}"].display', "members[value pr]"])
    valid = st.one_of(attr_paths(rtype),
                      _bracketed(rtype, lambda subs: st.one_of(st.just(""), subs.map(lambda s: "." + s))))
    paths = st.one_of(valid, mutated(valid), st.text(max_size=20))
    return st.one_of(paths, member_paths) if rtype is GROUP_TYPE else paths


@functools.lru_cache(maxsize=None)
def patch_values(rtype: ResourceType):
    attrs = [a for _, a in rtype.all_attributes() if a.name not in ("members", "groups")]
    member_values = st.sampled_from([[{"value": USER_ID}], [{"value": GROUP_ID}], [{"value": "missing"}],
                                     [USER_ID], {"value": USER_ID}, [{"value": USER_ID, "type": "Group"}]])
    values = st.one_of(json_values, st.one_of([valid_value(a) for a in attrs]),
                       valid_resource(rtype).map(lambda b: {k: v for k, v in b.items() if k != "schemas"}))
    return st.one_of(values, member_values) if rtype is GROUP_TYPE else values


@st.composite
def patch_operation(draw, rtype: ResourceType):
    op = {}
    if draw(st.integers(0, 9)):
        op[draw(case_variants("op"))] = draw(_op_names)
    if draw(st.integers(0, 3)):
        op[draw(case_variants("path"))] = draw(st.one_of(patch_paths(rtype), json_scalars))
    if draw(st.integers(0, 5)):
        op[draw(case_variants("value"))] = draw(patch_values(rtype))
    return op


@st.composite
def patch_bodies(draw, rtype: ResourceType):
    operations = draw(st.lists(patch_operation(rtype), min_size=1, max_size=4))
    body = {"schemas": [PATCH_URN], "Operations": operations}
    kind = draw(st.integers(0, 9))
    if kind == 0:
        body["schemas"] = draw(json_values)
    elif kind == 1:
        body["Operations"] = draw(json_values)
    elif kind == 2:
        body = draw(json_values)
    return body


# --- search requests and Bulk ------------------------------------------------------------------
_indexes = st.one_of(st.integers(-5, 1_000_000), st.integers(2 ** 62, 2 ** 80),
                     st.sampled_from(["1", "abc", "", "1.5", True, None, [], 1.5]))


@st.composite
def search_requests(draw, rtype: ResourceType):
    fields = {
        "schemas": st.one_of(st.just([SEARCH_URN]), json_values),
        "filter": st.one_of(any_filter(rtype), json_scalars),
        "startIndex": _indexes,
        "count": _indexes,
        "sortBy": st.one_of(attr_paths(rtype), mutated(attr_paths(rtype)), json_scalars),
        "sortOrder": st.one_of(st.sampled_from(["ascending", "descending"]).flatmap(case_variants), json_scalars),
        "attributes": st.one_of(st.lists(attr_paths(rtype), max_size=3), attr_paths(rtype), json_values),
        "excludedAttributes": st.one_of(st.lists(attr_paths(rtype), max_size=3), json_values),
        "cursor": st.one_of(st.just(""), _texts, json_scalars),
    }
    body = {"schemas": [SEARCH_URN]}
    for name in sorted(fields):
        if not draw(st.booleans()):
            continue
        body[draw(case_variants(name)) if draw(st.integers(0, 4)) == 0 else name] = draw(fields[name])
    return body


def query_params(body: dict) -> dict:
    """A SearchRequest as GET query parameters (every value as text)."""
    out = {}
    for key, value in body.items():
        if key == "schemas":
            continue
        if isinstance(value, list):
            value = ",".join(map(str, value))
        out[key] = value if isinstance(value, str) else json.dumps(value)
    return out


@st.composite
def bulk_operation(draw):
    method = draw(st.one_of(st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]).flatmap(case_variants),
                            st.sampled_from(["GET", "", None, 7])))
    path = draw(st.one_of(
        st.sampled_from(["/Users", "/Groups", f"/Users/{USER_ID}", f"/Groups/{GROUP_ID}", "/Users/missing",
                         "/Groups/bulkId:g1", "/Users/bulkId:u1", "/Users/bulkId:nope", "/Bulk", "/", "Users"]),
        st.text(max_size=20), json_scalars))
    data = draw(st.one_of(resource_bodies(USER_TYPE), resource_bodies(GROUP_TYPE), patch_bodies(USER_TYPE),
                          patch_bodies(GROUP_TYPE),
                          st.just({"displayName": "bulk-g", "members": [{"value": "bulkId:u1"}]})))
    op = {"method": method, "path": path}
    if draw(st.booleans()):
        op["bulkId"] = draw(st.one_of(st.sampled_from(["u1", "g1", "u1"]), _texts, json_scalars))
    if draw(st.integers(0, 4)):
        op["data"] = data
    if draw(st.integers(0, 4)) == 0:
        op["version"] = draw(st.one_of(st.just('W/"1"'), _texts, json_scalars))
    return op


@st.composite
def bulk_requests(draw):
    body = {"schemas": [BULK_URN], "Operations": draw(st.lists(bulk_operation(), min_size=1, max_size=5))}
    if draw(st.booleans()):
        body["failOnErrors"] = draw(st.one_of(st.integers(-1, 5), json_scalars))
    kind = draw(st.integers(0, 9))
    if kind == 0:
        body["schemas"] = draw(json_values)
    elif kind == 1:
        body["Operations"] = draw(json_values)
    return body


def fill(value, ids: dict[str, str]):
    """Replace the id placeholders inside ``value`` (recursively, also inside strings)."""
    if isinstance(value, str):
        for placeholder, real in ids.items():
            value = value.replace(placeholder, real)
        return value
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {fill(k, ids): fill(v, ids) for k, v in value.items()}
    return value


# --- headers -------------------------------------------------------------------------------------
_header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
                       max_size=30)
_version_digits = st.one_of(st.integers(0, 10).map(str), st.integers(0, 2 ** 80).map(str),
                            st.text(alphabet="0123456789\u00b2\u00b3\u00b9", min_size=1, max_size=5),
                            st.sampled_from(["9" * 5000, "-1", "1.0", " 1", ""]))
etags = st.one_of(
    st.builds(lambda weak, v: f'{weak}"{v}"', st.sampled_from(["W/", "w/", ""]), _version_digits),
    st.sampled_from(["*", "W/", '""', "W/1", '"1", "2"', 'W/"1", *', ", ,"]),
    _header_text,
)
header_sets = st.fixed_dictionaries({}, optional={
    "If-Match": etags,
    "If-None-Match": etags,
    "Content-Type": st.one_of(st.sampled_from([
        "application/scim+json", "application/json", "application/scim+json; charset=utf-8",
        "application/scim+json; charset=latin-1", "text/plain", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/json; charset=\u00ff", "*/*", ";", ""]), _header_text),
    "Authorization": st.one_of(st.sampled_from(["Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "bearer  x", ""]),
                               _header_text.map(lambda t: "Bearer " + t)),
    "Accept": st.one_of(st.sampled_from(["text/html", "application/xml", "*/*", "application/scim+json;q=0"]),
                        _header_text),
    "X-Request-Id": _header_text,
})
