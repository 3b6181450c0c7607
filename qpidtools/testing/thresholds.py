"""Queue depth alerts as qpidd raises them (captures 320, 322).

A queue alerts at ``qpid.alert_count`` messages, or without it at 80 % of ``qpid.max_count``:
on reaching that depth it raises ``queueThresholdCrossedUpward`` (info) and
``queueThresholdExceeded`` (warn), and once alerted, ``queueThresholdCrossedDownward`` when the
depth falls to half the threshold (integer division). Ring overflow and reject raise nothing.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Protocol


class _Queue(Protocol):
    name: str
    arguments: dict[str, Any]
    stats: Any

    @property
    def depth(self) -> int: ...


Raise = Callable[..., None]
_ALERTED: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def threshold(queue: _Queue) -> int | None:
    """The depth at which the queue alerts, or None for a queue without alerts."""
    for key, percent in (("qpid.alert_count", 100), ("qpid.max_count", 80)):
        value = queue.arguments.get(key)
        if value is not None:
            try:
                limit = int(value) * percent // 100
            except (TypeError, ValueError):
                return None
            return limit if limit > 0 else None
    return None


def check(queue: _Queue, raise_event: Raise) -> None:
    """Call after each one-message change of the queue's depth."""
    limit = threshold(queue)
    if limit is None:
        return
    values = {
        "qName": queue.name,
        "msgDepth": queue.depth,
        "byteDepth": max(int(queue.stats.get("byteDepth", 0)), 0),
    }
    if not _ALERTED.get(queue) and queue.depth >= limit:
        _ALERTED[queue] = True
        raise_event("queueThresholdCrossedUpward", values)
        raise_event("queueThresholdExceeded", values, severity="warn")
    elif _ALERTED.get(queue) and queue.depth <= limit // 2:
        _ALERTED[queue] = False
        raise_event("queueThresholdCrossedDownward", values)
