"""A task queued while a request id is set runs in a real worker (private Redis on 127.0.0.1) with that
request id, its own task id and name in its context and on its log line."""

from __future__ import annotations

import subprocess
import sys

from tests.faults.conftest import ROOT, PrivateRedis, Service, app_env, wait_until

PRODUCER = """
import django; django.setup()
from core.observability import request_id_var
from tests.test_observability import log_from_task
request_id_var.set("req-propagated-7")
print(log_from_task.apply_async(args=["hello from the worker"]).id)  # no result backend: the log tells
"""


def test_a_queued_task_logs_the_request_id_that_queued_it(services, tmp_path):
    redis = PrivateRedis(tmp_path)
    services.append(redis)
    redis.start()
    env = app_env(REDIS_URL=redis.url, CELERY_QUEUE="task-context", DJANGO_SETTINGS_MODULE="accounts_crm.settings")
    env["LOG_LEVEL"] = "INFO"
    worker = Service(
        [sys.executable, "-m", "celery", "-A", "accounts_crm", "worker", "-I", "tests.test_observability",
         "--pool=solo", "--without-gossip", "--without-mingle", "-n", "task-context@%h"],
        env=env, log=tmp_path / "worker.log",
    )  # fmt: skip
    services.append(worker.start())
    wait_until(lambda: "ready." in worker.log.read_text(), timeout=60, what="the worker")

    produced = subprocess.run([sys.executable, "-c", PRODUCER], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
    assert produced.returncode == 0, produced.stderr[-3000:]
    task_id = produced.stdout.strip().splitlines()[-1]
    assert task_id
    expected = (
        f"WARNING tests.task [request_id=req-propagated-7 task_id={task_id} "
        "task_name=tests.test_observability.log_from_task] hello from the worker"
    )
    wait_until(lambda: expected in worker.log.read_text(), timeout=30, what="the task's log line")
