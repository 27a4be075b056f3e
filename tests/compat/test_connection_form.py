"""The ``snovio`` connection form on Airflow 3.1 (hook methods) and 3.2+ (declarative provider info).

Unit level: ``get_connection_form_widgets()`` and ``get_ui_field_behaviour()`` against stand-ins of
WTForms/flask_babel/flask_appbuilder, as Airflow 3.1's API server calls them. Then, in a fresh process,
Airflow's own ``HookMetaService.hook_meta_data()`` (what the UI's connection form is built from) on the
Airflow installed: on 3.1 it uses the fallback methods, on 3.2+ the declarative form; either way the user
gets the same labels, placeholders and extras.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from typing import Any

import pytest

from airflow_provider_snovio import get_provider_info
from airflow_provider_snovio.hooks.snovio import SnovioHook, read_extras

DECLARED = next(c for c in get_provider_info()["connection-types"] if c["connection-type"] == "snovio")


class _Field:
    """Stand-in of a WTForms field: records what it was built with."""

    def __init__(
        self, label: str, validators: list | None = None, description: str = "", default: Any = None, widget: Any = None
    ) -> None:
        self.label, self.validators, self.description = label, validators, description
        self.default, self.widget = default, widget


@pytest.fixture
def fake_wtforms(monkeypatch: pytest.MonkeyPatch) -> dict[str, type]:
    classes = {
        name: type(name, (_Field,), {}) for name in ("StringField", "IntegerField", "BooleanField", "PasswordField")
    }
    wtforms = types.ModuleType("wtforms")
    for name, cls in classes.items():
        setattr(wtforms, name, cls)
    validators = types.ModuleType("wtforms.validators")
    validators.Optional = type("Optional", (), {})
    babel = types.ModuleType("flask_babel")
    babel.lazy_gettext = lambda text: f"translated:{text}"
    fab = types.ModuleType("flask_appbuilder")
    widgets = types.ModuleType("flask_appbuilder.fieldwidgets")
    widgets.BS3TextFieldWidget = type("BS3TextFieldWidget", (), {})
    widgets.BS3PasswordFieldWidget = type("BS3PasswordFieldWidget", (), {})
    for name, module in {
        "wtforms": wtforms,
        "wtforms.validators": validators,
        "flask_babel": babel,
        "flask_appbuilder": fab,
        "flask_appbuilder.fieldwidgets": widgets,
    }.items():
        monkeypatch.setitem(sys.modules, name, module)
    return classes


def test_hook_defines_both_fallback_methods_itself() -> None:
    # Airflow 3.1 only calls them when they are in the hook class's own __dict__
    assert "get_connection_form_widgets" in SnovioHook.__dict__
    assert "get_ui_field_behaviour" in SnovioHook.__dict__


def test_ui_field_behaviour_matches_the_declarative_form() -> None:
    declared = DECLARED["ui-field-behaviour"]
    assert SnovioHook.get_ui_field_behaviour() == {
        "hidden_fields": ["schema", "port", "extra"],
        "relabeling": {"login": "Client ID", "password": "Client Secret", "host": "API base URL"},
        "placeholders": declared["placeholders"],
    }
    assert SnovioHook.get_ui_field_behaviour()["hidden_fields"] == declared["hidden-fields"]


def test_connection_form_widgets_are_the_declared_extras(fake_wtforms: dict[str, type]) -> None:
    widgets = SnovioHook.get_connection_form_widgets()
    assert (
        list(widgets)
        == list(DECLARED["conn-fields"])
        == [
            "requests_per_minute",
            "timeout",
            "max_retries",
            "rate_limit_backend",
            "finder_hourly_limit",
            "verifier_hourly_limit",
            "quota_window_seconds",
        ]
    )
    kinds = {name: type(field).__name__ for name, field in widgets.items()}
    assert kinds == {
        "requests_per_minute": "IntegerField",
        "timeout": "StringField",
        "max_retries": "IntegerField",
        "rate_limit_backend": "PasswordField",  # the URL may carry the Redis password
        "finder_hourly_limit": "IntegerField",
        "verifier_hourly_limit": "IntegerField",
        "quota_window_seconds": "StringField",
    }
    assert widgets["requests_per_minute"].label == "translated:Requests per minute"
    assert widgets["requests_per_minute"].default == 60
    assert widgets["timeout"].default == "30.0"  # a text field: its default is text the hook parses back
    assert read_extras({"timeout": widgets["timeout"].default})["timeout"] == 30.0
    assert widgets["rate_limit_backend"].default is None
    for name, field in widgets.items():
        assert field.description == DECLARED["conn-fields"][name]["description"]
        assert [type(v).__name__ for v in field.validators] == ["Optional"]  # every extra may stay empty
        assert type(field.widget).__name__ == (
            "BS3PasswordFieldWidget" if name == "rate_limit_backend" else "BS3TextFieldWidget"
        )


def test_without_wtforms_the_widgets_raise_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Airflow treats an ImportError of wtforms/flask_appbuilder as 'no UI here' and goes on."""
    monkeypatch.setitem(sys.modules, "flask_appbuilder", None)
    monkeypatch.setitem(sys.modules, "flask_appbuilder.fieldwidgets", None)
    with pytest.raises(ImportError):
        SnovioHook.get_connection_form_widgets()


_HOOK_META = """
import json
from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
meta = {m.connection_type: m for m in HookMetaService.hook_meta_data()}
print(json.dumps(meta["snovio"].model_dump(mode="json")))
"""


def test_airflow_builds_the_labelled_form() -> None:
    """What Airflow's UI gets for the ``snovio`` type on the Airflow installed (any declared minor)."""
    result = subprocess.run(
        [sys.executable, "-c", _HOOK_META],
        capture_output=True,
        text=True,
        timeout=240,
        env=os.environ.copy(),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    meta = json.loads(result.stdout.strip().splitlines()[-1])
    standard = meta["standard_fields"]
    assert standard["login"]["title"] == "Client ID" and standard["password"]["title"] == "Client Secret"
    assert standard["host"] == {
        "hidden": False,
        "title": "API base URL",
        "placeholder": DECLARED["ui-field-behaviour"]["placeholders"]["host"],
    }
    assert standard["port"]["hidden"] is True and standard["url_schema"]["hidden"] is True
    extras = meta["extra_fields"]
    assert set(extras) == set(DECLARED["conn-fields"])
    for name, declared in DECLARED["conn-fields"].items():
        assert extras[name]["schema"]["title"] == declared["label"]
        assert extras[name]["description"] == declared["description"]
    assert extras["requests_per_minute"]["value"] == 60
    assert "AirflowProviderDeprecationWarning" not in result.stderr  # 3.2+ never calls the fallback
