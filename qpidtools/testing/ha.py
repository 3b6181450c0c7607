"""The HA module of a double: the `habroker` object, queue replication and cluster membership.

Statuses change with time (a promoted broker is `recovering` before it is `active`, backups go
`joining` -> `catchup` -> `ready`). Instead of timers, every member keeps a list of pending
(deadline, status) transitions that are applied whenever the status is read, so nothing runs in
the background and a test can never race a timer thread.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from qpidtools.testing import errors
from qpidtools.testing.errors import QmfError
from qpidtools.testing.federation import DOUBLES, LOOPBACK_NAMES, Bridge, open_link
from qpidtools.testing.model import BrokerState, Exchange, text_of

STATUS_CODES = {
    "joining": 0,
    "catchup": 1,
    "ready": 2,
    "recovering": 3,
    "active": 4,
    "standalone": 5,
}
PRIMARY_STATUSES = ("active", "recovering")
_ADDRESS = r"(?:(?:tcp|ssl|rdma):)?(?:\[[0-9A-Fa-f:]+\]|[\w.\-]+)(?::\d+)?"
URL_PATTERN = re.compile(rf"^(?:amqp:)?{_ADDRESS}(?:,{_ADDRESS})*$")

# A row of habroker.members: (port, system id, status); port 0 means "this standalone broker".
Member = tuple[int, uuid.UUID, str]


def parse_url(url: str) -> tuple[str, int]:
    """First host and port of a qpid URL (`amqp:tcp:h:p,...`, `h:p` or `h`), or Invalid URL."""
    if not URL_PATTERN.match(url):
        raise errors.invalid_url(url)
    first = url.removeprefix("amqp:").split(",")[0]
    first = re.sub(r"^(tcp|ssl|rdma):", "", first)
    host, _, port = first.rpartition(":") if not first.endswith("]") else (first, "", "")
    if not host:
        host, port = first, ""
    return host.strip("[]"), int(port or 5672)


def replicate_level(arguments: dict[str, Any], default: str = "none") -> str:
    return text_of(arguments.get("qpid.replicate", default))


@dataclass(eq=False)
class HaBroker:
    """The `org.apache.qpid.ha:habroker:ha-broker` object of one double."""

    state: BrokerState
    cluster: Cluster | None = None
    brokers_url: str = ""
    public_url: str = ""
    replicate_default: str = "none"
    created: int = field(default_factory=time.time_ns)
    alive: bool = True
    following: HaBroker | None = None
    frozen: list[Member] | None = None
    _status: str = "standalone"
    _pending: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.cluster is not None:
            self._status = "joining"
            self.cluster.join(self)

    @property
    def status(self) -> str:
        now = time.monotonic()
        while self._pending and self._pending[0][0] <= now:
            self._status = self._pending.pop(0)[1]
        return self._status

    def change(self, status: str, *later: tuple[float, str]) -> None:
        """Set the status now and queue (delay in seconds, status) steps after it."""
        now = time.monotonic()
        self._status = status
        self._pending = [(now + delay, step) for delay, step in later]

    @property
    def is_primary(self) -> bool:
        return self.cluster is not None and self.status in PRIMARY_STATUSES

    def members(self) -> list[Member]:
        if self.cluster is None:
            return [(0, self.state.system_id, "standalone")]
        return self.cluster.view(self)

    def accepts(self, properties: dict[Any, Any] | None) -> bool:
        """A cluster backup only lets in connections that carry `qpid.ha-admin` (point 38)."""
        if self.cluster is None or self.status in PRIMARY_STATUSES:
            return True
        return any(str(key) == "qpid.ha-admin" for key in (properties or {}))

    # ---- QMF methods ----------------------------------------------------------------------

    def promote(self) -> None:
        if self.cluster is not None:
            self.cluster.promote(self)

    def set_brokers_url(self, url: str) -> None:
        parse_url(url)
        self.brokers_url = url

    def set_public_url(self, url: str) -> None:
        parse_url(url)
        self.public_url = url

    def replicate(self, broker: str, queue_name: str) -> None:
        """Start replicating `queue_name` from `broker`, with qpidd's checks in its order."""
        host, port = parse_url(broker)
        queue = self.state.queues.get(queue_name)
        if queue is None:
            raise errors.not_found_queue(queue_name)
        link = open_link(self.state, f"qpid.ha.link.{uuid.uuid4()}", host, port)
        source = DOUBLES.get(port) if host in LOOPBACK_NAMES else None
        if queue_name in self.state.replica_sources:
            if self.cluster is not None:
                self.state.stop_replica(queue_name)
            raise QmfError(
                errors.located(
                    f"Duplicate queue replicator qpid.ha-q:{queue_name}",
                    "ha/QueueReplicator.cpp",
                    189,
                )
            )
        source_queue = source.queues.get(queue_name) if source is not None else None
        if source is not None and source_queue is None:
            return  # the source logs "Queue not found"; no bridge appears (point 40)
        name = f"qpid.ha-q:{queue_name}.{uuid.uuid4()}"
        self.state.bridges[name] = Bridge(name, link, queue_name, f"qpid.ha-q:{queue_name}")
        if source_queue is not None:
            self.state.start_replica(source_queue, queue)


