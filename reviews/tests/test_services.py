"""The review state machine, action items, satisfaction, last_review_on and account plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from clients.models import Client, ClientStatus
from core.dates import Quarter
from core.errors import ApplicationError, ConcurrentEditError, NotAllowedError
from health.models import HealthScore
from interactions.models import FollowUp, FollowUpOrigin
from kpis.models import Metric, MetricValue
from reviews import services
from reviews.models import AccountPlan, AccountReview, ReviewActionItem, ReviewStatus
from reviews.tests.builders import HELD_ON, QUARTER, TODAY, held_review, plan_review, prepared_review
from tests.factories import ClientFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _status(review) -> str:
    return AccountReview.objects.get(pk=review.pk).status


class TestStateMachine:
    def test_planned_prepared_held_closed(self, alice_client, am_alice, am_bob):
        dora = alice_client.contacts.get()
        review = plan_review(alice_client, am_alice, contacts=[dora], colleagues=[am_alice, am_bob], agenda=" KPIs ")
        assert (review.status, review.year, review.quarter, review.agenda) == ("planned", 2025, 3, "KPIs")
        assert list(review.contacts.all()) == [dora]
        assert set(review.colleagues.all()) == {am_alice, am_bob}

        review = services.review_prepare(review=review, by=am_alice, expected_version=review.version, today=TODAY)
        assert review.status == ReviewStatus.PREPARED
        review = services.review_hold(
            review=review,
            by=am_alice,
            expected_version=review.version,
            held_on=HELD_ON,
            wins=" Two regions live ",
            issues="Late deliveries",
            satisfaction=8,
            goals_progress="On track",
            next_quarter_plan="Roll out to the south",
            today=TODAY,
        )
        assert (review.status, review.held_on, review.wins, review.satisfaction) == (
            "held",
            HELD_ON,
            "Two regions live",
            8,
        )
        review = services.review_close(review=review, by=am_alice, expected_version=review.version)
        assert review.status == ReviewStatus.CLOSED and review.closed_by == am_alice
        statuses = [h.status for h in review.history.order_by("history_id")]
        assert sorted(set(statuses), key=statuses.index) == ["planned", "prepared", "held", "closed"]
        assert {h.history_user for h in review.history.all()} == {am_alice}  # every change has its author

    @pytest.mark.parametrize(
        ("reached", "action", "message"),
        [
            ("planned", "hold", "Prepare the review first"),
            ("planned", "close", "Prepare and hold the review before closing it"),
            ("prepared", "prepare", "already prepared"),
            ("prepared", "close", "Hold the review before closing it"),
            ("held", "prepare", "its snapshot stays as it was presented"),
            ("held", "hold", "already held on Oct. 2, 2025; edit its outcome instead"),
            ("closed", "close", "already closed"),
            ("closed", "hold", "This review is closed"),
            ("closed", "prepare", "This review is closed"),
            ("closed", "reschedule", "cannot be rescheduled"),
            ("closed", "outcome", "its outcome is kept as it was"),
            ("prepared", "outcome", "recorded when the review is held"),
        ],
    )
    def test_invalid_transitions_are_refused_with_a_clear_message(
        self, alice_client, am_alice, reached, action, message
    ):
        review = plan_review(alice_client, am_alice)
        if reached != "planned":
            review = services.review_prepare(review=review, by=am_alice, today=TODAY)
        if reached in {"held", "closed"}:
            review = services.review_hold(
                review=review, by=am_alice, expected_version=None, held_on=HELD_ON, today=TODAY
            )
        if reached == "closed":
            review = services.review_close(review=review, by=am_alice)
        calls = {
            "prepare": lambda: services.review_prepare(review=review, by=am_alice, today=TODAY),
            "hold": lambda: services.review_hold(
                review=review, by=am_alice, expected_version=None, held_on=HELD_ON, today=TODAY
            ),
            "close": lambda: services.review_close(review=review, by=am_alice),
            "reschedule": lambda: services.review_plan_update(
                review=review, by=am_alice, expected_version=None, planned_on=HELD_ON
            ),
            "outcome": lambda: services.review_outcome_update(
                review=review, by=am_alice, expected_version=None, wins="x", today=TODAY
            ),
        }
        version = AccountReview.objects.get(pk=review.pk).version
        with pytest.raises(ApplicationError, match=message):
            calls[action]()
        assert _status(review) == reached
        assert AccountReview.objects.get(pk=review.pk).version == version

    def test_one_review_per_client_and_quarter(self, alice_client, am_alice):
        plan_review(alice_client, am_alice)
        with pytest.raises(ApplicationError, match="already has a Q3 2025 review") as error:
            plan_review(alice_client, am_alice, planned_on=dt.date(2025, 9, 1))
        assert error.value.field == "quarter"
        with pytest.raises(IntegrityError), transaction.atomic():  # the constraint, not only the check
            AccountReview.objects.create(client=alice_client, year=2025, quarter=3, planned_on=HELD_ON)
        assert plan_review(alice_client, am_alice, quarter=QUARTER.next()).quarter == 4

    def test_reviews_only_for_managed_clients_and_valid_quarters(self, am_alice):
        prospect = ClientFactory(owner=am_alice, team=am_alice.team, status=ClientStatus.PROSPECT)
        with pytest.raises(ApplicationError, match="onboarding, active, paused"):
            plan_review(prospect, am_alice)
        client = ClientFactory(owner=am_alice, team=am_alice.team)
        with pytest.raises(ApplicationError, match="A quarter is 1 to 4") as error:
            services.review_plan(client=client, by=am_alice, year=2025, quarter=5, planned_on=HELD_ON)
        assert error.value.field == "quarter"
        with pytest.raises(ApplicationError, match="planned for"):
            services.review_plan(client=client, by=am_alice, year=2025, quarter=3, planned_on=None)

    def test_attendees_must_belong_to_the_client(self, alice_client, am_alice):
        stranger = ContactFactory()
        with pytest.raises(ApplicationError, match="Not a contact of Nordwind Logistics") as error:
            plan_review(alice_client, am_alice, contacts=[stranger])
        assert error.value.field == "contacts"

    def test_held_date_must_be_in_the_past_and_in_or_after_the_quarter(self, alice_client, am_alice):
        review = prepared_review(alice_client, am_alice)
        with pytest.raises(ApplicationError, match="in the future") as error:
            services.review_hold(
                review=review, by=am_alice, expected_version=None, held_on=TODAY + dt.timedelta(days=1), today=TODAY
            )
        assert error.value.field == "held_on"
        with pytest.raises(ApplicationError, match="before the quarter started"):
            services.review_hold(
                review=review, by=am_alice, expected_version=None, held_on=dt.date(2025, 6, 30), today=TODAY
            )
        with pytest.raises(ApplicationError, match="1 to 10") as error:
            services.review_hold(
                review=review, by=am_alice, expected_version=None, held_on=HELD_ON, satisfaction=11, today=TODAY
            )
        assert error.value.field == "satisfaction"
        assert _status(review) == "prepared"

    def test_stale_version_is_refused(self, alice_client, am_alice):
        review = plan_review(alice_client, am_alice)
        services.review_plan_update(review=review, by=am_alice, expected_version=1, agenda="First")
        with pytest.raises(ConcurrentEditError, match="your version 1, now 2"):
            services.review_plan_update(review=review, by=am_alice, expected_version=1, agenda="Second")
        with pytest.raises(ConcurrentEditError):
            services.review_prepare(review=review, by=am_alice, expected_version=1, today=TODAY)
        assert AccountReview.objects.get(pk=review.pk).agenda == "First"


class TestActionItems:
    def test_items_with_an_owner_become_follow_ups_and_commitments(self, alice_client, am_alice, am_bob):
        review = held_review(
            alice_client,
            am_alice,
            action_items=[
                {"title": "Send the usage report", "owner": am_bob, "due_date": dt.date(2025, 10, 20)},
                {
                    "title": "Fix the late deliveries",
                    "owner": am_alice,
                    "due_date": dt.date(2025, 10, 25),
                    "is_commitment": True,
                    "promised_date": dt.date(2025, 10, 31),
                },
                {"title": "Invite the new CFO", "owner": am_alice},
                {"title": "Decide who trains the south team"},
            ],
        )
        items = list(review.action_items.order_by("position"))
        assert [i.position for i in items] == [1, 2, 3, 4]
        report, fix, invite, undecided = items
        assert (report.followup.owner, report.followup.due_date, report.followup.is_commitment) == (
            am_bob,
            dt.date(2025, 10, 20),
            False,
        )
        assert report.followup.origin == FollowUpOrigin.REVIEW
        assert report.followup.notes == "Agreed in the Q3 2025 account review."
        assert (fix.followup.is_commitment, fix.followup.promised_date) == (True, dt.date(2025, 10, 31))
        assert invite.followup.due_date == TODAY + dt.timedelta(days=14)  # no date given: two weeks
        assert undecided.followup is None and undecided.owner is None
        assert FollowUp.objects.filter(client=alice_client, origin=FollowUpOrigin.REVIEW).count() == 3

    def test_close_only_when_every_item_is_assigned(self, alice_client, am_alice, am_bob):
        review = held_review(
            alice_client, am_alice, action_items=[{"title": "Decide who trains the south team"}, {"title": "Call IT"}]
        )
        with pytest.raises(ApplicationError, match="2 action items still without an owner: “Decide who trains"):
            services.review_close(review=review, by=am_alice)
        first, second = review.action_items.order_by("position")
        services.review_action_item_assign(item=first, by=am_alice, owner=am_bob, due_date=dt.date(2025, 11, 1))
        with pytest.raises(ApplicationError, match="1 action item still without an owner: “Call IT”"):
            services.review_close(review=review, by=am_alice)
        services.review_action_item_assign(item=second, by=am_alice, owner=am_alice, today=TODAY)
        assert services.review_close(review=review, by=am_alice).status == ReviewStatus.CLOSED
        first.refresh_from_db()
        assert (first.owner, first.followup.owner, first.followup.due_date) == (am_bob, am_bob, dt.date(2025, 11, 1))

    def test_assigning_twice_or_after_closing_is_refused(self, alice_client, am_alice):
        review = held_review(alice_client, am_alice, action_items=[{"title": "Call IT", "owner": am_alice}])
        item = review.action_items.get()
        with pytest.raises(ApplicationError, match="already a follow-up"):
            services.review_action_item_assign(item=item, by=am_alice, owner=am_alice)
        services.review_close(review=review, by=am_alice)
        with pytest.raises(ApplicationError, match="This review is closed; add a follow-up on the client instead"):
            services.review_action_item_add(review=review, by=am_alice, title="One more")

    def test_bad_items_name_the_row_and_roll_the_hold_back(self, alice_client, am_alice, am_oscar):
        review = prepared_review(alice_client, am_alice)
        bad_lists = [
            ([{"title": "ok", "owner": am_alice}, {"title": "  "}], "Action item 2: Say what has to be done."),
            (
                [{"title": "Report", "promised_date": dt.date(2025, 11, 1)}],
                "Action item 1: Only an item promised to the client has a promised date.",
            ),
            (
                [
                    {
                        "title": "Report",
                        "owner": am_alice,
                        "due_date": dt.date(2025, 11, 10),
                        "is_commitment": True,
                        "promised_date": dt.date(2025, 11, 1),
                    }
                ],
                "Action item 1 (“Report”): The date promised to the client cannot be before",
            ),
            ([{"title": "Report", "owner": am_oscar}], "Action item 1 (“Report”): The owner must work in the client"),
        ]
        for items, message in bad_lists:
            with pytest.raises(ApplicationError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
                services.review_hold(
                    review=review, by=am_alice, expected_version=None, held_on=HELD_ON, action_items=items, today=TODAY
                )
            assert error.value.field == "action_items"
        assert _status(review) == "prepared"
        assert not ReviewActionItem.objects.exists() and not FollowUp.objects.exists()

    def test_items_are_added_on_held_reviews_only(self, alice_client, am_alice):
        review = prepared_review(alice_client, am_alice)
        with pytest.raises(ApplicationError, match="agreed when the review is held"):
            services.review_action_item_add(review=review, by=am_alice, title="Too early")
        review = services.review_hold(review=review, by=am_alice, expected_version=None, held_on=HELD_ON, today=TODAY)
        item = services.review_action_item_add(review=review, by=am_alice, title="Later idea", owner=am_alice)
        assert item.followup.title == "Later idea" and item.position == 1


class TestSatisfactionAndLastReview:
    def test_satisfaction_is_stored_as_a_kpi_value_of_the_day_held(self, alice_client, am_alice):
        review = held_review(alice_client, am_alice, satisfaction=7)
        metric = Metric.objects.get(key="satisfaction")
        assert (metric.aggregation, metric.higher_is_better) == ("last", True)
        assert list(MetricValue.objects.filter(client=alice_client, metric=metric).values_list("date", "value")) == [
            (HELD_ON, 7.0)
        ]
        # Corrected later: the value follows the review, on its (new) day, without leaving the old one behind.
        services.review_outcome_update(
            review=review, by=am_alice, expected_version=None, satisfaction=9, held_on=dt.date(2025, 10, 3), today=TODAY
        )
        assert list(MetricValue.objects.filter(client=alice_client, metric=metric).values_list("date", "value")) == [
            (dt.date(2025, 10, 3), 9.0)
        ]
        services.review_outcome_update(review=review, by=am_alice, expected_version=None, satisfaction=None)
        assert not MetricValue.objects.filter(client=alice_client, metric=metric).exists()

    def test_satisfaction_and_hold_roll_back_together(self, alice_client, am_alice):
        review = prepared_review(alice_client, am_alice)
        with pytest.raises(ApplicationError):
            services.review_hold(
                review=review,
                by=am_alice,
                expected_version=None,
                held_on=HELD_ON,
                satisfaction=6,
                action_items=[{"title": ""}],
                today=TODAY,
            )
        assert not MetricValue.objects.filter(metric__key="satisfaction").exists()
        assert Client.objects.get(pk=alice_client.pk).last_review_on is None

    def test_holding_rescores_today_once_committed(self, alice_client, am_alice, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            held_review(alice_client, am_alice, satisfaction=9)
        score = HealthScore.objects.get(client=alice_client)
        review_component = next(c for c in score.components if c["kind"] == "review_recency")
        assert not review_component["missing"]  # the score saw last_review_on

    def test_last_review_on_is_the_latest_held_review(self, alice_client, am_alice):
        assert alice_client.last_review_on is None
        q3 = prepared_review(alice_client, am_alice)
        assert Client.objects.get(pk=alice_client.pk).last_review_on is None  # prepared is not held
        q3 = services.review_hold(review=q3, by=am_alice, expected_version=None, held_on=HELD_ON, today=TODAY)
        assert Client.objects.get(pk=alice_client.pk).last_review_on == HELD_ON

        # An older quarter recorded afterwards does not move it back…
        q2 = plan_review(alice_client, am_alice, quarter=QUARTER.previous(), planned_on=dt.date(2025, 6, 20))
        q2 = services.review_prepare(review=q2, by=am_alice, today=TODAY)
        services.review_hold(review=q2, by=am_alice, expected_version=None, held_on=dt.date(2025, 6, 20), today=TODAY)
        assert Client.objects.get(pk=alice_client.pk).last_review_on == HELD_ON
        # …a corrected date moves it, and closing keeps it.
        services.review_outcome_update(
            review=q3, by=am_alice, expected_version=None, held_on=dt.date(2025, 10, 4), today=TODAY
        )
        services.review_close(review=q3, by=am_alice)
        client = Client.objects.get(pk=alice_client.pk)
        assert client.last_review_on == dt.date(2025, 10, 4)
        assert client.version == alice_client.version  # a derived fact: no user-visible edit of the client


class TestPermissions:
    @pytest.mark.parametrize("persona", ["am_bob", "sales_sam"])
    def test_readers_cannot_change_reviews(self, request, alice_client, am_alice, persona):
        user = request.getfixturevalue(persona)
        with pytest.raises(NotAllowedError):
            plan_review(alice_client, user)
        review = plan_review(alice_client, am_alice)
        with pytest.raises(NotAllowedError, match="not prepare it"):
            services.review_prepare(review=review, by=user, today=TODAY)
        with pytest.raises(NotAllowedError):
            services.account_plan_save(client=alice_client, by=user, expected_version=None, hypothesis="x")

    @pytest.mark.parametrize("persona", ["lead_lena", "admin_ada"])
    def test_lead_and_admin_run_the_review_of_an_am(self, request, alice_client, am_alice, persona):
        user = request.getfixturevalue(persona)
        review = held_review(alice_client, user, action_items=[{"title": "Escalate", "owner": am_alice}])
        assert services.review_close(review=review, by=user).closed_by == user

    def test_a_review_follows_its_client_to_the_new_owner(self, alice_client, am_alice, am_bob):
        review = plan_review(alice_client, am_alice)
        Client.objects.filter(pk=alice_client.pk).update(owner=am_bob)
        with pytest.raises(NotAllowedError):  # checked on the current client row, not the caller's copy
            services.review_prepare(review=review, by=am_alice, today=TODAY)
        assert services.review_prepare(review=review, by=am_bob, today=TODAY).status == "prepared"


class TestAccountPlan:
    def _lists(self, contact):
        return {
            "objectives": [{"objective": "Cut returns handling cost", "target": "-15%", "status": "on_track"}],
            "opportunities": [
                {"title": "Returns module", "kind": "upsell", "estimated_value": "24000", "stage": "qualified"}
            ],
            "stakeholders": [{"contact": contact.pk, "how": "Monthly call with usage figures"}],
            "risks": [{"risk": "Budget freeze", "impact": "high", "mitigation": "Show the savings early"}],
        }

    def test_create_update_keeps_history_and_revisit_date(self, alice_client, am_alice):
        dora = alice_client.contacts.get()
        plan = services.account_plan_save(
            client=alice_client,
            by=am_alice,
            expected_version=None,
            hypothesis="We believe the returns module cuts their costs by 15%.",
            revenue_target="250000",
            today=dt.date(2025, 7, 1),
            **self._lists(dora),
        )
        assert (plan.version, plan.currency, plan.revenue_target) == (1, "EUR", Decimal("250000.00"))
        assert plan.stakeholders == [
            {"contact": dora.pk, "who": "Dora Example", "how": "Monthly call with usage figures"}
        ]
        assert plan.opportunities[0]["estimated_value"] == "24000.00"
        assert plan.last_revisited_on == dt.date(2025, 7, 1)

        updated = services.account_plan_save(
            client=alice_client, by=am_alice, expected_version=1, revenue_target="300000", today=dt.date(2025, 8, 1)
        )
        assert (updated.version, updated.last_revisited_on, updated.revenue_target) == (
            2,
            dt.date(2025, 8, 1),
            Decimal("300000.00"),
        )
        assert updated.objectives == plan.objectives  # fields not sent are kept
        assert plan.history.count() == 2 and plan.history.first().history_user == am_alice
        assert AccountPlan.objects.count() == 1

        revisited = services.account_plan_revisit(plan=updated, by=am_alice, today=dt.date(2025, 9, 1))
        assert (revisited.version, revisited.last_revisited_on) == (3, dt.date(2025, 9, 1))

    def test_stale_and_duplicate_saves_are_refused(self, alice_client, am_alice):
        services.account_plan_save(client=alice_client, by=am_alice, expected_version=None, hypothesis="A")
        with pytest.raises(ApplicationError, match="already has an account plan"):
            services.account_plan_save(client=alice_client, by=am_alice, expected_version=None, hypothesis="B")
        services.account_plan_save(client=alice_client, by=am_alice, expected_version=1, hypothesis="B")
        with pytest.raises(ConcurrentEditError, match="your version 1, now 2"):
            services.account_plan_save(client=alice_client, by=am_alice, expected_version=1, hypothesis="C")
        assert AccountPlan.objects.get().hypothesis == "B"

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("objectives", [{"objective": "", "status": "on_track"}], "Objective 1: this is empty."),
            ("objectives", [{"objective": "Grow", "status": "maybe"}], "status must be one of"),
            (
                "objectives",
                [{"objective": "Grow"}, {"objective": "grow "}],
                "Objective 2: “grow” is listed twice.",
            ),
            ("opportunities", [{"title": "X", "estimated_value": "-5"}], "cannot be negative"),
            ("opportunities", [{"title": "X", "kind": "resell"}], "kind must be one of upsell, cross_sell"),
            ("stakeholders", [{"how": "Lunch"}], "Stakeholder 1: choose a contact or write who it is."),
            ("stakeholders", [{"contact": 999999, "how": "Lunch"}], "does not belong to this client"),
            ("risks", [{"risk": "Churn", "impact": "huge"}], "impact must be one of low, medium, high"),
            ("revenue_target", "-1", "cannot be negative"),
            ("currency", "EURO", "3-letter ISO currency code"),
        ],
    )
    def test_lists_are_validated_with_the_row_named(self, alice_client, am_alice, field, value, message):
        with pytest.raises(ApplicationError, match=message) as error:
            services.account_plan_save(client=alice_client, by=am_alice, expected_version=None, **{field: value})
        assert error.value.field == field
        assert not AccountPlan.objects.exists()

    def test_reviews_remember_the_plan_they_discussed(self, alice_client, am_alice):
        plan = services.account_plan_save(client=alice_client, by=am_alice, expected_version=None, hypothesis="A")
        review = held_review(alice_client, am_alice)
        services.account_plan_save(client=alice_client, by=am_alice, expected_version=plan.version, hypothesis="B")
        record = AccountPlan.history.get(history_id=review.plan_history_id)
        assert record.hypothesis == "A"


def test_quarter_parsing_in_services_is_strict(alice_client, am_alice):
    with pytest.raises(ApplicationError):
        services.review_plan(client=alice_client, by=am_alice, year=1999, quarter=1, planned_on=HELD_ON)
    assert Quarter.parse("2026-q2") == Quarter(2026, 2)
