"""What counts as a loopback host: the one place plain HTTP is allowed (the local sandbox).

Shared by the client's base-URL check, the hook (which turns a bare connection host into a URL) and
the sandbox CLI (which refuses to bind anything but loopback unless told to). Kept free of Airflow
imports so the sandbox starts fast.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
