"""Configuration from environment variables, validated at start-up with a clear message."""
from __future__ import annotations

import pytest

from scim_service.config import load_config
from scim_service.errors import ConfigError


def test_defaults():
    config = load_config({})
    assert config.backend == "memory" and config.default_count == 100 and config.max_results == 1000
    assert config.bulk_max_operations == 100 and config.bulk_max_payload_bytes == 1048576


def test_tokens_and_values_are_parsed():
    config = load_config({"SCIM_TOKENS": "acme:t1, beta:t2", "SCIM_MAX_RESULTS": "50", "SCIM_DEFAULT_COUNT": "10",
                          "SCIM_BASE_URL": "https://scim.example.com/scim/v2/"})
    assert config.tokens == (("acme", "t1"), ("beta", "t2"))
    assert config.max_results == 50 and config.base_url == "https://scim.example.com/scim/v2"


@pytest.mark.parametrize("env, message", [
    ({"SCIM_TOKENS": "no-colon"}, "SCIM_TOKENS"),
    ({"SCIM_TOKENS": "a:1,a:2"}, "twice"),
    ({"SCIM_MAX_RESULTS": "many"}, "SCIM_MAX_RESULTS must be a whole number"),
    ({"SCIM_MAX_RESULTS": "0"}, "at least 1"),
    ({"SCIM_BASE_URL": "ftp://x"}, "SCIM_BASE_URL"),
    ({"SCIM_BACKEND": "mongodb"}, "MONGODB_URI"),
    ({"SCIM_LOG_LEVEL": "LOUD"}, "SCIM_LOG_LEVEL"),
    ({"SCIM_DEFAULT_COUNT": "500", "SCIM_MAX_RESULTS": "100"}, "cannot exceed"),
])
def test_bad_values_are_reported_by_name(env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(env)


def test_unknown_backend_names_the_installed_ones():
    from scim_service import create_app
    with pytest.raises(ConfigError, match="installed: .*memory"):
        create_app({"SCIM_BACKEND": "cassandra"})


def test_memory_backend_refuses_several_workers(monkeypatch):
    from scim_service import create_app
    monkeypatch.setenv("SCIM_WORKERS", "3")
    with pytest.raises(ConfigError, match="one process"):
        create_app({"SCIM_TOKENS": "a:b"})
