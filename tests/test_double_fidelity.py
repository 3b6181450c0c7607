"""The broker double answers the recorded QMF requests as the real qpidd did in the captures.

For each `NNN-*.json` capture the double is put in the state the description names, every
captured request is replayed over a real AMQP connection, and the replies are compared with
the recorded ones: properties, content type, correlation id, header, sections and body, with
AMQP types. Values that change from run to run (uuids, timestamps, ports, pointers, traffic
counters) are normalized on both sides first. The exchanges in `KNOWN_GAPS` are not simulated
and must still differ; 221 has its own test.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from typing import Any

import pytest
from capture_files import QMF_CAPTURES, load
from proton import ConnectionException, LinkException, Message
from qmf_replay import ReplayClient, encode_request

from qpidtools.testing import BrokerDouble, DoubleCluster, hold_consumer, send_messages, wait_for
from qpidtools.testing.model import LOCK

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
POINTER = re.compile(r"0x[0-9a-f]{6,}")
PEER = re.compile(r"-127\.0\.0\.1:\d+")
DATA_DIR = re.compile(r"/var/lib/qpidd(/[A-Z0-9]+)?")
#: The recorded brokers ran with ``--log-enable info+`` (captures README); qpidd's default
#: (and the double's) is ``notice+``.
RECORDED_LOG_LEVEL = "info+"
# Role ports in the captures; 5699 is "nothing listens there".
CAPTURED_PORTS = {
    "A": 5672, "B": 5673, "P": 5674, "S": 5675, "C1": 5681, "C2": 5682, "C3": 5683,
    "silent": 5698, "down": 5699,
}  # fmt: skip
ROLE_PREFIX = re.compile(r"^(A|B|P|C\d)\b")

# Values that depend on the traffic and history of the recording broker: compared by type only.
VOLATILE = {
    "_create_ts", "_update_ts", "uptime", "lastAclLoad", "acquires", "msgMatched", "transfers",
    "msgsFromClient", "msgsToClient", "bytesFromClient", "bytesToClient", "framesFromClient",
    "framesToClient", "machine", "nodeName", "release", "version", "discardsNoRoute",
    "abandoned", "abandonedViaAlt", "msgReceives", "msgRoutes", "msgDrops", "_timestamp",
}  # fmt: skip
VOLATILE_PATTERN = re.compile(r"^(byte|malloc_)|(High|Low)$|^msgTotal")
# The broker object sums the traffic of every earlier run on the recording broker.
BROKER_HISTORY = re.compile(r"^(msg|discards|queueCount$|releases$|reroutes$)")

_STAT_CLIENTS = (
    "the recording's clients were AMQP 0-10 programs (qpid-receive, a qpid.messaging client) "
    "and AMQP 1.0 clients with their own open properties and links; the double speaks only "
    "AMQP 1.0 and has only the replaying test's own clients"
)
KNOWN_GAPS = {
    ("300-stat-classes-with-traffic", 2): f"connections: {_STAT_CLIENTS}",
    ("300-stat-classes-with-traffic", 3): f"sessions: {_STAT_CLIENTS}",
    ("300-stat-classes-with-traffic", 6): "subscriptions exist only for AMQP 0-10 consumers",
    ("300-stat-classes-with-traffic", 12): f"outgoing links: {_STAT_CLIENTS}",
    ("300-stat-classes-with-traffic", 13): f"incoming links: {_STAT_CLIENTS}",
    ("200-ha-replicate-ok", 5): (
        "the double does not create the source broker's AMQP 0-10 replication subscription "
        "(and its session) when another broker replicates from it"
    ),
}


@dataclass
class Run:
    """The doubles of one scenario, keyed by role, plus the ports the captures used."""

    doubles: dict[str, BrokerDouble]
    stack: ExitStack
    cluster: DoubleCluster | None = None
    clients: dict[tuple[str, bool], ReplayClient] = field(default_factory=dict)
    down_port: int = field(default_factory=BrokerDouble.free_port)
    other_ports: dict[str, int] = field(default_factory=dict)  # e.g. "silent"

    def close_clients(self) -> None:
        for role in {role for role, _ in self.clients}:
            self.forget_clients(role)

    def forget_clients(self, role: str) -> None:
        """Close a role's connections (they may be dead: the double was stopped)."""
        gone = not self.doubles[role].running
        for key in [key for key in self.clients if key[0] == role]:
            with suppress(ConnectionException):
                self.clients.pop(key).close(peer_gone=gone)

    def client(self, role: str, ha_admin: bool = True) -> ReplayClient:
        key = (role, ha_admin)
        if key not in self.clients or not self.clients[key].open:
            self.clients[key] = ReplayClient(self.doubles[role].address, ha_admin=ha_admin)
        return self.clients[key]

    def actual_ports(self) -> dict[str, int]:
        doubles = {role: d.port for role, d in self.doubles.items()}
        return {**doubles, **self.other_ports, "down": self.down_port}

    def rewrite(self, request: dict[str, Any], agent: str) -> dict[str, Any]:
        """The captured request with this run's ports and agent name."""
        text = json.dumps(request)
        for role, port in self.actual_ports().items():
            text = re.sub(rf"(?:(?<=:)|(?<=: )){CAPTURED_PORTS[role]}\b", str(port), text)
        rewritten: dict[str, Any] = json.loads(text)
        if rewritten.get("subject", "").startswith("apache.org:qpidd:"):
            rewritten["subject"] = agent
        return rewritten

    def wait_statuses(self, *expected: str) -> None:
        assert self.cluster is not None
        cluster = self.cluster
        wait_for(lambda: cluster.statuses() == list(expected), what=f"statuses {expected}")


