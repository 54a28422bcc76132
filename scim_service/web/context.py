"""The workspace of the current request, from its bearer token."""
from __future__ import annotations

from flask import current_app, request

from scim_service.auth import authenticate
from scim_service.service.context import Context
from scim_service.web.access_log import WORKSPACE_KEY

_CONTEXT_KEY = "scim_service.context"
_DERIVED: dict[tuple[str, str], str] = {}


def base_url(config=None, environ=None) -> str:
    """SCIM_BASE_URL, else derived from the request (cached per scheme and Host: it is on every response)."""
    configured = (config or current_app.config["SCIM"]).base_url
    if configured:
        return configured
    environ = environ or request.environ
    key = (environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST", ""))
    found = _DERIVED.get(key)
    if found is None:
        if len(_DERIVED) > 256:   # Host is client-controlled: keep the cache bounded
            _DERIVED.clear()
        found = _DERIVED[key] = request.host_url.rstrip("/") + "/scim/v2"
    return found


def scim_context() -> Context:
    """Kept in the WSGI environ: one lookup of the request per call (Flask's proxies cost on every access)."""
    environ = request.environ
    ctx = environ.get(_CONTEXT_KEY)
    if ctx is None:
        app = current_app
        config, backend = app.config["SCIM"], app.extensions["scim_backend"]
        workspace, token = authenticate(backend, environ.get("HTTP_AUTHORIZATION"))
        environ[WORKSPACE_KEY] = workspace
        ctx = environ[_CONTEXT_KEY] = Context(backend, config, workspace, token, base_url(config, environ))
    return ctx
