"""The application factory: ``create_app(config)``."""
from __future__ import annotations

import logging
import os
import sys
from typing import Mapping

from flask import Flask

from backends.base import Backend
from backends.registry import load_backend
from scim_service.auth import issue_token, provision_tokens
from scim_service.blueprints import activity, discovery, groups, health, search, users
from scim_service.config import Config, load_config
from scim_service.errors import ConfigError
from scim_service.web import access_log, errors

PREFIX = "/scim/v2"
log = logging.getLogger("scim_service")


def create_app(config: Config | Mapping[str, str] | None = None, *, backend: Backend | None = None) -> Flask:
    """Build the service. ``config`` is a Config, a mapping of environment variables, or None (os.environ)."""
    if not isinstance(config, Config):
        config = load_config(config)
    _configure_logging(config)
    app = Flask(__name__)
    app.config["SCIM"] = config
    app.config["MAX_CONTENT_LENGTH"] = max(config.max_body_bytes, config.bulk_max_payload_bytes)
    app.json.sort_keys = False
    app.url_map.merge_slashes = False   # an id holding %2F must be a 404, not a redirect to another id

    backend = backend or load_backend(config)
    _check_workers(backend)
    app.extensions["scim_backend"] = backend
    provision_tokens(backend, config.tokens)
    if not config.tokens and backend.single_process and not backend.has_tokens():
        _announce_default_token(backend)

    for module in (discovery, users, groups, search):
        app.register_blueprint(module.bp, url_prefix=PREFIX)
    _register_bulk(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(activity.bp)
    errors.register(app)
    access_log.register(app)
    return app


def _register_bulk(app: Flask) -> None:
    try:
        from scim_service.blueprints import bulk
    except ImportError:  # Bulk is advertised only where its blueprint exists
        return
    app.register_blueprint(bulk.bp, url_prefix=PREFIX)


def _check_workers(backend: Backend) -> None:
    workers = int(os.environ.get("SCIM_WORKERS", "1") or 1)
    if backend.single_process and workers > 1:
        raise ConfigError(
            f"the {backend.name} backend keeps data inside one process, so it cannot serve {workers} "
            "gunicorn workers (each would see different data). Set WEB_CONCURRENCY=1 and raise "
            "SCIM_THREADS for concurrency, or use SCIM_BACKEND=mongodb.")


def _announce_default_token(backend: Backend) -> None:
    token = issue_token(backend, "default")
    url = os.environ.get("SCIM_ANNOUNCE_URL", "http://127.0.0.1:8000") + PREFIX
    print(
        f"\nscim-service is ready on the {backend.name} backend.\n"
        f"  SCIM base URL: {url}\n"
        f"  Bearer token for workspace 'default': {token}\n"
        "  The token is only shown once. If you lose it, restart to generate a new one, which invalidates\n"
        "  the previous token (or set SCIM_TOKENS=workspace:token).\n",
        file=sys.stdout, flush=True)


def _configure_logging(config: Config) -> None:
    root = logging.getLogger("scim_service")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
        root.propagate = False
    root.setLevel(config.log_level)