# ---- normalization ----------------------------------------------------------------------


def normalize_text(text: str, ports: dict[str, str]) -> str:
    for port, role in ports.items():
        text = re.sub(rf"(?<=[:])({port})\b", f"<{role}>", text)
    text = UUID.sub("<uuid>", text)
    text = POINTER.sub("<ptr>", text)
    text = PEER.sub("-127.0.0.1:<peer>", text)
    return DATA_DIR.sub("/var/lib/qpidd", text)


def normalize(value: Any, ports: dict[str, str], key: str = "", owner: str = "") -> Any:
    """Replace run-specific values by placeholders, keeping the AMQP type tags."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith("$"):
        (tag, inner), *_ = value.items()
        volatile = key in VOLATILE or VOLATILE_PATTERN.search(key)
        if volatile or (owner == "broker" and BROKER_HISTORY.search(key)):
            return {tag: "<volatile>"}
        if tag == "$ushort" and key == "port" and str(int(inner)) in ports:
            return {tag: f"<{ports[str(int(inner))]}>"}
        if tag == "$uuid":  # schema hashes too: each recording run shows other ones
            return {tag: "<uuid>"}
        if isinstance(inner, str):
            return {tag: normalize_text(inner, ports)}
        return {tag: normalize(inner, ports)}
    if isinstance(value, dict):
        schema = value.get("_schema_id", {}).get("_class_name", {})
        owner = schema.get("$binary", owner) if isinstance(schema, dict) else owner
        if owner == "queue" and UUID.search(json.dumps(value.get("_values", {}).get("name"))):
            owner = "broker"  # a reply queue: its counters count this run's replies
        return {k: normalize(v, ports, k, owner) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalize(item, ports, key, owner) for item in value]
        if all(isinstance(item, dict) for item in items):
            items.sort(key=lambda item: json.dumps(item, sort_keys=True))
        return items
    if isinstance(value, str):
        return normalize_text(value, ports)
    if key in VOLATILE and value is not None:
        return "<volatile>"
    return value


COMPARED = (
    "application_properties", "body", "content_type", "correlation_id", "header", "sections",
    "subject", "to", "message_id", "user_id",
)  # fmt: skip


def comparable(record: dict[str, Any], ports: dict[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = normalize({k: record[k] for k in COMPARED if k in record}, ports)
    return result


def trimmed(records: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cut our pages down the way 020's recorded pages were cut (first 2 and last object)."""
    result = []
    for record, captured in zip(records, expected, strict=True):
        if "body_trimmed" in captured:
            info = captured["body_trimmed"]
            assert len(record["body"]) == info["objects_in_message"]
            record = {**record, "body": [record["body"][i] for i in info["kept_indices"]]}
        result.append(record)
    return result


