"""qpid-stat's plain text against the classic tool's transcripts, byte for byte.

The classic transcripts were taken on broker A with AMQP 0-10 traffic the double cannot make
(qpid-receive, a qpid.messaging client). So the views are fed the QMF objects recorded from
that broker in capture 300 (same state, same traffic), and the output is compared with what
the classic tool printed. What differs between the two recordings only because they are
different runs is taken from the transcript: the classic tool's own reply queue, connection
and subscription instead of the recorder's, client ports and pids, and the counters the QMF
traffic itself moves (the default exchange, ``qmf.default.topic``, ``qpid.management``,
the broker's ``discardsNoRoute``), memory figures and the ACL load time. The
``-after-more-traffic`` runs get the queues of capture 301's second sample, taken after the
same traffic. Connections (``-c``) are all run-dependent (ports, pids, ages), so those cases
are round trips from the transcript: they check layout, formats and sorting only.
"""

from __future__ import annotations

import calendar
import re
import time
from typing import Any

import pytest
from capture_files import QMF_CAPTURES, classic, load
from qmf_replay import decode as decode_tags

from qpidtools.cli.stat_show import Request, arranged, take
from qpidtools.qmf import QmfObject, _qmf_object
from qpidtools.render.stat import classic_lines
from qpidtools.stat_views import STATISTICS

PACKAGE = "org.apache.qpid.broker"
OWN_QUEUE = re.compile(r"^  ([0-9a-f-]{36}:0\.0) ")
QMF_TRAFFIC_EXCHANGES = ("", "qmf.default.topic", "qpid.management")
UNITS = {"k": 1_000, "m": 1_000_000, "g": 1_000_000_000}


def recorded(index: int, stem: str = "300-stat-classes-with-traffic") -> list[QmfObject]:
    exchange = load(QMF_CAPTURES / f"{stem}.json")["exchanges"][index]
    return [
        _qmf_object(decode_tags(obj)) for reply in exchange["responses"] for obj in reply["body"]
    ]


CLASSES = {
    "broker": 0, "cluster": 1, "connection": 2, "session": 3, "exchange": 4, "queue": 5,
    "subscription": 6, "memory": 7, "acl": 8,
}  # fmt: skip


class RecordedBroker:
    """Answers the views' queries with capture 300's objects (``qmf`` is itself)."""

    address = "127.0.0.1:5672"

    def __init__(self, after_more_traffic: bool = False) -> None:
        self.qmf = self
        self.classes = {name: recorded(index) for name, index in CLASSES.items()}
        if after_more_traffic:  # 301's sample 2: the traffic of the "-after-more-traffic" runs
            self.classes["queue"] = recorded(9, "301-stat-rate-samples")

    def query_class(self, class_name: str, package: str | None = None) -> list[QmfObject]:
        return sorted(self.classes[class_name], key=lambda obj: obj.object_name)

    objects = query_class

    def broker_object(self) -> QmfObject:
        return self.classes["broker"][0]

    def query_object(self, object_name: str) -> QmfObject | None:
        kind, name = object_name.split(":")[1:3]
        found = [o for o in self.classes[kind] if o.values.get("name") == name]
        return found[0] if found else None

    def put(self, kind: str, name: str, values: dict[str, Any], key: str = "") -> None:
        """Add or replace an object of ``kind`` (named by its ``name`` value, or ``key``)."""
        object_name = f"{PACKAGE}:{kind}:{key or name}"
        kept = [o for o in self.classes[kind] if o.object_name != object_name]
        self.classes[kind] = [*kept, QmfObject(object_name, kind, PACKAGE, values)]

    def update(self, kind: str, name: str, **values: Any) -> None:
        self.classes[kind] = [
            QmfObject(
                o.object_name, kind, PACKAGE, {**o.values, **values}, o.update_ts, o.create_ts
            )
            if o.values.get("name", o.values.get("address")) == name
            else o
            for o in self.classes[kind]
        ]

    def drop_recorders_own(self) -> None:
        """The recorder's reply queue (proton's ``<container>_<link>`` name) is not the tool's."""
        self.classes["queue"] = [o for o in self.classes["queue"] if "_" not in o.values["name"]]


def parse_count(text: str) -> int:
    """Back from the classic count format (``4.36k``) to a number that prints the same."""
    text = text.strip()
    if text and text[-1] in UNITS:
        return round(float(text[:-1]) * UNITS[text[-1]])
    return int(text)


