"""/Users (RFC 7644 §3): PATCH answers 200 with the user, as Entra's validator expects."""
from scim_service.blueprints.resources import resource_blueprint
from scim_service.schema import USER_TYPE

bp = resource_blueprint("users", USER_TYPE, patch_returns_body=True)
