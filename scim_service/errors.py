"""One error hierarchy: one class per RFC 7644 §3.12 ``scimType``.

Handlers registered on the app (``scim_service.http.errors``) turn any of
these into a SCIM Error response. Nothing here imports the rest of the package.
"""
from __future__ import annotations

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    status = 400
    scim_type: str | None = None
    default_detail = "The request could not be processed."

    def __init__(self, detail: str | None = None, *, headers: dict | None = None):
        self.detail = detail or self.default_detail
        self.headers = headers or {}
        super().__init__(self.detail)

    def to_dict(self) -> dict:
        body = {"schemas": [ERROR_URN], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


# --- 400 family, one class per scimType ------------------------------------
class InvalidFilter(ScimError):
    scim_type = "invalidFilter"
    default_detail = "The filter syntax is invalid or the filter names an unknown attribute."


class TooMany(ScimError):
    scim_type = "tooMany"
    default_detail = "The filter matches more results than the server is willing to return."


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"
    default_detail = "A resource with the same unique value already exists."


class Mutability(ScimError):
    scim_type = "mutability"
    default_detail = "The request tries to change a read-only or immutable attribute."


class InvalidSyntax(ScimError):
    scim_type = "invalidSyntax"
    default_detail = "The request body is not a valid SCIM message."


class InvalidPath(ScimError):
    scim_type = "invalidPath"
    default_detail = "The PATCH path is invalid."


class NoTarget(ScimError):
    scim_type = "noTarget"
    default_detail = "The PATCH path did not select any value."


class InvalidValue(ScimError):
    scim_type = "invalidValue"
    default_detail = "A required value is missing or a value is not compatible with its attribute."


class InvalidVersion(ScimError):
    scim_type = "invalidVers"
    default_detail = "The protocol version is not supported."


class Sensitive(ScimError):
    scim_type = "sensitive"
    default_detail = "Sensitive information may not be sent in the request URI; use POST /.search."


class InvalidCursor(ScimError):
    scim_type = "invalidCursor"  # RFC 9865 §3.2
    default_detail = "The cursor is invalid or malformed."


class ExpiredCursor(ScimError):
    scim_type = "expiredCursor"  # RFC 9865 §3.2
    default_detail = "The cursor has expired."


class InvalidCount(ScimError):
    scim_type = "invalidCount"  # RFC 9865 §3.2
    default_detail = "The count value is invalid."


# --- statuses without a scimType -------------------------------------------
class Unauthorized(ScimError):
    status = 401
    default_detail = "Authorization failure: send 'Authorization: Bearer <token>' with a valid workspace token."

    def __init__(self, detail: str | None = None):
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="scim"'})


class Forbidden(ScimError):
    status = 403
    default_detail = "The operation is not permitted."


class NotFound(ScimError):
    status = 404
    default_detail = "The resource was not found."


class MethodNotAllowed(ScimError):
    status = 405
    default_detail = "The method is not allowed on this endpoint."


class Conflict(ScimError):
    status = 409
    default_detail = "The request conflicts with the current state of the resource."


class PreconditionFailed(ScimError):
    status = 412
    default_detail = "The resource changed: its version no longer matches If-Match."


class PayloadTooLarge(ScimError):
    status = 413
    default_detail = "The request is larger than the server accepts."


class UnsupportedMediaType(ScimError):
    status = 415
    default_detail = "Send the body as application/scim+json or application/json."


class InternalError(ScimError):
    status = 500
    default_detail = "An unexpected error occurred; it has been logged."


class NotImplementedFeature(ScimError):
    status = 501
    default_detail = "This operation is not implemented."


class ServiceUnavailable(ScimError):
    status = 503
    default_detail = "The storage backend is not reachable."


class ConfigError(Exception):
    """A bad configuration value, reported at start-up."""


class VersionConflict(Exception):
    """A backend's compare-and-swap lost a race; the service layer retries."""
