"""gunicorn settings for Doorstep (production profile; `make prod-check` runs exactly this).

Sync workers: the pages are short database reads and writes, and a sync worker holds at
most one database connection, so workers × DOORSTEP_DB_POOL_SIZE (+ Celery) bounds what
PostgreSQL must allow (see postgresql/doorstep.conf). Long work (ledger imports, exports
of big registers, the circle) runs in Celery, not in a request.
"""

import os

bind = os.environ.get("DOORSTEP_BIND", "127.0.0.1:8000")  # nginx in front; never exposed
workers = int(os.environ.get("DOORSTEP_WEB_WORKERS", "4"))
worker_class = "sync"
timeout = 60  # a request still running after this is killed (and logged)
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then (bounded memory)
max_requests_jitter = 200
forwarded_allow_ips = "127.0.0.1"  # nginx on the same machine sets X-Forwarded-Proto

# Access log: the path without its query string, so nothing a form sent by GET lands in
# it; every line (access and error) also passes the filter that masks ID and mobile
# numbers (doorstep/core/redact.py).
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "doorstep.core.redact.RedactFilter"}},
    "formatters": {
        "generic": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"},
        "access": {"format": "%(message)s"},
    },
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        },
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "filters": ["redact"],
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}
