"""The package keeps its layers: imports go downward only, with no cycles, counting function-local imports.

Read with ``ast``, so the test sees every import the code can run, including
those inside functions; only ``if TYPE_CHECKING:`` blocks are left out, since
they never run. ARCHITECTURE.md states the same rules in prose.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "contract_kit"

# Lower rank = lower layer. Packages of equal rank are siblings and never import each other.
LAYERS: dict[str, int] = {
    "foundation": 0,
    "validation": 1,
    "contract": 2,
    "mock": 3,
    "strategies": 3,
    "cassettes": 4,
    "drift": 5,
    "suite": 5,
    "plugin": 6,
    "cli": 6,
    "top": 7,
}
FOUNDATION = {"errors", "defaults", "redact", "_json", "_files", "_resources"}
TOP = {"__init__", "__main__"}
# Each third-party client library belongs to exactly one module.
CLIENT_OWNERS = {
    "respx": {"contract_kit.mock.transports.respx_transport"},
    "httpx2": {"contract_kit.mock.transports.httpx2_transport"},
    "http.client": {"contract_kit.drift.live"},
}
FUNCTION_LOCAL_REASONS = ("start-up cost", "optional dependency")


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    names: tuple[str, ...]
    line: int
    local: bool
    comment: str


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "top"
    if parts[1] in FOUNDATION:
        return "foundation"
    if parts[1] in TOP:
        return "top"
    return parts[1]


def package_folder(module: str, is_package: bool) -> str:
    return module if is_package else module.rpartition(".")[0]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, source: str, lines: list[str]) -> Iterator[Import]:
    def visit(node: ast.AST, local: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    yield from visit(other, local)
                continue
            inner = local or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(source, alias.name, (), child.lineno, local, _comment(lines, child.lineno))
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names = tuple(alias.name for alias in child.names)
                yield Import(source, child.module, names, child.lineno, local, _comment(lines, child.lineno))
            yield from visit(child, inner)

    yield from visit(tree, False)


def _comment(lines: list[str], lineno: int) -> str:
    """The comment on the import's line or on the lines just above it."""
    text = lines[lineno - 1]
    above = lineno - 2
    while above >= 0 and lines[above].strip().startswith("#"):
        text = lines[above] + text
        above -= 1
    return text


def all_imports() -> list[Import]:
    found = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        source = path.read_text()
        found += _imports(ast.parse(source), module_name(path), source.splitlines())
    return found


IMPORTS = all_imports()
MODULES = {module_name(path) for path in PACKAGE_ROOT.rglob("*.py")}
PACKAGES = {module_name(path) for path in PACKAGE_ROOT.rglob("__init__.py")}
KIT = [item for item in IMPORTS if item.target == "contract_kit" or item.target.startswith("contract_kit.")]


def resolved_targets(item: Import) -> list[str]:
    """The kit modules an import loads: ``from pkg import mod`` names a module, ``from mod import name`` does not."""
    modules = [f"{item.target}.{name}" for name in item.names if f"{item.target}.{name}" in MODULES]
    return modules or [item.target]


def test_imports_go_downward_only() -> None:
    wrong = []
    for item in KIT:
        if item.source == "contract_kit" or layer_of(item.source) == "top":
            continue
        for target in resolved_targets(item):
            low, high = layer_of(target), layer_of(item.source)
            if low != high and LAYERS[low] >= LAYERS[high]:
                wrong.append(f"{item.source}:{item.line} imports {target} ({high} -> {low})")
    assert not wrong, "\n".join(wrong)


def test_there_are_no_import_cycles_counting_function_local_imports() -> None:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for item in KIT:
        for target in resolved_targets(item):
            if target in MODULES and target != item.source:
                graph[item.source].add(target)
    cycles = _cycles(graph)
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_no_module_imports_its_own_package_facade() -> None:
    """Inside a package, import the sibling module itself: going through ``__init__`` hides a cycle."""
    wrong = [
        f"{item.source}:{item.line} imports {item.target}"
        for item in KIT
        if item.target in PACKAGES
        and item.target != "contract_kit"
        and item.source.startswith(item.target + ".")
        and resolved_targets(item) == [item.target]
    ]
    assert not wrong, "\n".join(wrong)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each listed in order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
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
            connect(node)
    return found


