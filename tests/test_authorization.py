"""The authorization walk: EVERY URL pattern of the project, as every persona, against the roles table.

How it works
- ``routes()`` walks ``django.urls.get_resolver()`` recursively (namespaces, includes, the DRF router with its
  format-suffix variants) and yields every pattern with its name.
- ``RULES`` says, per URL name, which methods to probe and what each persona must get, for objects of
  Alice's team (North) and of Oscar's team (South). A route without a rule FAILS (``test_every_route_has_a_rule``
  and the route's own case), so a new route cannot ship without deciding who may use it.
- Path parameters are filled with ids of real objects of that team (client, contact, handoff, interaction,
  follow-up, flag, rule, review, action item, account plan); ``format`` with ``json``.
- Every request runs in a savepoint that is rolled back, so a write by one persona does not change what the
  next persona sees.

Levels (DESIGN.md, "Roles and visibility"):
    W  allowed: GET 200; a write is not refused (anything but 401/403/404/405/5xx: 200, 201, 204, 302, 400, 409)
    R  read-only: GET 200; every write 403
    F  forbidden: every method 403 (a page of another role)
    H  hidden: every method 404 (not found and forbidden look the same)
    G  redirect: GET answers 302 (a landing URL)
Anonymous visitors: pages redirect to the login page, the API answers 401, public routes answer 200.

Besides the status, every response is searched for things the persona must never see: the names of the other
team's clients and prospects, and a private note (visible to its author and the team lead only; it also resolved a
flag, so it must not travel with the flag). API lists are checked for which object ids they contain.

Every page request also carries a hostile ``next`` (query string for GET, form field for POST): whatever the route
does with it, no response may redirect off the site.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from capture.services import message_capture
from capture.tests.mail import message as mail_message
from clients.models import ClientStatus, HandoffStatus, SavedClientView
from contracts import services as contract_services
from contracts.demo import demo_pdf
from contracts.models import ExchangeRate, Renewal
from flags import services as flag_services
from flags.models import BacktestJob, TriggerRule
from health.models import HealthModel
from health.services import health_model_ensure_default
from interactions.models import FollowUp, FollowUpOrigin, Interaction
from kpis.models import Metric
from reviews import services as review_services
from reviews.models import AccountReview, ReviewActionItem, ReviewStatus
from sharing.models import SharedPlanLink
from surveys import services as survey_services
from tests.factories import ClientFactory, ContactFactory, HandoffFactory, UserFactory
from users.models import Role

W, R, F, H, G = "allowed", "read-only", "forbidden", "hidden", "redirect"
PERSONAS = ("am_alice", "am_bob", "lead_lena", "am_oscar", "sales_sam", "admin_ada")
ANONYMOUS = "anonymous"

# --- what is not walked, and why (keep this list short) ----------------------------------------------------------

# Path prefixes left out of the walk: Django's admin has its own permission system (is_staff plus model
# permissions, tested by Django); static files are served by WhiteNoise outside the URLconf (listed in case a
# pattern ever appears).
EXCLUDED_PREFIXES = ("admin/", "static/")

# Django's authentication views: public by design (log in, reset a forgotten password) or only about the
# user's own password. Their behaviour (lock-out, CSRF, validators) is tested in tests/test_security.py.
EXCLUDED_NAMES = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # The private calendar feed authenticates with the secret token in its URL, not a session (a calendar app
    # cannot sign in); whoever holds the URL reads that one user's feed. Wrong, replaced and revoked tokens and a
    # deactivated user are refused in capture/tests/test_calendar.py.
    "capture:calendar_feed",
    # The shared plan page a client's contact opens: the token in its URL and a one-time code sent to the contact,
    # not a session. Every refusal (wrong, expired, revoked token, no code, another client's items) is walked in
    # sharing/tests/test_sharing.py.
    "sharing:page",
    # The survey answer page: the token in its URL, not a session. Every refusal (wrong token, closed or expired
    # survey, a second answer, another client's token, an archived client) is walked in surveys/tests/.
    "surveys:answer",
}


# --- the roles table as policies: persona -> level ---------------------------------------------------------------


def everyone(level: str) -> dict[str, str]:
    return dict.fromkeys(PERSONAS, level)


def only(level: str, *personas: str, others: str = F) -> dict[str, str]:
    return {p: (level if p in personas else others) for p in PERSONAS}


# A North client owned by Alice and sold by Sam (accepted, so sales reads it only): her teammate Bob reads it,
# their lead Lena edits it, Oscar (South) does not see it, admins do everything.
NORTH = {"am_alice": W, "am_bob": R, "lead_lena": W, "am_oscar": H, "sales_sam": R, "admin_ada": W}
# A South client owned by Oscar: nobody of North sees it, nor Sam, who did not sell it.
SOUTH = {**everyone(H), "am_oscar": W, "admin_ada": W}
CLIENT_CASES = {"north": NORTH, "south": SOUTH}
# Reading is the same; writing is limited to one kind of action.
NORTH_READ = {p: (R if level == W else level) for p, level in NORTH.items()}
SOUTH_READ = {p: (R if level == W else level) for p, level in SOUTH.items()}
READ_CASES = {"north": NORTH_READ, "south": SOUTH_READ}

# A pending handoff sent by Sam to team North (on a prospect he owns): any AM of North or their lead accepts or
# returns it; only the sender (and admins) edit or resend it; South does not see it.
HANDOFF_DECIDE = {
    "north": {"am_alice": W, "am_bob": W, "lead_lena": W, "am_oscar": H, "sales_sam": R, "admin_ada": W},
    # Sent by another sales rep to Oscar by name: he decides; his team's other members are not in the personas.
    "south": {**everyone(H), "am_oscar": W, "admin_ada": W},
}
HANDOFF_EDIT = {
    "north": {"am_alice": R, "am_bob": R, "lead_lena": R, "am_oscar": H, "sales_sam": W, "admin_ada": W},
    "south": {**everyone(H), "am_oscar": R, "admin_ada": W},
}
# The prospect of that handoff: its sales owner (and admins) edit it; it has no team or AM yet, so nobody else sees
# it as a client (the handoff itself is visible to the addressed team, above).
PROSPECT = {
    "north": {**everyone(H), "sales_sam": W, "admin_ada": W},
    "south": {**everyone(H), "admin_ada": W},
}
HANDOFF_READ = {
    side: {p: (R if level == W else level) for p, level in policy.items()} for side, policy in HANDOFF_EDIT.items()
}

# Trigger rules: global ones are read by everyone and edited by admins; a team's rules are read by its members
# and edited by its lead; other teams (and sales, who has no team) do not see them.
RULE_EDIT = {
    "global": {**everyone(R), "admin_ada": W},
    "north": {"am_alice": R, "am_bob": R, "lead_lena": W, "am_oscar": H, "sales_sam": H, "admin_ada": W},
    "south": {**everyone(H), "am_oscar": R, "admin_ada": W},
}
RULE_READ = {
    side: {p: (R if level == W else level) for p, level in policy.items()} for side, policy in RULE_EDIT.items()
}

# Passing a flag to someone else is for the team lead and admins; an AM who may act on the flag still may not.
FLAG_REASSIGN = {
    "north": {"am_alice": R, "am_bob": R, "lead_lena": W, "am_oscar": H, "sales_sam": R, "admin_ada": W},
    "south": {**everyone(H), "am_oscar": R, "admin_ada": W},
}

# An interaction Alice logged on her North client: she, her lead and admins edit it; whoever sees the client reads it.
INTERACTION = {"north": NORTH, "south": SOUTH}
# A follow-up owned by Alice: its owner and whoever may edit the client act on it.
FOLLOWUP = {"north": NORTH, "south": SOUTH}
# Captured e-mail: a filed one is seen like its interaction (a note by its author); an unfiled one (To file) only by
# its owner and their team lead, not by teammates or admins.
TO_FILE = {
    "north": {**everyone(H), "am_alice": W, "lead_lena": W},
    "south": {**everyone(H), "am_oscar": W},
}


# A saved client-list view is its owner's only: anybody else (admins too) gets 404.
SAVED_VIEW = {"north": {**everyone(H), "am_alice": W}, "south": {**everyone(H), "am_oscar": W}}
SAVED_VIEW_OPEN = {"north": {**everyone(H), "am_alice": G}, "south": {**everyone(H), "am_oscar": G}}  # to the list

# Playbooks: global ones are read by whoever works accounts and edited by admins; a team's are read by its members
# and edited by its lead; sales work no playbooks. Runs follow their client (CLIENT_CASES / READ_CASES).
PLAYBOOK_EDIT = {
    "global": {**everyone(R), "sales_sam": H, "admin_ada": W},
    "north": {"am_alice": R, "am_bob": R, "lead_lena": W, "am_oscar": H, "sales_sam": H, "admin_ada": W},
    "south": {**everyone(H), "am_oscar": R, "admin_ada": W},
}
PLAYBOOK_READ = {
    side: {p: (R if level == W else level) for p, level in policy.items()} for side, policy in PLAYBOOK_EDIT.items()
}
WORKS_ACCOUNTS = {**everyone(W), "sales_sam": F}

GET, POST, GET_POST = ("GET",), ("POST",), ("GET", "POST")


@dataclass(frozen=True)
class Rule:
    """How to probe one URL name and what each persona must get."""

    methods: tuple[str, ...]
    cases: dict[str, dict[str, str]]  # target ("north", "south", "global", "-") -> persona -> level
    params: dict[str, str] = field(default_factory=dict)  # path parameter -> kind of object in the target
    data: Callable[[dict, str], dict] | None = None  # (objects of the target, method) -> request body
    anonymous: str = "login"  # "login": redirect (pages) / 401 (API); "public": served without login
    lists: str | None = None  # API list of this kind of object: check which ids it shows
    create: bool = False  # a list that creates under a parent: GET for all; POST by the parent's policy


def page(policy: dict[str, str], methods: tuple[str, ...] = ("GET",), **kwargs) -> Rule:
    """A route without an object in its path."""
    return Rule(methods=methods, cases={"-": policy}, **kwargs)


def on(kind: str, cases: dict[str, dict[str, str]], methods: tuple[str, ...], *, param: str = "pk", **kwargs) -> Rule:
    """A route about one object: its path parameter ``param`` is the id of the target's ``kind``."""
    params = {param: kind, **kwargs.pop("params", {})}
    return Rule(methods=methods, cases=cases, params=params, **kwargs)


