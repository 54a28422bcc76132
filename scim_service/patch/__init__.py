"""PATCH (RFC 7644 §3.5.2): the engine and the IdP dialects it tolerates."""
from scim_service.patch.engine import PATCH_URN, PatchEngine, PatchResult

__all__ = ["PatchEngine", "PatchResult", "PATCH_URN"]
