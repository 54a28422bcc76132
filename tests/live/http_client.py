"""A stand-in for Flask's test client that sends each request over HTTP to a live server.

It gives the in-process suites (tests/idp) the same interface — ``open()``
returning a response with ``status_code``, ``headers``, ``content_type``,
``get_json()`` and ``get_data()`` — so the same scenario code runs end to end.
"""
from __future__ import annotations

import http.client
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import orjson
from werkzeug.datastructures import Headers


class HttpResponse:
    def __init__(self, status: int, headers: Headers, data: bytes):
        self.status_code = status
        self.headers = headers
        self.data = data

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def get_data(self, as_text: bool = False):
        return self.data.decode("utf-8", "replace") if as_text else self.data

    def get_json(self, force: bool = False, silent: bool = False):
        try:
            return orjson.loads(self.data) if self.data else None
        except orjson.JSONDecodeError:
            if silent:
                return None
            raise

    @property
    def json(self):
        return self.get_json()


class HttpTestClient:
    """``open(url, method, headers, data)`` over HTTP; ``tokens`` maps a suite's token to a live one."""

    def __init__(self, root_url: str, tokens: dict[str, str]):
        parts = urlsplit(root_url)
        self.host, self.port = parts.hostname, parts.port
        self.tokens = tokens

    def open(self, url: str, method: str = "GET", headers=None, data=None, query_string=None, **_):
        path, _, raw_query = url.partition("?")
        pairs = parse_qsl(raw_query, keep_blank_values=True) + list((query_string or {}).items())
        target = quote(path) + ("?" + urlencode(pairs, quote_via=quote) if pairs else "")
        sent = dict(headers or {})
        auth = sent.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[7:] in self.tokens:
            sent["Authorization"] = "Bearer " + self.tokens[auth[7:]]
        body = data.encode() if isinstance(data, str) else data
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, target, body=body, headers=sent)
            response = conn.getresponse()
            return HttpResponse(response.status, Headers(response.getheaders()), response.read())
        finally:
            conn.close()


class LiveApp:
    """What a scenario needs of ``app``: more clients of the same server (E-16's threads)."""

    def __init__(self, root_url: str, tokens: dict[str, str]):
        self.root_url, self.tokens = root_url, tokens

    def test_client(self) -> HttpTestClient:
        return HttpTestClient(self.root_url, self.tokens)