def create(cases: dict[str, dict[str, str]], body: Callable[[dict], dict], *, lists: str) -> Rule:
    """An API list whose POST creates an object under the target's parent (a client): everyone lists (scoped);
    creating needs the right to edit the parent; a parent the persona cannot see is an unknown id (400/404)."""
    return Rule(methods=GET_POST, cases=cases, data=lambda objects, method: body(objects), lists=lists, create=True)


def _today(offset: int = 0) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def _versioned(kind: str) -> Callable[[dict, str], dict]:
    """PATCH with the version read (a stale or missing one is refused before the permission check)."""
    return lambda objects, method: {"version": objects[kind].version} if method == "PATCH" else {}


def _body(payload: dict) -> Callable[[dict, str], dict]:
    return lambda objects, method: payload


# Pages and endpoints, by URL name. HTML writes post an empty form: the permission check comes before validation,
# so a read-only persona gets 403 and an allowed one a form with errors (200) or the action done (302).
# API writes send the smallest valid body, so that validation cannot hide a missing permission check. PUT is not
# probed: it validates a full body first and then goes through the same perform_update as PATCH.
API_DETAIL_RW = ("GET", "PATCH")
RULES: dict[str, Rule] = {
    # project
    "healthz": page(everyone(W), anonymous="public"),  # load balancer probe: no data, no login
    # The OpenAPI schema and its docs page describe the API (no data); drf-spectacular serves them publicly.
    "schema": page(everyone(W), anonymous="public"),
    "api-docs": page(everyone(W), anonymous="public"),
    "api-root": page(everyone(W)),
    "api_token": page(everyone(W), GET_POST),  # always the user's own token
    "notification_settings": page(everyone(W), GET_POST),  # the user's own settings
    "preferences": page(everyone(W), GET_POST),  # the user's own language and time zone
    "my-preferences": page(everyone(W), ("GET", "PATCH"), data=_body({"time_zone": ""})),
    # Switching the language of the pages is a cookie for anyone, signed in or not (Django's set_language).
    "set_language": page(everyone(W), POST, anonymous="public"),
    # clients (HTML)
    "clients:mine": page(everyone(W)),
    "clients:team": page(everyone(W)),
    "clients:create": page(everyone(W), GET_POST),  # sales, leads, admins and AMs create clients
    "clients:edit": on("client", CLIENT_CASES, GET_POST),
    "clients:archive": on("client", CLIENT_CASES, GET_POST),
    "clients:restore": on("archived", CLIENT_CASES, POST),
    # saved views of the client list (the user's own) and bulk actions on a selection (scoped to visible clients)
    "clients:saved_view_save": page(everyone(W), POST),
    "clients:saved_view_open": on("saved_view", SAVED_VIEW_OPEN, GET),
    "clients:saved_view_pin": on("saved_view", SAVED_VIEW, POST),
    "clients:saved_view_delete": on("saved_view", SAVED_VIEW, POST),
    "clients:bulk_reassign": page(only(W, "lead_lena", "admin_ada"), POST),
    "interactions:followups_bulk_create": page(everyone(W), POST),
    "dashboards:client_export_selected": page(everyone(W), POST),
    "clients:status_change": on("client", CLIENT_CASES, GET_POST),
    "clients:history": on("client", READ_CASES, GET),
    "clients:contact_create": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "clients:contact_edit": on("contact", CLIENT_CASES, GET_POST),
    "clients:handoff_create": on("prospect", PROSPECT, GET_POST, param="client_pk"),
    "clients:handoffs": page(everyone(W)),
    "clients:handoff_detail": on("handoff", HANDOFF_READ, GET),
    "clients:handoff_edit": on("handoff", HANDOFF_EDIT, GET_POST),
    "clients:handoff_accept": on("handoff", HANDOFF_DECIDE, GET_POST),  # GET: the confirmation
    "clients:handoff_return": on("handoff", HANDOFF_DECIDE, GET_POST),
    "clients:handoff_resend": on("handoff", HANDOFF_EDIT, POST),
    "clients:sales_import": page(only(W, "sales_sam", "lead_lena", "admin_ada"), GET_POST),
    # interactions and follow-ups (HTML)
    "interactions:log": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "interactions:edit": on("interaction", INTERACTION, GET_POST),
    "interactions:delete": on("interaction", INTERACTION, GET_POST),
    "interactions:followup_create": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "interactions:my_followups": page(everyone(W), GET_POST),  # ticks only the user's own editable follow-ups
    "interactions:followup_detail": on("followup", READ_CASES, GET),
    "interactions:followup_done": on("followup", FOLLOWUP, POST),
    "interactions:followup_reschedule": on("followup", FOLLOWUP, GET_POST),
    "interactions:followup_cancel": on("followup", FOLLOWUP, GET_POST),
    # e-mail capture (HTML)
    "capture:to_file": page(everyone(W)),  # each user's own queue
    "capture:message": on("captured", READ_CASES, GET),
    "capture:file": on("to_file", TO_FILE, POST),
    "capture:thread_private": on("captured", INTERACTION, POST),
    "capture:upload": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "capture:client_vcards": on("client", READ_CASES, GET, param="client_pk"),  # whoever sees the client
    # the shared plan page's management (the AM side): read by whoever sees the client, changed by its editors
    "sharing:manage": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "sharing:revoke": on("shared_link", CLIENT_CASES, POST),
    # surveys (HTML): read by whoever sees the client, sent, reminded, closed and scheduled by its editors
    "surveys:portfolio": page(everyone(W)),  # scoped to the clients the user sees
    "surveys:client": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "surveys:detail": on("survey", READ_CASES, GET),
    "surveys:remind": on("survey", CLIENT_CASES, POST),
    "surveys:close": on("survey", CLIENT_CASES, POST),
    "surveys:schedule_stop": on("survey_schedule", CLIENT_CASES, POST),
    # surveys (API)
    "survey-list": create(
        CLIENT_CASES,
        lambda o: {"client": o["client"].pk, "kind": "csat", "contacts": [o["surveyed"].pk]},
        lists="survey",
    ),
    "survey-detail": on("survey", READ_CASES, GET),
    "survey-remind": on("survey", CLIENT_CASES, POST, data=_body({})),
    "survey-close": on("survey", CLIENT_CASES, POST, data=_body({})),
    "surveyanswer-list": page(everyone(W), lists="survey_answer"),
    "surveyanswer-detail": on("survey_answer", READ_CASES, GET),
    "surveyschedule-list": create(
        CLIENT_CASES,
        lambda o: {
            "client": o["client"].pk,
            "kind": "nps",
            "contacts": [o["surveyed"].pk],
            "every_months": 3,
            "next_on": _today(7),
        },
        lists="survey_schedule",
    ),
    "surveyschedule-detail": on("survey_schedule", READ_CASES, GET),
    "surveyresult-list": page(everyone(W)),
    "capture:contact_vcard": on("contact", READ_CASES, GET),
    "capture:calendar": page(everyone(W), GET_POST),  # the user's own feed
    "capture:personal_mailbox": page(everyone(W), GET_POST),  # the user's own mailbox
    "capture:personal_mailbox_oauth_start": page(everyone(W), POST),  # empty form: back to the page with a message
    "capture:personal_mailbox_oauth_callback": page(everyone(G)),  # no state in the session: refused, nothing saved
    # health: model, flags, rules, runs, notifications (HTML)
    "health:model": page(only(W, "admin_ada"), GET_POST),
    "health:model_version": on("healthmodel", {"global": only(W, "admin_ada")}, GET),
    "health:model_restore": on("healthmodel", {"global": only(W, "admin_ada")}, POST),
    "health:rescore": page(only(W, "admin_ada"), POST),
    "health:rescore_status": page(only(W, "admin_ada"), GET),
    "health:calibration": page(only(W, "admin_ada"), GET),  # the model page's calibration section (htmx)
    "flags:list": page(everyone(W)),
    # POST logs the call that resolves the flag; a flag resolved (by a private note) is read-only.
    "flags:detail": on("flag", {**CLIENT_CASES, "north_resolved": NORTH_READ, "south_resolved": SOUTH_READ}, GET_POST),
    "flags:snooze": on("flag", CLIENT_CASES, POST, data=_body({"until_worse": "on"})),  # valid: follows next
    "flags:dismiss": on("flag", CLIENT_CASES, GET_POST),
    "flags:reassign": on("flag", FLAG_REASSIGN, POST),
    "flags:raise": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "flags:client_panel": on("client", READ_CASES, GET, param="client_pk"),  # the client page's flags, refreshed
    "flags:rules": page(everyone(W)),
    "flags:rule_create": page(only(W, "lead_lena", "admin_ada"), GET_POST),
    "flags:rule_edit": on("rule", RULE_EDIT, GET_POST),
    "flags:rule_backtest": on("rule", RULE_READ, GET),
    "flags:backtest_job": on("backtest_job", {"global": only(R, "lead_lena", others=H)}, GET),  # its requester
    "flags:evaluations": page(only(W, "lead_lena", "admin_ada")),
    "notifications:list": page(everyone(W), GET_POST),  # the user's own notifications
    # Webhooks: admins only (their secrets, the delivery log, send again).
    "notifications:webhooks": page(only(W, "admin_ada")),
    "notifications:webhook_create": page(only(W, "admin_ada"), GET_POST),
    "notifications:webhook_detail": on("webhook", {"global": only(W, "admin_ada")}, GET),
    "notifications:webhook_edit": on("webhook", {"global": only(W, "admin_ada")}, GET_POST),
    "notifications:webhook_rotate": on("webhook", {"global": only(W, "admin_ada")}, POST),
    "notifications:webhook_delete": on("webhook", {"global": only(W, "admin_ada")}, GET_POST),
    "notifications:delivery_resend": on("delivery", {"global": only(W, "admin_ada")}, POST),
    "notification-list": page(everyone(W)),  # the user's own
    "notification-mark-read": page(everyone(W), POST),
    "notification-detail": on("notification", {"global": only(W, "am_alice", others=H)}, GET),  # Alice's only
    "my-notification-preferences": page(everyone(W), ("GET", "PATCH")),
    "webhook-list": page(only(W, "admin_ada"), GET_POST),
    "webhook-detail": on("webhook", {"global": only(W, "admin_ada")}, API_DETAIL_RW),
    "webhook-rotate-secret": on("webhook", {"global": only(W, "admin_ada")}, POST),
    "webhook-deliveries": on("webhook", {"global": only(W, "admin_ada")}, GET),
    "webhookdelivery-list": page(only(W, "admin_ada")),
    "webhookdelivery-detail": on("delivery", {"global": only(W, "admin_ada")}, GET),
    "webhookdelivery-send-again": on("delivery", {"global": only(W, "admin_ada")}, POST),
    # reviews and account plans (HTML)
    "reviews:overview": page(everyone(W)),
    "reviews:plan": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "reviews:detail": on("review", READ_CASES, GET),
    "reviews:edit": on("review", CLIENT_CASES, GET_POST),
    "reviews:prepare": on("review", CLIENT_CASES, GET_POST),
    "reviews:hold": on("prepared", CLIENT_CASES, GET_POST),
    "reviews:close": on("review", CLIENT_CASES, GET_POST),
    "reviews:action_item_add": on("review", CLIENT_CASES, POST),
    "reviews:action_item_assign": on("review", CLIENT_CASES, POST, params={"item_pk": "item"}),
    "reviews:print": on("review", READ_CASES, GET),
    "reviews:export_csv": on("review", READ_CASES, GET),
    "reviews:export_json": on("review", READ_CASES, GET),
    "reviews:account_plan": on("client", READ_CASES, GET, param="client_pk"),
    "reviews:account_plan_edit": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "reviews:account_plan_revisit": on("client", CLIENT_CASES, POST, param="client_pk"),
    "reviews:account_plan_history": on("client", READ_CASES, GET, param="client_pk"),
    # dashboards (HTML)
    "dashboards:home": page(everyone(G)),  # lands each role on its own start page
    "dashboards:my_day": page(everyone(W)),
    "dashboards:portfolio": page(only(W, "lead_lena", "admin_ada")),
    "dashboards:activity_report": page(only(W, "lead_lena", "admin_ada")),  # the weekly report is the lead's
    "dashboards:search": page(everyone(W)),
    "dashboards:client_export": page(everyone(W)),
    "dashboards:client_audience": page(everyone(W)),
    "dashboards:client_audience_export": page(everyone(W)),  # Mailchimp's shape unless format= says otherwise
    "clients:detail": on("client", READ_CASES, GET),
    # contracts, renewals and exchange rates (HTML): contracts follow their client; sales reads them
    "contracts:list": page(everyone(W)),  # scoped to the clients the user sees
    "contracts:import": page(only(W, "am_alice", "am_bob", "lead_lena", "am_oscar", "admin_ada"), GET_POST),
    "contracts:detail": on("contract", READ_CASES, GET),
    "contracts:edit": on("contract", CLIENT_CASES, GET_POST),
    "contracts:create": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "contracts:renewals": page(only(W, "am_alice", "am_bob", "lead_lena", "am_oscar", "admin_ada")),
    "contracts:renewal_edit": on("renewal", CLIENT_CASES, GET_POST),
    "contracts:rates": page(only(W, "admin_ada"), GET_POST),
    "contracts:invoices": page(everyone(W)),  # scoped to the clients the user sees
    "contracts:invoice_edit": on("invoice", CLIENT_CASES, GET_POST),
    "contracts:invoice_create": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "contracts:documents": page(everyone(W)),
    "contracts:document_edit": on("document", CLIENT_CASES, GET_POST),
    "contracts:document_download": on("document", READ_CASES, GET),
    "contracts:document_sign": on("document", CLIENT_CASES, POST),
    # The confirmation page; the delete itself (POST) is in contracts/tests/test_paperwork.py (it would remove the
    # object the next persona probes).
    "contracts:document_delete": on(
        "document", {"north": {**NORTH, "am_bob": F, "sales_sam": F}, "south": SOUTH}, GET
    ),  # readers are refused the confirmation page
    "contracts:document_upload": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    "dashboards:renewals_board": page(only(W, "am_alice", "am_bob", "lead_lena", "am_oscar", "admin_ada")),
    "dashboards:renewals_board_move": on("renewal", CLIENT_CASES, POST),
    "clients:timeline": on("client", READ_CASES, GET),
    # API: clients, contacts, handoffs
    "client-list": page(everyone(W), GET_POST, data=_body({"name": "Brand New Client"}), lists="client"),
    "client-detail": on("client", CLIENT_CASES, ("GET", "PATCH", "DELETE"), data=_versioned("client")),
    "client-status-change": on("client", CLIENT_CASES, POST, data=_body({"status": "paused", "reason": "Walk"})),
    "contact-list": create(
        CLIENT_CASES,
        (lambda o: {"client": o["client"].pk, "first_name": "Nina", "last_name": "New"}),
        lists="contact",
    ),
    "contact-detail": on("contact", CLIENT_CASES, API_DETAIL_RW, data=_versioned("contact")),
    "handoff-list": create(
        PROSPECT,
        lambda o: {"client": o["prospect"].pk, "deal_name": "Upsell", "deal_external_id": "OPP-WALK-1"},
        lists="handoff",
    ),
    "handoff-detail": on("handoff", HANDOFF_EDIT, API_DETAIL_RW, data=_versioned("handoff")),
    "handoff-accept": on("handoff", HANDOFF_DECIDE, POST, data=_body({})),
    "handoff-return-to-sales": on("handoff", HANDOFF_DECIDE, POST, data=_body({"reason": "Scope unclear"})),
    "handoff-resend": on("handoff", HANDOFF_EDIT, POST, data=_body({})),
    # API: contracts, renewals, exchange rates (admins load rates; everyone reads them)
    "contract-list": create(
        CLIENT_CASES,
        lambda o: {
            "client": o["client"].pk,
            "number": "WALK-NEW-1",
            "start_date": "2030-01-01",
            "term_months": 12,
            "value": "1200.00",
            "currency": "EUR",
            "status": "active",
        },
        lists="contract",
    ),
    "savedclientview-list": page(
        everyone(W), GET_POST, data=_body({"name": "Walk view", "scope": "mine", "query": "status=active"})
    ),
    "savedclientview-detail": on("saved_view", SAVED_VIEW, ("GET", "PATCH", "DELETE"), data=_body({"pinned": True})),
    "contract-detail": on("contract", CLIENT_CASES, API_DETAIL_RW, data=_versioned("contract")),
    "renewal-list": page(everyone(W), lists="renewal"),
    "invoice-list": create(
        CLIENT_CASES,
        lambda o: {"client": o["client"].pk, "number": f"WALK-INV-{o['client'].pk}", "amount": "10.00"},
        lists="invoice",
    ),
    "invoice-detail": on("invoice", CLIENT_CASES, API_DETAIL_RW, data=_versioned("invoice")),
    "document-list": page(everyone(W), lists="document"),  # uploads (multipart) are in test_paperwork.py
    "document-detail": on("document", CLIENT_CASES, API_DETAIL_RW, data=_versioned("document")),
    "document-download": on("document", READ_CASES, GET),
    "renewal-detail": on("renewal", CLIENT_CASES, API_DETAIL_RW, data=_versioned("renewal")),
    "exchangerate-list": page(
        {**everyone(R), "admin_ada": W},
        GET_POST,
        data=_body({"rates": [{"currency": "USD", "date": "2030-01-02", "rate": "0.9"}]}),
    ),
    "exchangerate-detail": on("rate", {"global": everyone(R)}, GET),
    # API: interactions, follow-ups
    "interaction-list": create(
        CLIENT_CASES,
        lambda o: {
            "client": o["client"].pk,
            "kind": "call",
            "occurred_at": timezone.now().isoformat(),
            "summary": "Hi",
        },
        lists="interaction",
    ),
    "interaction-detail": on("interaction", INTERACTION, ("GET", "PATCH", "DELETE"), data=_versioned("interaction")),
    "followup-list": create(
        CLIENT_CASES,
        (lambda o: {"client": o["client"].pk, "title": "Send the deck", "due_date": _today(7)}),
        lists="followup",
    ),
    "followup-detail": on("followup", READ_CASES, GET),
    "followup-complete": on("followup", FOLLOWUP, POST, data=_body({})),
    "followup-reschedule": on("followup", FOLLOWUP, POST, data=_body({"due_date": _today(14), "reason": "Holiday"})),
    "followup-cancel": on("followup", FOLLOWUP, POST, data=_body({"reason": "Not needed"})),
    # API: KPIs and health (KPI values are pushed by admin or service accounts only)
    "kpi-values": page(only(W, "admin_ada"), POST, data=_body({"rows": []})),
    # Inbound mail authenticates with its shared secret, never with a user's session or token.
    "capture-inbound": page(everyone(F), POST),
    "metric-list": page(everyone(W)),
    "metric-detail": on("metric", {"global": everyone(R)}, GET),
    "healthscore-list": page(everyone(W), lists="score"),
    "healthmodel-list": page(everyone(W)),
    "healthmodel-detail": on("healthmodel", {"global": everyone(R)}, GET),
    "healthmodel-restore": on("healthmodel", {"global": only(W, "admin_ada")}, POST),
    "healthmodel-rescore": page(only(W, "admin_ada"), GET_POST),
    # API: reviews and account plans
    "review-list": create(
        CLIENT_CASES,
        (lambda o: {"client": o["client"].pk, "year": 2031, "quarter": 1, "planned_on": "2031-01-15"}),
        lists="review",
    ),
    "review-detail": on("review", CLIENT_CASES, API_DETAIL_RW, data=_versioned("review")),
    "review-prepare": on("review", CLIENT_CASES, POST, data=_body({})),
    "review-hold": on("prepared", CLIENT_CASES, POST, data=_body({"held_on": "2030-02-10"})),
    "review-outcome": on("review", CLIENT_CASES, POST, data=_body({})),
    "review-close": on("review", CLIENT_CASES, POST, data=_body({})),
    "review-add-action-item": on("review", CLIENT_CASES, POST, data=_body({"title": "Share the roadmap"})),
    "review-assign-action-item": on(
        "review",
        CLIENT_CASES,
        POST,
        params={"item_id": "item"},
        data=lambda o, method: {"owner": o["client"].owner_id, "due_date": _today(10)},
    ),
    "accountplan-list": create(
        CLIENT_CASES,
        (lambda o: {"client": o["client"].pk}),
        lists="plan",
    ),
    "accountplan-detail": on("plan", CLIENT_CASES, API_DETAIL_RW, data=_versioned("plan")),
    "accountplan-revisit": on("plan", CLIENT_CASES, POST, data=_body({})),
    "accountplan-history": on("plan", READ_CASES, GET),
    "accountplan-changes-since-review": on("plan", READ_CASES, GET),
    # playbooks (HTML)
    "playbooks:list": page(WORKS_ACCOUNTS),
    "playbooks:create": page(only(W, "lead_lena", "admin_ada"), GET_POST),
    "playbooks:detail": on("playbook", PLAYBOOK_READ, GET),
    "playbooks:edit": on("playbook", PLAYBOOK_EDIT, GET_POST),
    "playbooks:runs": page(WORKS_ACCOUNTS),
    "playbooks:run": on("run", READ_CASES, GET),
    "playbooks:run_cancel": on("run", CLIENT_CASES, GET_POST),
    "playbooks:step_complete": on("run", CLIENT_CASES, POST, param="run_pk", params={"step_pk": "step"}),
    "playbooks:step_skip": on("run", CLIENT_CASES, GET_POST, param="run_pk", params={"step_pk": "step"}),
    "playbooks:step_send": on("run", CLIENT_CASES, GET_POST, param="run_pk", params={"step_pk": "step"}),
    "playbooks:start": on("client", CLIENT_CASES, GET_POST, param="client_pk"),
    # API: playbooks and runs
    "playbook-list": page(
        {**everyone(R), "admin_ada": W},
        GET_POST,
        data=_body({"name": "Walk", "steps": [{"kind": "task", "title": "Call"}]}),
        lists="playbook",
    ),
    "playbook-detail": on("playbook", PLAYBOOK_EDIT, API_DETAIL_RW, data=_versioned("playbook")),
    "playbookrun-list": create(
        CLIENT_CASES, (lambda o: {"client": o["client"].pk, "playbook": o["other_playbook"].pk}), lists="run"
    ),
    "playbookrun-detail": on("run", READ_CASES, GET),
    "playbookrun-complete-step": on("run", CLIENT_CASES, POST, params={"step_id": "step"}, data=_body({})),
    "playbookrun-skip-step": on("run", CLIENT_CASES, POST, params={"step_id": "step"}, data=_body({"reason": "No"})),
    "playbookrun-send-step": on(
        "run",
        CLIENT_CASES,
        POST,
        params={"step_id": "step"},
        data=_body({"to": "dora@example.com", "subject": "Hi", "body": "Hello"}),
    ),
    "playbookrun-cancel": on("run", CLIENT_CASES, POST, data=_body({"reason": "Not needed"})),
}


