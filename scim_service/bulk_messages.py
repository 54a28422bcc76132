"""The BulkRequest message (RFC 7644 §3.7), validated with marshmallow.

Attribute names are accepted in any case (RFC 7643 §2.1). A message that does
not conform fails as a whole with 400, the detail naming the operation index
(``Operations[2].method``); what an operation does is judged per operation by
``scim_service.service.bulk``. The operation count is checked before anything
else, so an oversized request costs no validation.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from scim_service.errors import InvalidSyntax, InvalidValue, PayloadTooLarge
from scim_service.service.bulk import BULK_REQUEST_URN, METHODS, BulkOperation, BulkRequest

#: Fields whose errors (other than being absent) are about a value rather than the message's shape.
_VALUE_FIELDS = {"failOnErrors", "method"}
_MISSING = fields.Field.default_error_messages["required"]
_SHOWN = 10   # problems named in one error detail


class StrictInteger(fields.Integer):
    """An integer, never a boolean or a string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("must be a positive integer")
        return super()._deserialize(value, attr, data, **kwargs)


def _canonical(data, names: tuple[str, ...], what: str) -> dict:
    if not isinstance(data, dict):
        raise ValidationError(f"must be a JSON object ({what})")
    canonical = {name.lower(): name for name in names}
    return {canonical.get(k.lower(), k): v for k, v in data.items() if isinstance(k, str)}


def _names_bulk_request(urns: list[str]) -> None:
    if BULK_REQUEST_URN not in urns:
        raise ValidationError(f"must contain \"{BULK_REQUEST_URN}\"")


class BulkOperationSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    method = fields.String(required=True, validate=validate.OneOf(
        METHODS, error="must be one of POST, PUT, PATCH, DELETE; got {input!r}"))
    path = fields.String(required=True, validate=validate.Length(min=1, error="must not be empty"))
    bulkId = fields.String(load_default=None, validate=validate.Length(min=1, error="must not be empty"))
    version = fields.String(load_default=None)
    data = fields.Dict(load_default=None)

    @pre_load
    def canonical_names(self, data, **kwargs):
        data = _canonical(data, ("method", "path", "bulkId", "version", "data"), "an operation")
        if isinstance(data.get("method"), str):
            data["method"] = data["method"].upper()
        return data

    @validates_schema
    def data_when_needed(self, data, **kwargs):
        if data.get("method") in ("POST", "PUT", "PATCH") and data.get("data") is None:
            raise ValidationError(f"{data['method']} needs 'data', the resource or PatchOp", "data")


class BulkRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    schemas = fields.List(fields.String(), required=True, validate=_names_bulk_request)
    Operations = fields.List(fields.Nested(BulkOperationSchema), required=True)
    failOnErrors = StrictInteger(load_default=None, validate=validate.Range(
        min=1, error="must be a positive integer (the number of errors after which processing stops)"))

    @pre_load
    def canonical_names(self, data, **kwargs):
        return _canonical(data, ("schemas", "Operations", "failOnErrors"), "a BulkRequest")

    @post_load
    def build(self, data, **kwargs):
        operations = [BulkOperation(i, op["method"], op["path"], op["bulkId"], op["version"], op["data"])
                      for i, op in enumerate(data["Operations"])]
        return BulkRequest(operations, data["failOnErrors"])


_SCHEMA = BulkRequestSchema()


def _flatten(messages, prefix: str = "") -> list[tuple[str, str]]:
    """Marshmallow's nested error dict as ``("Operations[0].method", "message")`` pairs."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            if isinstance(key, int):
                name = f"{prefix}[{key}]"
            elif key == "_schema":
                name = prefix or "body"
            else:
                name = f"{prefix}.{key}" if prefix else key
            out.extend(_flatten(value, name))
        return out
    if isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        return [(prefix, " ".join(messages))]
    if isinstance(messages, list):
        return [pair for m in messages for pair in _flatten(m, prefix)]
    return [(prefix, str(messages))]


def _field_name(path: str) -> str:
    return path.rsplit(".", 1)[-1].split("[", 1)[0]


def load_bulk_request(body, max_operations: int) -> BulkRequest:
    """A validated BulkRequest, or a SCIM error: 413 over ``max_operations``, else 400."""
    if isinstance(body, dict):
        operations = next((v for k, v in body.items() if isinstance(k, str) and k.lower() == "operations"), None)
        if isinstance(operations, list) and len(operations) > max_operations:
            raise PayloadTooLarge(
                f"the BulkRequest has {len(operations)} operations; this service provider accepts at most "
                f"{max_operations} per request (maxOperations, see /ServiceProviderConfig)")
    try:
        return _SCHEMA.load(body)
    except ValidationError as err:
        problems = _flatten(err.messages)
        shown = "; ".join(f"{path}: {message}" for path, message in problems[:_SHOWN])
        more = f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
        detail = f"invalid BulkRequest: {shown}{more}"
        if all(_field_name(path) in _VALUE_FIELDS and message != _MISSING for path, message in problems):
            raise InvalidValue(detail) from None
        raise InvalidSyntax(detail) from None
