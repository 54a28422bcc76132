"""gunicorn settings, from the environment (Heroku style). ``gunicorn.conf.py`` at the top re-exports them."""
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "1") or 1)
threads = int(os.environ.get("SCIM_THREADS", "8") or 8)
worker_class = "gthread"
keepalive = 5
timeout = int(os.environ.get("SCIM_WORKER_TIMEOUT", "60") or 60)
graceful_timeout = 30          # SIGTERM: finish in-flight requests for up to 30 s
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")   # Heroku's router sets X-Forwarded-*
accesslog = None               # scim_service.access logs one structured line per request instead
errorlog = "-"
loglevel = os.environ.get("SCIM_LOG_LEVEL", "info").lower()
raw_env = [f"SCIM_WORKERS={workers}"]
os.environ["SCIM_WORKERS"] = str(workers)   # lets create_app refuse single-process backends under N workers
control_socket_disable = True  # gunicorn >= 24: no shared control socket between parallel servers
