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
from qpidtools.model import Binding, Bridge, BrokerInfo, Exchange, HaBroker, Link, Queue
from qpidtools.transport import ConnectionSettings

__version__ = "0.1.0"

__all__ = [
    "Binding",
    "Bridge",
    "Broker",
    "BrokerAddress",
    "BrokerError",
    "BrokerInfo",
    "BrokerTimeout",
    "ConnectError",
    "ConnectionSettings",
    "Exchange",
    "HaBroker",
    "HaNotLoadedError",
    "Link",
    "Queue",
    "QpidToolsError",
    "UsageError",
    "parse_address",
]
