"""The health model page: errors on the fields before any confirmation, weight shares, the clients a draft would move
(paginated), versions viewed and restored, "re-score now" queued with its progress; the explanation's dated review."""

import datetime as dt

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, ClientStatus
from core.formats import format_day
from health import panels, selectors, services
from health.models import HealthModel, HealthScore, RescoreRequest
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.make_aware(dt.datetime.combine(TODAY, dt.time(9))), tick=False)


def _form(**rows):
    data = {"c-TOTAL_FORMS": 2, "c-INITIAL_FORMS": 0, "green_min": 70, "yellow_min": 40}
    data.update(rows)
    return data


ENGAGEMENT = {"c-0-kind": "engagement", "c-0-weight": 3, "c-1-kind": "commitments", "c-1-weight": 1}


@pytest.fixture
def admin(admin_ada):
    browser = Browser()
    browser.force_login(admin_ada)
    return browser


def test_a_bad_value_is_refused_on_its_field_in_words_before_any_confirmation(frozen, admin):
    services.health_model_ensure_default()
    versions = HealthModel.objects.count()
    response = admin.post(
        "/health/model/",
        _form(**{"c-0-kind": "kpi_trend", "c-0-weight": 1, "c-0-drop_to_zero": 40, "c-1-kind": "kpi_level",
                 "c-1-metric": "nps", "c-1-weight": 1, "c-1-good": 5, "c-1-bad": 5, "save": "1"}),
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200 and 'id="confirm-save"' not in body
    first, second = response.context["formset"].forms
    assert first.errors["metric"] == ["Choose the KPI this component reads."]
    assert "0.5 is a 50% fall" in first.errors["drop_to_zero"][0]
    assert second.errors["bad"] == ["The alarming value must differ from the healthy value."]
    assert "drop_pct" not in body and "'good'" not in body and "Nothing was saved" in body
    bands = admin.post("/health/model/", _form(**ENGAGEMENT, green_min=30, yellow_min=50, save="1")).context["bands"]
    assert bands.errors["yellow_min"] == ["Yellow must start at or below green."]
    assert HealthModel.objects.count() == versions


def test_save_asks_for_confirmation_with_the_band_changes_then_saves(frozen, admin, am_alice):
    services.health_model_ensure_default()
    first = admin.post("/health/model/", _form(**ENGAGEMENT, save="1"))
    assert 'id="confirm-save"' in first.content.decode() and first.context["confirming"]
    assert HealthModel.objects.count() == 1  # nothing saved before the confirmation
    done = admin.post("/health/model/", _form(**ENGAGEMENT, save="1", confirmed="1"))
    assert done.status_code == 302
    active = selectors.active_model()
    assert active.version == 2 and [c["kind"] for c in active.components] == ["engagement", "commitments"]


def test_weights_show_as_shares_of_the_total(frozen, admin):
    services.health_model_ensure_default()
    response = admin.post("/health/model/", _form(**ENGAGEMENT, preview="1"))
    assert [share for _form_, share in response.context["rows"]] == [75.0, 25.0]
    assert selectors.weight_shares([{"kind": "engagement", "weight": 0}, {"kind": ""}]) == [0.0, None]


def test_the_preview_lists_the_clients_that_would_change_band_page_by_page(frozen, admin, am_alice):
    model = services.health_model_ensure_default()
    clients = [
        ClientFactory(name=f"Client {i:02d}", owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE)
        for i in range(30)
    ]
    # Green today; with a model of "engagement" only (never contacted: 0), every one of them turns red.
    HealthScore.objects.bulk_create(
        HealthScore(client=c, date=TODAY, model=model, score=80, band="green", coverage=1, components=[])
        for c in clients
    )
    response = admin.post("/health/model/", _form(**{"c-0-kind": "engagement", "c-0-weight": 1}, preview="1"))
    preview = response.context["preview"]
    assert preview.changed == 30 and {(c.before, c.after) for c in preview.changes} == {("green", "red")}
    page = response.context["changes"]
    assert len(page["rows"]) == 25 and page["page"].has_next()
    body = response.content.decode()
    assert reverse("clients:detail", args=[clients[0].pk]) in body and 'id="band-changes"' in body
    second = admin.post(
        "/health/model/", _form(**{"c-0-kind": "engagement", "c-0-weight": 1}, preview="1", preview_page="2")
    )
    assert len(second.context["changes"]["rows"]) == 5


def test_an_old_version_can_be_viewed_and_restored_as_a_new_version(frozen, admin, admin_ada):
    original = services.health_model_ensure_default()
    services.health_model_save(
        components=[{"kind": "engagement", "weight": 1}], green_min=60, yellow_min=30, by=admin_ada
    )
    page = admin.get(reverse("health:model_version", args=[original.pk]))
    assert page.status_code == 200 and "Restore version 1 as a new version" in page.content.decode()
    assert admin.get(reverse("health:model_version", args=[99999])).status_code == 404
    assert admin.post(reverse("health:model_restore", args=[original.pk])).status_code == 302
    restored = selectors.active_model()
    assert restored.version == 3 and restored.restored_from == original and restored.created_by == admin_ada
    assert restored.components == original.components and restored.green_min == original.green_min
    assert HealthModel.objects.get(version=1).is_active is False  # the old row itself is unchanged


def test_only_admins_restore_or_rescore(frozen, am_alice):
    version = services.health_model_ensure_default()
    browser = Browser()
    browser.force_login(am_alice)
    assert browser.post(reverse("health:model_restore", args=[version.pk])).status_code == 403
    assert browser.post(reverse("health:rescore")).status_code == 403
    assert not RescoreRequest.objects.exists()


def test_rescore_now_queues_the_task_and_the_page_shows_its_progress(
    frozen, admin, am_alice, django_capture_on_commit_callbacks
):
    services.health_model_ensure_default()
    for _ in range(3):
        ClientFactory(owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = admin.post(reverse("health:rescore"), HTTP_HX_REQUEST="true")
        assert not HealthScore.objects.exists()  # no scoring work in the request: it is queued after the commit
        assert 'data-rescore-status="queued"' in response.content.decode()
    assert len(queued) == 1
    request = RescoreRequest.objects.get()
    assert request.clients == 3 and request.on_date == TODAY
    # The tests' Celery runs tasks in-process: the queued task has now scored everyone.
    assert HealthScore.objects.filter(date=TODAY).count() == 3
    assert 'data-rescore-status="done"' in admin.get(reverse("health:rescore_status")).content.decode()


def test_the_rescore_progress_counts_the_scores_computed_since_the_request(frozen, time_machine, admin_ada, am_alice):
    services.health_model_ensure_default()
    ids = [ClientFactory(owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE).pk for _ in range(3)]
    services.health_scores_compute(on_date=TODAY, client_ids=ids)  # before the request: not counted
    time_machine.shift(dt.timedelta(minutes=1))
    RescoreRequest.objects.create(on_date=TODAY, requested_by=admin_ada, requested_at=timezone.now(), clients=3)
    assert selectors.rescore_progress().done == 0
    time_machine.shift(dt.timedelta(minutes=1))
    HealthScore.objects.filter(client_id=ids[0]).update(computed_at=timezone.now())
    progress = selectors.rescore_progress()
    assert (progress.done, progress.percent, progress.finished) == (1, 33, False)


def test_the_explanation_and_the_review_card_read_the_same_dated_fact(frozen, am_alice):
    """The score of a day counts the review held on or before that day, names its date, and says as of when."""
    services.health_model_save(
        components=[{"kind": "review_recency", "weight": 1}], green_min=70, yellow_min=40, by=None
    )
    client = ClientFactory(owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE)
    Client.objects.filter(pk=client.pk).update(last_review_on=TODAY - dt.timedelta(days=45))
    services.health_scores_compute(on_date=TODAY - dt.timedelta(days=1))
    client.refresh_from_db()
    context = panels._context(client=client, user=am_alice, today=TODAY)
    review = next(c for c in context["components"] if c["kind"] == "review_recency")
    assert review["explanation"] == (
        f"Last account review on {format_day(client.last_review_on)}, 44 days before "
        f"{format_day(TODAY - dt.timedelta(days=1))}"  # the reader's DATE_FORMAT, as on the reviews card
    )
    assert context["reviewed_since"] is None
    # A review held today, after that score: the panel says the score does not count it yet, no contradiction.
    Client.objects.filter(pk=client.pk).update(last_review_on=TODAY)
    client.refresh_from_db()
    assert panels._context(client=client, user=am_alice, today=TODAY)["reviewed_since"] == TODAY
    # Re-scoring a past day never counts a review held after that day ("-1 days ago").
    services.health_scores_compute(on_date=TODAY - dt.timedelta(days=1))
    score = HealthScore.objects.get(client=client, date=TODAY - dt.timedelta(days=1))
    raw = score.components[0]["raw"]
    assert raw["days_since_review"] is None or raw["days_since_review"] >= 0


def test_the_client_page_says_as_of_which_day_the_score_was_computed(frozen, client, am_alice):
    services.health_model_save(components=[{"kind": "review_recency", "weight": 1}], green_min=70, yellow_min=40,
                               by=None)  # fmt: skip
    account = ClientFactory(owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE)
    Client.objects.filter(pk=account.pk).update(last_review_on=dt.date(2026, 10, 16))
    services.health_scores_compute(on_date=TODAY)
    client.force_login(am_alice)
    body = client.get(reverse("clients:detail", args=[account.pk])).content.decode()
    reviewed, scored = format_day(dt.date(2026, 10, 16)), format_day(TODAY)
    assert scored == "Nov. 30, 2026"  # English DATE_FORMAT, not ISO
    assert f"Health as of {scored}" in body
    assert f"Last account review on {reviewed}, 45 days before {scored}" in body
    assert f"last review {reviewed}" in body  # the reviews card: the same day, in the same format


def test_the_api_restores_a_version_and_queues_a_rescore(frozen, admin_ada, am_alice):
    from rest_framework.test import APIClient

    original = services.health_model_ensure_default()
    services.health_model_save(components=[{"kind": "engagement", "weight": 1}], green_min=60, yellow_min=30,
                               by=admin_ada)  # fmt: skip
    api = APIClient()
    api.force_authenticate(am_alice)
    assert api.post(f"/api/v1/health/models/{original.pk}/restore/").status_code == 403
    assert api.post("/api/v1/health/models/rescore/").status_code == 403
    api.force_authenticate(admin_ada)
    restored = api.post(f"/api/v1/health/models/{original.pk}/restore/")
    assert restored.status_code == 201 and restored.json()["restored_from"] == original.pk
    assert restored.json()["version"] == 3
    ClientFactory(owner=am_alice, team=am_alice.team, status=ClientStatus.ACTIVE)
    queued = api.post("/api/v1/health/models/rescore/")
    assert queued.status_code == 202 and queued.json()["clients"] == 1
    assert api.get("/api/v1/health/models/rescore/").json()["on_date"] == TODAY.isoformat()
