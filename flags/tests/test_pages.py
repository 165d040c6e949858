import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from core.errors import NotAllowedError
from flags import digest, evaluation
from flags import services as flag_services
from flags.models import Flag, FlagStatus, Resolution, TriggerRule
from flags.tests.test_evaluation import TODAY, orders
from interactions import services as interaction_services
from notifications.models import Notification
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def flag(am_alice):
    TriggerRule.objects.create(
        name="Orders falling",
        kind="kpi_drop",
        params={"metric": "orders", "drop_pct": 30, "recent_days": 7, "baseline_days": 28},
    )
    client = ClientFactory(name="Falling Foods", owner=am_alice, team=am_alice.team)
    orders(client, recent=40)
    evaluation.evaluate_day_inline(on_date=TODAY)
    return Flag.objects.get()


def test_logging_the_call_resolves_the_flag_and_links_it(client, am_alice, flag):
    client.force_login(am_alice)
    response = client.post(
        f"/flags/{flag.pk}/",
        {
            "kind": "call",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Warehouse move; volumes back next week",
            "sentiment": "neutral",
        },
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.resolution, flag.resolved_by) == (FlagStatus.RESOLVED, Resolution.HANDLED, am_alice)
    assert flag.interaction.summary == "Warehouse move; volumes back next week"
    assert flag.client.interactions.count() == 1


def test_bad_call_input_keeps_the_flag_open(client, am_alice, flag):
    client.force_login(am_alice)
    response = client.post(f"/flags/{flag.pk}/", {"kind": "call", "occurred_at": "", "summary": "", "sentiment": "x"})
    assert response.status_code == 200 and response.context["form"].errors
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN and not flag.client.interactions.exists()


@pytest.mark.parametrize(("persona", "list_status", "detail_status", "can_act"), [
    ("am_alice", 200, 200, True),
    ("lead_lena", 200, 200, True),
    ("am_bob", 200, 200, False),
    ("am_oscar", 200, 404, False),
    ("admin_ada", 200, 200, True),
])  # fmt: skip
def test_flag_visibility(client, personas, flag, persona, list_status, detail_status, can_act):
    client.force_login(personas[persona])
    listed = client.get("/flags/?scope=team")
    assert listed.status_code == list_status
    assert (flag in listed.context["page"].object_list) == (detail_status == 200)
    assert client.get(f"/flags/{flag.pk}/").status_code == detail_status
    dismissed = client.post(f"/flags/{flag.pk}/dismiss/", {"reason": "not useful"})
    assert dismissed.status_code == (302 if can_act else 403 if detail_status == 200 else 404)


def test_dismiss_needs_a_reason_and_keeps_it(client, am_alice, flag):
    client.force_login(am_alice)
    assert client.post(f"/flags/{flag.pk}/dismiss/", {"reason": ""}).status_code == 200
    client.post(f"/flags/{flag.pk}/dismiss/", {"reason": "Seasonal dip, known"})
    flag.refresh_from_db()
    assert (flag.status, flag.resolution_note) == (FlagStatus.DISMISSED, "Seasonal dip, known")
    rules_page = client.get("/rules/")
    assert [r.dismissed for r in rules_page.context["rules"]] == [1]


def test_snooze_and_reassign(client, am_alice, am_bob, lead_lena, flag):
    client.force_login(am_alice)
    client.post(f"/flags/{flag.pk}/snooze/", {"until": (timezone.localdate() - dt.timedelta(days=1)).isoformat()})
    assert Flag.objects.get().status == FlagStatus.OPEN  # a date in the past is refused
    client.post(f"/flags/{flag.pk}/snooze/", {"until": (timezone.localdate() + dt.timedelta(days=5)).isoformat()})
    assert Flag.objects.get().status == FlagStatus.SNOOZED
    client.force_login(lead_lena)
    client.post(f"/flags/{flag.pk}/reassign/", {"to": am_bob.pk})
    assert Flag.objects.get().assigned_to == am_bob
    assert Notification.objects.filter(user=am_bob, url=f"/flags/{flag.pk}/").exists()


def test_raise_a_flag_by_hand(client, am_alice, am_bob, alice_client):
    client.force_login(am_bob)
    assert client.get(f"/clients/{alice_client.pk}/flag/").status_code == 403
    client.force_login(am_alice)
    client.post(f"/clients/{alice_client.pk}/flag/", {"title": "Sponsor unhappy", "evidence": "Heard it at lunch"})
    flag = Flag.objects.get(client=alice_client)
    assert (flag.rule, flag.created_by, flag.status) == (None, am_alice, FlagStatus.OPEN)