def test_siblings_never_import_each_other() -> None:
    wrong = [
        f"{item.source}:{item.line} imports {item.target}"
        for item in KIT
        if layer_of(item.source) not in ("top", "foundation")
        and layer_of(item.target) not in ("top", "foundation")
        and layer_of(item.source) != layer_of(item.target)
        and LAYERS[layer_of(item.source)] == LAYERS[layer_of(item.target)]
    ]
    assert not wrong, "\n".join(wrong)


def test_no_private_module_or_name_is_imported_from_outside_its_folder() -> None:
    wrong = []
    for item in KIT:
        source_folder = package_folder(item.source, item.source in PACKAGES)
        for target in resolved_targets(item):
            folder = target.rpartition(".")[0]
            private = target.rpartition(".")[2].startswith("_") and not target.endswith("__")
            if private and folder != "contract_kit" and not source_folder.startswith(folder):
                wrong.append(f"{item.source}:{item.line} imports private module {target}")
        target_folder = package_folder(item.target, item.target in PACKAGES)
        crosses = not source_folder.startswith(target_folder) and item.target != "contract_kit"
        for name in item.names:
            private = (
                name.startswith("_") and not name.startswith("__") and f"{item.target}.{name}" not in MODULES
            )
            if private and crosses:
                wrong.append(f"{item.source}:{item.line} imports private name {name} from {item.target}")
    assert not wrong, "\n".join(wrong)


def test_function_local_imports_state_their_reason() -> None:
    """Start-up cost (only in plugin/ and cli/) or an optional dependency, said in a comment."""
    wrong = []
    for item in IMPORTS:
        if not item.local:
            continue
        reasons = [reason for reason in FUNCTION_LOCAL_REASONS if reason in item.comment]
        startup_allowed = layer_of(item.source) in ("plugin", "cli", "top")
        ok = "optional dependency" in reasons or ("start-up cost" in reasons and startup_allowed)
        if not ok:
            wrong.append(f"{item.source}:{item.line} imports {item.target} inside a function")
    assert not wrong, f"{len(wrong)} function-local import(s) without a stated reason:\n" + "\n".join(wrong)


def test_only_the_plugin_imports_pytest() -> None:
    wrong = [
        f"{item.source}:{item.line}"
        for item in IMPORTS
        if item.target.split(".")[0] in ("pytest", "_pytest") and layer_of(item.source) != "plugin"
    ]
    assert not wrong, "\n".join(wrong)


def test_the_plugin_wiring_imports_only_pytest_stdlib_defaults_and_its_config_at_load() -> None:
    allowed_kit = {"contract_kit.defaults", "contract_kit.plugin._config"}
    loaded = [
        item.target
        for item in IMPORTS
        if item.source == "contract_kit.plugin.plugin"
        and not item.local
        and item.target.startswith("contract_kit")
    ]
    assert set(loaded) <= allowed_kit, loaded


@pytest.mark.parametrize("library", sorted(CLIENT_OWNERS))
def test_each_third_party_client_is_imported_by_its_one_module(library: str) -> None:
    importers = {
        item.source for item in IMPORTS if item.target == library or item.target.startswith(library + ".")
    }
    assert importers <= CLIENT_OWNERS[library], sorted(importers)


def test_the_package_root_stays_small_and_the_tree_has_its_layers() -> None:
    root_modules = sorted(path.name for path in PACKAGE_ROOT.glob("*.py"))
    subpackages = sorted(path.parent.name for path in PACKAGE_ROOT.glob("*/__init__.py"))
    assert len(root_modules) <= 10, root_modules
    assert len(subpackages) >= 6, subpackages
    assert set(subpackages) >= {name for name, rank in LAYERS.items() if 0 < rank < 7}


@pytest.mark.parametrize("package", sorted(PACKAGES - {"contract_kit"}))
def test_each_package_shows_its_public_face(package: str) -> None:
    init = PACKAGE_ROOT.parent.joinpath(*package.split("."), "__init__.py")
    tree = ast.parse(init.read_text())
    assert ast.get_docstring(tree), f"{package} has no docstring saying what it is for"
    assert "__all__" in _assigned_names(tree), f"{package}/__init__.py has no __all__"


def _assigned_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        names |= {target.id for target in targets if isinstance(target, ast.Name)}
    return names
