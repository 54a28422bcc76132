"""RFC 9865 cursors: opaque, signed, bound to one query, expiring.

A cursor carries the backend's position key of the last (or first) row seen,
so pages stay correct when resources are created or deleted between them.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time

from scim_service.errors import ExpiredCursor, InvalidCursor

_PROCESS_SECRET = os.urandom(32)


def _secret(config) -> bytes:
    if config.cursor_secret:
        return config.cursor_secret.encode()
    if config.mongodb_uri and config.backend != "memory":
        # Shared by every worker that reaches the same database; set SCIM_CURSOR_SECRET in production.
        return hashlib.sha256(b"scim-cursor:" + config.mongodb_uri.encode()).digest()
    return _PROCESS_SECRET


def query_fingerprint(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def _tuple(value):
    return tuple(_tuple(v) for v in value) if isinstance(value, list) else value


def encode(config, key: tuple, direction: str, fingerprint: str) -> str:
    payload = json.dumps({"k": key, "d": direction, "q": fingerprint, "t": int(time.time())},
                         separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(payload).rstrip(b"=")
    sig = base64.urlsafe_b64encode(hmac.new(_secret(config), body, "sha256").digest()[:16]).rstrip(b"=")
    return (body + b"." + sig).decode()


def decode(config, token: str, fingerprint: str) -> tuple[tuple, str]:
    """(position key, direction "next" or "previous"), or InvalidCursor / ExpiredCursor."""
    try:
        body, sig = token.encode().split(b".")
        expected = base64.urlsafe_b64encode(hmac.new(_secret(config), body, "sha256").digest()[:16]).rstrip(b"=")
        if not hmac.compare_digest(sig, expected):
            raise ValueError("signature")
        payload = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
        key, direction, issued, bound = payload["k"], payload["d"], payload["t"], payload["q"]
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise InvalidCursor("the cursor is not one this server issued; start again with cursor=''") from None
    if bound != fingerprint:
        raise InvalidCursor("the cursor belongs to a different query (filter, sortBy or sortOrder changed)")
    if time.time() - issued > config.cursor_ttl_seconds:
        raise ExpiredCursor(f"the cursor is older than {config.cursor_ttl_seconds} seconds; start again")
    return _tuple(key), direction
