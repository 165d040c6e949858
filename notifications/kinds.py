"""The kinds of notification, their channels, and how a stored notification becomes text in the reader's language.

A notification is stored as a kind plus parameters (``{"client": "Acme GmbH", "by": "Alice Ames", ...}``), not as
finished text: each page renders it with ``render`` in the language of whoever reads it, and each e-mail is
rendered in its recipient's language. Parameters are captured when the event happens (the publishing app passes
a display payload: names, figures, the link), because ``notifications`` may not import the apps it talks about.

The figures travel as ``params["figures"]``: a list of ``[label key, value]`` pairs (``[["arr", "12,000 EUR"]]``);
the label is translated from ``FIGURE_LABELS`` when the notification is shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext, ngettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core import phrases
from core.formats import format_day


class Channel(models.TextChoices):
    BOTH = "both", _("In app and e-mail")
    IN_APP = "in_app", _("In app")
    EMAIL = "email", _("E-mail")
    OFF = "off", _("Off")


IN_APP_CHANNELS = {Channel.BOTH, Channel.IN_APP}
EMAIL_CHANNELS = {Channel.BOTH, Channel.EMAIL}


class Kind(models.TextChoices):
    FLAG_OPENED = "flag_opened", _("A flag opens on my client")
    FLAG_REASSIGNED = "flag_reassigned", _("A flag is reassigned to me")
    COMMITMENT_OVERDUE = "commitment_overdue", _("My commitment to a client is overdue")
    CONTACT_OVERDUE = "contact_overdue", _("A client is overdue for contact")
    HANDOFF_SENT = "handoff_sent", _("A handoff is sent to me or my team")
    HANDOFF_RETURNED = "handoff_returned", _("My handoff is returned to me")
    HANDOFF_ACCEPTED = "handoff_accepted", _("My handoff is accepted")
    CLIENT_ASSIGNED = "client_assigned", _("A client is assigned to me")
    PLAYBOOK_STEP_DUE = "playbook_step_due", _("A playbook step of mine is due")
    MENTION = "mention", _("Someone mentions me")
    DETRACTOR_ANSWERED = "detractor_answered", _("A contact of my client gives a low NPS score")
    SHARED_PLAN_ACTIVITY = "shared_plan_activity", _("A client works on our shared plan")


@dataclass(frozen=True)
class KindSpec:
    kind: str
    default: str
    # What "e-mail" means for this kind: a message right away, or a section of the morning digest.
    in_digest: bool = False


SPECS: dict[str, KindSpec] = {
    Kind.FLAG_OPENED: KindSpec(Kind.FLAG_OPENED, Channel.BOTH, in_digest=True),
    Kind.FLAG_REASSIGNED: KindSpec(Kind.FLAG_REASSIGNED, Channel.BOTH),
    Kind.COMMITMENT_OVERDUE: KindSpec(Kind.COMMITMENT_OVERDUE, Channel.EMAIL, in_digest=True),
    Kind.CONTACT_OVERDUE: KindSpec(Kind.CONTACT_OVERDUE, Channel.EMAIL, in_digest=True),
    Kind.HANDOFF_SENT: KindSpec(Kind.HANDOFF_SENT, Channel.BOTH),
    Kind.HANDOFF_RETURNED: KindSpec(Kind.HANDOFF_RETURNED, Channel.BOTH),
    Kind.HANDOFF_ACCEPTED: KindSpec(Kind.HANDOFF_ACCEPTED, Channel.IN_APP),
    Kind.CLIENT_ASSIGNED: KindSpec(Kind.CLIENT_ASSIGNED, Channel.BOTH),
    Kind.PLAYBOOK_STEP_DUE: KindSpec(Kind.PLAYBOOK_STEP_DUE, Channel.IN_APP),
    Kind.MENTION: KindSpec(Kind.MENTION, Channel.BOTH),
    Kind.DETRACTOR_ANSWERED: KindSpec(Kind.DETRACTOR_ANSWERED, Channel.BOTH),
    Kind.SHARED_PLAN_ACTIVITY: KindSpec(Kind.SHARED_PLAN_ACTIVITY, Channel.IN_APP),
}
DIGEST_KINDS = [k for k, spec in SPECS.items() if spec.in_digest]

# The headline of each kind; %(name)s placeholders are filled from the stored parameters.
HEADLINES: dict[str, Any] = {
    Kind.FLAG_OPENED: _("%(client)s needs a call: %(title)s"),
    Kind.FLAG_REASSIGNED: _("%(by)s passed you a flag on %(client)s: %(title)s"),
    Kind.COMMITMENT_OVERDUE: _("Your commitment to %(client)s is overdue: %(title)s (due %(due)s)"),
    Kind.CONTACT_OVERDUE: _("%(client)s is overdue for contact (due %(due)s)"),
    Kind.HANDOFF_SENT: _("%(by)s handed off %(client)s to you: %(deal)s"),
    Kind.HANDOFF_RETURNED: _("%(by)s returned your handoff of %(client)s: %(reason)s"),
    Kind.HANDOFF_ACCEPTED: _("%(by)s accepted your handoff of %(client)s: %(deal)s"),
    Kind.CLIENT_ASSIGNED: _("%(by)s assigned %(client)s to you"),
    Kind.PLAYBOOK_STEP_DUE: _("%(client)s: “%(step)s” of %(playbook)s is due on %(due)s"),
    Kind.MENTION: _("%(by)s mentioned you on %(client)s: “%(excerpt)s”"),
    Kind.DETRACTOR_ANSWERED: _("%(contact)s (%(client)s) answered the NPS survey with %(score)s: %(comment)s"),
    Kind.SHARED_PLAN_ACTIVITY: _("%(contact)s (%(client)s) commented on the shared plan: %(text)s"),
}
# Variants chosen by a parameter, so no sentence is assembled from pieces.
VARIANTS: dict[tuple[str, str], Any] = {
    (Kind.FLAG_OPENED, "reopened"): _("%(client)s is back: %(title)s"),
    (Kind.HANDOFF_SENT, "team"): _("%(by)s handed off %(client)s to your team: %(deal)s"),
    (Kind.DETRACTOR_ANSWERED, "no_reason"): _("%(contact)s (%(client)s) answered the NPS survey with %(score)s"),
    (Kind.SHARED_PLAN_ACTIVITY, "done"): _("%(contact)s (%(client)s) ticked done: %(item)s"),
    (Kind.SHARED_PLAN_ACTIVITY, "reopened"): _("%(contact)s (%(client)s) reopened: %(item)s"),
}
# Variants that count something: the language's plural form is chosen by params["count"] when it is filled in.
PLURALS: dict[tuple[str, str], Any] = {
    (Kind.FLAG_REASSIGNED, "client"): ngettext_lazy(
        "%(by)s passed you %(count)d flag of %(client)s", "%(by)s passed you %(count)d flags of %(client)s", "count"
    ),
}

FIGURE_LABELS: dict[str, Any] = {
    "arr": pgettext_lazy("figure", "ARR"),
    "deal_amount": pgettext_lazy("figure", "Deal"),
    "renewal_date": pgettext_lazy("figure", "Renewal"),
    "last_contact": pgettext_lazy("figure", "Last contact"),
    "health": pgettext_lazy("figure", "Health"),
    "measure": pgettext_lazy("figure", "Now"),
    "status": pgettext_lazy("figure", "Status"),
    "due": pgettext_lazy("figure", "Due"),
    "promised": pgettext_lazy("figure", "Promised to the client"),
    "open_flags": pgettext_lazy("figure", "Open flags"),
    "stage": pgettext_lazy("figure", "Stage"),
}


# Parameters that hold a day: stored as ISO (webhooks and Slack read them too), shown in the reader's DATE_FORMAT.
DAY_PARAMS = frozenset({"due", "promised", "due_date", "promised_date", "renewal_date", "last_contact", "day"})
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _shown(key: str, value: Any) -> Any:
    """A stored parameter as the reader sees it: an ISO day in their language's format, anything else as it is."""
    if key in DAY_PARAMS and isinstance(value, str) and _ISO_DAY.match(value):
        return format_day(value)
    return value


