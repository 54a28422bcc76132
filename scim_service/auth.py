"""Bearer tokens: one per workspace, stored only as SHA-256 hashes, compared in constant time.

Tokens are 256-bit random strings, so a fast hash is enough (no brute force to
slow down); the hash is what the backend stores and indexes. Nothing here
logs a token.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from backends.base import Backend
from scim_service.errors import Unauthorized

TOKEN_PREFIX = "scim_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_id(token_hash: str) -> str:
    """A short, non-secret name for a token, for the activity log."""
    return "tok_" + token_hash[:10]


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def issue_token(backend: Backend, workspace: str) -> str:
    """A new token for ``workspace``; the previous one stops working at once."""
    token = generate_token()
    digest = hash_token(token)
    backend.set_token(workspace, digest, token_id(digest))
    return token


def provision_tokens(backend: Backend, pairs) -> None:
    """``SCIM_TOKENS`` pairs, hashed at start-up (idempotent across workers and restarts)."""
    for workspace, token in pairs:
        digest = hash_token(token)
        if backend.find_token(digest) is None:
            backend.set_token(workspace, digest, token_id(digest))


def authenticate(backend: Backend, header: str | None) -> tuple[str, str]:
    """(workspace, token id) for an ``Authorization: Bearer`` header, else ``Unauthorized``."""
    if not header:
        raise Unauthorized("missing Authorization header; send 'Authorization: Bearer <workspace token>'")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("the Authorization header must be 'Bearer <workspace token>'")
    digest = hash_token(token)
    found = backend.find_token(digest)
    if found is None or not hmac.compare_digest(found[2], digest):
        raise Unauthorized("the bearer token is not valid (it may have been replaced by a newer one)")
    return found[0], found[1]
