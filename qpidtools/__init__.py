"""Management tools and a typed client library for the Apache Qpid C++ broker (qpidd).

The library is importable by scripts; nothing here imports proton until a connection opens.
"""

from qpidtools.address import BrokerAddress, parse_address
from qpidtools.broker import Broker
from qpidtools.errors import (
    BrokerError,
    BrokerTimeout,
    ConnectError,
    HaNotLoadedError,
    QpidToolsError,
    UsageError,
)
from qpidtools.events import Event, subscribe
from qpidtools.model import Binding, BrokerInfo, Exchange, HaBroker, Queue
from qpidtools.transport import ConnectionSettings

__version__ = "0.1.0"

__all__ = [
    "Binding",
    "Broker",
    "BrokerAddress",
    "BrokerError",
    "BrokerInfo",
    "BrokerTimeout",
    "ConnectError",
    "ConnectionSettings",
    "Event",
    "Exchange",
    "HaBroker",
    "HaNotLoadedError",
    "Queue",
    "QpidToolsError",
    "UsageError",
    "parse_address",
    "subscribe",
]
