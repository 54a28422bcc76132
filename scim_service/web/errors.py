"""Error handlers registered on the app, so routing 404s and 405s answer SCIM errors too."""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.exceptions import HTTPException

from scim_service import errors
from scim_service.web.io import scim_response

log = logging.getLogger("scim_service")

_BY_STATUS = {
    400: errors.InvalidSyntax, 401: errors.Unauthorized, 403: errors.Forbidden, 404: errors.NotFound,
    405: errors.MethodNotAllowed, 409: errors.Conflict, 412: errors.PreconditionFailed,
    413: errors.PayloadTooLarge, 415: errors.UnsupportedMediaType, 501: errors.NotImplementedFeature,
}


def error_response(exc: errors.ScimError):
    return scim_response(exc.to_dict(), exc.status, exc.headers)


def _http(exc: HTTPException):
    if exc.code == 405:
        allowed = exc.valid_methods or ()
        scim = errors.MethodNotAllowed(
            f"method not allowed here; allowed: {', '.join(sorted(allowed))}" if allowed else None)
        response = error_response(scim)
        if allowed:
            response.headers["Allow"] = ", ".join(sorted(allowed))
        return response
    if exc.code == 404:
        return error_response(errors.NotFound("no such endpoint; SCIM endpoints live under /scim/v2"))
    cls = _BY_STATUS.get(exc.code or 500)
    if cls is None:
        scim = errors.ScimError(exc.description)
        scim.status = exc.code or 500
        return error_response(scim)
    return error_response(cls(exc.description if exc.code != 413 else None))


def _unexpected(exc: Exception):
    log.exception("unexpected error")   # the traceback goes to the log, never to the client
    return error_response(errors.InternalError())


def register(app: Flask) -> None:
    app.register_error_handler(errors.ScimError, error_response)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)
