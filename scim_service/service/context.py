"""What every service operation needs: the workspace, the backend, the limits."""
from __future__ import annotations

from dataclasses import dataclass
import time

from backends.base import Backend
from scim_service.config import Config
from scim_service.resources import Limits


@dataclass(frozen=True)
class Context:
    backend: Backend
    config: Config
    workspace: str
    token_id: str
    base_url: str

    @property
    def limits(self) -> Limits:
        return limits_of(self.config)


def limits_of(config: Config) -> Limits:
    return Limits(config.max_string_length, config.max_multi_values, config.max_members_per_request)


_SECOND: tuple[int, str] = (0, "")


def now_iso() -> str:
    """UTC, millisecond precision, ``Z``: sorts as text in every backend (the second is formatted once)."""
    global _SECOND
    now = time.time()
    second = int(now)
    cached = _SECOND
    if cached[0] != second:
        cached = _SECOND = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{cached[1]}.{int((now - second) * 1000):03d}Z"
