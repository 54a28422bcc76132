"""The ceiling: the least a Flask app can do for GET /Users/<id> under the service's gunicorn settings.

One small user kept in a dict, serialised per request with orjson, as SCIM
JSON. run.py serves it with ``python -m gunicorn -c scim_service/gunicorn_conf.py
bench.ceiling_app:app`` (gthread, one worker, the same threads and keep-alive
as the service) and reports every service figure as a ratio to it.
"""
from __future__ import annotations

import orjson
from flask import Flask, Response

SCIM_JSON = "application/scim+json; charset=utf-8"
USER_ID = "2819c223-7f76-453a-919d-413861904646"
USERS = {
    USER_ID: {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": USER_ID,
        "externalId": "bjensen",
        "userName": "bjensen@example.com",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
        "active": True,
        "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00.000Z",
                 "lastModified": "2024-01-01T00:00:00.000Z",
                 "location": f"http://127.0.0.1/scim/v2/Users/{USER_ID}", "version": 'W/"1"'},
    }
}

app = Flask(__name__)


@app.get("/scim/v2/Users/<user_id>")
def get_user(user_id):
    user = USERS.get(user_id)
    if user is None:
        return Response(b'{"status":"404"}', status=404, content_type=SCIM_JSON)
    return Response(orjson.dumps(user), content_type=SCIM_JSON)


@app.get("/healthz")
def healthz():
    return Response(b'{"status":"ok"}', content_type=SCIM_JSON)
