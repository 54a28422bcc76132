"""WSGI entry point: ``gunicorn wsgi:app`` (see Procfile)."""
from scim_service import create_app

app = create_app()