# ---- replay -----------------------------------------------------------------------------

CAPTURED_ROLES = {str(port): role for role, port in CAPTURED_PORTS.items()}


def role_of(label: str, roles: list[str], default: str | None = None) -> str:
    match = ROLE_PREFIX.match(label)
    if match:
        return match.group(1)
    if "without HA options" in label and "P" in roles:
        return "P"
    return default or ("B" if "B" in roles else roles[0])


def replay_exchange(run: Run, scenario: str, index: int, entry: dict[str, Any]) -> None:
    """Send one captured request to the right double and compare what comes back."""
    label = entry["label"]
    where = f"{scenario}[{index}] {label}"
    default = SCENARIOS[scenario].default_role if scenario in SCENARIOS else None  # topic files
    role = role_of(label, list(run.doubles), default)
    if "own connection" in label:
        client = ReplayClient(run.doubles[role].address)
    else:
        client = run.client(role, ha_admin="no ha-admin" not in label)
    captured_reply_to = entry["request"].get("reply_to")
    reply_to = client.reply_to if captured_reply_to and UUID.match(captured_reply_to) else None
    reply_to = reply_to or captured_reply_to  # None, or a deliberately unknown queue
    request = run.rewrite(entry["request"], run.doubles[role].state.agent_name)
    if "connection_error" in entry:
        expect_failure(client, request, reply_to, entry["connection_error"], where)
        return
    if not entry["responses"]:
        client.send(encode_request(request, reply_to))
        assert client.barrier() == [], f"{where}: expected no reply"
        return
    records = client.exchange(request, reply_to)
    expected = entry["responses"]
    actual_roles = {str(port): role for role, port in run.actual_ports().items()}
    actual = [comparable(r, actual_roles) for r in trimmed(records, expected)]
    wanted = [comparable(r, CAPTURED_ROLES) for r in expected]
    if (scenario, index) in KNOWN_GAPS:
        assert actual != wanted, f"{where}: now matches the capture; drop it from KNOWN_GAPS"
        return
    assert actual == wanted, f"{where}: {first_difference(actual, wanted)}"


def first_difference(actual: Any, wanted: Any, path: str = "") -> str:
    """Where two JSON values first differ, for a readable failure message."""
    if isinstance(actual, dict) and isinstance(wanted, dict):
        for key in sorted(set(actual) | set(wanted)):
            if key not in actual or key not in wanted:
                side = "double lacks" if key not in actual else "capture lacks"
                return f"{path}.{key}: {side} it"
            if actual[key] != wanted[key]:
                return first_difference(actual[key], wanted[key], f"{path}.{key}")
    if isinstance(actual, list) and isinstance(wanted, list) and len(actual) == len(wanted):
        for index, (a, w) in enumerate(zip(actual, wanted, strict=True)):
            if a != w:
                return first_difference(a, w, f"{path}[{index}]")
    return f"{path}: double {actual!r} != capture {wanted!r}"


CONDITION = re.compile(r"Condition\('([^']*)', '(.*)'\)$")


def expect_failure(
    client: ReplayClient,
    request: dict[str, Any],
    reply_to: str | None,
    error: dict[str, Any],
    where: str,
) -> None:
    """The request kills the link or connection with the recorded exception and condition."""
    with pytest.raises((ConnectionException, LinkException)) as raised:
        client.exchange(request, reply_to)
    assert type(raised.value).__name__ == error["exception"], where
    wanted = CONDITION.search(error["text"])
    got = CONDITION.search(str(raised.value))
    assert wanted and got and got.groups() == wanted.groups(), f"{where}: {raised.value}"


