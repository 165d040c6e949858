"""The survey endpoints: the same services and scope as the pages, in the OpenAPI schema."""

from __future__ import annotations

import pytest
import time_machine
from rest_framework.test import APIClient

from surveys import services
from surveys.models import Survey, SurveyInvitation
from surveys.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@time_machine.travel(NOW, tick=False)
def test_send_list_remind_close_and_read_answers(acme, globex, am_alice, am_oscar):
    api = api_for(am_alice)
    created = api.post(
        "/api/v1/surveys/", {"client": acme.pk, "kind": "nps", "contacts": [acme.dora.pk, acme.ivan.pk]}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["invited"], body["answered"], body["response_rate"]) == (2, 0, 0.0)
    survey = Survey.objects.get(pk=body["id"])
    services.survey_answer(invitation=SurveyInvitation.objects.get(contact=acme.dora), score=4, comment="Late")
    with time_machine.travel(NOW.replace(day=4), tick=False):
        assert api.post(f"/api/v1/surveys/{survey.pk}/remind/").json() == {"reminded": 1}
    answers = api.get("/api/v1/survey-answers/", {"client": acme.pk, "score__lte": 6}).json()["results"]
    assert [(a["contact_name"], a["score"], a["comment"]) for a in answers] == [("Dora Lind", 4, "Late")]
    results = api.get("/api/v1/survey-results/", {"quarter": "2026-Q4"}).json()["results"]
    assert results[0]["client"] == acme.pk and results[0]["nps"]["score"] == -100.0
    assert results[0]["nps"]["response_rate"] == 0.5 and results[0]["csat"]["score"] is None
    closed = api.post(f"/api/v1/surveys/{survey.pk}/close/")
    assert closed.status_code == 200 and closed.json()["closed_at"]
    refused = api.post(f"/api/v1/surveys/{survey.pk}/remind/")
    assert refused.status_code == 400 and "closed" in refused.json()["error"]["message"]
    # Another team's AM: the survey and its answers do not exist for him.
    other = api_for(am_oscar)
    assert other.get(f"/api/v1/surveys/{survey.pk}/").status_code == 404
    assert other.get("/api/v1/survey-answers/").json()["results"] == []
    assert other.get("/api/v1/survey-results/").json()["results"] == []


@time_machine.travel(NOW, tick=False)
def test_bad_input_is_a_400_on_the_field(acme, globex, am_alice):
    api = api_for(am_alice)
    body = {"client": acme.pk, "kind": "nps", "contacts": [globex.gina.pk]}
    foreign = api.post("/api/v1/surveys/", body, format="json")
    assert foreign.status_code == 400 and "contacts" in foreign.json()["error"]["fields"]
    days = api.post(
        "/api/v1/surveys/", {"client": acme.pk, "kind": "csat", "contacts": [acme.dora.pk], "open_days": 500},
        format="json",
    )  # fmt: skip
    assert days.status_code == 400 and "open_days" in days.json()["error"]["fields"]
    assert api.get("/api/v1/survey-results/", {"quarter": "Q9"}).status_code == 400
    assert not Survey.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_schedules_through_the_api(acme, am_alice, am_bob):
    api = api_for(am_alice)
    body = {"client": acme.pk, "kind": "nps", "contacts": [acme.dora.pk], "every_months": 3, "next_on": "2026-12-01"}
    first = api.post("/api/v1/survey-schedules/", body, format="json")
    assert first.status_code == 201, first.json()
    again = api.post("/api/v1/survey-schedules/", {**body, "every_months": 6, "is_active": False}, format="json")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert (again.json()["every_months"], again.json()["is_active"]) == (6, False)
    assert api_for(am_bob).post("/api/v1/survey-schedules/", body, format="json").status_code == 403


def test_schema_documents_the_endpoints(admin_ada):
    paths = api_for(admin_ada).get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/surveys/",
        "/api/v1/surveys/{id}/remind/",
        "/api/v1/surveys/{id}/close/",
        "/api/v1/survey-answers/",
        "/api/v1/survey-schedules/",
        "/api/v1/survey-results/",
    ):
        assert path in paths, path
