"""Record <-> document mapping: safe field names, exact round trips, comparable search values."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from backends.mongo_documents import (
    EXTENSION_KEYS, datetime_text, decode_record, encode_record, original_key, safe_key, search_view, sort_view,
)
from scim_service.schema import ENTERPRISE_URN, USER_TYPE

JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                    max_leaves=8)


@given(st.text())
def test_every_key_becomes_a_legal_field_name_and_comes_back(key):
    stored = safe_key(key)
    assert stored and "." not in stored and not stored.startswith("$") and "\x00" not in stored
    assert original_key(stored) == key


@given(st.dictionaries(st.text(), JSON, max_size=5))
def test_any_record_survives_encoding_exactly(record):
    assert decode_record(encode_record(record)) == record


def test_extensions_are_stored_under_an_alias_derived_from_the_registry():
    assert EXTENSION_KEYS == {ENTERPRISE_URN: "ext:enterpriseuser"}
    stored = encode_record({"userName": "a", ENTERPRISE_URN: {"manager": {"$ref": "u", "value": "1"}}})
    assert stored == {"userName": "a", "ext:enterpriseuser": {"manager": {"~~24ref": "u", "value": "1"}}}


@given(st.datetimes(timezones=st.timezones()), st.datetimes(timezones=st.timezones()))
def test_datetime_text_orders_and_equates_like_the_instants(a, b):
    ta, tb = datetime_text(a), datetime_text(b)
    assert (ta < tb) == (a < b) and (ta == tb) == (a == b)


def test_datetimes_beyond_the_calendar_after_an_offset_still_order():
    low = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    high = datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=2)))
    assert datetime_text(low) < datetime_text(datetime(1, 1, 1, 1, tzinfo=timezone.utc)) < datetime_text(high)


def test_the_search_view_folds_case_insensitive_strings_only_and_normalises_datetimes():
    record = {"id": "AbC", "userName": "STRASSE", "externalId": "ExT", "active": True,
              "emails": [{"value": "A@X", "type": "Work"}, {"value": "b@y", "primary": True}],
              "meta": {"created": "2026-01-01T01:00:00.000+01:00", "version": 3},
              ENTERPRISE_URN: {"department": "R&D"}, "_password": "secret-hash"}
    assert search_view(record, USER_TYPE) == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:user", ENTERPRISE_URN.lower()],
        "id": "AbC", "userName": "strasse", "externalId": "ExT", "active": True,
        "emails": [{"value": "a@x", "type": "work"}, {"value": "b@y", "primary": True}],
        "meta": {"created": "2026-01-01T00:00:00.000000Z", "version": 3},
        "ext:enterpriseuser": {"department": "r&d"}}
    assert sort_view(record, USER_TYPE) == {"emails": {"value": "b@y", "primary": True}}
