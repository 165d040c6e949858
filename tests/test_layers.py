"""The house rules of DESIGN.md, as tests: the import chain between apps, and writes only in services.

An app may import, and reverse the URL names of, only the apps to its left in the chain below. Where a
lower app needs a higher one, the higher app subscribes to an event (core.events) or registers a panel
or timeline provider (clients.panels, clients.timeline) from its AppConfig.ready().
"""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHAIN = [
    "core", "users", "notifications", "clients", "contracts", "interactions", "capture",
    "kpis", "health", "flags", "playbooks", "reviews", "sharing", "surveys", "dashboards",
]  # fmt: skip
RANK = {app: i for i, app in enumerate(CHAIN)}
PRESENT = [app for app in CHAIN if (ROOT / app).is_dir()]
URL_CALL = re.compile(r"""(?:reverse|reverse_lazy|redirect|resolve_url)\(\s*["']([a-z_]+):""")
URL_TAG = re.compile(r"""{%\s*url\s+["']([a-z_]+):""")

# Modules outside a services.py that write models, each with the reason it may.
WRITES_ALLOWED = {
    "flags/evaluation.py": "the daily evaluation service: chunked, set-based writes of flags and runs",
    "flags/default_rules.py": "seeds the default rules once (idempotent get_or_create), called by services",
    "core/locking.py": "save_audited, the one save helper of the services (records the acting user in the history)",
    "dashboards/demo_data.py": "builds the demo world directly, in bulk, for `make run`",
    "dashboards/simulation.py": "writes a simulated history in bulk for the demo data and the benchmarks",
    "kpis/management/commands/generate_kpi_bench_data.py": "bulk benchmark data, never run in production",
    "kpis/ingest.py": "the KPI value writer shared by the ingestion services: bulk upserts and deletes",
    "kpis/outliers.py": "the kept outlier medians, forgotten in the same transaction as the KPI values they summarise",
}
MODEL_WRITES = {"save", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
QUERYSET_WRITES = {"create", "update"}  # only when called on a manager or queryset
NOT_MODELS = {"cache", "session", "request", "dict", "set", "counts", "context", "data"}


def _python_files(app: str, *, tests: bool):
    for path in sorted((ROOT / app).rglob("*.py")):
        rel = path.relative_to(ROOT)
        if "migrations" in rel.parts:
            continue
        if ("tests" in rel.parts) != tests:
            continue
        yield rel, path.read_text(encoding="utf-8")


def _imported_apps(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


def _breaches(app: str, rel: pathlib.Path, text: str) -> list[str]:
    found = []
    for line, target in _imported_apps(ast.parse(text, str(rel))):
        if target in RANK and RANK[target] > RANK[app]:
            found.append(f"{rel}:{line} imports {target}")
    for match in URL_CALL.finditer(text):
        target = match.group(1)
        if target in RANK and RANK[target] > RANK[app]:
            found.append(f"{rel}:{text.count(chr(10), 0, match.start()) + 1} reverses a URL of {target}")
    return found


@pytest.mark.parametrize("app", PRESENT)
def test_app_imports_and_reverses_only_apps_to_its_left(app):
    found = []
    for rel, text in _python_files(app, tests=False):
        found += _breaches(app, rel, text)
    assert found == [], "DESIGN.md import chain broken:\n" + "\n".join(found)


@pytest.mark.parametrize("app", PRESENT)
def test_app_templates_link_only_to_apps_to_their_left(app):
    found = []
    folder = ROOT / "templates" / app
    for path in sorted(folder.rglob("*.html")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        for match in URL_TAG.finditer(text):
            target = match.group(1)
            if target in RANK and RANK[target] > RANK[app]:
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line} links to {target}")
    assert found == [], "DESIGN.md import chain broken in templates:\n" + "\n".join(found)


def test_core_is_a_leaf():
    """core/ imports no app of the project, nor the configuration or the tests."""
    found = []
    for rel, text in _python_files("core", tests=False):
        for line, target in _imported_apps(ast.parse(text)):
            if (target in RANK and target != "core") or target in {"accounts_crm", "tests"}:
                found.append(f"{rel}:{line} imports {target}")
    assert found == []


def test_configuration_holds_no_domain_code():
    """accounts_crm/ is configuration only: settings, URLs, Celery, WSGI/ASGI and the health check."""
    allowed = {"__init__.py", "settings.py", "urls.py", "api_urls.py", "celery.py", "wsgi.py", "asgi.py", "views.py"}
    modules = {p.name for p in (ROOT / "accounts_crm").glob("*.py")}
    assert modules <= allowed, f"move {sorted(modules - allowed)} into core/ or the app that owns it"


def _receiver_names(node: ast.AST) -> list[str]:
    names = []
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return names


def _model_writes(tree: ast.AST) -> list[tuple[int, str]]:
    writes = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        verb = node.func.attr
        receiver = _receiver_names(node.func.value)
        if set(receiver) & NOT_MODELS:
            continue
        on_queryset = bool({"objects", "filter", "exclude", "all"} & set(receiver))
        if verb in MODEL_WRITES or (verb in QUERYSET_WRITES and on_queryset):
            writes.append((node.lineno, verb))
    return writes


def test_models_are_written_only_in_services():
    found = []
    for app in PRESENT:
        for rel, text in _python_files(app, tests=False):
            if rel.name == "services.py" or rel.as_posix() in WRITES_ALLOWED:
                continue
            found += [f"{rel}:{line} .{verb}()" for line, verb in _model_writes(ast.parse(text))]
    assert found == [], "model writes outside services.py (move them into a service):\n" + "\n".join(found)


def test_the_write_detector_sees_writes():
    """The check above is only as good as its detector: it must see each shape of write."""
    sample = ast.parse(
        "client.save()\nClient.objects.create(name='x')\nClient.objects.filter(pk=1).update(name='y')\n"
        "Flag.objects.bulk_create([])\nobj.delete()\nvalues.update({'a': 1})\ncache.delete('k')\n"
    )
    assert [verb for _, verb in _model_writes(sample)] == ["save", "create", "update", "bulk_create", "delete"]


def test_the_allow_list_names_existing_modules():
    assert [p for p in WRITES_ALLOWED if not (ROOT / p).is_file()] == []
