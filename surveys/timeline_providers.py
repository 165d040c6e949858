"""Timeline entries from the surveys: each answer with its score and reason."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from clients.models import Client
from clients.timeline import TimelineEntry, TimelineProvider
from surveys import scoring
from surveys.models import SurveyAnswer, SurveyKind
from users.models import User


def _answers(client: Client):
    return SurveyAnswer.objects.filter(client=client)


def _count(client: Client, user: User, kinds: set[str]) -> int:
    return _answers(client).count()


def _newest(client: Client, user: User, kinds: set[str], limit: int):
    groups = {"promoter": _("Promoter"), "passive": _("Passive"), "detractor": _("Detractor")}
    for answer in _answers(client).select_related("contact").order_by("-answered_at", "-pk")[:limit]:
        contact = str(answer.contact)
        if answer.kind == SurveyKind.NPS:
            title = _("%(contact)s answered the NPS survey: %(score)s of 10") % {
                "contact": contact, "score": answer.score
            }  # fmt: skip
            badges = (_("Survey"), groups[scoring.nps_group(answer.score)])
        else:
            title = _("%(contact)s answered the CSAT survey: %(score)s of 5") % {
                "contact": contact, "score": answer.score
            }  # fmt: skip
            badges = (_("Survey"),)
        yield TimelineEntry(
            at=answer.answered_at, kind="survey", title=title, body=answer.comment, actor=contact,
            url=reverse("surveys:client", args=[client.pk]), badges=badges,
        )  # fmt: skip


def providers() -> list[TimelineProvider]:
    return [TimelineProvider(kinds=("survey",), count=_count, newest=_newest)]
