"""Unusable timeouts (NaN, infinite, zero, negative) are refused where they enter: the connection extras,
the hook's override and ClientConfig (issue 6, item 8). A NaN timeout would never expire."""

from __future__ import annotations

import json

import pytest

from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.hooks.snovio import SnovioHook, read_extras

BAD = ["nan", "NaN", "inf", "-inf", "0", "-5", float("nan"), float("inf")]


@pytest.mark.parametrize("value", BAD)
def test_connection_extra_timeout_must_be_finite_and_positive(value: object) -> None:
    with pytest.raises(SnovioConfigError, match="'timeout'"):
        read_extras({"timeout": value})


def test_a_usable_timeout_extra_is_read() -> None:
    assert read_extras({"timeout": "12.5"})["timeout"] == 12.5


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_connection_with_a_nan_timeout_is_refused_before_any_client_exists(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SNOVIO_DEFAULT",
        json.dumps({"conn_type": "snovio", "login": "id", "password": "secret", "extra": {"timeout": value}}),
    )
    with pytest.raises(SnovioConfigError, match="timeout"):
        SnovioHook().client_config()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 0.0, -1.0])
def test_the_hooks_timeout_override_is_checked_too(value: float, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SNOVIO_DEFAULT", json.dumps({"conn_type": "snovio", "login": "id", "password": "secret"})
    )
    with pytest.raises(SnovioConfigError, match="timeout"):
        SnovioHook(timeout=value).client_config()
