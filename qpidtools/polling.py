"""Sampling a broker at a fixed interval over one connection, reconnecting after failures.

What ``qpid-stat --watch`` and ``qpid-queue-stats`` share. The interval is kept on a fixed
grid (a slow sample shortens the wait after it); a failed sample closes the connection, is
reported, and the next tick connects again. Ctrl-C (``KeyboardInterrupt``) goes to the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack, suppress

from qpidtools.broker import Broker
from qpidtools.errors import QpidToolsError
from qpidtools.transport import ConnectionSettings


def poll(
    settings: ConnectionSettings,
    interval: float,
    count: int | None,
    sample: Callable[[Broker, int], None],
    failed: Callable[[QpidToolsError, int], None],
) -> None:
    """Call ``sample(broker, n)`` for n = 1, 2, ... every ``interval`` seconds, ``count`` times
    at most; ``failed(error, n)`` when sample n could not be taken."""
    number = 0
    deadline = time.monotonic()
    with ExitStack() as connection:
        broker: Broker | None = None
        while count is None or number < count:
            number += 1
            try:
                if broker is None:
                    broker = connection.enter_context(Broker.connect(settings))
                sample(broker, number)
            except QpidToolsError as error:
                broker = None
                with suppress(QpidToolsError, OSError):
                    connection.close()
                failed(error, number)
            if count is not None and number >= count:
                break
            deadline += interval
            time.sleep(max(0.0, deadline - time.monotonic()))
