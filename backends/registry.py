"""Find a backend by name through the ``scim_service.backends`` entry-point group.

A third-party package plugs in a backend by declaring, in its own metadata::

    [options.entry_points]
    scim_service.backends =
        mystore = mypackage.store:create_backend

and running the service with ``SCIM_BACKEND=mystore``. The entry point is a
callable taking the service ``Config`` and returning a ``backends.base.Backend``.
"""
from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from backends.base import Backend
from scim_service.errors import ConfigError

GROUP = "scim_service.backends"
# Our own backends, so a source checkout works before ``pip install`` registers them.
BUILTIN = {"memory": "backends.memory:create_backend", "mongodb": "backends.mongodb:create_backend"}


def available() -> dict[str, str]:
    found = dict(BUILTIN)
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.value
    return found


def load_backend(config) -> Backend:
    name = config.backend
    targets = available()
    if name not in targets:
        raise ConfigError(
            f"SCIM_BACKEND={name!r} is not a known backend; installed: {', '.join(sorted(targets))}. "
            f"A plug-in registers one under the entry-point group '{GROUP}'."
        )
    module_name, _, attr = targets[name].partition(":")
    try:
        factory = getattr(import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"backend {name!r} ({targets[name]}) could not be loaded: {exc}") from exc
    backend = factory(config)
    if not isinstance(backend, Backend):
        raise ConfigError(f"backend {name!r} did not return a backends.base.Backend")
    return backend