# ---- scenario set-up ----------------------------------------------------------------------

Hook = Callable[[Run], object]


def nothing(run: Run) -> None:
    """The hook of exchanges that need no preparation."""


@dataclass
class Scenario:
    """Which doubles a capture needs and what to do before (or after) given exchanges."""

    roles: tuple[str, ...] = ("A",)
    setup: Hook = nothing
    before: dict[int, Hook] = field(default_factory=dict)
    after: dict[int, Hook] = field(default_factory=dict)
    default_role: str | None = None  # for labels that name no role


def create(run: Run, role: str, type_: str, name: str, **properties: Any) -> None:
    arguments = {"type": type_, "name": name, "properties": properties, "strict": True}
    reply = run.client(role).method("create", arguments)
    assert reply == {"_arguments": {}}, reply


def queues(role: str, *names: str, messages: int = 0, **properties: Any) -> Hook:
    def hook(run: Run) -> None:
        for name in names:
            create(run, role, "queue", name, **properties)
            if messages:
                send_messages(run.doubles[role].address, name, messages, ha_admin=True)

    return hook


def exchanges(role: str, *pairs: tuple[str, str], **properties: Any) -> Hook:
    def hook(run: Run) -> None:
        for name, type_ in pairs:
            create(run, role, "exchange", name, **{"exchange-type": type_}, **properties)

    return hook


def bindings(role: str, *names: str, **arguments: Any) -> Hook:
    def hook(run: Run) -> None:
        for name in names:
            create(run, role, "binding", name, **arguments)

    return hook


def consumer(role: str, queue: str) -> Hook:
    def hook(run: Run) -> None:
        run.stack.enter_context(hold_consumer(run.doubles[role].address, queue, ha_admin=True))

    return hook


def replicate(role: str, source: str, queue: str, host: str = "127.0.0.1") -> Hook:
    def hook(run: Run) -> None:
        address = f"{host}:{run.doubles[source].port}"
        run.client(role).method(
            "replicate",
            {"broker": address, "queue": queue},
            "org.apache.qpid.ha:habroker:ha-broker",
        )

    return hook


def promote(role: str) -> Hook:
    def hook(run: Run) -> None:
        run.client(role).method("promote", {}, "org.apache.qpid.ha:habroker:ha-broker")

    return hook


def statuses(*expected: str) -> Hook:
    return lambda run: run.wait_statuses(*expected)


def preload(role: str, queue: str, count: int) -> Hook:
    """Put many messages on a queue without the wire (60000 over AMQP would take long)."""

    def hook(run: Run) -> None:
        state = run.doubles[role].state
        with LOCK:
            for _ in range(count):
                state.enqueue(state.queues[queue], b"x" * 1024)

    return hook


def durable_every_other(
    role: str, queue: str, count: int, durable_among_first: int, taken: int
) -> Hook:
    """Enqueue encoded messages, every other one durable among the first ones, then take some
    from the front (as 300's producer and consumer did), without the wire."""

    def hook(run: Run) -> None:
        state = run.doubles[role].state
        with LOCK:
            for number in range(count):
                durable = number < durable_among_first and number % 2 == 0
                state.enqueue(state.queues[queue], Message(body="m", durable=durable).encode())
            state.remove(state.queues[queue], taken)

    return hook


def stop(role: str) -> Hook:
    def hook(run: Run) -> None:
        run.doubles[role].stop()
        run.forget_clients(role)

    return hook


def restart_c1(run: Run) -> None:
    """C1 comes back as a backup; slow its catch-up so each state can be queried in time."""
    assert run.cluster is not None
    run.cluster.cluster.catchup_s = 1.6
    run.doubles["C1"] = run.cluster.restart(0)
    run.forget_clients("C1")


def refused(role: str) -> Hook:
    def hook(run: Run) -> None:
        with pytest.raises(ConnectionException):
            ReplayClient(run.doubles[role].address, timeout=3)

    return hook


def steps(*hooks: Hook) -> Hook:
    def hook(run: Run) -> None:
        for each in hooks:
            each(run)

    return hook


