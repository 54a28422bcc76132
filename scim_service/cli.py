"""``scim-service``: serve, generate a workspace token, read the provisioning activity."""
from __future__ import annotations

import argparse
import json
import os
import sys

from scim_service.config import load_config
from scim_service.errors import ConfigError


def _serve(args) -> int:
    from gunicorn.app.base import BaseApplication

    from scim_service import gunicorn_conf
    from scim_service.app import create_app

    options = {k: v for k, v in vars(gunicorn_conf).items()
               if not k.startswith("_") and k not in ("os",) and not callable(v)}
    options["bind"] = f"{args.host}:{args.port}"
    if args.workers:
        options["workers"] = args.workers
    if args.threads:
        options["threads"] = args.threads
    os.environ["SCIM_WORKERS"] = str(options["workers"])
    os.environ.setdefault("SCIM_ANNOUNCE_URL", f"http://{args.host}:{args.port}")
    config = load_config()   # fail fast, before gunicorn starts, on a bad value

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                if key in self.cfg.settings and value is not None:
                    self.cfg.set(key, value)

        def load(self):
            return create_app(config)

    print(f"Serving SCIM 2.0 at http://{args.host}:{args.port}/scim/v2 "
          f"(backend {config.backend}, {options['workers']} worker(s) x {options['threads']} threads)", flush=True)
    Server().run()
    return 0


def _token(args) -> int:
    from backends.registry import load_backend
    from scim_service.auth import generate_token, issue_token
    from scim_service.service.context import Context
    from scim_service.service import activity

    config = load_config()
    backend = load_backend(config)
    base = (config.base_url or "http://127.0.0.1:8000/scim/v2")
    if backend.single_process:
        token = generate_token()
        print(f"The {backend.name} backend keeps tokens inside the server process, so this command cannot\n"
              f"install a token into a running server. Start the server with:\n\n"
              f"  SCIM_TOKENS={args.workspace}:{token}\n\n"
              f"SCIM base URL: {base}\nBearer token:  {token}\n"
              "The token is only shown once. If you lose it, you must generate a new one, "
              "which will invalidate the previous token.")
        return 0
    token = issue_token(backend, args.workspace)
    activity.record(Context(backend, config, args.workspace, "cli", base), "token", None, None, None,
                    detail="new token generated; the previous one is invalid")
    print(f"SCIM base URL: {base}\nBearer token:  {token}\n"
          "The token is only shown once. If you lose it, you must generate a new one, "
          "which will invalidate the previous token.")
    return 0


def _activity(args) -> int:
    if args.url:
        return _activity_over_http(args)
    from backends.registry import load_backend

    config = load_config()
    backend = load_backend(config)
    if backend.single_process:
        print(f"The {backend.name} backend keeps activity inside the server process: ask the server with\n"
              "  scim-service activity --url http://127.0.0.1:8000 --token <workspace token>", file=sys.stderr)
        return 2
    for entry in backend.activity(args.workspace, args.limit):
        print(json.dumps(entry, default=str))
    return 0


def _activity_over_http(args) -> int:
    import urllib.error
    import urllib.request

    token = args.token or os.environ.get("SCIM_TOKEN")
    if not token:
        print("--url needs --token (or SCIM_TOKEN): the workspace's bearer token", file=sys.stderr)
        return 2
    request = urllib.request.Request(f"{args.url.rstrip('/')}/admin/activity?limit={args.limit}",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        print(f"the server answered {exc.code}: {exc.read().decode(errors='replace')}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cannot reach {args.url}: {exc}", file=sys.stderr)
        return 1
    if args.workspace and body.get("workspace") != args.workspace:
        print(f"that token belongs to workspace {body.get('workspace')!r}, not {args.workspace!r}", file=sys.stderr)
        return 2
    for entry in body["activity"]:
        print(json.dumps(entry, default=str))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scim-service", description="SCIM 2.0 service provider")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the service under gunicorn")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, help="gunicorn workers (default WEB_CONCURRENCY or 1)")
    serve.add_argument("--threads", type=int, help="threads per worker (default SCIM_THREADS or 8)")
    serve.set_defaults(run=_serve)
    token = sub.add_parser("token", help="workspace tokens")
    token_sub = token.add_subparsers(dest="action", required=True)
    generate = token_sub.add_parser("generate", help="print a new token for a workspace (invalidates the old one)")
    generate.add_argument("--workspace", required=True)
    generate.set_defaults(run=_token)
    act = sub.add_parser("activity", help="print a workspace's latest provisioning activity")
    act.add_argument("--workspace", help="the workspace (required without --url)")
    act.add_argument("--limit", type=int, default=50)
    act.add_argument("--url", help="read from a running server, e.g. http://127.0.0.1:8000 (memory backend)")
    act.add_argument("--token", help="with --url: the workspace's bearer token (or SCIM_TOKEN)")
    act.set_defaults(run=_activity)
    args = parser.parse_args(argv)
    if args.command == "activity" and not (args.workspace or args.url):
        parser.error("activity needs --workspace (or --url and --token)")
    try:
        return args.run(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
