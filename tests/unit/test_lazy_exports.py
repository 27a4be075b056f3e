"""The lazily exported packages: every name resolves, and type checkers see the same names.

Each package maps a public name to its module in ``_EXPORTS`` (read at run time) and imports the same
names under ``TYPE_CHECKING`` (read by mypy and IDEs). The two lists must agree, name for name and module
for module, or "go to definition" and the import that runs would disagree.
"""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

PACKAGES = ("operators", "sensors", "transfers", "sandbox")


def _type_checking_imports(package: str) -> dict[str, str]:
    tree = ast.parse(inspect.getsource(importlib.import_module(f"airflow_provider_snovio.{package}")))
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom), ast.dump(statement)
                for alias in statement.names:
                    found[alias.asname or alias.name] = str(statement.module)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_type_checking_imports_match_the_lazy_exports(package: str) -> None:
    module = importlib.import_module(f"airflow_provider_snovio.{package}")
    exports = {name: f"airflow_provider_snovio.{package}.{where}" for name, where in module._EXPORTS.items()}
    assert _type_checking_imports(package) == exports
    assert sorted(module.__all__) == sorted(exports)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_lazy_name_resolves_to_its_module(package: str) -> None:
    module = importlib.import_module(f"airflow_provider_snovio.{package}")
    for name, where in module._EXPORTS.items():
        value = getattr(module, name)
        assert value.__module__ == f"airflow_provider_snovio.{package}.{where}", name
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        module.Nope  # noqa: B018