CLUSTER = ("C1", "C2", "C3")
REPLICATE_ALL: dict[str, Any] = {"qpid.replicate": "all"}
ALTERNATE_ERR_AE: dict[str, Any] = {"alternate-exchange": "err-ae"}
SETTLED = statuses("active", "ready", "ready")
REPLICATION = steps(queues("A", "rq", messages=3), queues("A", "rq2"), queues("B", "rq"))
SCENARIOS: dict[str, Scenario] = {
    "010-query-broker": Scenario(),
    "020-query-queue-paged": Scenario(setup=queues("A", *(f"page-q-{n:03}" for n in range(260)))),
    "030-query-exchange": Scenario(),
    "040-query-binding": Scenario(
        setup=steps(
            queues("A", "bq"),
            bindings("A", "amq.direct/bq/k1", "amq.topic/bq/a.#.z", "amq.fanout/bq/"),
            bindings("A", "amq.match/bq/hk", **{"x-match": "all", "foo": "bar", "n": 1}),
        )
    ),
    "050-query-by-name": Scenario(
        setup=steps(queues("A", "named-q"), bindings("A", "amq.direct/named-q/nk"))
    ),
    "060-query-habroker-queue-replication": Scenario(),
    "061-query-habroker-no-ha": Scenario(roles=("P",)),
    "070-query-unknown-class": Scenario(),
    "071-query-malformed": Scenario(),
    "080-query-other-classes": Scenario(
        setup=steps(queues("A", "held-q"), consumer("A", "held-q"))
    ),
    "090-request-variants": Scenario(),
    "100-create-queue-options": Scenario(),
    "110-create-exchange-types": Scenario(),
    "120-bindings": Scenario(
        setup=steps(
            queues("A", "bind-q"),
            exchanges(
                "A",
                ("bx-direct", "direct"),
                ("bx-topic", "topic"),
                ("bx-fanout", "fanout"),
                ("bx-headers", "headers"),
            ),
        )
    ),
    "130-errors-objects": Scenario(
        setup=steps(
            queues("A", "err-q"),
            exchanges("A", ("err-x", "direct"), ("err-ae", "fanout"), ("err-ae2", "fanout")),
            queues("A", "err-full", messages=2),
            queues("A", "err-uses-ae", **ALTERNATE_ERR_AE),
            exchanges("A", ("err-uses-ae2", "direct"), **{"alternate-exchange": "err-ae2"}),
        )
    ),
    "131-errors-queue-in-use": Scenario(
        setup=steps(queues("A", "err-inuse"), consumer("A", "err-inuse"))
    ),
    "132-errors-bindings": Scenario(
        setup=steps(queues("A", "err-q"), exchanges("A", ("err-q", "direct")))
    ),
    "133-errors-methods": Scenario(roles=("A", "P")),
    "140-delete-queue-options": Scenario(
        setup=steps(
            queues("A", "d-empty", "d-used", "d-used2"),
            queues("A", "d-full", "d-full2", "d-both", "d-noopts", "d-emptyopts", messages=3),
            consumer("A", "d-used"),
            consumer("A", "d-used2"),
            consumer("A", "d-both"),
        )
    ),
    "150-log-level": Scenario(),
    "160-echo": Scenario(),
    "170-misc-broker-methods": Scenario(
        setup=queues("A", "misc-q", messages=4, **{"qpid.max_count": 10})
    ),
    "171-shutdown": Scenario(roles=("P",), after={0: refused("P")}),
    "200-ha-replicate-ok": Scenario(
        roles=("A", "B"), setup=REPLICATION, before={6: queues("B", "rq2")}
    ),
    "201-ha-replicate-missing-local-queue": Scenario(roles=("A", "B")),
    "202-ha-replicate-unreachable": Scenario(
        roles=("A", "B"),
        setup=steps(
            REPLICATION,
            queues("B", "rq2"),
            replicate("B", "A", "rq"),
            replicate("B", "A", "rq2", host="localhost"),
            replicate("B", "A", "rq2"),  # fails as a duplicate but leaves a link behind
            queues("B", "uq", "srcmissing"),
        ),
    ),
    "210-ha-promote-standalone": Scenario(),
    "220-ha-cluster-habroker-status": Scenario(roles=CLUSTER, before={4: SETTLED}),
    "222-ha-cluster-replicated-objects": Scenario(
        roles=CLUSTER,
        setup=steps(promote("C1"), SETTLED),
        before={
            5: lambda run: send_messages(run.doubles["C1"].address, "hq", 5),
            17: lambda run: send_messages(run.doubles["C1"].address, "hq", 5),
        },
    ),  # fmt: skip
    "223-ha-cluster-failover": Scenario(
        roles=CLUSTER,
        before={
            0: preload("C1", "hq", 60000),
            2: stop("C1"),
            5: statuses("stopped", "active", "ready"),
        },
    ),
    "224-ha-cluster-promote-backup-states": Scenario(
        roles=CLUSTER,
        before={
            0: restart_c1,
            2: lambda run: wait_for(lambda: run.cluster and run.cluster.statuses()[0] == "catchup"),
            4: statuses("ready", "active", "ready"),
        },
    ),
    "225-ha-cluster-replicate-on-backup": Scenario(
        roles=CLUSTER,
        setup=steps(
            promote("C1"),
            SETTLED,
            queues("C1", "rq", messages=5, **REPLICATE_ALL),
        ),
        before={4: lambda run: send_messages(run.doubles["C1"].address, "rq", 5)},
    ),
}
STAT_OBJECTS = steps(
    queues("A", "stat-q1", durable=True),
    queues("A", "stat-q2", "stat-browse"),
    queues("A", "stat-ring", **{"qpid.max_count": 5, "qpid.policy_type": "ring"}),
    exchanges("A", ("stat-x", "topic"), durable=True),
    bindings("A", "stat-x/stat-q1/stat.#", "stat-x/stat-q2/stat.b", "stat-x/stat-ring/stat.ring"),
    *(consumer("A", queue) for queue in ("stat-q1", "stat-q1", "stat-q2", "stat-ring")),
    consumer("A", "stat-browse"),
    durable_every_other("A", "stat-q1", 43, durable_among_first=20, taken=3),
    preload("A", "stat-browse", 6),
    lambda run: send_messages(run.doubles["A"].address, "stat-ring", 8, ha_admin=True),
)
SCENARIOS["300-stat-classes-with-traffic"] = Scenario(setup=STAT_OBJECTS)
SCENARIOS["301-stat-rate-samples"] = Scenario(
    setup=STAT_OBJECTS,
    after={
        4: steps(
            preload("A", "stat-q1", 18),
            lambda run: send_messages(run.doubles["A"].address, "stat-ring", 3, ha_admin=True),
        )
    },
)


