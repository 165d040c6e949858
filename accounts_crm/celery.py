"""Celery application.

With REDIS_URL unset (a fresh checkout) tasks run eagerly in-process, so the
product works without a broker; with it set, workers consume from Redis.
"""

import os

from celery import Celery

from core.observability import connect_celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accounts_crm.settings")

app = Celery("accounts_crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Log lines of a task carry its id and name (and the id of the request that queued it).
connect_celery()
