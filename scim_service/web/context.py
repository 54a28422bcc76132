"""The workspace of the current request, from its bearer token."""
from __future__ import annotations

from flask import current_app, g, request

from scim_service.auth import authenticate
from scim_service.service.context import Context


def base_url() -> str:
    configured = current_app.config["SCIM"].base_url
    return configured or request.host_url.rstrip("/") + "/scim/v2"


def scim_context() -> Context:
    ctx = g.get("scim_context")
    if ctx is None:
        backend = current_app.extensions["scim_backend"]
        workspace, token = authenticate(backend, request.headers.get("Authorization"))
        g.workspace = workspace
        ctx = g.scim_context = Context(backend, current_app.config["SCIM"], workspace, token, base_url())
    return ctx
