"""One structured line per request: request id, workspace, method, path, status, duration.

Never the query string (filters carry userNames), headers (tokens) or bodies.
A WSGI middleware rather than Flask hooks: it sees every response (errors
included) and costs a fraction of before/after_request dispatch on the hot path.
"""
from __future__ import annotations

import logging
import os
import re
import time

import orjson
from flask import Flask

log = logging.getLogger("scim_service.access")
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
WORKSPACE_KEY = "scim_service.workspace"   # set in the environ by scim_service.web.context


class AccessLog:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if incoming and _SAFE_ID.fullmatch(incoming) else os.urandom(12).hex()
        status_code = []

        def start(status, headers, exc_info=None):
            status_code.append(status[:3])
            headers.append(("X-Request-Id", request_id))
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, start)
        if log.isEnabledFor(logging.INFO):
            log.info(orjson.dumps({
                "request_id": request_id,
                "workspace": environ.get(WORKSPACE_KEY),
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "status": int(status_code[0]) if status_code else None,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }).decode())
        return result


def register(app: Flask) -> None:
    app.wsgi_app = AccessLog(app.wsgi_app)
