"""The workspace of the current request, from its bearer token."""
from __future__ import annotations

from flask import current_app, g, request

from scim_service.auth import authenticate
from scim_service.service.context import Context
from scim_service.web.access_log import WORKSPACE_KEY


_DERIVED: dict[tuple[str, str], str] = {}


def base_url() -> str:
    """SCIM_BASE_URL, else derived from the request (cached per scheme and Host: it is on every response)."""
    configured = current_app.config["SCIM"].base_url
    if configured:
        return configured
    environ = request.environ
    key = (environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST", ""))
    found = _DERIVED.get(key)
    if found is None:
        if len(_DERIVED) > 256:   # Host is client-controlled: keep the cache bounded
            _DERIVED.clear()
        found = _DERIVED[key] = request.host_url.rstrip("/") + "/scim/v2"
    return found


def scim_context() -> Context:
    ctx = g.get("scim_context")
    if ctx is None:
        backend = current_app.extensions["scim_backend"]
        workspace, token = authenticate(backend, request.environ.get("HTTP_AUTHORIZATION"))
        request.environ[WORKSPACE_KEY] = workspace
        ctx = g.scim_context = Context(backend, current_app.config["SCIM"], workspace, token, base_url())
    return ctx
