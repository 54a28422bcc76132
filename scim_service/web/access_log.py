"""One structured line per request: request id, workspace, method, path, status, duration.

Never the query string (filters carry userNames), headers (tokens) or bodies.
"""
from __future__ import annotations

import logging
import re
import os
import time

import orjson
from flask import Flask, g, request

log = logging.getLogger("scim_service.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def register(app: Flask) -> None:
    @app.before_request
    def start_timer():
        g.started = time.perf_counter()
        incoming = request.environ.get("HTTP_X_REQUEST_ID", "")
        g.request_id = incoming if incoming and _SAFE_ID.match(incoming) else os.urandom(12).hex()

    @app.after_request
    def log_request(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        if log.isEnabledFor(logging.INFO):
            log.info(orjson.dumps({
                "request_id": g.get("request_id"),
                "workspace": g.get("workspace"),
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
            }).decode())
        return response
