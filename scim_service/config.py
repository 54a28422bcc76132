"""Configuration from environment variables, validated once at start-up.

Every variable is documented in the README's Configuration table; a bad value
raises ``ConfigError`` with a message naming the variable and what it accepts.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Mapping

from scim_service.errors import ConfigError


@dataclass(frozen=True)
class Config:
    backend: str = "memory"                 # SCIM_BACKEND
    mongodb_uri: str = ""                   # MONGODB_URI
    base_url: str = ""                      # SCIM_BASE_URL (else derived from the request)
    tokens: tuple[tuple[str, str], ...] = ()  # SCIM_TOKENS="ws1:token1,ws2:token2"
    default_count: int = 100                # SCIM_DEFAULT_COUNT
    max_results: int = 1000                 # SCIM_MAX_RESULTS (filter.maxResults)
    max_body_bytes: int = 8 * 1024 * 1024   # SCIM_MAX_BODY_BYTES
    bulk_max_operations: int = 100          # SCIM_BULK_MAX_OPERATIONS
    bulk_max_payload_bytes: int = 1048576   # SCIM_BULK_MAX_PAYLOAD_BYTES
    max_patch_operations: int = 1000        # SCIM_MAX_PATCH_OPERATIONS
    max_members_per_request: int = 10000    # SCIM_MAX_MEMBERS_PER_REQUEST
    max_string_length: int = 65536          # SCIM_MAX_STRING_LENGTH
    max_multi_values: int = 1000            # SCIM_MAX_MULTI_VALUES (per User attribute)
    max_json_depth: int = 32                # SCIM_MAX_JSON_DEPTH
    cursor_ttl_seconds: int = 3600          # SCIM_CURSOR_TTL_SECONDS
    cursor_secret: str = ""                 # SCIM_CURSOR_SECRET (else random per process)
    log_level: str = "INFO"                 # SCIM_LOG_LEVEL
    extra: Mapping[str, str] = field(default_factory=dict)  # backend plug-in settings

    def with_overrides(self, **overrides) -> "Config":
        return replace(self, **overrides)


_INT_VARS = {
    "default_count": ("SCIM_DEFAULT_COUNT", 0),
    "max_results": ("SCIM_MAX_RESULTS", 1),
    "max_body_bytes": ("SCIM_MAX_BODY_BYTES", 1024),
    "bulk_max_operations": ("SCIM_BULK_MAX_OPERATIONS", 1),
    "bulk_max_payload_bytes": ("SCIM_BULK_MAX_PAYLOAD_BYTES", 1024),
    "max_patch_operations": ("SCIM_MAX_PATCH_OPERATIONS", 1),
    "max_members_per_request": ("SCIM_MAX_MEMBERS_PER_REQUEST", 1),
    "max_string_length": ("SCIM_MAX_STRING_LENGTH", 16),
    "max_multi_values": ("SCIM_MAX_MULTI_VALUES", 1),
    "max_json_depth": ("SCIM_MAX_JSON_DEPTH", 4),
    "cursor_ttl_seconds": ("SCIM_CURSOR_TTL_SECONDS", 1),
}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def parse_tokens(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        workspace, sep, token = item.partition(":")
        if not sep or not workspace.strip() or not token.strip():
            raise ConfigError(
                "SCIM_TOKENS must be a comma-separated list of workspace:token pairs "
                "(e.g. 'acme:s3cret,beta:0ther'); one entry has no workspace or no token"
            )
        pairs.append((workspace.strip(), token.strip()))
    workspaces = [w for w, _ in pairs]
    if len(set(workspaces)) != len(workspaces):
        raise ConfigError("SCIM_TOKENS names a workspace twice; a workspace has exactly one token")
    return tuple(pairs)


def _int(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def load_config(environ: Mapping[str, str] | None = None, **overrides) -> Config:
    env = os.environ if environ is None else environ
    values: dict = {}
    if env.get("SCIM_BACKEND"):
        values["backend"] = env["SCIM_BACKEND"].strip().lower()
    if env.get("MONGODB_URI"):
        values["mongodb_uri"] = env["MONGODB_URI"].strip()
    if env.get("SCIM_BASE_URL"):
        base = env["SCIM_BASE_URL"].strip().rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"SCIM_BASE_URL must start with http:// or https://, got {base!r}")
        values["base_url"] = base
    if env.get("SCIM_TOKENS"):
        values["tokens"] = parse_tokens(env["SCIM_TOKENS"])
    if env.get("SCIM_CURSOR_SECRET"):
        values["cursor_secret"] = env["SCIM_CURSOR_SECRET"]
    if env.get("SCIM_LOG_LEVEL"):
        level = env["SCIM_LOG_LEVEL"].strip().upper()
        if level not in _LOG_LEVELS:
            raise ConfigError(f"SCIM_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, got {level!r}")
        values["log_level"] = level
    for attr, (name, minimum) in _INT_VARS.items():
        if env.get(name):
            values[attr] = _int(name, env[name].strip(), minimum)
    values["extra"] = {k: v for k, v in env.items() if k.startswith("SCIM_BACKEND_")}
    values.update(overrides)
    config = Config(**values)
    validate(config)
    return config


def validate(config: Config) -> None:
    if config.backend == "mongodb" and not config.mongodb_uri:
        raise ConfigError(
            "SCIM_BACKEND=mongodb needs MONGODB_URI (e.g. mongodb://localhost:27017/scim, "
            "or mongomock://localhost/scim for demos and tests)"
        )
    if config.default_count > config.max_results:
        raise ConfigError(
            f"SCIM_DEFAULT_COUNT ({config.default_count}) cannot exceed SCIM_MAX_RESULTS ({config.max_results})"
        )
