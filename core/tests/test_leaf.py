"""core/ is the leaf of the import chain (DESIGN.md): it imports nothing from the project's apps."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1]
PROJECT = {"accounts_crm", "users", "notifications", "clients", "contracts", "interactions", "capture", "kpis",
           "health", "flags", "playbooks", "reviews", "dashboards", "tests"}  # fmt: skip


def test_core_imports_no_project_app():
    offenders = []
    for path in CORE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] in PROJECT]
    assert not offenders, offenders