# --- the walk ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str | None
    path: str  # the pattern, for messages
    pattern: re.Pattern
    converters: dict
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("api/")

    def url(self, values: dict[str, object]) -> str:
        """Build a concrete URL by replacing each group of the pattern's regex (works for path() and re_path())."""
        regex = self.pattern.pattern
        for name in self.params:
            value = str(values[name])
            converter = self.converters.get(name)
            if converter is not None:
                value = converter.to_url(values[name])
            regex = re.sub(r"\(\?P<" + name + r">(?:[^()]|\([^()]*\))*\)", lambda _m, v=value: v, regex, count=1)
        path = regex.lstrip("^").rstrip("$").replace("\\Z", "").replace("/?", "/").replace("^", "")
        path = re.sub(r"\\(.)", r"\1", path)  # regex escapes: \. \-
        url = "/" + path
        assert re.fullmatch(r"[/\w.\-]*", url), f"could not build a URL from {self.path!r}: {url!r}"
        return url


def _walk(patterns, prefix_regex: str = "", prefix_path: str = "", namespace: str | None = None, converters=None):
    converters = converters or {}
    for entry in patterns:
        regex = entry.pattern.regex.pattern.lstrip("^")
        if regex.endswith("\\Z"):
            regex = regex[: -len("\\Z")]
        entry_converters = {**converters, **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(
                entry.url_patterns, prefix_regex + regex, prefix_path + str(entry.pattern), ns, entry_converters
            )
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            full = re.compile("^" + prefix_regex + regex + "$")
            yield Route(
                name=name,
                path=prefix_path + str(entry.pattern),
                pattern=full,
                converters=entry_converters,
                params=tuple(full.groupindex),
            )


def routes() -> Iterator[Route]:
    """Every URL pattern of the project, admin and auth views left out (see EXCLUDED_*)."""
    for route in _walk(get_resolver().url_patterns):
        if route.path.startswith(EXCLUDED_PREFIXES) or route.name in EXCLUDED_NAMES:
            continue
        yield route


def route_names() -> list[str]:
    return sorted({route.name or f"<unnamed: {route.path}>" for route in routes()})


# --- the world: one of everything for each team --------------------------------------------------------------------

NORTH_CLIENT = "Nordwind Logistics"
NORTH_PROSPECT = "Nordkap Prospect"
SOUTH_CLIENT = "Quokka Freight"
SOUTH_PROSPECT = "Wombat Prospect"
NORTH_PRIVATE = "Sponsor may leave PRIVATE-NORTH"  # Alice's private note on her client
SOUTH_PRIVATE = "Budget cut coming PRIVATE-SOUTH"  # Oscar's private note on his client

# Text a persona must never find in any response.
HIDDEN_TEXT = {
    "am_alice": [SOUTH_CLIENT, SOUTH_PROSPECT, SOUTH_PRIVATE],
    "am_bob": [SOUTH_CLIENT, SOUTH_PROSPECT, NORTH_PRIVATE, SOUTH_PRIVATE],
    "lead_lena": [SOUTH_CLIENT, SOUTH_PROSPECT, SOUTH_PRIVATE],
    "am_oscar": [NORTH_CLIENT, NORTH_PROSPECT, NORTH_PRIVATE],
    "sales_sam": [SOUTH_CLIENT, SOUTH_PROSPECT, NORTH_PRIVATE, SOUTH_PRIVATE],
    # Private notes: their author and the team lead only (DESIGN.md), not admins.
    "admin_ada": [NORTH_PRIVATE, SOUTH_PRIVATE],
    ANONYMOUS: [NORTH_CLIENT, NORTH_PROSPECT, SOUTH_CLIENT, SOUTH_PROSPECT, NORTH_PRIVATE, SOUTH_PRIVATE],
}


def _team_objects(*, owner, team, sales, name: str, prospect_name: str, private: str, handoff_to: dict) -> dict:
    client = ClientFactory(name=name, owner=owner, team=team, sales_owner=sales, status=ClientStatus.ACTIVE)
    archived = ClientFactory(
        name=f"{name} (old)", owner=owner, team=team, sales_owner=sales, archived_at=timezone.now()
    )
    contact = ContactFactory(client=client, first_name="Dora", role="decision_maker")
    saved_view = SavedClientView.objects.create(user=owner, name="Red ones", scope="mine", query="health=red")
    prospect = ClientFactory(
        name=prospect_name, owner=None, team=None, sales_owner=sales, status=ClientStatus.HANDOFF_PENDING
    )
    handoff = HandoffFactory(client=prospect, created_by=sales, status=HandoffStatus.PENDING, **handoff_to)
    now = timezone.now()
    interaction = Interaction.objects.create(
        client=client, author=owner, kind="call", occurred_at=now - dt.timedelta(days=2), summary="Renewal call"
    )
    note = Interaction.objects.create(
        client=client, author=owner, kind="note", occurred_at=now - dt.timedelta(days=1), summary=private,
        is_private=True,
    )  # fmt: skip
    followup = FollowUp.objects.create(
        client=client, owner=owner, title="Send the price list", due_date=timezone.localdate() + dt.timedelta(days=3),
        origin=FollowUpOrigin.INTERACTION, interaction=interaction, created_by=owner,
    )  # fmt: skip
    flag = flag_services.flag_raise(client=client, by=owner, title="Orders falling", evidence="Orders -40% in 7 days")
    # A flag resolved by the private note: the note's text must not travel with the flag.
    resolved = flag_services.flag_raise(client=client, by=owner, title="Sponsor risk", evidence="Heard at lunch")
    flag_services.flag_handle(flag=resolved, by=owner, interaction=note)
    contact_address = f"dora.{owner.username}@{owner.username}-client.example"
    ContactFactory(client=client, first_name="Mail", email=contact_address)
    captured = message_capture(
        raw=mail_message(sender=contact_address, to=owner.email, subject=f"Captured for {name}"), source="imap"
    ).message
    to_file = message_capture(
        raw=mail_message(sender="stranger@unknown.example", to=owner.email, subject=f"Unfiled for {name}"),
        source="imap",
    ).message
    rule = TriggerRule.objects.create(
        name=f"{team.name} silence", kind="no_contact", params={"mode": "days", "days": 30}, team=team
    )
    review = review_services.review_plan(client=client, by=owner, year=2030, quarter=2, planned_on=dt.date(2030, 5, 12))
    # A review whose meeting can be recorded (prepared: the snapshot is frozen).
    prepared = AccountReview.objects.create(
        client=client, year=2030, quarter=1, planned_on=dt.date(2030, 2, 10), status=ReviewStatus.PREPARED,
        prepared_at=timezone.now(), prepared_by=owner, created_by=owner,
    )  # fmt: skip
    item = ReviewActionItem.objects.create(review=review, title="Share the roadmap", created_by=owner)
    plan = review_services.account_plan_save(
        client=client, by=owner, expected_version=None, revenue_target=100000, currency="EUR"
    )
    contract = contract_services.contract_create(
        by=owner, client=client, today=timezone.localdate(), number=f"WALK-{team.name}", start_date=dt.date(2030, 1, 1),
        term_months=12, value=Decimal("12000"), currency="EUR", status="active",
    )  # fmt: skip
    renewal = Renewal.objects.create(contract=contract, client=client, due_on=contract.end_date)
    invoice = contract_services.invoice_create(
        by=owner, client=client, today=timezone.localdate(), number=f"WALK-INV-{team.name}", amount=Decimal("10"),
        contract=contract,
    )  # fmt: skip
    document = contract_services.document_upload(
        by=owner, client=client, today=timezone.localdate(), upload=ContentFile(demo_pdf("Walk"), name="walk.pdf"),
        signature="awaiting",
    )  # fmt: skip
    shared_link = SharedPlanLink.objects.create(
        client=client, contact=contact, email=f"dora.{owner.username}@example.com", token_hash=f"walk-{team.name}",
        created_by=owner, expires_at=timezone.now() + dt.timedelta(days=30),
    )  # fmt: skip
    surveyed = ContactFactory(client=client, first_name="Sven", email=f"sven.{owner.username}@example.com")
    sent = survey_services.survey_send(client=client, kind="nps", contacts=[contact, surveyed], by=owner)
    survey_answer = survey_services.survey_answer(invitation=sent.survey.invitations.get(contact=surveyed), score=9)
    survey_schedule = survey_services.survey_schedule_save(
        client=client, kind="csat", contacts=[surveyed], every_months=3, next_on=timezone.localdate(), by=owner
    )
    return {
        "contract": contract, "renewal": renewal, "invoice": invoice, "document": document,
        "saved_view": saved_view, "shared_link": shared_link, "survey": sent.survey, "survey_answer": survey_answer,
        "survey_schedule": survey_schedule, "surveyed": surveyed,
        "client": client, "archived": archived, "contact": contact, "prospect": prospect, "handoff": handoff,
        "interaction": interaction, "followup": followup, "flag": flag, "rule": rule, "review": review,
        "prepared": prepared, "item": item, "plan": plan, "resolved_flag": resolved, "captured": captured,
        "to_file": to_file,
    }  # fmt: skip


@pytest.fixture
def world(personas, team_north, team_south):
    sara = UserFactory(username="sales_sara", role=Role.SALES)
    north = _team_objects(
        owner=personas["am_alice"], team=team_north, sales=personas["sales_sam"], name=NORTH_CLIENT,
        prospect_name=NORTH_PROSPECT, private=NORTH_PRIVATE, handoff_to={"to_team": team_north},
    )  # fmt: skip
    south = _team_objects(
        owner=personas["am_oscar"], team=team_south, sales=sara, name=SOUTH_CLIENT,
        prospect_name=SOUTH_PROSPECT, private=SOUTH_PRIVATE, handoff_to={"to_am": personas["am_oscar"]},
    )  # fmt: skip
    health_model_ensure_default()
    global_objects = {
        "rule": TriggerRule.objects.create(name="Silent", kind="no_contact", params={"mode": "days", "days": 45}),
        "metric": Metric.objects.order_by("pk").first(),
        "healthmodel": HealthModel.objects.order_by("pk").first(),
        "rate": ExchangeRate.objects.create(currency="USD", date=dt.date(2030, 1, 1), rate=Decimal("0.9")),
    }
    from notifications.models import Notification, OutboxMessage, Webhook

    global_objects["webhook"] = Webhook.objects.create(
        name="Ops", url="https://93.184.216.34/hook", secret="whsec_test", events=["flag.opened"], is_active=False
    )
    global_objects["delivery"] = OutboxMessage.objects.create(
        key="webhook:test", channel="webhook", recipient="https://93.184.216.34/hook", subject="flag.opened",
        body="{}", next_attempt_at=timezone.now(), webhook=global_objects["webhook"], event="flag.opened",
        status="sent",
    )  # fmt: skip
    global_objects["notification"] = Notification.objects.create(user=personas["am_alice"], text="Hello")
    global_objects["backtest_job"] = BacktestJob.objects.create(
        rule=global_objects["rule"], requested_by=personas["lead_lena"], days=90, horizon_days=90,
        until=timezone.localdate(),
    )  # fmt: skip
    # Scores, for the API list of health scores.
    from health.models import HealthScore

    for side in (north, south):
        side["score"] = HealthScore.objects.create(
            client=side["client"], date=timezone.localdate(), model=global_objects["healthmodel"], score=55,
            band="yellow", coverage=1.0, components=[],
        )  # fmt: skip
    # Playbooks: a global one running on each side's client (its first step an e-mail), and each team's own.
    from playbooks import services as playbook_services

    steps = [
        {"kind": "email", "title": "Hello", "contact_role": "decision_maker", "email_subject": "Hi {client_name}",
         "email_body": "Dear {contact_first_name}"},
        {"kind": "task", "title": "Then this"},
    ]  # fmt: skip
    admin = personas["admin_ada"]
    global_objects["playbook"] = playbook_services.playbook_create(by=admin, name="Global play", steps=steps)
    other = playbook_services.playbook_create(by=admin, name="Other play", steps=steps)
    north["playbook"] = playbook_services.playbook_create(
        by=personas["lead_lena"], name="North play", steps=steps, team_id=team_north.pk
    )
    south["playbook"] = playbook_services.playbook_create(
        by=admin, name="South play", steps=steps, team_id=team_south.pk
    )
    for side in (north, south):
        side["run"] = playbook_services.playbook_run_start(
            playbook=global_objects["playbook"], client=side["client"], by=side["client"].owner,
            today=timezone.localdate(),
        )  # fmt: skip
        side["step"] = side["run"].steps.get(position=1)
        side["other_playbook"] = other
    resolved = {f"{side}_resolved": {**objects, "flag": objects["resolved_flag"]} for side, objects in (
        ("north", north), ("south", south))}  # fmt: skip
    return {"north": north, "south": south, "global": global_objects, "-": {}, **resolved}


# --- probing -------------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: int
    body: str
    location: str = ""
    error: str = ""


def _probe(http: HttpClient, method: str, url: str, body: dict | None, *, api: bool) -> Outcome:
    """One request in a savepoint that is rolled back afterwards (streamed bodies are read inside it)."""
    try:
        with transaction.atomic():
            if method == "GET":
                response = http.get(url)
            elif api:
                response = http.generic(method, url, json.dumps(body or {}), content_type="application/json")
            else:
                response = http.post(url, body or {})
            content = b"".join(response.streaming_content) if response.streaming else response.content
            transaction.set_rollback(True)
    except Exception as exc:  # a crash is a finding like any other: report where it happened
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return Outcome(status=500, body="", error=f"{type(exc).__name__}: {exc} ({frame.filename}:{frame.lineno})")
    return Outcome(
        status=response.status_code, body=content.decode("utf-8", "replace"), location=response.get("Location", "")
    )


def _problem(
    level: str,
    method: str,
    outcome: Outcome,
    *,
    api: bool,
    persona: str,
    public: bool,
    create: bool = False,
    form: bool = False,
) -> str | None:
    """Why ``outcome`` does not match ``level`` (None when it does)."""
    status = outcome.status
    if status >= 500:
        return f"server error {status} {outcome.error}"
    if persona == ANONYMOUS:
        if public:
            return None if (method != "GET" or status == 200) else f"expected 200 (public), got {status}"
        if api:
            return None if status in {401, 403} else f"expected 401 for an anonymous API call, got {status}"
        if status == 302 and outcome.location.startswith("/accounts/login/"):
            return None
        return f"expected a redirect to the login page, got {status} {outcome.location}"
    read = method == "GET"
    expected: set[int] | None
    if level == H and create and not read:
        expected = {400, 404}  # the parent is an unknown id
    elif level == H:
        expected = {404}
    elif level == F:
        expected = {403}
    elif level == G:
        expected = {302}
    elif level == R:
        # The page of a form may be shown (read-only) or refused; a read-only route must show.
        expected = ({200, 403} if form else {200}) if read else {403}
    elif level == W:
        if read:
            expected = {200}
        elif status in {401, 403, 404, 405}:
            return f"expected the write to be allowed, got {status}: {_short(outcome.body)}"
        else:
            expected = None
    else:  # pragma: no cover - a typo in RULES
        return f"unknown level {level!r}"
    if expected is not None and status not in expected:
        return f"expected {'/'.join(map(str, sorted(expected)))} ({level}), got {status}: {_short(outcome.body)}"
    return None


# A hostile ``next`` sent with every page request (which one depends on the persona, so each is used).
EVIL_NEXT = ("https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)")


def _off_site(outcome: Outcome) -> bool:
    return bool(outcome.location) and not url_has_allowed_host_and_scheme(outcome.location, {"testserver"})


def _leaks(persona: str, outcome: Outcome) -> list[str]:
    return [text for text in HIDDEN_TEXT[persona] if text in outcome.body]


def _listed_ids(outcome: Outcome, key: str) -> set[int]:
    data = json.loads(outcome.body)
    results = data["results"] if isinstance(data, dict) else data
    return {row[key] for row in results}


def _check_route(route: Route, rule: Rule, world: dict, personas: dict) -> list[str]:
    problems: list[str] = []
    who = [ANONYMOUS, *PERSONAS]
    for target, policy in rule.cases.items():
        objects = world[target]
        values: dict[str, object] = {}
        for name in route.params:
            if name == "format":
                values[name] = "json"
            elif name in rule.params:
                values[name] = objects[rule.params[name]].pk
            else:
                problems.append(f"{route.path}: no object for the path parameter {name!r} (add it to the rule)")
                return problems
        url = route.url(values)
        for index, persona in enumerate(who):
            evil = {"next": EVIL_NEXT[index % len(EVIL_NEXT)]}
            http = HttpClient()
            if persona != ANONYMOUS:
                http.force_login(personas[persona])
            for method in rule.methods:
                level = W if (rule.create and method == "GET") else policy.get(persona, W)
                body = rule.data(objects, method) if rule.data and method != "GET" else None
                probed = url
                if not route.is_api and method == "GET":
                    probed = f"{url}?{urlencode(evil)}"
                elif not route.is_api:
                    body = {**(body or {}), **evil}
                outcome = _probe(http, method, probed, body, api=route.is_api)
                where = f"{persona} {method} {url} [{target}]"
                problem = _problem(
                    level, method, outcome, api=route.is_api, persona=persona, public=rule.anonymous == "public",
                    create=rule.create, form=not route.is_api and rule.methods == GET_POST,
                )  # fmt: skip
                if problem:
                    problems.append(f"{where}: {problem}")
                if _off_site(outcome):
                    problems.append(f"{where}: redirects off the site: {outcome.location!r} (next={evil['next']!r})")
                leaked = _leaks(persona, outcome)
                if leaked:
                    problems.append(f"{where}: shows what {persona} must not see: {leaked}")
                if rule.lists and method == "GET" and outcome.status == 200 and persona != ANONYMOUS:
                    problems.extend(f"{where}: {p}" for p in _list_problems(rule.lists, persona, outcome, world))
    return problems


# Which level each persona has on the objects an API list shows, per team.
LIST_POLICY = {
    "client": CLIENT_CASES,
    "contact": CLIENT_CASES,
    "interaction": INTERACTION,
    "followup": FOLLOWUP,
    "review": CLIENT_CASES,
    "plan": CLIENT_CASES,
    "score": CLIENT_CASES,
    "handoff": HANDOFF_EDIT,
    "contract": CLIENT_CASES,
    "renewal": CLIENT_CASES,
    "invoice": CLIENT_CASES,
    "document": CLIENT_CASES,
    "playbook": PLAYBOOK_EDIT,
    "run": CLIENT_CASES,
    "survey": CLIENT_CASES,
    "survey_answer": CLIENT_CASES,
    "survey_schedule": CLIENT_CASES,
}


def _short(body: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())[:160]


def _list_problems(kind: str, persona: str, outcome: Outcome, world: dict) -> list[str]:
    # Health scores have no id of their own: they are listed by client.
    key, object_kind = ("client", "client") if kind == "score" else ("id", kind)
    ids = _listed_ids(outcome, key)
    problems = []
    for side in ("north", "south"):
        obj = world[side][object_kind]
        visible = LIST_POLICY[kind][side][persona] != H
        if visible and obj.pk not in ids:
            problems.append(f"the {side} {kind} {obj.pk} is missing from the list")
        if not visible and obj.pk in ids:
            problems.append(f"the {side} {kind} {obj.pk} is listed but must be hidden")
    return problems


# --- the tests -----------------------------------------------------------------------------------------------------


def test_every_route_has_a_rule():
    """A new route needs a line in RULES; a rule for a route that no longer exists must go."""
    names = route_names()
    missing = [name for name in names if name not in RULES]
    stale = sorted(set(RULES) - set(names))
    assert not missing, (
        f"{len(missing)} route(s) have no authorization rule in tests/test_authorization.py RULES; decide who may "
        f"use them (see DESIGN.md, roles) and add: {', '.join(missing)}"
    )
    assert not stale, f"RULES has entries for routes that no longer exist: {', '.join(stale)}"


def test_the_walk_sees_the_router_and_every_app():
    """The walker itself: nested includes, namespaces and the DRF router (with format suffixes) are all found."""
    found = list(routes())
    names = {route.name for route in found}
    for expected in ("clients:edit", "clients:detail", "reviews:detail", "client-detail", "handoff-accept"):
        assert expected in names
    (detail,) = [route for route in found if route.name == "client-detail"]
    assert detail.params == ("pk",)
    assert detail.url({"pk": 7}) == "/api/v1/clients/7/"
    (assign,) = [route for route in found if route.name == "review-assign-action-item"]
    assert assign.url({"pk": 3, "item_id": 12}) == "/api/v1/reviews/3/action-items/12/assign/"
    (api_token,) = [route for route in found if route.name == "api_token"]
    assert api_token.url({}) == "/accounts/api-token/"
    assert not any(route.path.startswith("admin/") for route in found)


@pytest.mark.parametrize("name", route_names())
def test_route_access(name, world, personas):
    rule = RULES.get(name)
    if rule is None:
        pytest.fail(f"No authorization rule for the route {name!r}: add one to RULES in tests/test_authorization.py")
    problems: list[str] = []
    for route in (route for route in routes() if (route.name or f"<unnamed: {route.path}>") == name):
        problems.extend(_check_route(route, rule, world, personas))
    assert not problems, f"{name}: {len(problems)} problem(s):\n" + "\n".join(problems)