class TestRulesPages:
    def _post(self, client, team_id, **extra):
        data = {
            "name": "NPS low",
            "kind": "kpi_threshold",
            "metric": "nps",
            "direction": "below",
            "threshold": "10",
            "window_days": "30",
            "severity": "3",
            "segment": "",
            "team": str(team_id or ""),
            "cooldown_days": "14",
            "auto_close": "on",
            "is_active": "on",
            "save": "1",
            **extra,
        }
        return client.post("/rules/new/", data)

    def test_lead_creates_a_team_rule_am_cannot(self, client, lead_lena, am_alice):
        client.force_login(am_alice)
        assert self._post(client, am_alice.team_id).status_code == 403
        client.force_login(lead_lena)
        assert self._post(client, lead_lena.team_id).status_code == 302
        rule = TriggerRule.objects.get()
        assert (rule.team, rule.params) == (
            lead_lena.team,
            {"metric": "nps", "direction": "below", "threshold": 10.0, "window_days": 30},
        )

    def test_bad_parameters_are_form_errors(self, client, admin_ada):
        client.force_login(admin_ada)
        response = self._post(client, None, metric="")
        assert response.status_code == 200 and "Choose the KPI to watch." in response.content.decode()
        assert not TriggerRule.objects.exists()

    def test_lead_cannot_change_a_global_rule(self, client, lead_lena, admin_ada):
        rule = flag_services.rule_create(
            by=admin_ada, name="Global", kind="health_below", params={"threshold": 40}, team_id=None
        )
        client.force_login(lead_lena)
        assert client.get(f"/rules/{rule.pk}/").status_code == 200  # readable, back-testable
        response = client.post(
            f"/rules/{rule.pk}/",
            {
                "name": "Mine now",
                "kind": "health_below",
                "threshold": "50",
                "severity": "2",
                "team": lead_lena.team_id,
                "cooldown_days": "1",
                "save": "1",
            },
        )
        assert response.status_code == 403
        assert TriggerRule.objects.get().name == "Global"

    def test_backtest_a_draft_without_saving(self, client, admin_ada, am_alice):
        falling = ClientFactory(owner=am_alice, team=am_alice.team)
        orders(falling, recent=40, until=timezone.localdate())
        client.force_login(admin_ada)
        response = self._post(
            client,
            None,
            kind="kpi_drop",
            metric="orders",
            drop_pct="30",
            recent_days="7",
            baseline_days="28",
            save="",
            backtest="1",
            period="90",
        )
        assert response.status_code == 200
        result = response.context["result"]
        assert result.total_flags >= 1 and result.accounts_flagged == 1
        assert result.per_am == [(am_alice.username, result.total_flags, 1)]
        assert not TriggerRule.objects.exists()


def test_evaluation_history_is_for_leads_and_admins(client, am_alice, lead_lena, flag):
    client.force_login(am_alice)
    assert client.get("/evaluations/").status_code == 403
    client.force_login(lead_lena)
    page = client.get("/evaluations/")
    assert page.status_code == 200 and [r.date for r in page.context["page"].object_list] == [TODAY]


def test_notifications_page_and_settings(client, am_alice, flag):
    client.force_login(am_alice)
    assert client.get("/clients/").context["unread_notifications"] == 1
    client.post("/notifications/")
    assert client.get("/clients/").context["unread_notifications"] == 0
    from notifications.selectors import preferences_of

    choices = preferences_of(user=am_alice) | {"flag_opened": "email"}  # no bell for new flags; the digest still
    assert client.post("/accounts/notifications/", choices).status_code == 302
    assert preferences_of(user=am_alice)["flag_opened"] == "email"


def test_daily_digest(am_alice, am_bob, flag):
    interaction_services.followup_create(
        client=flag.client,
        by=am_alice,
        title="Send the plan",
        due_date=TODAY - dt.timedelta(days=2),
        is_commitment=True,
    )
    am_bob.daily_digest = False
    am_bob.save()
    assert digest.send_daily_digests(on_date=TODAY) == 1
    message = mail.outbox[0]
    assert message.to == [am_alice.email]
    assert "Falling Foods: Orders falling" in message.body
    assert "Orders 7 days: 280 vs 700" in message.body
    assert "Falling Foods: Send the plan (due" in message.body


# --- leaks (issue 20) ----------------------------------------------------------------------------------------------

PRIVATE_MARKER = "Sponsor is job hunting PRIVATE-FLAG-MARKER"


