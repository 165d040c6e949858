"""The survey figures, pure: scores in, a number (or None when there is nothing to say) out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PROMOTER_FROM = 9  # NPS 9–10
DETRACTOR_UP_TO = 6  # NPS 0–6; 7–8 are passives


@dataclass(frozen=True)
class NpsBreakdown:
    answers: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        """Promoters % minus detractors % (−100 to 100); None without answers (not 0: nobody said anything)."""
        if not self.answers:
            return None
        return round((self.promoters - self.detractors) * 100 / self.answers, 1)


def nps_breakdown(scores: Iterable[int]) -> NpsBreakdown:
    values = list(scores)
    promoters = sum(1 for s in values if s >= PROMOTER_FROM)
    detractors = sum(1 for s in values if s <= DETRACTOR_UP_TO)
    return NpsBreakdown(len(values), promoters, len(values) - promoters - detractors, detractors)


def nps(scores: Iterable[int]) -> float | None:
    return nps_breakdown(scores).score


def csat(scores: Sequence[int] | Iterable[int]) -> float | None:
    """The mean of the 1–5 answers, to two places; None without answers."""
    values = list(scores)
    return round(sum(values) / len(values), 2) if values else None


def response_rate(*, answered: int, invited: int) -> float | None:
    """Share of invited contacts who answered (0–1); None when nobody was invited."""
    return answered / invited if invited else None


def nps_group(score: int) -> str:
    if score >= PROMOTER_FROM:
        return "promoter"
    return "detractor" if score <= DETRACTOR_UP_TO else "passive"