def classic_queue(broker: RecordedBroker, stdout: str) -> None:
    """The classic tool's own reply queue, as every transcript shows it."""
    for line in stdout.splitlines():
        match = OWN_QUEUE.match(line)
        if match:
            broker.drop_recorders_own()
            broker.put(
                "queue",
                match.group(1),
                {
                    "name": match.group(1), "durable": False, "autoDelete": True,
                    "exclusive": True, "consumerCount": 1, "bindingCount": 2,
                    **dict.fromkeys(("msgDepth", "byteDepth", "msgTotalEnqueues",
                                     "msgTotalDequeues", "byteTotalEnqueues",
                                     "byteTotalDequeues"), 0),
                },
            )  # fmt: skip


def exchange_traffic(broker: RecordedBroker, stdout: str) -> None:
    keys = ("bindingCount", "msgReceives", "msgRoutes", "msgDrops", "byteReceives",
            "byteRoutes", "byteDrops")  # fmt: skip
    for line in stdout.splitlines()[3:]:
        cells = line[2:].split()
        name = "" if line.startswith("   ") else cells[0]
        if name in QMF_TRAFFIC_EXCHANGES:
            counts = [parse_count(cell) for cell in cells[-7:]]
            broker.update("exchange", name, **dict(zip(keys, counts, strict=True)))


def subscription_clients(broker: RecordedBroker, stdout: str, sorted_output: bool) -> None:
    """Client ports, pids and the classic tool's own subscription, from the transcript.

    The own subscription's session name was not recorded; its object name is chosen to sort
    where the transcript shows it (last in broker order when the output was sorted).
    """
    sessions = {o.values["name"]: o for o in broker.classes["session"]}
    previous = ""
    for line in stdout.splitlines()[3:]:
        name, queue, address, process, pid = line.split()[:5]
        if OWN_QUEUE.match(f"  {queue} "):
            session = f"own.{queue}"
            key = "~" if sorted_output else previous + "~"
            connection_ref = {"_object_name": f"{PACKAGE}:connection:{address}"}
            broker.put("connection", address, {"address": address, "remoteProcessName": process,
                                               "remotePid": int(pid)})  # fmt: skip
            broker.put("session", session, {"name": session, "unackedMessages": 0,
                                            "connectionRef": connection_ref})  # fmt: skip
            broker.put("subscription", name, {
                "name": name, "queueRef": {"_object_name": f"{PACKAGE}:queue:{queue}"},
                "sessionRef": {"_object_name": f"{PACKAGE}:session:{session}"},
                "browsing": False, "acknowledged": False, "exclusive": False,
                "creditMode": "CREDIT", "delivered": 0,
            }, key=key)  # fmt: skip
            continue
        queue_ref = f"{PACKAGE}:queue:{queue}"
        sub = next(
            o
            for o in broker.classes["subscription"]
            if o.values["name"] == name and o.values["queueRef"]["_object_name"] == queue_ref
        )
        previous = sub.object_name.split(":", 2)[2]
        session = sessions[sub.values["sessionRef"]["_object_name"].split(":", 2)[2]]
        recorded_address = session.values["connectionRef"]["_object_name"].split(":", 2)[2]
        broker.update("connection", recorded_address, address=address, remotePid=int(pid))
        broker.update("session", session.values["name"], connectionRef={
            "_object_name": f"{PACKAGE}:connection:{address}"})  # fmt: skip


