"""Handoff readiness: which fields a handoff misses, and whether that blocks it.

Pure: a dataclass in, a dataclass out, so the rule is testable without a database. The reasons are in the
active language (the request's), so assess where they are shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _


class ReadinessLevel(StrEnum):
    READY = "ready"
    NEEDS_REVIEW = "needs_review"
    BLOCKED = "blocked"

    @property
    def label(self) -> str:
        # Translators: how ready a sales handoff is for the account manager.
        labels = {"ready": _("Ready"), "needs_review": _("Needs review"), "blocked": _("Blocked")}
        return labels[self.value]


@dataclass(frozen=True)
class HandoffFacts:
    deal_amount: Decimal | None
    close_date: dt.date | None
    goals: str
    success_criteria: str
    scope: str
    risks: str
    commitments_count: int
    stakeholders_count: int
    has_decision_maker: bool
    has_recipient: bool
    today: dt.date


@dataclass(frozen=True)
class Readiness:
    level: ReadinessLevel
    blocking: list[str] = field(default_factory=list)
    to_review: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.level.label

    @property
    def reasons(self) -> list[str]:
        return self.blocking + self.to_review


def assess(facts: HandoffFacts) -> Readiness:
    """Blocked when the AM could not start at all; needs review when the picture is incomplete."""
    blocking: list[str] = []
    review: list[str] = []

    if facts.deal_amount is None:
        blocking.append(_("Deal amount is missing."))
    elif facts.deal_amount <= 0:
        blocking.append(_("Deal amount must be greater than zero."))
    if facts.close_date is None:
        blocking.append(_("Close date is missing."))
    elif facts.close_date > facts.today:
        blocking.append(_("Close date is in the future: the deal is not closed yet."))
    if not facts.goals.strip():
        blocking.append(_("Customer goals are missing."))
    if not facts.has_recipient:
        blocking.append(_("Nobody to hand off to: choose an account manager or a team."))

    if not facts.success_criteria.strip():
        review.append(_("Success criteria are missing."))
    if not facts.scope.strip():
        review.append(_("Scope (what was sold) is missing."))
    if facts.stakeholders_count == 0:
        review.append(_("No key stakeholders linked."))
    elif not facts.has_decision_maker:
        review.append(_("No decision maker among the stakeholders."))
    if facts.commitments_count == 0:
        review.append(_("No commitments recorded: check that sales promised nothing."))
    if not facts.risks.strip():
        review.append(_("Risks are missing (write 'none known' if there are none)."))

    if blocking:
        level = ReadinessLevel.BLOCKED
    elif review:
        level = ReadinessLevel.NEEDS_REVIEW
    else:
        level = ReadinessLevel.READY
    return Readiness(level=level, blocking=blocking, to_review=review)
