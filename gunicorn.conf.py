"""gunicorn settings for a small VM (1–2 vCPU, 1–2 GB): `gunicorn -c gunicorn.conf.py app:app`.

Each value can be overridden with the usual GUNICORN_* / command-line options.
"""

import multiprocessing
import os

bind = os.environ.get("SUMO_BIND", "127.0.0.1:8000")  # behind a reverse proxy on the same host
# Pages are mostly waiting on Google (or on the cache): a few processes with threads each.
workers = int(os.environ.get("SUMO_WORKERS", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("SUMO_THREADS", 8))
worker_class = "gthread"
# A signup may wait out Google's retries (SHEETS_RETRY_BUDGET, 20 s) twice over.
timeout = 60
graceful_timeout = 30
keepalive = 5
# The site logs one line per request itself (sumo_sheets/logs.py), without personal links.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("SUMO_LOG_LEVEL", "info")
# Recycle workers now and then, so a slow leak never grows for long.
max_requests = 2000
max_requests_jitter = 200