class Cluster:
    """What the members of one HA cluster know about each other (README points 35-39)."""

    def __init__(
        self, recovery_s: float, catchup_s: float, default_replicate: str = "none"
    ) -> None:
        self.recovery_s = recovery_s
        self.catchup_s = catchup_s
        self.default_replicate = default_replicate
        self.members: list[HaBroker] = []

    def join(self, member: HaBroker) -> None:
        """A new (or restarted) member starts `joining` and follows a live primary if any."""
        self.members.append(member)
        member.state.decorate = lambda kind, arguments: self.decorate(member, kind, arguments)
        member.state.config_changed = lambda op, kind, name, props: self.mirror(
            member, op, kind, name
        )
        primary = next((m for m in self.live() if m.is_primary), None)
        if primary is not None:
            self.follow(member, primary)

    def live(self) -> list[HaBroker]:
        return [m for m in self.members if m.alive]

    def promote(self, member: HaBroker) -> None:
        status = member.status
        if status in PRIMARY_STATUSES:
            return
        if status == "catchup":
            raise QmfError(errors.CATCHUP_TEXT)
        others = [m for m in self.live() if m is not member]
        if status == "joining" and any(m.is_primary for m in others):
            raise QmfError(errors.JOINING_TEXT)
        if any(m.status == "ready" for m in others):
            member.change("recovering", (self.recovery_s, "active"))
        else:
            member.change("active")
        member.following, member.frozen = None, None
        for other in others:
            leader = other.following
            if other.is_primary or (leader is not None and leader.alive):
                continue
            if other.status == "joining":
                self.follow(other, member)
            else:
                other.following, other.frozen = member, None
                self.copy_configuration(member, other)

    def follow(self, backup: HaBroker, primary: HaBroker) -> None:
        backup.following, backup.frozen = primary, None
        backup.change("joining", (self.catchup_s / 2, "catchup"), (self.catchup_s, "ready"))
        self.copy_configuration(primary, backup)
        bridge = f"qpid.bridge_queue_qpid.broker-replicator.bridge.{uuid.uuid4()}_{uuid.uuid4()}"
        primary.state.create_queue(bridge, {"auto-delete": True}, exclusive=True)
        primary.state.bridge_queues[id(backup)] = bridge

    def stopped(self, member: HaBroker) -> None:
        """A member died: its backups freeze their view and keep listing it (point 36)."""
        for other in self.live():
            if other.following is member and other is not member:
                other.frozen = self.view(other)
        member.alive = False
        leader = member.following
        if leader is not None and leader.alive:
            bridge = leader.state.bridge_queues.pop(id(member), None)
            if bridge in leader.state.queues:
                leader.state.drop_queue(leader.state.queues[bridge])

    def view(self, member: HaBroker) -> list[Member]:
        own: Member = (member.state.port, member.state.system_id, member.status)
        if member.status == "joining":
            return [own]
        primary = member if member.is_primary else member.following
        if primary is None:
            return [own]
        if not primary.alive:
            return member.frozen or [own]
        followers = [
            m for m in self.live() if m.following is primary and m.status in ("catchup", "ready")
        ]
        return [(m.state.port, m.state.system_id, m.status) for m in [primary, *followers]]

    # ---- replication of configuration and messages ----------------------------------------

    def decorate(self, member: HaBroker, kind: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """What a primary adds to new objects: `qpid.replicate` and a `qpid.ha-uuid` (222)."""
        if not member.is_primary:
            return arguments
        level = replicate_level(arguments, self.default_replicate)
        if kind == "queue":
            arguments = {**arguments, "qpid.replicate": level.encode()}
        if level != "none" and kind in ("queue", "exchange"):
            arguments = {**arguments, "qpid.ha-uuid": uuid.uuid4()}
        return arguments

    def mirror(self, member: HaBroker, op: str, kind: str, name: str) -> None:
        if not member.is_primary:
            return
        for backup in self.live():
            if backup.following is member and backup is not member:
                if op == "create":
                    self.copy_configuration(member, backup)
                else:
                    self.remove_replicated(backup, kind, name)

    def copy_configuration(self, primary: HaBroker, backup: HaBroker) -> None:
        """Give the backup every replicated exchange, queue and binding it does not have yet."""
        source, target = primary.state, backup.state
        for exchange in source.exchanges.values():
            if (
                replicate_level(exchange.arguments) != "none"
                and exchange.name not in target.exchanges
            ):
                target.exchanges[exchange.name] = Exchange(
                    exchange.name,
                    exchange.type,
                    exchange.durable,
                    dict(exchange.arguments),
                    exchange.alt_exchange,
                )
        for queue in source.queues.values():
            level = replicate_level(queue.arguments)
            if level == "none":
                continue
            if queue.name not in target.queues:
                copy = target.create_queue(queue.name, {"durable": queue.durable})
                copy.arguments, copy.creator = dict(queue.arguments), "@QPID"
            replica = target.queues[queue.name]
            if level == "all" and queue.name not in target.replica_sources:
                target.start_replica(queue, replica)
            for binding in queue.bindings:
                bound = target.exchanges.get(binding.exchange.name)
                if (
                    binding.exchange.name
                    and bound is not None
                    and not any(
                        b.exchange is bound and b.key == binding.key for b in replica.bindings
                    )
                ):
                    target.add_binding(bound, replica, binding.key, dict(binding.arguments))

    @staticmethod
    def remove_replicated(backup: HaBroker, kind: str, name: str) -> None:
        state = backup.state
        if kind == "queue" and name in state.queues:
            state.drop_queue(state.queues[name])
        elif kind == "exchange" and name in state.exchanges:
            exchange = state.exchanges.pop(name)
            for binding in exchange.bindings:
                binding.queue.bindings.remove(binding)
        elif kind == "binding":
            with contextlib.suppress(QmfError):
                state.delete_binding(name, {})
