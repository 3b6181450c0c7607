"""What the command line accepts: the queue and exchange option tables, choices, defaults.

The option tables drive everything that knows about options: the Click parser, the classic
listing (their order *is* the classic attribute order), ``--json``, completion and the man
pages. Kept apart from :mod:`qpidtools.model` and free of heavy imports, because every
start-up of a tool reads it (``--help`` and completion must stay fast).
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

#: Seconds to wait for the connection and for each broker call, unless told otherwise.
DEFAULT_TIMEOUT = 10.0

REPLICATE_LEVELS = ("none", "configuration", "all")
LIMIT_POLICIES = ("none", "reject", "ring", "ring-strict")
EXCHANGE_TYPES = ("direct", "fanout", "topic", "headers", "xml")
HA_STATUSES = ("joining", "catchup", "ready", "recovering", "active", "standalone")
PRIMARY_STATUSES = ("active", "recovering")
#: QMF classes worth ``qpid-config list TYPE`` on qpidd 1.40 (offered by completion; any
#: other class name is still sent as typed).
QMF_CLASSES = (
    "acl", "binding", "bridge", "broker", "connection", "exchange", "habroker", "incoming",
    "journal", "link", "memory", "outgoing", "queue", "session", "store", "subscription",
    "system", "topic", "vhost",
)  # fmt: skip
#: Formats of ``qpid-config export`` files (``apply`` reads both).
CONFIG_FORMATS = ("yaml", "json")
#: qpidd's log levels; ``LEVEL+`` means that level and above (``qpid-config log LEVEL``).
LOG_LEVELS = ("trace+", "debug+", "info+", "notice+", "warning+", "error+", "critical+")


class Kind(Enum):
    """How an option's value is read from the command line and sent to the broker."""

    INT = "int"
    STR = "str"
    FLAG = "flag"  # sent as int 1, listed without a value


class Option(NamedTuple):
    """A queue or exchange option: its flag, its wire key and how it is listed."""

    flag: str
    key: str
    kind: Kind
    help: str
    metavar: str = ""
    store_only: bool = False  # a store option: classic qpid-config sends it only with --durable
    choices: tuple[str, ...] = ()

    @property
    def param(self) -> str:
        """The Python identifier Click derives from the flag."""
        return self.flag.replace("-", "_")


_DURABLE = Option("durable", "durable", Kind.FLAG, "The new queue or exchange is durable.")
_REPLICATE = Option(
    "replicate",
    "qpid.replicate",
    Kind.STR,
    "Enable automatic replication in an HA cluster.",
    metavar="LEVEL",
    choices=REPLICATE_LEVELS,
)
_ALTERNATE = Option(
    "alternate-exchange",
    "alternate-exchange",
    Kind.STR,
    "Exchange for messages that are rejected or dropped (it must exist).",
    metavar="EXCHANGE",
)

#: Queue options in the classic listing's attribute order (``auto-del``/``excl`` come after
#: ``--replicate`` and ``--alternate-exchange`` after ``--lvq-key``; see render).
QUEUE_OPTIONS: tuple[Option, ...] = (
    _DURABLE,
    _REPLICATE,
    Option(
        "file-size",
        "qpid.file_size",
        Kind.INT,
        "Legacy store file size in pages of 64 KiB.",
        "N",
        store_only=True,
    ),
    Option(
        "file-count",
        "qpid.file_count",
        Kind.INT,
        "Legacy store number of files.",
        "N",
        store_only=True,
    ),
    Option(
        "efp-partition-num",
        "qpid.efp_partition_num",
        Kind.INT,
        "Linear store EFP partition number.",
        "N",
        store_only=True,
    ),
    Option(
        "efp-pool-file-size",
        "qpid.efp_pool_file_size",
        Kind.INT,
        "Linear store EFP file size in KiB.",
        "N",
        store_only=True,
    ),
    Option(
        "wcache-page-size",
        "qpid.wcache-page-size",
        Kind.INT,
        "Linear store write cache page size in KiB (a power of 2, at least 4).",
        "N",
        store_only=True,
    ),
    Option(
        "wcache-num-pages",
        "qpid.wcache-num-pages",
        Kind.INT,
        "Linear store number of write cache pages.",
        "N",
        store_only=True,
    ),
    Option("max-queue-size", "qpid.max_size", Kind.INT, "Maximum queue depth in bytes.", "N"),
    Option("max-queue-count", "qpid.max_count", Kind.INT, "Maximum queue depth in messages.", "N"),
    Option(
        "limit-policy",
        "qpid.policy_type",
        Kind.STR,
        "Action when the queue is full: none, reject or ring (ring-strict is not supported "
        "by qpidd and sends nothing).",
        "POLICY",
        choices=LIMIT_POLICIES,
    ),
    Option("lvq-key", "qpid.last_value_queue_key", Kind.STR, "Last value queue key.", "KEY"),
    _ALTERNATE,
    Option(
        "flow-stop-size",
        "qpid.flow_stop_size",
        Kind.INT,
        "Stop producers when the queue holds this many bytes (0 disables).",
        "N",
    ),
    Option(
        "flow-resume-size",
        "qpid.flow_resume_size",
        Kind.INT,
        "Resume producers below this many bytes.",
        "N",
    ),
    Option(
        "flow-stop-count",
        "qpid.flow_stop_count",
        Kind.INT,
        "Stop producers when the queue holds this many messages (0 disables).",
        "N",
    ),
    Option(
        "flow-resume-count",
        "qpid.flow_resume_count",
        Kind.INT,
        "Resume producers below this many messages.",
        "N",
    ),
    Option(
        "group-header",
        "qpid.group_header_key",
        Kind.STR,
        "Enable message groups keyed on this header.",
        "HEADER",
    ),
    Option(
        "shared-groups",
        "qpid.shared_msg_group",
        Kind.FLAG,
        "Allow message groups to be consumed by several consumers.",
    ),
)

#: Exchange options in the classic listing's attribute order.
EXCHANGE_OPTIONS: tuple[Option, ...] = (
    _DURABLE,
    _REPLICATE,
    Option(
        "sequence",
        "qpid.msg_sequence",
        Kind.FLAG,
        "Add a sequence number to every message routed by the exchange.",
    ),
    Option(
        "ive",
        "qpid.ive",
        Kind.FLAG,
        "Initial value exchange: keep the last message and give it to new bindings.",
    ),
    _ALTERNATE,
)

#: Argument keys the classic listing shows as options rather than as ``--argument k=v``.
SPECIAL_ARGUMENTS = frozenset(option.key for option in QUEUE_OPTIONS + EXCHANGE_OPTIONS) - {
    "durable",
    "alternate-exchange",
}
