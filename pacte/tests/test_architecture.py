"""The allowed import directions of docs/development/architecture.md, checked on the source.

Only imports that run when a module loads count (module level, outside ``TYPE_CHECKING``); an
import inside a function is how a lower app calls a higher one at run time without a cycle."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]
DOC = PACKAGE.parent / "docs" / "development" / "architecture.md"

# Each app and the apps (or single modules) it may import when it loads. The project's shared
# modules (pacte/errors.py, env.py, amounts.py, …) are open to every app; the wiring (urls, api,
# views, settings) to none.
ALLOWED: dict[str, set[str]] = {
    "lib": set(),
    "accounts": {"audit", "jobs"},
    "audit": {"accounts"},
    "jobs": {"accounts", "audit"},
    # Other tools' subscriptions to events: any app above may emit one.
    "webhooks": {"lib", "accounts", "audit", "jobs"},
    "org": {"lib", "accounts", "audit", "jobs"},
    # The one upward edge: an import enqueues the warming of the insights overview on commit.
    "sales": {"lib", "accounts", "audit", "jobs", "org", "insights.tasks", "webhooks"},
    "planning": {"lib", "accounts", "audit", "jobs", "org", "sales", "webhooks"},
    "objectives": {"lib", "accounts", "audit", "jobs", "org", "sales", "planning", "webhooks"},
    "insights": {
        "lib",
        "accounts",
        "audit",
        "jobs",
        "org",
        "sales",
        "planning",
        "objectives",
        "webhooks",
    },
    "samples": {
        "lib",
        "accounts",
        "audit",
        "jobs",
        "org",
        "sales",
        "planning",
        "objectives",
        "webhooks",
    },
    # Data sources store through the sales import path and alert through objectives' notices.
    "sources": {
        "lib",
        "accounts",
        "audit",
        "jobs",
        "org",
        "sales",
        "planning",
        "objectives",
        "webhooks",
    },
}
WIRING = {"urls", "api", "views", "settings", "settings_test", "wsgi", "__main__"}
# What a shared module may import besides other shared ones (pacte/api_auth.py reads tokens).
SHARED_BELOW = {"lib", "accounts"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "tests" in parts or "migrations" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path, *, load_only: bool) -> Iterator[str]:
    """The ``pacte`` modules ``path`` imports (with ``load_only``: when it loads)."""

    def visit(node: ast.AST) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                for alias in child.names:
                    full = f"{child.module}.{alias.name}"
                    yield full if full in MODULES else child.module
            elif not (load_only and _runs_later(child)):
                yield from visit(child)

    return visit(ast.parse(path.read_text(encoding="utf-8")))


def _runs_later(node: ast.AST) -> bool:
    """A function's body or a ``TYPE_CHECKING`` block: not run when the module loads."""
    if isinstance(node, ast.If):
        return "TYPE_CHECKING" in ast.unparse(node.test)
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)


def _app(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and parts[1] in {*ALLOWED, "testing"}):
        return parts[1]
    return "<shared>"


def test_lib_is_framework_free() -> None:
    """pacte.lib imports no app and not Django, even inside a function."""
    wrong = [
        f"{name} imports {target}"
        for name, path in MODULES.items()
        if name.startswith("pacte.lib")
        for target in _imports(path, load_only=False)
        if target.split(".")[0] == "django"
        or (target.startswith("pacte.") and not target.startswith("pacte.lib"))
    ]
    assert wrong == []


def test_apps_import_only_the_apps_below_them_when_they_load() -> None:
    wrong = []
    for name, path in MODULES.items():
        source = _app(name)
        if source not in ALLOWED and source != "<shared>":
            continue  # testing helpers import whatever they exercise
        for target in _imports(path, load_only=True):
            if not target.startswith("pacte.") or target not in MODULES:
                continue
            goal = _app(target)
            if goal == source:
                continue
            if goal == "<shared>":
                ok = target.split(".")[1] not in WIRING
            elif source == "<shared>":
                ok = goal in SHARED_BELOW or name == "pacte" or name.split(".")[1] in WIRING
            else:
                allowed = ALLOWED[source]
                rest = target.split(".", 1)[1]
                ok = goal in allowed or any(rest.startswith(f"{a}.") or rest == a for a in allowed)
            if not ok:
                wrong.append(f"{name} imports {target}")
    assert wrong == [], "\n".join(wrong)


def test_accounts_does_not_load_org() -> None:
    """Sign-in and access load before the organisation: accounts reaches org only at run time."""
    wrong = [
        f"{name} imports {target}"
        for name, path in MODULES.items()
        if name.startswith("pacte.accounts")
        for target in _imports(path, load_only=True)
        if target.startswith("pacte.org")
    ]
    assert wrong == []


def test_no_import_cycle_when_modules_load() -> None:
    graph = {
        name: {t for t in _imports(path, load_only=True) if t in MODULES and t != name}
        for name, path in MODULES.items()
    }
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                walk(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])


def test_the_module_map_names_modules_that_exist() -> None:
    """Each module or package the map of architecture.md names is in the tree (a name alone,
    as ``sso.py``, is beside the one before it in its row)."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Where things are in an app", 1)[1].split("\n## ", 1)[0]
    missing = []
    for row in table.splitlines():
        if not row.startswith("| `"):
            continue
        folder = PACKAGE
        for name in re.findall(r"`([\w/]+(?:\.py|/))`", row.split(" | ")[0]):
            path = PACKAGE / name if "/" in name.rstrip("/") else folder / name
            if name.endswith(".py") and "/" in name:
                folder = path.parent
            if not path.exists():
                missing.append(name)
    assert missing == []
    for name in re.findall(r"`(pacte/[\w/]+(?:\.py|/))`", text):
        assert (PACKAGE.parent / name).exists(), name
