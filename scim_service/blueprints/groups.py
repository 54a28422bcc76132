"""/Groups: PATCH answers 204 unless attributes are asked for (Entra: never ship the member list back)."""
from scim_service.blueprints.resources import resource_blueprint
from scim_service.schema import GROUP_TYPE

bp = resource_blueprint("groups", GROUP_TYPE, patch_returns_body=False)
