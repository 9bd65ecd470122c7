"""The package's layout keeps its import rule: the application (factory, CLI, models) → domains →
``expo/core/``; ``expo/permissions.py`` reads only models and the core; the demo builds on the
domains and only the CLI uses it; no circle between modules that are not SQLAlchemy models.

The graph is read from the source with ``ast``: every import counts, inside functions and under
``TYPE_CHECKING`` too, since either hides a circle a reader has to untangle."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "expo"
APPLICATION = {"expo", "expo.config", "expo.cli", "expo.models", "expo.permissions"}


def module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports."""
    files = {module_name(path, package): path for path in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from expo.core import signals`` imports the module expo.core.signals.
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    targets.add(submodule if submodule in files else node.module)
        graph[name] = {target for target in targets if target in files and target != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def is_model_module(name: str) -> bool:
    return name.endswith(".models")


def test_the_top_level_holds_only_the_application():
    loose = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "cli.py", "config.py", "models.py", "permissions.py"]


def test_the_frame_imports_no_domain():
    graph = import_graph()
    outside = {
        (module, target)
        for module, targets in graph.items() if module.startswith("expo.core.")
        for target in targets if not target.startswith("expo.core")
    }
    assert outside == set()


def test_no_domain_imports_the_demo_or_the_application():
    graph = import_graph()
    wrong = {
        (module, target)
        for module, targets in graph.items()
        if module not in APPLICATION and not module.startswith("expo.demo")
        for target in targets
        if target.startswith("expo.demo") or target in APPLICATION - {"expo.permissions"}
    }
    assert wrong == set()


def test_permissions_read_only_models_and_the_frame():
    targets = import_graph()["expo.permissions"]
    assert {t for t in targets if not (is_model_module(t) or t.startswith("expo.core"))} == set()


def test_no_circle_between_modules_that_are_not_models():
    graph = import_graph()
    without_models = {
        module: {t for t in targets if not is_model_module(t)}
        for module, targets in graph.items() if not is_model_module(module)
    }
    assert circles(without_models) == []


def test_the_checks_see_a_circle_and_a_frame_that_imports_a_domain(tmp_path):
    package = tmp_path / "expo"
    (package / "core").mkdir(parents=True)
    (package / "registration").mkdir()
    for folder in (package, package / "core", package / "registration"):
        (folder / "__init__.py").write_text("")
    (package / "core" / "db.py").write_text("from expo.core.extensions import db\n")
    (package / "core" / "extensions.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from expo.core import db\n"
    )
    (package / "registration" / "views.py").write_text("def late():\n    from expo.registration import manage_views\n")
    (package / "registration" / "manage_views.py").write_text("from expo.registration.views import late\n")
    (package / "core" / "signals.py").write_text("from expo.registration import views\n")

    graph = import_graph(package)
    assert circles(graph) == [
        ["expo.core.db", "expo.core.extensions"],
        ["expo.registration.manage_views", "expo.registration.views"],
    ]
    assert graph["expo.core.signals"] == {"expo.registration.views"}
