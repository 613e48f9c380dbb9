"""The house plan: emulators and the sandbox stand apart from the product's runtime path.

Read from the source (nothing is imported to check it):

- a network plugin's production modules never import its emulator; only ``plugin.py``'s
  ``register_emulators`` and ``register_commands`` hooks reach it, inside the hook;
- ``hub/`` imports no plugin package at all (the demo gets the emulators through the
  hook, like any caller);
- the core's runtime modules import neither the sandbox (``hub.sandbox``: harness,
  sample texts, Gospabliki stub, demo) nor the test support (``hub.testing``); the CLI
  may import the sandbox, because ``hub demo`` and ``hub gospabliki-stub`` are its
  commands;
- every network's emulator is a package ``plugins/<network>/emulator/`` with the same
  file names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import hub
import hub_max
import hub_moderation
import hub_ok
import hub_telegram
import hub_vk

HUB = Path(hub.__file__).parent
PLUGINS = {p.__name__: Path(p.__file__).parent for p in (hub_vk, hub_ok, hub_telegram, hub_max)}
PLUGIN_PACKAGES = (*PLUGINS, hub_moderation.__name__)
#: what every network's emulator package holds (a network adds its own besides)
EMULATOR_FILES = {
    "__init__.py",
    "__main__.py",
    "server.py",
    "methods.py",
    "data.py",
    "texts.py",
    "publish.py",
    "cli.py",
    "driver.py",
}
SANDBOX = "hub.sandbox"
#: where plugin.py may import the emulator: inside these hooks, when a caller asks
HOOKS_THAT_REACH_THE_EMULATOR = (["register_emulators"], ["register_commands"])
TEST_SUPPORT = ("hub.testing",)


def _module_name(root: Path, package: str, path: Path) -> str:
    parts = (package, *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(module: str, path: Path) -> Iterator[tuple[str, list[str]]]:
    """Each imported module's absolute name, with the functions the import sits in."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def walk(node: ast.AST, functions: list[str]) -> Iterator[tuple[str, list[str]]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, functions
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = package.split(".")
                    anchor = parts[: len(parts) - (child.level - 1)]
                    base = ".".join([*anchor, *([child.module] if child.module else [])])
                else:
                    base = child.module or ""
                for alias in child.names:
                    yield f"{base}.{alias.name}", functions
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(child, [*functions, child.name])
            else:
                yield from walk(child, functions)

    yield from walk(tree, [])


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _hub_modules() -> dict[str, Path]:
    return {_module_name(HUB, "hub", p): p for p in sorted(HUB.rglob("*.py"))}


@pytest.mark.parametrize("package", sorted(PLUGINS))
def test_emulator_is_a_package_with_the_shared_file_names(package):
    root = PLUGINS[package]
    assert not sorted(p.name for p in root.glob("emulator*.py")), "emulator files beside the client"
    assert not (root / "testing.py").exists(), "the driver belongs in emulator/driver.py"
    files = {p.name for p in (root / "emulator").glob("*.py")}
    assert files >= EMULATOR_FILES, f"{package}.emulator lacks {sorted(EMULATOR_FILES - files)}"


@pytest.mark.parametrize("package", sorted(PLUGINS))
def test_production_modules_never_import_the_emulator(package):
    root = PLUGINS[package]
    found = []
    for path in sorted(root.glob("*.py")):  # the production modules: not emulator/
        module = _module_name(root, package, path)
        for name, functions in _imports(module, path):
            if not (_within(name, f"{package}.emulator") or _within(name, SANDBOX)):
                continue
            if path.name == "plugin.py" and functions[:1] in HOOKS_THAT_REACH_THE_EMULATOR:
                continue  # the hooks' job: hand the emulator (or its command) to whoever asks
            found.append(f"{module} imports {name}")
    assert not found, "\n".join(found)


def test_hub_imports_no_plugin():
    found = [
        f"{module} imports {name}"
        for module, path in _hub_modules().items()
        for name, _functions in _imports(module, path)
        if any(_within(name, plugin) for plugin in PLUGIN_PACKAGES)
    ]
    assert not found, "\n".join(found)


def test_core_runtime_imports_no_sandbox_and_no_test_support():
    found = []
    for module, path in _hub_modules().items():
        if _within(module, SANDBOX) or module in TEST_SUPPORT:
            continue
        wires_sandbox = _within(module, "hub.cli")  # 'hub demo', 'hub gospabliki-stub'
        for name, _functions in _imports(module, path):
            test_support = any(_within(name, t) for t in TEST_SUPPORT)
            if test_support or (_within(name, SANDBOX) and not wires_sandbox):
                found.append(f"{module} imports {name}")
    assert not found, "\n".join(found)


def test_the_checks_see_an_import_in_a_hook(tmp_path):
    """The walker finds an import at any depth and names the function it sits in."""
    path = tmp_path / "plugin.py"
    path.write_text(
        "from .emulator import A\n"
        "def register_emulators(register):\n    from .emulator.cli import b\n"
        "class C:\n    def m(self):\n        import hub.sandbox.demo\n"
    )
    assert list(_imports("hub_x.plugin", path)) == [
        ("hub_x.emulator.A", []),
        ("hub_x.emulator.cli.b", ["register_emulators"]),
        ("hub.sandbox.demo", ["m"]),
    ]


def test_the_emulators_reach_the_hub_through_the_hook():
    from hub import plugins

    classes = plugins.emulators(plugins.make_plugin_manager())
    assert {"vk", "ok", "telegram"} <= set(classes)
    assert classes["vk"] is hub_vk.emulator.VkEmulator