# ---- federation (310-314) ------------------------------------------------------------------


def link(role: str, name: str, peer: str, **properties: Any) -> Hook:
    def hook(run: Run) -> None:
        port = run.doubles[peer].port
        create(run, role, "link", name, host="127.0.0.1", port=port, **properties)

    return hook


def bridge(role: str, name: str, via: str, src: str, dest: str, **properties: Any) -> Hook:
    return lambda run: create(run, role, "bridge", name, link=via, src=src, dest=dest, **properties)


def send(role: str, node: str, count: int, key: str | None = None) -> Hook:
    def hook(run: Run) -> None:
        send_messages(run.doubles[role].address, node, count, subject=key, ha_admin=True)

    return hook


def delete_links(role: str) -> Hook:
    def hook(run: Run) -> None:
        with LOCK:
            names = list(run.doubles[role].state.links)
        for name in names:
            run.client(role).method("delete", {"type": "link", "name": name})

    return hook


def link_state(run: Run, role: str, name: str) -> tuple[str, str]:
    from qpidtools.testing.federation import refresh

    with LOCK:
        found = run.doubles[role].state.links[name]
        refresh(found)
        return found.state, found.last_error


def silent_port_timed_out(run: Run) -> None:
    """qpidd gave up on the silent port after ~10 s and tried again (captures 312): the
    double's timeout is cut to nothing for one look instead of waiting 10 s."""
    from qpidtools.testing import federation

    with LOCK:
        saved, federation.SILENT_PEER_TIMEOUT_S = federation.SILENT_PEER_TIMEOUT_S, 0.0
        try:
            federation.refresh(run.doubles["A"].state.links["to-silent-port"])
        finally:
            federation.SILENT_PEER_TIMEOUT_S = saved
    wanted = ("Operational", "Closed by peer")
    wait_for(lambda: link_state(run, "A", "to-silent-port") == wanted, what="a new attempt")


