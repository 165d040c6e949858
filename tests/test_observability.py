"""Request ids, and log lines that carry them (and the Celery task id and name)."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client as HttpClient

from accounts_crm.celery import app as celery_app
from core.logging import ContextFilter, JsonFormatter, TextFormatter
from core.observability import _before_task_publish, current_context, request_id_var

ROOT = Path(__file__).resolve().parents[1]


@celery_app.task(name="tests.test_observability.log_from_task")
def log_from_task(message):
    logging.getLogger("tests.task").warning(message)
    return current_context()


@pytest.fixture
def log_lines():
    """Log records as the project's handler writes them (context filter + JSON), parsed back."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.mark.django_db
def test_each_request_gets_an_id_on_the_response():
    first, second = HttpClient().get("/healthz"), HttpClient().get("/healthz")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming", ["3f2a9c1e-77b0-4d1c-9d7e-0c1f6b1e2a44", "Root=1-67891233-abcdef012345678912345678"]
)
def test_a_sane_incoming_request_id_is_kept(incoming):
    assert HttpClient().get("/healthz", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] == incoming


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["", "has spaces", "x" * 200, '"><script>', "-leading-dash", "a\tb"])
def test_a_doubtful_incoming_request_id_is_replaced(incoming):
    answered = HttpClient().get("/healthz", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
    assert answered != incoming and len(answered) == 32


@pytest.mark.django_db
def test_log_lines_of_a_request_carry_its_id_even_after_the_middleware(log_lines):
    response = HttpClient().get("/api/v1/nope", HTTP_X_REQUEST_ID="req-abc-123")
    assert response.status_code == 404
    # Django logs "Not Found" after the middleware chain has returned: the id is still there.
    (line,) = [entry for entry in log_lines() if entry["logger"] == "django.request"]
    assert line["request_id"] == "req-abc-123" and line["level"] == "WARNING"
    assert line["message"] == "Not Found: /api/v1/nope" and line["status_code"] == 404
    assert request_id_var.get() is None, "the id is forgotten once the response is closed"


@pytest.mark.urls("tests.urls_errors")
def test_an_error_log_line_has_the_request_id_and_the_traceback(db, log_lines):
    response = HttpClient(raise_request_exception=False).get("/boom/?message=kaput")
    (line,) = [entry for entry in log_lines() if entry["logger"] == "django.request"]
    assert line["level"] == "ERROR" and line["request_id"] == response["X-Request-ID"]
    assert "ProbeError: kaput" in line["exc_info"]


def test_task_log_lines_carry_the_task_id_and_name(log_lines):
    result = log_from_task.delay("from the task")
    # Eager here; a real worker started in this process by an earlier test marks joins as blocking.
    seen = result.get(disable_sync_subtasks=False)
    assert seen["task_id"] == result.id and seen["task_name"] == "tests.test_observability.log_from_task"
    (line,) = [entry for entry in log_lines() if entry["logger"] == "tests.task"]
    assert (line["task_id"], line["task_name"], line["message"]) == (result.id, seen["task_name"], "from the task")
    assert current_context() == {"request_id": None, "task_id": None, "task_name": None}


def test_a_task_run_inside_a_request_keeps_the_request_id_and_queued_tasks_carry_it():
    token = request_id_var.set("req-for-task")
    try:
        assert log_from_task.delay("x").get(disable_sync_subtasks=False)["request_id"] == "req-for-task"
        headers = {}
        _before_task_publish(headers=headers)
        assert headers == {"request_id": "req-for-task"}
    finally:
        request_id_var.reset(token)


def test_text_lines_are_readable_and_show_only_the_ids_present():
    formatter = TextFormatter()
    record = logging.makeLogRecord({"name": "clients", "levelname": "INFO", "msg": "saved %s", "args": ("x",)})
    ContextFilter().filter(record)
    assert formatter.format(record).endswith(" INFO clients saved x")
    record = logging.makeLogRecord({"name": "health", "levelname": "INFO", "msg": "scored", "task_id": "t1",
                                    "task_name": "health.tasks.score_clients"})  # fmt: skip
    assert formatter.format(record).endswith(" health [task_id=t1 task_name=health.tasks.score_clients] scored")


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in {"LOG_FORMAT", "LOG_LEVEL"}}
    environment.update(DJANGO_SETTINGS_MODULE="accounts_crm.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", f"import django, logging; django.setup(); {code}"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_log_format_and_level_come_from_the_environment():
    as_json = _run("logging.getLogger('probe').warning('hello %s', 'json')", LOG_FORMAT="json")
    assert as_json.returncode == 0, as_json.stderr
    entry = json.loads(as_json.stderr.strip().splitlines()[-1])
    assert (entry["logger"], entry["level"], entry["message"], entry["request_id"]) == (
        "probe",
        "WARNING",
        "hello json",
        None,
    )
    as_text = _run(
        "logging.getLogger('probe').info('quiet'); logging.getLogger('probe').error('loud')", LOG_LEVEL="error"
    )
    assert as_text.returncode == 0, as_text.stderr
    assert "quiet" not in as_text.stderr and as_text.stderr.strip().endswith("ERROR probe loud")
    wrong = _run("pass", LOG_FORMAT="xml")
    assert wrong.returncode != 0 and "LOG_FORMAT must be text or json" in wrong.stderr
