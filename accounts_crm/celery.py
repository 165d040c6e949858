"""Celery application.

With REDIS_URL unset (a fresh checkout) tasks run eagerly in-process, so the
product works without a broker; with it set, workers consume from Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accounts_crm.settings")

app = Celery("accounts_crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
