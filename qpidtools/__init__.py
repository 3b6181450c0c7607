"""Management tools and a typed client library for the Apache Qpid C++ broker (qpidd).

The library is importable by scripts (``from qpidtools import Broker``). Its names are
loaded on first use: the command-line tools import this package on every start, ``--help``
and each TAB included, and most runs need none of the client library.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qpidtools.address import BrokerAddress, parse_address
    from qpidtools.broker import Broker
    from qpidtools.errors import (
        BrokerError,
        BrokerTimeout,
        ConnectError,
        ConnectionLost,
        HaNotLoadedError,
        MalformedReply,
        OutcomeUnknown,
        QpidToolsError,
        UsageError,
    )
    from qpidtools.events import Event, subscribe
    from qpidtools.model import Binding, Bridge, BrokerInfo, Exchange, HaBroker, Link, Queue
    from qpidtools.monitoring import (
        AclStatistics,
        Connection,
        MemoryStatistics,
        Session,
        Snapshot,
        Subscription,
        rates,
    )
    from qpidtools.transport import ConnectionSettings

__version__ = "0.1.0"

#: Where each public name is defined.
_MODULES = {
    "BrokerAddress": "qpidtools.address",
    "parse_address": "qpidtools.address",
    "Broker": "qpidtools.broker",
    "BrokerError": "qpidtools.errors",
    "BrokerTimeout": "qpidtools.errors",
    "ConnectError": "qpidtools.errors",
    "HaNotLoadedError": "qpidtools.errors",
    "ConnectionLost": "qpidtools.errors",
    "MalformedReply": "qpidtools.errors",
    "OutcomeUnknown": "qpidtools.errors",
    "QpidToolsError": "qpidtools.errors",
    "UsageError": "qpidtools.errors",
    "Binding": "qpidtools.model",
    "BrokerInfo": "qpidtools.model",
    "Exchange": "qpidtools.model",
    "HaBroker": "qpidtools.model",
    "Queue": "qpidtools.model",
    "Link": "qpidtools.model",
    "Bridge": "qpidtools.model",
    "ConnectionSettings": "qpidtools.transport",
    "Event": "qpidtools.events",
    "subscribe": "qpidtools.events",
    **dict.fromkeys(
        (
            "AclStatistics",
            "Connection",
            "MemoryStatistics",
            "Session",
            "Snapshot",
            "Subscription",
            "rates",
        ),
        "qpidtools.monitoring",
    ),
}

__all__ = [
    "AclStatistics",
    "Connection",
    "MemoryStatistics",
    "Session",
    "Snapshot",
    "Subscription",
    "rates",
    "Binding",
    "Bridge",
    "Broker",
    "BrokerAddress",
    "BrokerError",
    "BrokerInfo",
    "BrokerTimeout",
    "ConnectError",
    "ConnectionLost",
    "ConnectionSettings",
    "Event",
    "Exchange",
    "HaBroker",
    "HaNotLoadedError",
    "MalformedReply",
    "OutcomeUnknown",
    "Link",
    "Queue",
    "QpidToolsError",
    "UsageError",
    "parse_address",
    "subscribe",
]


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` the first time someone asks for it."""
    if name not in _MODULES:
        raise AttributeError(f"module 'qpidtools' has no attribute {name!r}")
    value = getattr(import_module(_MODULES[name]), name)
    globals()[name] = value  # later look-ups are plain attribute reads
    return value