def _resolve_with_private_note(client, am_alice, flag):
    client.force_login(am_alice)
    response = client.post(
        f"/flags/{flag.pk}/",
        {
            "kind": "note",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": PRIVATE_MARKER,
            "sentiment": "neutral",
            "is_private": "on",
        },
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED and flag.interaction.is_private
    return flag


@pytest.mark.parametrize(("persona", "status", "sees_note"), [
    ("am_alice", 200, True),  # the author
    ("lead_lena", 200, True),  # the author's team lead
    ("am_bob", 200, False),  # a teammate reads the client, not the private note
    ("sales_sam", 200, False),  # sales reads the client they sold
    ("admin_ada", 200, False),  # private notes are not for admins either (README)
    ("am_oscar", 404, False),
])  # fmt: skip
def test_a_private_note_that_resolves_a_flag_stays_private(client, personas, flag, persona, status, sees_note):
    flag.client.sales_owner = personas["sales_sam"]
    flag.client.save(update_fields=["sales_owner"])
    flag = _resolve_with_private_note(client, personas["am_alice"], flag)
    assert PRIVATE_MARKER not in Flag.objects.get(pk=flag.pk).resolution_note  # no copy outside the interaction
    client.force_login(personas[persona])
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):  # the page and its htmx fragment
        response = client.get(f"/flags/{flag.pk}/", **headers)
        assert response.status_code == status
        body = response.content.decode()
        assert (PRIVATE_MARKER in body) is (sees_note and not headers)
        assert (f"/interactions/{flag.interaction_id}/" in body) is (sees_note and not headers)
    listed = client.get("/flags/?scope=team&status=resolved").content.decode()
    assert PRIVATE_MARKER not in listed


@pytest.mark.parametrize(("persona", "status", "reassigned"), [
    ("am_alice", 403, False),  # the owner and assignee: an AM does not hand flags around
    ("am_bob", 403, False),  # a read-only teammate
    ("lead_lena", 302, True),
    ("admin_ada", 302, True),
    ("am_oscar", 404, False),  # another team: not found
])  # fmt: skip
def test_only_leads_and_admins_reassign_a_flag(client, personas, flag, persona, status, reassigned):
    am_bob = personas["am_bob"]
    client.force_login(personas[persona])
    response = client.post(f"/flags/{flag.pk}/reassign/", {"to": am_bob.pk})
    assert response.status_code == status
    assert (Flag.objects.get(pk=flag.pk).assigned_to == am_bob) is reassigned
    htmx = client.post(f"/flags/{flag.pk}/reassign/", {"to": am_bob.pk}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == (200 if reassigned else status)


def test_the_reassign_rule_is_in_the_service(am_alice, am_bob, flag):
    from core.errors import NotAllowedError

    with pytest.raises(NotAllowedError):
        flag_services.flag_reassign(flag=flag, by=am_alice, to=am_bob)
    assert Flag.objects.get(pk=flag.pk).assigned_to == am_alice


@pytest.mark.parametrize(("next_url", "expected"), [
    ("https://evil.example", "/flags/"),
    ("//evil.example", "/flags/"),
    ("///evil.example", "/flags/"),
    ("/\\evil.example", "/flags/"),
    ("javascript:alert(1)", "/flags/"),
    ("", "/flags/"),
    ("/clients/?page=2", "/clients/?page=2"),
])  # fmt: skip
def test_a_flag_action_follows_only_a_local_next(client, am_alice, flag, next_url, expected):
    client.force_login(am_alice)
    until = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = client.post(f"/flags/{flag.pk}/snooze/", {"until": until, "next": next_url})
    assert (response.status_code, response["Location"]) == (302, expected)
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.SNOOZED


def test_handling_a_flag_logs_the_call_its_follow_up_and_resolves_it_in_one_action(am_alice, flag):
    from interactions.models import FollowUp, FollowUpOrigin

    handled, call = flag_services.flag_handle_with_call(
        flag=flag,
        by=am_alice,
        kind="call",
        occurred_at=timezone.now(),
        summary="Talked about the drop",
        followup={"title": "Send the plan", "due_date": timezone.localdate() + dt.timedelta(days=3)},
    )

    assert (handled.status, handled.interaction) == (FlagStatus.RESOLVED, call)
    assert FollowUp.objects.get(interaction=call).origin == FollowUpOrigin.FLAG


def test_a_refused_flag_action_logs_nothing(am_bob, flag):
    from interactions.models import Interaction

    with pytest.raises(NotAllowedError):
        flag_services.flag_handle_with_call(
            flag=flag, by=am_bob, kind="call", occurred_at=timezone.now(), summary="Not mine to log"
        )
    assert not Interaction.objects.filter(summary="Not mine to log").exists()
    assert Flag.objects.get(pk=flag.pk).is_live
