"""The broker API: typed objects and methods over QMF; what scripts import.

>>> from qpidtools import Broker, ConnectionSettings, parse_address
>>> with Broker.connect(ConnectionSettings(parse_address("localhost:5672"))) as broker:
...     for queue in broker.queues():
...         print(queue.name, queue.statistics.get("msgDepth"))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar

from qpidtools.address import BrokerAddress
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
    ValidationError,
)
from qpidtools.federation import Federation
from qpidtools.model import Binding, BrokerInfo, Exchange, HaBroker, Queue
from qpidtools.monitoring import (
    AclStatistics,
    MemoryStatistics,
    Session,
    Snapshot,
    Subscription,
    resolve_subscriptions,
)
from qpidtools.monitoring import Connection as ClientConnection
from qpidtools.qmf import ACL_OBJECT, BROKER_OBJECT, HA_BROKER_OBJECT, QmfClient, QmfObject
from qpidtools.transport import Connection, ConnectionSettings

if TYPE_CHECKING:  # configuration as code is imported when used: start-up stays fast
    from qpidtools.config_plan import Operation, Outcome, Plan
    from qpidtools.configuration import Configuration, CurrentConfiguration

BROKER_PACKAGE = "org.apache.qpid.broker"
T = TypeVar("T")


def binding_name(exchange: str, queue: str, key: str = "") -> str:
    """The ``exchange/queue/key`` name qpidd parses; refuse parts it would split wrongly."""
    if not exchange:
        raise UsageError("bindings to the default exchange are implicit and cannot be changed")
    for what, part in (("exchange name", exchange), ("queue name", queue), ("binding key", key)):
        if "/" in part:
            raise UsageError(f"the {what} {part!r} contains '/', which qpidd cannot bind")
    if not queue:
        raise UsageError("a binding needs a queue name")
    return f"{exchange}/{queue}/{key}"


class Broker(Federation):
    """One broker, reached over one connection, with typed queries and management methods.

    Links and bridges (federation) are the methods of :class:`~qpidtools.federation.Federation`.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.qmf = QmfClient(connection)

    @classmethod
    @contextmanager
    def connect(cls, settings: ConnectionSettings) -> Iterator[Broker]:
        """Connect, yield the broker, and always close the connection afterwards."""
        with Connection(settings) as connection:
            yield cls(connection)

    @property
    def address(self) -> str:
        return self.connection.settings.address.host_port

    # -- queries ---------------------------------------------------------------------------

    def objects(self, class_name: str, package: str | None = None) -> list[QmfObject]:
        """Every object of any QMF class (``list TYPE``), of any package unless one is named;
        an unknown class is empty."""
        return self.qmf.query_class(class_name, package)

    def info(self) -> BrokerInfo:
        """The broker object: version, port, data directory, uptime and global statistics."""
        return self.qmf.typed(BrokerInfo.from_qmf, [self.broker_object()])[0]

    def broker_object(self) -> QmfObject:
        """The broker object as sent; its ``update_ts`` is the broker's clock at the query."""
        found = self.qmf.query_class("broker", BROKER_PACKAGE)
        if not found:
            raise QpidToolsError(f"the broker at {self.address} has no broker object")
        return found[0]

    def queues(self) -> list[Queue]:
        return self.qmf.typed(Queue.from_qmf, self.qmf.query_class("queue", BROKER_PACKAGE))

    def exchanges(self) -> list[Exchange]:
        return self.qmf.typed(Exchange.from_qmf, self.qmf.query_class("exchange", BROKER_PACKAGE))

    def bindings(self) -> list[Binding]:
        return self.qmf.typed(Binding.from_qmf, self.qmf.query_class("binding", BROKER_PACKAGE))

    def queue(self, name: str) -> Queue | None:
        found = self.qmf.query_object(f"{BROKER_PACKAGE}:queue:{name}")
        return self.qmf.typed(Queue.from_qmf, [found])[0] if found else None

    def exchange(self, name: str) -> Exchange | None:
        found = self.qmf.query_object(f"{BROKER_PACKAGE}:exchange:{name}")
        return self.qmf.typed(Exchange.from_qmf, [found])[0] if found else None

    # -- monitoring (qpid-stat) -------------------------------------------------------------

    def connections(self) -> list[ClientConnection]:
        return self.qmf.typed(ClientConnection.from_qmf, self.qmf.query_class("connection"))

    def sessions(self) -> list[Session]:
        return self.qmf.typed(Session.from_qmf, self.qmf.query_class("session"))

    def subscriptions(self) -> list[Subscription]:
        return self.qmf.typed(Subscription.from_qmf, self.qmf.query_class("subscription"))

    def subscription_details(self) -> list[tuple[Subscription, Session, ClientConnection]]:
        """Subscriptions with their session and connection: one query per class."""
        subscriptions = self.subscriptions()
        return resolve_subscriptions(subscriptions, self.sessions(), self.connections())

    def snapshot(self, kind: str = "queue", counters: Sequence[str] | None = None) -> Snapshot:
        """The counters of every queue (or ``exchange``, or the ``broker``) at the broker's
        clock: two of them give rates with :func:`qpidtools.rates`. Two queries."""
        clock = self.broker_object()
        found = [clock] if kind == "broker" else self.qmf.query_class(kind, BROKER_PACKAGE)
        return Snapshot.of_objects(clock.update_ts, found, kind, counters)

    def memory(self) -> MemoryStatistics | None:
        found = self.qmf.query_class("memory")
        return self.qmf.typed(MemoryStatistics.from_qmf, found[:1])[0] if found else None

    def acl(self) -> AclStatistics | None:
        """The ACL module's statistics; ``None`` when the module is not loaded."""
        found = self.qmf.query_class("acl")
        return self.qmf.typed(AclStatistics.from_qmf, found[:1])[0] if found else None

    # -- create and delete ----------------------------------------------------------------

    def create(
        self, type_: str, name: str, properties: Mapping[str, Any], strict: bool = True
    ) -> None:
        """Create any object qpidd knows (queue, exchange, binding, link, topic, ...)."""
        self._change(f"add {type_} {name}", "create", _create(type_, name, properties, strict))

    def delete(self, type_: str, name: str, options: Mapping[str, Any] | None = None) -> None:
        """Delete any object; ``options=None`` sends none, which qpidd reads as "force"."""
        self._change(f"del {type_} {name}", "delete", _delete(type_, name, options))

    def add_queue(
        self, name: str, properties: Mapping[str, Any], replicate_from: str | None = None
    ) -> None:
        """Create a queue; with ``replicate_from``, then replicate it from that broker.

        If replication cannot start, the new queue is force-deleted again, so a failure
        leaves the broker as it was (the classic tool left the queue behind).
        """
        self.create("queue", name, properties)
        if replicate_from is None:
            return
        try:
            self.replicate(replicate_from, name)
        except OutcomeUnknown as error:  # the broker is silent or gone: no cleanup to try
            raise OutcomeUnknown(f"{error}; queue {name!r} was created") from error
        except QpidToolsError as error:
            try:
                self.delete_queue(name, if_empty=False, if_unused=False)
            except QpidToolsError as cleanup:
                raise QpidToolsError(
                    f"{error}; queue {name!r} was created but deleting it again failed: {cleanup}"
                ) from error
            raise QpidToolsError(f"{error} (queue {name!r} was not kept)") from error

    def delete_queue(self, name: str, if_empty: bool = True, if_unused: bool = True) -> None:
        """Delete a queue; by default only when it is empty and has no consumers."""
        self.delete("queue", name, {"if_empty": if_empty, "if_unused": if_unused})

    def add_exchange(self, type_: str, name: str, properties: Mapping[str, Any]) -> None:
        self.create("exchange", name, {"exchange-type": type_, **properties})

    def delete_exchange(self, name: str) -> None:
        self.delete("exchange", name)

    def bind(
        self, exchange: str, queue: str, key: str = "", arguments: Mapping[str, Any] | None = None
    ) -> None:
        self.create("binding", binding_name(exchange, queue, key), arguments or {})

    def unbind(self, exchange: str, queue: str, key: str = "") -> None:
        name = binding_name(exchange, queue, key)
        self._change(f"del binding {name}", "delete", _unbind(name))

    def binding(self, exchange: str, queue: str, key: str = "") -> Binding | None:
        """The binding of ``queue`` to ``exchange`` with ``key``, or ``None``."""
        found = self.qmf.query_object(
            f"{BROKER_PACKAGE}:binding:{BROKER_PACKAGE}:exchange:{exchange},"
            f"{BROKER_PACKAGE}:queue:{queue},{key}"
        )
        return self.qmf.typed(Binding.from_qmf, [found])[0] if found else None

    # -- configuration as code ------------------------------------------------------------

    def current_configuration(self) -> CurrentConfiguration:
        """Every queue, exchange and binding, from one query per class (less this
        connection's own reply queue, which goes away with it)."""
        from qpidtools.configuration import current_configuration

        own = self.connection.reply_to
        queues = [queue for queue in self.queues() if queue.name != own]
        bindings = [binding for binding in self.bindings() if binding.queue != own]
        return current_configuration(queues, self.exchanges(), bindings)

    def export(
        self, include_all: bool = False, queues: str = "*", exchanges: str = "*"
    ) -> Configuration:
        """The broker's configuration, broker-owned objects left out unless ``include_all``;
        ``queues`` and ``exchanges`` are glob patterns on names. Write it with
        :func:`qpidtools.config_file.dump`."""
        from qpidtools.configuration import exported

        return exported(self.current_configuration(), include_all, queues, exchanges)

    def plan(
        self,
        wanted: Configuration,
        prune: bool = False,
        recreate: bool = False,
        force_if_not_empty: bool = False,
        queues: str = "*",
        exchanges: str = "*",
    ) -> Plan:
        """What :meth:`apply` must do to make this broker match ``wanted``.

        Raises :class:`ValidationError` when ``wanted`` refers to objects that neither it nor
        the broker has. ``prune`` deletes only what the glob patterns ``queues`` and
        ``exchanges`` select. The plan itself is computed by :func:`qpidtools.config_plan.plan`.
        """
        from qpidtools import config_plan
        from qpidtools.configuration import limited

        state = limited(self.current_configuration(), queues, exchanges)
        found = config_plan.problems(wanted, state, prune)
        if found:
            raise ValidationError(found)
        return config_plan.plan(wanted, state, prune, recreate, force_if_not_empty)

    def apply(self, plan: Plan) -> Outcome:
        """Carry out a plan: each step's calls pipelined over this connection, steps in order.

        A failure stops after the step it happened in (whose other calls are still answered),
        so the outcome says exactly what was done; applying the same file again completes it.
        """
        from qpidtools.config_plan import Outcome

        if plan.conflicts or plan.blocked:
            raise QpidToolsError(
                "the plan has conflicts or blocked deletions; it cannot be applied"
            )
        outcome = Outcome(plan)
        for step in plan.steps:
            calls = [(BROKER_OBJECT, *_call(operation, plan)) for operation in step]
            try:
                for index, result in self.qmf.call_many(calls):
                    outcome.record(step[index], result if isinstance(result, Exception) else None)
            except QpidToolsError as error:
                outcome.interrupted = str(error)
            if not outcome.succeeded:
                break
        return outcome

    # -- broker-wide methods --------------------------------------------------------------

    def log_level(self) -> str:
        level = self._call_broker("getLogLevel", {}).get("level")
        if not isinstance(level, str):
            raise MalformedReply(
                f"malformed reply from the broker at {self.address}: getLogLevel without a level"
            )
        return level

    def set_log_level(self, level: str) -> None:
        self._change(f"log {level}", "setLogLevel", {"level": level})

    def reload_acl(self) -> None:
        not_loaded = QpidToolsError("the ACL module is not loaded in the broker")
        self._call_module(ACL_OBJECT, "reloadACLFile", {}, not_loaded, "reload-acl")

    def shutdown(self) -> None:
        """Stop the broker. It sends no reply; losing the connection is the expected outcome."""
        with suppress(ConnectError):
            self.qmf.call(BROKER_OBJECT, "shutdown", expect_reply=False)

    # -- HA -------------------------------------------------------------------------------

    def ha_broker(self) -> HaBroker:
        """The HA broker object; :class:`HaNotLoadedError` when the module is not loaded."""
        found = self.qmf.query_class("habroker")
        if not found:
            raise HaNotLoadedError(self.address)
        return self.qmf.typed(HaBroker.from_qmf, found[:1])[0]

    def replicate(self, source: str, queue: str) -> None:
        """Start replicating ``queue`` from the broker at ``source`` into this broker."""
        self._call_ha("replicate", {"broker": source, "queue": queue}, f"replicate {queue}")

    def promote(self) -> None:
        """Make this broker the primary (cluster managers only)."""
        self._call_ha("promote", {}, "promote")

    def set_brokers_url(self, url: str) -> None:
        self._call_ha("setBrokersUrl", {"url": url}, "set the brokers URL")

    def set_public_url(self, url: str) -> None:
        self._call_ha("setPublicUrl", {"url": url}, "set the public URL")

    def _call_broker(self, method: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        return self.qmf.call(BROKER_OBJECT, method, arguments)

    def _change(self, what: str, method: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Call a method of the broker object that changes the broker (``what`` says how)."""
        with outcome_of(what):
            return self._call_broker(method, arguments)

    def _call_ha(self, method: str, arguments: Mapping[str, Any], what: str) -> dict[str, Any]:
        not_loaded = HaNotLoadedError(self.address)
        return self._call_module(HA_BROKER_OBJECT, method, arguments, not_loaded, what)

    def _call_module(
        self,
        object_name: str,
        method: str,
        arguments: Mapping[str, Any],
        not_loaded: QpidToolsError,
        what: str,
    ) -> dict[str, Any]:
        """Call a method of a plug-in module's object; ``not_loaded`` if qpidd has no such object.

        qpidd answers a call to an object it does not have with error code 1 (not found) and
        the object's name; without the module that is all an operator would see.
        """
        try:
            with outcome_of(what):
                return self.qmf.call(object_name, method, arguments)
        except BrokerError as error:
            if error.error_code == 1 and object_name in error.error_text:
                raise not_loaded from error
            raise


@contextmanager
def outcome_of(what: str) -> Iterator[None]:
    """Around a change: when its reply never came, say that its outcome is unknown.

    The request may have reached the broker, which may have made the change, or not; an
    operator must check before repeating it.
    """
    try:
        yield
    except (BrokerTimeout, ConnectionLost) as error:
        raise OutcomeUnknown(f"{error}: the outcome of {what!r} is unknown") from error


def _create(type_: str, name: str, properties: Mapping[str, Any], strict: bool) -> dict[str, Any]:
    return {"type": type_, "name": name, "properties": dict(properties), "strict": strict}


def _delete(type_: str, name: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    arguments: dict[str, Any] = {"type": type_, "name": name}
    if options is not None:
        arguments["options"] = dict(options)
    return arguments


def _unbind(name: str) -> dict[str, Any]:
    return {"type": "binding", "name": name, "strict": True}


def _call(operation: Operation, plan: Plan) -> tuple[str, dict[str, Any]]:
    """The broker method and arguments that carry out one operation of a plan."""
    from qpidtools.configuration import BindingSpec, ExchangeSpec, QueueSpec

    spec = operation.spec
    if isinstance(spec, BindingSpec):
        name = binding_name(spec.exchange, spec.queue, spec.key)
        if operation.verb == "delete":
            return "delete", _unbind(name)
        return "create", _create("binding", name, spec.arguments, True)
    if operation.verb == "delete":
        options = None
        if isinstance(spec, QueueSpec):
            options = {"if_empty": not plan.force_if_not_empty, "if_unused": False}
        return "delete", _delete(spec.kind, spec.name, options)
    properties = dict(spec.properties)
    if isinstance(spec, ExchangeSpec):
        properties = {"exchange-type": spec.type, **properties}
    return "create", _create(spec.kind, spec.name, properties, True)


def ha_broker_at(settings: ConnectionSettings) -> HaBroker:
    """The HA broker object of the broker ``settings`` point to, over a connection of its own."""
    with Broker.connect(settings) as broker:
        return broker.ha_broker()


def ha_brokers(
    settings: ConnectionSettings, addresses: Sequence[BrokerAddress]
) -> list[HaBroker | QpidToolsError]:
    """The HA broker object of each address, or the error that stopped us getting it."""
    return ask_each(settings, addresses, ha_broker_at)


def ask_each(
    settings: ConnectionSettings,
    addresses: Sequence[BrokerAddress],
    question: Callable[[ConnectionSettings], T],
) -> list[T | QpidToolsError]:
    """``question(settings for the address)`` for each address, or the error that stopped it.

    Every broker is asked in its own thread (``settings`` with the address swapped in, so each
    gets its own connection and timeout): a broker that never answers costs one timeout, not
    one per broker behind it.
    """
    from concurrent.futures import ThreadPoolExecutor  # only tools asking many brokers need it

    if not addresses:
        return []

    def ask(address: BrokerAddress) -> T | QpidToolsError:
        try:
            return question(settings.for_address(address))
        except QpidToolsError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(addresses)) as pool:
        return list(pool.map(ask, addresses))