def authenticating_s_and_silent_port(run: Run) -> None:
    """S wants fed/secret from links (qpidd --auth yes); a port that accepts and never talks."""
    run.doubles["S"].state.link_users = {"fed": "secret"}
    server = run.stack.enter_context(socket.create_server(("127.0.0.1", 0)))
    run.other_ports["silent"] = server.getsockname()[1]


def restart(role: str) -> Hook:
    def hook(run: Run) -> None:
        port = run.doubles[role].port
        run.doubles[role] = run.stack.enter_context(BrokerDouble(ha=None, port=port))
        run.forget_clients(role)

    return hook


FED_EXCHANGES = exchanges("A", ("fed.x", "direct")), exchanges("B", ("fed.x", "direct"))
DYN_EXCHANGES = exchanges("A", ("fed.dyn", "topic")), exchanges("B", ("fed.dyn", "topic"))
FEDERATION: dict[str, Scenario] = {
    "310-route-connect-and-bridge-methods": Scenario(
        roles=("A", "B"),
        setup=steps(*FED_EXCHANGES, queues("A", "fed.q"), bindings("A", "fed.x/fed.q/k1")),
        before={11: send("B", "fed.x", 3, key="k1"), 23: delete_links("A")},
    ),
    "311-route-create-delete-link-bridge": Scenario(
        roles=("A", "B"),
        setup=steps(
            *FED_EXCHANGES,
            *DYN_EXCHANGES,
            queues("A", "fed.q", "fed.dynq"),
            bindings("A", "fed.x/fed.q/k1", "fed.dyn/fed.dynq/news.#"),
            queues("B", "fed.srcq", "fed.pushq"),
            bindings("B", "fed.x/fed.pushq/kp"),
        ),
        before={
            10: steps(send("B", "fed.x", 2, key="k1"), send("B", "fed.srcq", 2)),
            11: send("A", "fed.x", 2, key="kp"),
        },
    ),
    "312-route-link-states": Scenario(
        roles=("A", "P", "S"),
        setup=authenticating_s_and_silent_port,
        before={
            7: steps(
                stop("P"),
                lambda run: wait_for(
                    lambda: link_state(run, "A", "to-P") == ("Waiting", "Connection refused")
                ),
            ),
            8: steps(restart("P"), silent_port_timed_out),
        },
    ),
    "313-route-errors": Scenario(
        roles=("A", "B"),
        setup=steps(
            *FED_EXCHANGES,
            link("A", "err-link", "B"),
            bridge("A", "err-bridge", "err-link", "fed.x", "fed.x", key="k1"),
        ),
        default_role="A",
    ),
    "314-route-map-two-brokers": Scenario(
        roles=("A", "B"),
        setup=steps(
            *FED_EXCHANGES,
            *DYN_EXCHANGES,
            queues("B", "fed.srcq"),
            link("A", "A-to-B", "B"),
            link("B", "B-to-A", "A"),
            bridge("A", "fed.x:k1:A-to-B:False:False", "A-to-B", "fed.x", "fed.x", key="k1"),
            bridge("A", "fed.dyn:fed.dyn:A-to-B:False:False", "A-to-B", "fed.dyn", "fed.dyn",
                   dynamic=True),
            bridge("A", "fed.x:fed.srcq:A-to-B:True:False", "A-to-B", "fed.srcq", "fed.x",
                   srcIsQueue=True),
            bridge("B", "fed.x:k2:B-to-A:False:False", "B-to-A", "fed.x", "fed.x", key="k2"),
            bridge("B", "fed.dyn:fed.dyn:B-to-A:False:False", "B-to-A", "fed.dyn", "fed.dyn",
                   dynamic=True),
        ),
    ),
}  # fmt: skip
SCENARIOS.update(FEDERATION)
# Captures that continue the cluster state of the one before them, replayed as one chain.
CHAINS = [["222-ha-cluster-replicated-objects", "223-ha-cluster-failover",
           "224-ha-cluster-promote-backup-states"]]  # fmt: skip