def nanoseconds(text: str) -> int:
    """Back from the classic duration format (``1h 0m 3s``)."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(int(part[:-1]) * units[part[-1]] for part in text.split()) * 1_000_000_000


def connections_of(broker: RecordedBroker, stdout: str) -> None:
    """Every connection is run-dependent (ports, pids, ages): all come from the transcript,
    so this checks the layout, the ``-`` and empty cells, the formats and the sorting."""
    lines = stdout.splitlines()
    starts = [m.start() for m in re.finditer(r"(?<=  )\S+", lines[1])]
    (clock,) = broker.classes["broker"]
    now = clock.update_ts
    found = []
    for line in lines[3:]:
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        address, process, pid, mechanism, identity, connected, idle, msg_in, msg_out = cells
        values: dict[str, Any] = {
            "address": address, "saslMechanism": mechanism, "authIdentity": identity,
            "msgsFromClient": parse_count(msg_in), "msgsToClient": parse_count(msg_out),
        }  # fmt: skip
        if process != "-":
            values["remoteProcessName"] = process
        if pid:
            values["remotePid"] = int(pid)
        found.append(
            QmfObject(
                f"{PACKAGE}:connection:{address}",
                "connection",
                PACKAGE,
                values,
                now - nanoseconds(idle),
                now - nanoseconds(connected),
            )  # fmt: skip
        )
    broker.classes["connection"] = found


def same_run_values(broker: RecordedBroker, case: str, stdout: str) -> None:
    if "-m" in classic(case)["argv"]:
        values = {}
        for line in stdout.splitlines()[3:]:
            key, value = line.split()
            values[key] = int(value.replace(",", ""))
        broker.classes["memory"] = [QmfObject("amqp-broker", "memory", PACKAGE, values)]
    if "--acl" in classic(case)["argv"]:
        loaded = next(line for line in stdout.splitlines() if "last-acl-load" in line)
        seconds = calendar.timegm(time.strptime(loaded.split(None, 1)[1], "%c"))
        acl = broker.classes["acl"][0]
        broker.classes["acl"] = [
            QmfObject(
                acl.object_name,
                "acl",
                acl.package_name,
                {**acl.values, "lastAclLoad": seconds * 1_000_000_000},
            )  # fmt: skip
        ]
    if "-g" in classic(case)["argv"]:
        broker_statistics(broker, stdout, every_counter=case != "qpid-stat-g")


def broker_statistics(broker: RecordedBroker, stdout: str, every_counter: bool) -> None:
    """Uptime and the counters QMF traffic moves (all of them for runs later than capture
    300's, which the broker-wide counters include), from the transcript."""
    lines = stdout.splitlines()
    uptime_ns = int(lines[3].split()[0].rstrip("s")) * 1_000_000_000
    printed = {line.split()[0]: line.split()[1:] for line in lines[8:]}
    patch = {}
    for label, messages, data, _ in STATISTICS:
        if every_counter or label == "discards-no-route":
            cells = [int(cell.replace(",", "")) for cell in printed[label]]
            patch[messages] = cells[0]
            if data:
                patch[data] = cells[1]
    broker.classes["broker"] = [
        QmfObject(
            o.object_name,
            "broker",
            PACKAGE,
            {**o.values, **patch},
            o.update_ts,
            o.update_ts - uptime_ns,
        )  # fmt: skip
        for o in broker.classes["broker"]
    ]


def request_of(argv: list[str]) -> Request:
    """The captured command line as our parser reads it, through the real Click command."""
    from qpidtools.cli import stat

    seen: dict[str, Any] = {}

    def capture_show(inv: Any, request: Request) -> None:
        seen["request"] = request

    with pytest.MonkeyPatch.context() as patch:
        import qpidtools.cli.stat_show as show_module

        patch.setattr(show_module, "show", capture_show)
        stat.cli.main(args=argv, prog_name="qpid-stat", standalone_mode=False)
    assert isinstance(seen.get("request"), Request)
    return seen["request"]


CASES = [
    "qpid-stat-g", "qpid-stat-b-ip-address", "qpid-stat-g-sort-ignored", "qpid-stat-g-ha-admin",
    "qpid-stat-q", "qpid-stat-q-sort-name", "qpid-stat-q-sort-name-increasing",
    "qpid-stat-q-sort-msgin", "qpid-stat-q-sort-msgin-increasing", "qpid-stat-q-sort-limit",
    "qpid-stat-q-limit-without-sort", "qpid-stat-long-options",
    "qpid-stat-q-queue", "qpid-stat-q-queue-ring",
    "qpid-stat-e", "qpid-stat-e-sort-bytein", "qpid-stat-e-sort-limit-increasing",
    "qpid-stat-default-broker", "qpid-stat-b-amqp-url", "qpid-stat-two-commands-last-wins",
    "qpid-stat-u", "qpid-stat-u-sort-delivered",
    "qpid-stat-m", "qpid-stat-acl",
    "qpid-stat-q-after-more-traffic", "qpid-stat-q-queue-after-more-traffic",
    "qpid-stat-c", "qpid-stat-c-sort-connection-increasing", "qpid-stat-c-sort-msgin-limit",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_plain_text_is_the_classic_text(case: str) -> None:
    transcript = classic(case)
    stdout = transcript["stdout"]
    broker = RecordedBroker(after_more_traffic=case.endswith("after-more-traffic"))
    classic_queue(broker, stdout)
    if stdout.startswith("Exchanges"):
        exchange_traffic(broker, stdout)
    if stdout.startswith("Connections"):
        connections_of(broker, stdout)
    if stdout.startswith("Subscriptions"):
        subscription_clients(broker, stdout, "-S" in transcript["argv"])
    same_run_values(broker, case, stdout)
    request = request_of(transcript["argv"][1:])
    sample = take(broker, request)  # type: ignore[arg-type]
    assert sample is not None
    text = "\n".join(classic_lines(arranged(sample.tables, request))) + "\n"
    assert text == stdout
