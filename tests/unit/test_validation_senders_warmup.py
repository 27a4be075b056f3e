"""The validators of the 2026 sender-account and warm-up rows (#52-#61), at the unit level."""

from __future__ import annotations

import pytest

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.errors import SnovioValidationError


def refused(check, value) -> SnovioValidationError:
    with pytest.raises(SnovioValidationError) as caught:
        check("f", value)
    return caught.value


@pytest.mark.parametrize(
    ("port", "encryption", "ok"),
    [
        (25, "none", True),
        (465, "SSL", True),
        (587, "tls", True),
        (465, "tls", False),
        (587, "none", False),
        (2525, "tls", False),
    ],
)
def test_smtp_port_fixes_the_encryption(port: int, encryption: str, ok: bool) -> None:
    server = {"host": "smtp.example.com", "port": port, "encryption": encryption}
    if ok:
        assert v.smtp_server("smtp", server) == {**server, "encryption": encryption.lower()}
    else:
        assert refused(v.smtp_server, server).field in ("f.port", "f.encryption")


def test_imap_ports_and_hosts() -> None:
    assert v.imap_server("imap", {"host": "imap.example.com", "port": "993", "encryption": "tls"})["port"] == 993
    assert (
        refused(v.imap_server, {"host": "imap.example.com", "port": 143, "encryption": "ssl"}).field == "f.encryption"
    )
    assert refused(v.imap_server, {"host": "imap.example.com", "port": 993}).field == "f.encryption"
    assert refused(v.imap_server, {"host": "a" * 101, "port": 993, "encryption": "ssl"}).field == "f.host"
    assert refused(v.imap_server, {"host": "x.com", "port": 993, "encryption": "ssl", "user": "u"}).field == "f.user"


def test_ranges_choices_and_texts() -> None:
    assert v.int_range(1, 1200)("f", "1200") == 1200
    assert "from 1 to 1200" in refused(v.int_range(1, 1200), 1201).problem
    assert refused(v.int_range(5, 3600), True).field == "f"
    assert v.int_choice((20, 50, 100))("f", 50) == 50
    assert "20, 50, 100" in refused(v.int_choice((20, 50, 100)), 30).problem
    body = v.sized_text(10_000, multiline=True)
    assert body("f", "Hi,\n\tthere\r\n") == "Hi,\n\tthere\r\n"  # content is sent as written
    assert refused(body, "a\x00b").problem.startswith("contains the control character")
    assert refused(body, "x" * 10_001).problem == "must be at most 10000 characters, got 10001"
    assert refused(v.sized_text(200), "a\nb").field == "f"  # a subject is one line
    assert v.json_boolean("f", "true") is True and v.json_boolean("f", "false") is False


def test_clear_sends_null_and_none_sends_nothing() -> None:
    check = v.clearable(v.email)
    assert check("f", v.CLEAR) is None
    assert check("f", "A@Example.com") == "A@example.com"
    assert repr(v.CLEAR) == "CLEAR" and type(v.CLEAR)() is v.CLEAR


def test_the_secret_is_never_in_the_message() -> None:
    error = refused(v.secret, "pa55\x07word")
    assert "pa55" not in str(error) and "word" not in str(error)


def test_cross_field_rules() -> None:
    v.sender_settings({"delay_from": 5, "delay_to": 6, "limitation": 1200})
    with pytest.raises(SnovioValidationError, match="greater than delay_from"):
        v.sender_settings({"delay_from": 600, "delay_to": 600})
    with pytest.raises(SnovioValidationError, match="do not fit into 24 h"):
        v.sender_settings({"delay_type": "fixed", "delay_fixed": 100, "limitation": 865})
    v.sender_settings({"delay_type": "fixed", "delay_fixed": 100, "limitation": 864})
    v.warm_up_settings({"per_day": 10, "strategy": "steady"}, creating=True)
    with pytest.raises(SnovioValidationError) as caught:
        v.warm_up_settings({"per_day": 10}, creating=True)
    assert caught.value.field == "from_"
    v.warm_up_settings({"from_": 9}, creating=False)  # an update cannot see the stored per_day
    with pytest.raises(SnovioValidationError, match="give period or"):
        v.warm_up_window({"period": "month", "date_to": "2026-01-01"})
    v.warm_up_window({})