CHAINED = {stem for chain in CHAINS for stem in chain}
SPECIAL = {
    "221-ha-backup-client-connections": "checked by test_backup_rejects_plain_connections",
    **{
        stem: "replayed by tests/test_topic_fidelity.py (listeners on qmf.default.topic)"
        for stem in (
            "320-events-broker-actions", "321-events-heartbeat-and-locate",
            "322-events-binding-keys", "323-events-auth-failures",
            "330-queue-stats-data-indications",
        )
    },
}  # fmt: skip


def capture_files() -> list[str]:
    return sorted(path.stem for path in QMF_CAPTURES.glob("[0-9][0-9][0-9]-*.json"))


def replay_groups() -> list[list[str]]:
    left_out = CHAINED | set(SPECIAL)
    groups = [[stem] for stem in capture_files() if stem not in left_out]
    return sorted(groups + CHAINS)


@pytest.fixture
def started(request: pytest.FixtureRequest) -> Iterator[Callable[[tuple[str, ...]], Run]]:
    """Start the doubles a scenario's roles name; everything is stopped afterwards."""
    with ExitStack() as stack:

        def start(roles: tuple[str, ...]) -> Run:
            cluster = None
            if roles == CLUSTER:
                cluster = stack.enter_context(
                    DoubleCluster(3, recovery_s=0.2, catchup_s=0.8, log_level=RECORDED_LOG_LEVEL)
                )
                doubles = dict(zip(CLUSTER, cluster.members, strict=True))
            else:
                doubles = {
                    role: stack.enter_context(
                        BrokerDouble(
                            ha=None if role in ("P", "S") else "standalone",
                            log_level=RECORDED_LOG_LEVEL,
                        )
                    )
                    for role in roles
                }
            run = Run(doubles, stack, cluster)
            stack.callback(run.close_clients)
            return run

        yield start


@pytest.mark.parametrize("group", replay_groups(), ids=lambda group: "+".join(s[:3] for s in group))
def test_replay_matches_capture(
    group: list[str], started: Callable[[tuple[str, ...]], Run]
) -> None:
    run = started(SCENARIOS[group[0]].roles)
    for stem in group:
        scenario = SCENARIOS[stem]
        scenario.setup(run)
        for index, entry in enumerate(load(QMF_CAPTURES / f"{stem}.json")["exchanges"]):
            scenario.before.get(index, nothing)(run)
            replay_exchange(run, stem, index, entry)
            scenario.after.get(index, nothing)(run)


def test_every_capture_has_a_scenario() -> None:
    """...and every scenario its capture: a renamed file must not drop out of the replay."""
    captured = set(capture_files())
    assert captured, f"no NNN-*.json captures in {QMF_CAPTURES}"
    accounted = set(SCENARIOS) | set(SPECIAL)
    assert captured <= accounted
    assert accounted <= captured
    replayed = {stem for group in replay_groups() for stem in group}
    assert replayed | set(SPECIAL) == captured


@pytest.mark.parametrize("gap", sorted(KNOWN_GAPS), ids=lambda gap: f"{gap[0][:3]}-{gap[1]}")
def test_known_gaps(gap: tuple[str, int]) -> None:
    pytest.skip(f"not simulated: {KNOWN_GAPS[gap]}")
