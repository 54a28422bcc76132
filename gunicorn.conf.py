from scim_service.gunicorn_conf import *  # noqa: F401,F403