class _Defaulting(dict):
    """Missing parameters read as an empty string rather than failing the whole notification."""

    def __missing__(self, key: str) -> str:
        return ""


def headline(kind: str, params: Mapping[str, Any]) -> str:
    """The notification's sentence in the active language."""
    variant = (kind, str(params.get("variant", "")))
    values = _Defaulting({k: _shown(k, v) for k, v in params.items() if isinstance(v, str | int | float)})
    if variant in PLURALS:
        values["count"] = int(params.get("count") or 0)
        return str(PLURALS[variant] % values)
    template = VARIANTS.get(variant) or HEADLINES.get(kind)
    if template is None:
        return str(params.get("text", ""))
    return str(template) % values


def figures(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``[(translated label, value)]`` of the figures stored with the notification."""
    rows = []
    for item in params.get("figures") or []:
        if isinstance(item, list | tuple) and len(item) == 2 and item[1] not in (None, ""):
            label = FIGURE_LABELS.get(item[0], item[0])
            value = phrases.render(item[1]) if phrases.is_phrase(item[1]) else str(_shown(item[0], item[1]))
            rows.append((str(label), value))
    return rows


def figures_line(params: Mapping[str, Any]) -> str:
    # Translators: how one figure reads in a notification, e.g. "ARR: 12,000 EUR".
    return " · ".join(
        gettext("%(label)s: %(value)s") % {"label": label, "value": value} for label, value in figures(params)
    )
