"""Request messages validated with marshmallow: SearchRequest (RFC 7644 §3.4.3) and query strings."""
from __future__ import annotations

from functools import lru_cache

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load

from scim_service.errors import InvalidValue
from scim_service.service.search import SearchParams

SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


class AttributeList(fields.Field):
    """``attributes`` as a JSON list of names or a comma-separated string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return ",".join(value)
        raise ValidationError("must be a list of attribute names or a comma-separated string")


class LenientInteger(fields.Integer):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("must be an integer")
        return super()._deserialize(value, attr, data, **kwargs)


class SearchRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    schemas = fields.List(fields.String())
    attributes = AttributeList(load_default=None)
    excludedAttributes = AttributeList(load_default=None)
    filter = fields.String(load_default=None)
    sortBy = fields.String(load_default=None)
    sortOrder = fields.String(load_default=None)
    startIndex = LenientInteger(load_default=None, strict=False)
    count = LenientInteger(load_default=None, strict=False)
    cursor = fields.String(load_default=None)

    _canonical = {name.lower(): name for name in (
        "schemas", "attributes", "excludedAttributes", "filter", "sortBy", "sortOrder",
        "startIndex", "count", "cursor")}

    @pre_load
    def canonical_names(self, data, **kwargs):
        """Parameter names in any case (``startindex``, ``Count``)."""
        if not isinstance(data, dict):
            raise ValidationError("a SearchRequest must be a JSON object")
        return {self._canonical.get(k.lower(), k): v for k, v in data.items() if isinstance(k, str)}


_SEARCH = SearchRequestSchema()


def _messages(err: ValidationError) -> str:
    messages = err.normalized_messages()
    return "; ".join(f"{field}: {' '.join(map(str, msgs if isinstance(msgs, list) else [msgs]))}"
                     for field, msgs in messages.items())


def search_params(data, *, from_body: bool) -> SearchParams:
    if from_body:
        loaded = _load(data, "SearchRequest")
    else:
        # Query strings repeat (count=100&startIndex=1) while the filter changes every time: the
        # schema's verdict on the rest is cached, and a query-string filter is always a string.
        flt = next((v for k, v in data.items() if k.lower() == "filter"), None)
        rest = tuple(sorted((k, v) for k, v in data.items() if k.lower() != "filter"))
        loaded = {**_load_query(rest), "filter": flt}
    return _params(loaded, from_body)


@lru_cache(maxsize=512)
def _load_query(items: tuple) -> dict:
    return _load(dict(items), "query parameter")


def _load(data, what: str) -> dict:
    try:
        return _SEARCH.load(data)
    except ValidationError as err:
        raise InvalidValue(f"invalid {what}: {_messages(err)}") from None


def _params(loaded: dict, from_body: bool) -> SearchParams:
    if from_body and loaded.get("schemas") is not None and SEARCH_URN not in loaded["schemas"]:
        raise InvalidValue(f"a SearchRequest's schemas must be [\"{SEARCH_URN}\"]")
    return SearchParams(
        filter=loaded["filter"], sort_by=loaded["sortBy"], sort_order=loaded["sortOrder"],
        start_index=loaded["startIndex"], count=loaded["count"], attributes=loaded["attributes"],
        excluded_attributes=loaded["excludedAttributes"], cursor=loaded["cursor"])
