"""A sensible starting set of global rules (demo data, benchmarks); admins edit them on the rules page.

Each default earns its place by its back-test (bench/calibration_bench.py, README "Calibration figures"): a lift
of at least 1.5 over five seeds. "Renewal near, no review this quarter" is no longer a default: it is a process
reminder (the Reviews page lists the missing reviews) and showed no lift (0.85); the kind stays available.
"""

from __future__ import annotations

from flags.models import Severity, TriggerRule
from users.models import User

DEFAULT_RULES = [
    ("Orders falling", "kpi_drop", {"metric": "orders", "drop_pct": 35, "recent_days": 7, "baseline_days": 28},
     Severity.HIGH),
    ("Revenue falling", "kpi_drop", {"metric": "revenue", "drop_pct": 30, "recent_days": 14, "baseline_days": 56},
     Severity.HIGH),
    ("Too many late deliveries", "kpi_threshold",
     {"metric": "late_deliveries", "direction": "above", "threshold": 25, "window_days": 7}, Severity.MEDIUM),
    ("Contact overdue for the cadence", "no_contact", {"mode": "cadence", "grace_days": 7}, Severity.MEDIUM),
    ("Health in the red", "health_below", {"threshold": 40}, Severity.HIGH),
    ("Health dropping fast", "health_drop", {"points": 15, "days": 14}, Severity.HIGH),
    # Two weeks late and still open: a promise a few days late is routine (lift 1.3 at 0 days, README).
    ("Commitment overdue", "commitment_overdue", {"min_days": 14}, Severity.CRITICAL),
    ("KPI data stopped arriving", "data_stopped", {"metric": "", "late_days": 7}, Severity.MEDIUM),
]  # fmt: skip


def ensure_default_rules(*, by: User | None = None) -> list[TriggerRule]:
    rules = []
    for name, kind, params, severity in DEFAULT_RULES:
        rule, _ = TriggerRule.objects.get_or_create(
            name=name, team=None, defaults={"kind": kind, "params": params, "severity": severity, "created_by": by}
        )
        rules.append(rule)
    return rules
