"""Gunicorn, the production web server: `gunicorn -c deploy/gunicorn.conf.py`.

Each worker process has `GUNICORN_THREADS` threads and a pool of at most `DB_POOL_MAX_SIZE`
PostgreSQL connections (portal/settings.py), so the database never sees more than
WEB_CONCURRENCY × DB_POOL_MAX_SIZE connections from the web, whatever the load: a request that
finds every connection of its process busy waits for one (`DB_POOL_TIMEOUT`) instead of opening
another.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
wsgi_app = "portal.wsgi:application"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request that takes longer is killed (a PDF renders in well under a second).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Workers are replaced now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# No access log: the portal logs each request with its id (portal/observability.py).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The proxy in front (nginx, a load balancer) is trusted for X-Forwarded-* from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
