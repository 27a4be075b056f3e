"""``[core] hostname_callable`` of the test's Celery worker hosts: the host's name, from the environment.

Every process of the test runs on this one machine, so ``socket.getfqdn()`` would name them all alike; the
deployment gives each simulated host a name (``DEPLOYMENT_HOST_NAME``), and a task try reports it to the
api-server as the task instance's ``hostname``, the way a try on another machine reports that machine.
"""

from __future__ import annotations

import os
import socket

HOST_NAME_ENV = "DEPLOYMENT_HOST_NAME"


def host_name() -> str:
    return os.environ.get(HOST_NAME_ENV) or socket.getfqdn()
