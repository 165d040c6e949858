"""Issue 12 benchmark: does the default health model order churn, and does each default rule point at risk?

For each of five seeds: a fresh PostgreSQL database (copied from a migrated template, dropped at the end), the demo
world of ``seed_demo`` (dashboards/simulation.py: churn follows causes with a lag) with 300 days of history and the
product's own daily scores for the last 194 days, then the product's own calibration (health/services.py) and the
back-test of every default rule over 180 days with a 90-day horizon (flags/backtest.py). Figures per seed and
aggregated (mean, min, max over the seeds; pooled counts) go to ``bench/results/calibration.json``.

Usage: .venv/bin/python bench/calibration_bench.py [--seeds 1 2 3 4 5] [--clients 600]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
TEMPLATE = "crm_bench_calibration"
HISTORY_DAYS = 300
SCORE_DAYS = 194  # 180 back-tested days + the 14-day look-back of "Health dropping fast"
BACKTEST_DAYS = 180
HORIZON_DAYS = 90


def env_for(db: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # eager tasks: nothing leaves the process
    env.update(
        {"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}", "DEBUG": "0",
         "DJANGO_SETTINGS_MODULE": "accounts_crm.settings"}
    )  # fmt: skip
    return env


def sh(*args: str, env: dict | None = None, capture: bool = False) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, check=True, text=True, stdout=subprocess.PIPE if capture else None)
    return result.stdout if capture else ""


def one_seed(seed: int, clients: int) -> dict:
    """Runs inside a process bound to the seed's database (``--worker``)."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.utils import timezone

    from dashboards.demo_data import seed_demo
    from flags import backtest, evaluation
    from flags.models import TriggerRule
    from health import services
    from health.models import CalibrationJob
    from kpis import selectors as kpi_selectors

    today = timezone.localdate()
    started = time.perf_counter()
    result = seed_demo(
        clients=clients, seed=seed, history_days=HISTORY_DAYS, score_days=SCORE_DAYS, scorecard_days=None, today=today
    )
    seeded = time.perf_counter() - started
    # seed_demo queued the model page's calibration (run on commit: no broker here); compute it if it is not there.
    job = CalibrationJob.objects.filter(model__isnull=False, until=today, status="done").first()
    if job is None:
        calibration = services.calibration_figures(services.health_model_calibration(today=today).current)
    else:
        calibration = job.figures
    metrics = kpi_selectors.metric_metadata()
    rules = list(TriggerRule.objects.filter(is_active=True).order_by("pk"))
    specs = [evaluation.rule_spec(rule, metrics) for rule in rules]
    started = time.perf_counter()
    results = backtest.backtest_many(specs=specs, user=None, days=BACKTEST_DAYS, until=today, horizon_days=HORIZON_DAYS)
    replayed = time.perf_counter() - started
    return {
        "seed": seed,
        "clients": result.clients,
        "churned_in_history": result.churned,
        "seconds_seed": round(seeded, 1),
        "seconds_backtest_all_rules": round(replayed, 1),
        "auc": {
            str(a["days"]): {"auc": _round(a["auc"], 3), "churns": a["churns"], "observations": a["observations"]}
            for a in calibration["aucs"]
        },
        "bands": {
            rate["label"]: {
                "observations": rate["observations"],
                "churns": rate["churns"],
                "churn_rate": _round(rate["rate"]),
            }
            for rate in calibration["bands"]
        },
        "deciles": [
            {"scores": [_round(r["low"], 1), _round(r["high"], 1)], "churn_rate": _round(r["rate"])}
            for r in calibration["deciles"]
        ],
        "rules": {
            rule.name: {
                "kind": rule.kind,
                "params": rule.params,
                "warnings": r.warnings,
                "followed": r.followed,
                "precision": _round(r.precision),
                "base_rate": _round(r.base_rate),
                "lift": _round(r.lift, 2),
                "churns": r.churns,
                "churns_warned": r.churns_warned,
                "recall": _round(r.recall),
                "flags_per_am_week": _round(r.flags_per_am_week, 2),
                "lead_median_days": (r.lead_time_quartiles or (None, None, None))[1],
            }
            for rule, r in zip(rules, results, strict=True)
        },
    }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _spread(values: list[float | None]) -> dict:
    known = [v for v in values if v is not None]
    if not known:
        return {"mean": None, "min": None, "max": None}
    return {"mean": round(statistics.mean(known), 3), "min": round(min(known), 3), "max": round(max(known), 3)}


def aggregate(per_seed: list[dict]) -> dict:
    out: dict = {"auc": {}, "bands": {}, "rules": {}}
    for days in ("30", "60", "90"):
        out["auc"][days] = {
            **_spread([s["auc"][days]["auc"] for s in per_seed]),
            "churns": sum(s["auc"][days]["churns"] for s in per_seed),
        }
    for band in ("green", "yellow", "red"):
        observations = sum(s["bands"][band]["observations"] for s in per_seed)
        churns = sum(s["bands"][band]["churns"] for s in per_seed)
        out["bands"][band] = {
            "observations": observations,
            "churns": churns,
            "churn_rate": round(churns / observations, 4) if observations else None,
        }
    for name in per_seed[0]["rules"]:
        rows = [s["rules"][name] for s in per_seed]
        warnings = sum(r["warnings"] for r in rows)
        followed = sum(r["followed"] for r in rows)
        churns = sum(r["churns"] for r in rows)
        warned = sum(r["churns_warned"] for r in rows)
        out["rules"][name] = {
            "lift": _spread([r["lift"] for r in rows]),
            "precision": _spread([r["precision"] for r in rows]),
            "base_rate": _spread([r["base_rate"] for r in rows]),
            "recall": _spread([r["recall"] for r in rows]),
            "flags_per_am_week": _spread([r["flags_per_am_week"] for r in rows]),
            "pooled": {"warnings": warnings, "followed": followed, "churns": churns, "churns_warned": warned,
                       "precision": round(followed / warnings, 4) if warnings else None,
                       "recall": round(warned / churns, 4) if churns else None},
        }  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--clients", type=int, default=600)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # one seed, in its own process
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(one_seed(args.worker, args.clients)))
        return
    started = time.perf_counter()
    sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", TEMPLATE)
    sh("createdb", "-h", "127.0.0.1", "-U", "postgres", TEMPLATE)
    sh(PY, "manage.py", "migrate", "-v0", env=env_for(TEMPLATE))
    per_seed = []
    try:
        for seed in args.seeds:
            db = f"{TEMPLATE}_{seed}"
            sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db)
            sh("createdb", "-h", "127.0.0.1", "-U", "postgres", "-T", TEMPLATE, db)
            try:
                out = sh(PY, __file__, "--worker", str(seed), "--clients", str(args.clients), env=env_for(db),
                         capture=True)  # fmt: skip
            finally:
                sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", db)
            per_seed.append(json.loads(out.strip().splitlines()[-1]))
            print(f"seed {seed}: AUC 60 d {per_seed[-1]['auc']['60']}", flush=True)
    finally:
        sh("dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", TEMPLATE)
    results = {
        "date": dt.date.today().isoformat(),
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "clients_per_seed": args.clients,
        "history_days": HISTORY_DAYS,
        "backtest_days": BACKTEST_DAYS,
        "horizon_days": HORIZON_DAYS,
        "seconds": round(time.perf_counter() - started, 1),
        "aggregate": aggregate(per_seed),
        "per_seed": per_seed,
    }
    out = ROOT / "bench" / "results" / "calibration.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["aggregate"], indent=2))


if __name__ == "__main__":
    main()
