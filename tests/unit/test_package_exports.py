"""Every public name of the lazy packages resolves, and the provider info lists the module behind it."""

from __future__ import annotations

import importlib

import pytest

from airflow_provider_snovio import get_provider_info

PACKAGES = ("operators", "sensors", "transfers")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_export_resolves_to_its_module(package: str) -> None:
    module = importlib.import_module(f"airflow_provider_snovio.{package}")
    for name, where in module._EXPORTS.items():
        value = getattr(module, name)
        assert value.__module__ == f"airflow_provider_snovio.{package}.{where}", name
        assert name in dir(module)
    with pytest.raises(AttributeError, match="no attribute 'NotAnOperator'"):
        module.NotAnOperator  # noqa: B018


def test_provider_info_lists_every_operator_sensor_and_transfer_module() -> None:
    info = get_provider_info()
    listed = {
        m
        for section in ("operators", "sensors", "transfers")
        for entry in info.get(section, [])
        for m in entry.get("python-modules", [entry.get("python-module")])
        if m
    }
    for package in PACKAGES:
        exports = importlib.import_module(f"airflow_provider_snovio.{package}")._EXPORTS
        for where in set(exports.values()) - {"base"}:
            assert f"airflow_provider_snovio.{package}.{where}" in listed, (package, where)
