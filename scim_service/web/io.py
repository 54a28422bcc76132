"""Reading SCIM JSON requests and writing SCIM JSON responses."""
from __future__ import annotations

from urllib.parse import parse_qsl

import orjson
from flask import Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from scim_service.errors import InvalidSyntax, InvalidValue, PayloadTooLarge, UnsupportedMediaType

SCIM_JSON = "application/scim+json; charset=utf-8"
_ACCEPTED = ("application/scim+json", "application/json")
_ARGS_KEY = "scim_service.args"


def query_args() -> dict[str, str]:
    """The query string, first value of a repeated name, as werkzeug's ``request.args.to_dict()``
    (invalid UTF-8 is replaced); parsed once per request, without werkzeug's MultiDict."""
    environ = request.environ
    args = environ.get(_ARGS_KEY)
    if args is None:
        args = {}
        text = environ.get("QUERY_STRING", "").encode("latin-1").decode(errors="replace")
        for name, value in parse_qsl(text, keep_blank_values=True, errors="replace"):
            args.setdefault(name, value)
        environ[_ARGS_KEY] = args
    return args


def scim_response(body, status: int = 200, headers: dict | None = None) -> Response:
    data = b"" if body is None else orjson.dumps(body)
    response = Response(data, status=status, content_type=SCIM_JSON)
    if headers:
        response.headers.update(headers)
    return response


def _depth_ok(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))
    return True


def _read_at_most(stream, size: int) -> bytes:
    """Read ``stream`` until its end or ``size`` bytes, whichever comes first (chunked bodies too)."""
    chunks, total = [], 0
    while total < size:
        try:
            chunk = stream.read(min(65536, size - total))
        except RequestEntityTooLarge:   # werkzeug's own cap (MAX_CONTENT_LENGTH) on a chunked body
            return b"\0" * size
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_body(max_bytes: int | None = None):
    """The request's JSON body, within the size and nesting limits, or a SCIM error."""
    config = current_app.config["SCIM"]
    limit = max_bytes or config.max_body_bytes
    environ = request.environ
    mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if mimetype and mimetype not in _ACCEPTED:
        raise UnsupportedMediaType(f"Content-Type {mimetype!r} is not accepted; send application/scim+json")
    declared = environ.get("CONTENT_LENGTH", "")
    length = int(declared) if declared.isascii() and declared.isdigit() else None
    if length is not None and length > limit:
        raise PayloadTooLarge(f"the body is {length} bytes; this endpoint accepts at most {limit}")
    if length is not None:   # read the server's stream directly, never past Content-Length (PEP 3333)
        raw = _read_at_most(environ["wsgi.input"], length)
    else:                    # chunked: werkzeug's stream knows where the body ends
        raw = _read_at_most(request.stream, limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes, the most this endpoint accepts")
    if not raw.strip():
        raise InvalidSyntax("the request needs a JSON body")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidSyntax(f"the body is not valid JSON: {exc}") from None
    depth = config.max_json_depth
    # A body with no more brackets than the limit cannot nest deeper than it: skip the walk.
    if raw.count(b"{") + raw.count(b"[") > depth and not _depth_ok(body, depth):
        raise InvalidValue(f"the body nests deeper than {depth} levels")
    if not isinstance(body, dict):
        raise InvalidSyntax("the body must be a JSON object")
    return body
