"""End-to-end tests against a live scim-service process (see conftest.py)."""
