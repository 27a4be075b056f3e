"""The connection form for Airflow 3.1, derived from the provider info's declarative form.

Why: Airflow 3.2+ builds the ``snovio`` connection form from ``get_provider_info()``'s
``ui-field-behaviour`` and ``conn-fields`` (and then never calls the hook's form methods). Airflow 3.1
ignores those keys and asks the hook instead (``get_ui_field_behaviour()`` and
``get_connection_form_widgets()``); without them a 3.1 user gets the generic form, with no labels and no
extras. Both methods are computed here from the one declarative definition, so the two forms cannot
drift apart.

Airflow 3.1's API server renders the widgets without Flask: it stands in for WTForms, flask_babel and
flask_appbuilder with mocks that take ``label``, ``validators``, ``description``, ``default`` and
``widget``, and only ``StringField``/``IntegerField``/``PasswordField``/``BooleanField`` are accepted.
So only those keyword arguments and classes are used; a JSON-schema ``number`` becomes a text field (the
hook parses extras with :func:`.hooks.snovio.read_extras`, which accepts a numeric string).
"""

from __future__ import annotations

from typing import Any

from airflow_provider_snovio import CONN_TYPE, get_provider_info


def declared_form(conn_type: str = CONN_TYPE) -> dict[str, Any]:
    """The ``connection-types`` entry of the provider info for ``conn_type``."""
    for entry in get_provider_info()["connection-types"]:
        if entry["connection-type"] == conn_type:
            return entry
    raise KeyError(f"no connection type {conn_type!r} in the provider info")


def ui_field_behaviour(conn_type: str = CONN_TYPE) -> dict[str, Any]:
    """``ui-field-behaviour`` in the shape of ``get_ui_field_behaviour()`` (underscored keys)."""
    declared = declared_form(conn_type).get("ui-field-behaviour", {})
    return {
        "hidden_fields": list(declared.get("hidden-fields", [])),
        "relabeling": dict(declared.get("relabeling", {})),
        "placeholders": dict(declared.get("placeholders", {})),
    }


def _json_type(schema: dict[str, Any]) -> str:
    kinds = schema.get("type", "string")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    return next((k for k in kinds if k != "null"), "string")


def connection_form_widgets(conn_type: str = CONN_TYPE) -> dict[str, Any]:
    """``conn-fields`` as the WTForms fields ``get_connection_form_widgets()`` returns.

    Imports WTForms, flask_babel and flask_appbuilder only when called (Airflow 3.1 provides them, or
    its stand-ins); an ``ImportError`` here is what Airflow expects when they are absent.
    """
    from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import BooleanField, IntegerField, PasswordField, StringField
    from wtforms.validators import Optional

    classes = {"integer": IntegerField, "boolean": BooleanField}
    widgets: dict[str, Any] = {}
    for name, field in declared_form(conn_type).get("conn-fields", {}).items():
        schema = field.get("schema", {})
        secret = schema.get("format") == "password"  # e.g. a Redis URL that may carry a password
        field_class = PasswordField if secret else classes.get(_json_type(schema), StringField)
        default = schema.get("default")
        if field_class is StringField and default is not None:
            default = str(default)
        widgets[name] = field_class(
            lazy_gettext(field.get("label", name)),
            validators=[Optional()],
            description=field.get("description", ""),
            default=default,
            widget=BS3PasswordFieldWidget() if secret else BS3TextFieldWidget(),
        )
    return widgets
