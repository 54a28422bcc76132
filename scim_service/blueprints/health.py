"""Liveness and readiness for load balancers: no auth, no data."""
from __future__ import annotations

from flask import Blueprint, current_app

from scim_service.errors import ServiceUnavailable
from scim_service.web.io import scim_response

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return scim_response({"status": "ok"})


@bp.get("/readyz")
def readyz():
    backend = current_app.extensions["scim_backend"]
    try:
        ready = backend.ping()
    except Exception:
        ready = False
    if not ready:
        raise ServiceUnavailable(f"the {backend.name} backend is not reachable")
    return scim_response({"status": "ready", "backend": backend.name})
