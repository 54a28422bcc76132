"""scim-service: a SCIM 2.0 service provider (RFC 7643, RFC 7644) for Flask."""

__version__ = "0.1.0"
__all__ = ["create_app", "__version__"]


def __getattr__(name):
    # Lazy, so that ``backends`` can import ``scim_service.filters`` without building the app.
    if name == "create_app":
        from scim_service.app import create_app
        return create_app
    raise AttributeError(name)
