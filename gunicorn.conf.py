"""gunicorn settings for b24app; every number can be overridden from the environment.

Run: gunicorn -c gunicorn.conf.py b24app.wsgi:app
"""

import glob
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"

# Install and placement handlers may call the portal synchronously, with an HTTP
# timeout of B24_HTTP_TIMEOUT (65 s by default, above Bitrix24's 60 s limit per
# REST call); the worker timeout must outlast that call. Long work goes to RQ.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "75"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Query strings and referrers are left out because Bitrix24 handler URLs can carry
# tokens (AUTH_ID, REFRESH_ID) in them: %(U)s is the path without the query.
accesslog = "-"
errorlog = "-"
access_log_format = (
    '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms req=%({x-request-id}o)s'
)


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    """Empty the Prometheus folder: files of an earlier run would be counted again."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    for path in glob.glob(os.path.join(directory, "*.db")):
        os.remove(path)


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    """Drop the live gauge files of a gunicorn worker that exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
