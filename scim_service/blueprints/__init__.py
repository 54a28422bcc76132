"""One blueprint per SCIM resource: discovery, Users, Groups, search, Bulk (plus health)."""
