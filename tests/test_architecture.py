"""Imports run one way and the environment is read in one module.

``resources/`` holds the warehouse and Customer.io plumbing: the domain (``retention_assets``,
``asset_checks``) imports it, never the other way round, so a resource can be reused and tested
without the pipeline. ``asset_checks/`` sits between the code it checks (the models, the specs,
the sync engine's ledgers and plans) and the code that uses the checks (the plan and send
assets, the definitions, the alerts): nothing the checks import imports a check back.
Environment variables are read by ``retention_assets.settings`` alone: the code location's
other modules are handed values (or ``dg.EnvVar`` for secrets). All are checked on the source
with ``ast``, so an import inside a function counts too.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator, Mapping, Set
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_PACKAGES = ("retention_assets", "asset_checks")
# The packages of the code location Dagster loads; the launchers that start processes
# (tools/, the sandbox, benchmarks) set up environments for their children and are not part of it.
CODE_LOCATION = ("retention_assets", "asset_checks", "resources")
SETTINGS_MODULE = ROOT / "retention_assets" / "settings.py"
CHECKS_PACKAGE = "asset_checks"


def imported_modules(source: str) -> Iterator[str]:
    """Every module ``source`` imports, at any depth (absolute imports only)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def domain_imports(source: str) -> list[str]:
    return [
        module for module in imported_modules(source) if module.split(".")[0] in DOMAIN_PACKAGES
    ]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(paths: list[Path]) -> dict[str, set[str]]:
    """Module -> the modules of ``paths`` that importing it runs (parent packages included)."""
    modules = {module_name(path): path for path in paths}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from a.b import c`` imports the module a.b.c when there is one.
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for name in names:
                # Importing a.b.c runs the __init__ of a and of a.b first.
                parts = name.split(".")
                prefixes = (".".join(parts[:end]) for end in range(1, len(parts) + 1))
                targets |= {prefix for prefix in prefixes if prefix in modules}
        # A module's own packages have run before it: no edge back to them.
        graph[module] = {t for t in targets if t != module and not module.startswith(t + ".")}
    return graph


def imports_back_into(graph: Mapping[str, Set[str]], package: str) -> dict[str, list[str]]:
    """Modules outside ``package`` that its modules reach and that import ``package`` again."""

    def inside(module: str) -> bool:
        return module == package or module.startswith(package + ".")

    reached, todo = set(), [module for module in graph if inside(module)]
    while todo:
        for imported in graph.get(todo.pop(), ()):
            if imported not in reached and not inside(imported):
                reached.add(imported)
                todo.append(imported)
    return {
        module: sorted(imported for imported in graph[module] if inside(imported))
        for module in sorted(reached)
        if any(inside(imported) for imported in graph[module])
    }


_ENVIRONMENT: frozenset[str] = frozenset({"environ", "environb", "getenv", "getenvb"})


def _reads_environment(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return (
            isinstance(node.value, ast.Name) and node.value.id == "os" and node.attr in _ENVIRONMENT
        )
    if isinstance(node, ast.ImportFrom) and node.module == "os":
        return any(alias.name in _ENVIRONMENT for alias in node.names)
    return False


def environment_reads(source: str) -> list[int]:
    """Lines that touch ``os.environ``/``os.getenv`` or import ``environ``/``getenv`` from os."""
    return [node.lineno for node in ast.walk(ast.parse(source)) if _reads_environment(node)]


def _modules(*packages: str) -> list[Path]:
    return sorted(path for package in packages for path in (ROOT / package).rglob("*.py"))


def test_resources_import_nothing_of_the_domain() -> None:
    found = {
        str(path.relative_to(ROOT)): imports
        for path in _modules("resources")
        if (imports := domain_imports(path.read_text()))
    }

    assert found == {}


def test_nothing_the_checks_import_imports_a_check() -> None:
    graph = import_graph(_modules(*CODE_LOCATION))

    assert imports_back_into(graph, CHECKS_PACKAGE) == {}


def test_an_import_back_into_the_checks_is_found_however_far() -> None:
    graph = {
        "asset_checks.sync_checks": {"retention_assets.sync.ledger"},
        "retention_assets.sync.ledger": {"retention_assets.sync.gates"},
        "retention_assets.sync.gates": {"asset_checks.spec_checks"},
        "asset_checks.spec_checks": set(),
        # Above the checks: it uses them, and nothing of the checks uses it.
        "retention_assets.definitions": {"asset_checks"},
    }

    assert imports_back_into(graph, CHECKS_PACKAGE) == {
        "retention_assets.sync.gates": ["asset_checks.spec_checks"]
    }


def test_only_the_settings_module_reads_the_environment() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for path in _modules(*CODE_LOCATION)
        if path != SETTINGS_MODULE
        if (lines := environment_reads(path.read_text()))
    }

    assert found == {}


@pytest.mark.parametrize(
    "source",
    [
        "from retention_assets.settings import load_settings",
        "import asset_checks.factory",
        "def late():\n    from retention_assets import bindings\n",
    ],
)
def test_a_domain_import_is_found_wherever_it_is(source: str) -> None:
    assert domain_imports(source) != []


def test_imports_of_other_packages_are_not_domain_imports() -> None:
    assert domain_imports("import dagster as dg\nfrom resources.params import bind\n") == []


@pytest.mark.parametrize(
    "source",
    [
        "import os\nos.environ.get('X')",
        "import os\nos.getenv('X')",
        "import os\nvalue = os.environ['X']",
        "from os import environ",
        "def f():\n    import os\n    return dict(os.environ)\n",
    ],
)
def test_an_environment_read_is_found(source: str) -> None:
    assert environment_reads(source) != []


def test_other_uses_of_os_are_not_environment_reads() -> None:
    assert environment_reads("import os\nos.path.join('a', 'b')\nos.getpid()\n") == []


# Packages of an optional extra (pyproject's [project.optional-dependencies]): a deployment
# without the extra must still load, so no shipped module may import them.
OPTIONAL_IMPORTS = {"dbt": ("dagster_dbt", "dbt")}
SHIPPED = ("retention_assets", "asset_checks", "resources", "cio_sandbox", "benchmarks", "tools")


def test_no_shipped_module_imports_a_package_of_an_optional_extra() -> None:
    optional = {module for modules in OPTIONAL_IMPORTS.values() for module in modules}
    found = {
        str(path.relative_to(ROOT)): imports
        for path in _modules(*SHIPPED)
        if (
            imports := [
                module
                for module in imported_modules(path.read_text())
                if module.split(".")[0] in optional
            ]
        )
    }

    assert found == {}


def test_dagster_dbt_is_an_optional_extra_pinned_alike_everywhere() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()

    def pins(requirements: list[str]) -> list[str]:
        return [line for line in requirements if line.startswith("dagster-dbt==")]

    assert pins(project["dependencies"]) == []
    (pin,) = pins(extras["dbt"])
    assert pins(extras["dev"]) == [pin]
    assert pins(constraints) == [pin]
