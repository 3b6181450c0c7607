"""qpid-stat and qpid-queue-stats end to end through the ``broker`` fixture (the double, or a
real qpidd): usage errors, the views on a broker with traffic, --json, --watch, --openmetrics.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from capture_files import classic
from conftest import Outcome, Tool, _tool

from qpidtools import polling
from qpidtools.address import parse_address
from qpidtools.broker import Broker
from qpidtools.cli import queue_stats, stat
from qpidtools.monitoring import queue_rate_rows
from qpidtools.render.stat import queue_stats_line
from qpidtools.testing import send_messages
from qpidtools.transport import ConnectionSettings


@pytest.fixture
def qpid_stat(capsys: pytest.CaptureFixture[str]) -> Tool:
    return _tool(stat.cli, "qpid-stat", capsys)


@pytest.fixture
def qpid_queue_stats(capsys: pytest.CaptureFixture[str]) -> Tool:
    return _tool(queue_stats.cli, "qpid-queue-stats", capsys)


def unique(prefix: str) -> str:
    """A queue name no other test (or earlier run on a real broker) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def new_queue(broker: Any) -> Iterator[Callable[..., str]]:
    """``new_queue(name, **arguments)`` adds a queue; all are deleted after the test (an
    external broker given by QPIDTOOLS_TEST_BROKER is someone's: nothing is left there)."""
    address = str(broker.address)
    made: list[str] = []

    def add(name: str, **arguments: Any) -> str:
        with Broker.connect(ConnectionSettings(parse_address(address))) as api:
            api.add_queue(name, arguments)
        made.append(name)
        return name

    yield add
    with Broker.connect(ConnectionSettings(parse_address(address))) as api:
        for name in made:
            api.delete_queue(name, if_empty=False, if_unused=False)


@pytest.fixture
def traffic(broker: Any, new_queue: Callable[..., str]) -> tuple[str, str]:
    """A queue with 5 messages sent and none taken; returns (address, queue name)."""
    name = new_queue(unique("stat-q"))
    send_messages(str(broker.address), name, 5)
    return str(broker.address), name


def one_line_error(outcome: Outcome, code: int, text: str) -> None:
    assert (outcome.code, outcome.out) == (code, "")
    assert outcome.err == f"qpid-stat: error: {text}\n"


# -- usage errors: found before anything connects -----------------------------------------


def test_no_view_is_the_classic_message(qpid_stat: Tool, closed_port: int) -> None:
    classic_text = classic("qpid-stat-no-command")["stderr"].splitlines()[-1]
    outcome = qpid_stat("-b", f"127.0.0.1:{closed_port}")
    one_line_error(outcome, 2, classic_text.removeprefix("qpid-stat: error: "))


@pytest.mark.parametrize(
    "args",
    [["--bogus"], ["-q", "-L", "many"], ["-g", "--ssl-key", "key.pem"], ["-q", "--count", "2"]],
)
def test_usage_errors_exit_2_without_connecting(
    qpid_stat: Tool, closed_port: int, args: list[str]
) -> None:
    outcome = qpid_stat("-b", f"127.0.0.1:{closed_port}", *args)
    assert outcome.code == 2 and outcome.out == ""
    assert outcome.err.startswith("qpid-stat: error: ") and outcome.err.count("\n") == 1


def test_unknown_sort_column_is_a_usage_error(qpid_stat: Tool, closed_port: int) -> None:
    outcome = qpid_stat("-b", f"127.0.0.1:{closed_port}", "-q", "-S", "nosuchcol")
    one_line_error(outcome, 2, "sortCol 'nosuchcol', not found in headers")


def test_unreachable_broker_is_one_line_exit_1(qpid_stat: Tool, closed_port: int) -> None:
    outcome = qpid_stat("-b", f"127.0.0.1:{closed_port}", "-t", "2", "-q")
    one_line_error(outcome, 1, f"cannot connect to 127.0.0.1:{closed_port}: connection refused")


def test_help_needs_no_broker(qpid_stat: Tool, closed_port: int) -> None:
    outcome = qpid_stat("-b", f"127.0.0.1:{closed_port}", "--help")
    assert outcome.code == 0
    for option in ("-g, --general", "-S, --sort-by", "--watch", "--openmetrics", "--acl"):
        assert option in outcome.out


# -- the views on a live broker ----------------------------------------------------------


def test_queues_show_the_traffic(qpid_stat: Tool, traffic: tuple[str, str]) -> None:
    address, name = traffic
    outcome = qpid_stat("-b", address, "-q")
    assert outcome.code == 0, outcome
    lines = outcome.out.splitlines()
    assert lines[0] == "Queues" and lines[1].split()[:4] == ["queue", "dur", "autoDel", "excl"]
    (row,) = [line for line in lines if line.startswith(f"  {name} ")]
    assert row.split()[1:4] == ["5", "5", "0"]


def test_one_queue_and_a_missing_one(qpid_stat: Tool, traffic: tuple[str, str]) -> None:
    address, name = traffic
    outcome = qpid_stat("-b", address, "-q", name)
    assert outcome.out.startswith("Properties:\n  Name ")
    assert "  queue-depth                 5  " in outcome.out
    assert qpid_stat("-b", address, "-q", "no-such-queue") == Outcome(
        0, "Queue 'no-such-queue' not found\n", ""
    )


@pytest.mark.parametrize("view", ["-g", "-c", "-e", "-u", "-m", "--acl"])
def test_every_view_prints_its_title(qpid_stat: Tool, broker: Any, view: str) -> None:
    titles = {"-g": "Broker Summary:", "-c": "Connections", "-e": "Exchanges",
              "-u": "Subscriptions", "-m": "Broker Memory Statistics:",
              "--acl": "ACL Policy Statistics:"}  # fmt: skip
    outcome = qpid_stat("-b", str(broker.address), view)
    assert (outcome.code, outcome.err) == (0, "")
    assert outcome.out.splitlines()[0] == titles[view]


def test_json_has_numbers(qpid_stat: Tool, traffic: tuple[str, str]) -> None:
    address, name = traffic
    document = json.loads(qpid_stat("-b", address, "-q", "--json").out)
    (row,) = [row for row in document["queues"] if row["queue"] == name]
    assert row["msgDepth"] == 5 and row["durable"] is False


@pytest.mark.fresh_broker  # any other queue may hold more messages
def test_sort_and_limit(qpid_stat: Tool, traffic: tuple[str, str]) -> None:
    address, name = traffic
    lines = qpid_stat("-b", address, "-q", "-S", "msg", "-L", "1").out.splitlines()
    assert len(lines) == 4 and lines[3].startswith(f"  {name} ")


# -- live view -----------------------------------------------------------------------------


def test_watch_json_lines_have_rates(qpid_stat: Tool, traffic: tuple[str, str]) -> None:
    address, name = traffic
    outcome = qpid_stat("-b", address, "-q", "--watch", "0.1", "--count", "2", "--json")
    first, second = (json.loads(line) for line in outcome.out.splitlines())
    assert (first["sample"], second["sample"]) == (1, 2)
    assert second["broker_time_ns"] > first["broker_time_ns"]
    (row,) = [row for row in second["queues"] if row["queue"] == name]
    assert row["msgIn_per_s"] == 0.0  # nothing moved on the queue between the samples
    assert [r["msgIn_per_s"] for r in first["queues"]] == [None] * len(first["queues"])


def test_watch_in_a_pipe_prints_one_table_per_sample(
    qpid_stat: Tool, traffic: tuple[str, str]
) -> None:
    address, _ = traffic
    outcome = qpid_stat("-b", address, "-g", "--watch", "0.1", "--count", "2")
    assert outcome.code == 0
    assert outcome.out.count("Broker Summary:") == 2
    assert "msgIn/s" in outcome.out


def test_watch_reports_an_absent_broker_and_goes_on(qpid_stat: Tool, closed_port: int) -> None:
    outcome = qpid_stat("-b", f"127.0.0.1:{closed_port}", "-e", "--watch", "0.1", "--count", "2")
    assert outcome.code == 0
    assert outcome.out.count("Failed: cannot connect to") == 2


# -- OpenMetrics ---------------------------------------------------------------------------


def test_openmetrics_parses_and_escapes_labels(
    qpid_stat: Tool, broker: Any, new_queue: Callable[..., str]
) -> None:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    address = str(broker.address)
    odd = new_queue(unique('odd"q\\u'))
    send_messages(address, odd, 3)
    outcome = qpid_stat("-b", address, "--openmetrics")
    assert outcome.code == 0 and outcome.out.endswith("# EOF\n")
    families = {f.name: f for f in text_string_to_metric_families(outcome.out)}
    assert families["qpid_queue_messages_enqueued"].type == "counter"
    assert families["qpid_queue_depth_messages"].type == "gauge"
    depth = {s.labels["queue"]: s.value for s in families["qpid_queue_depth_messages"].samples}
    assert depth[odd] == 3


# -- qpid-queue-stats ----------------------------------------------------------------------

HEADER = classic("qpid-queue-stats")["stdout"].splitlines()[:2]


def test_queue_stats_rows_after_a_baseline(
    qpid_queue_stats: Tool, traffic: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the samples (the tool's sleep) 4 more messages arrive: one row, not two."""
    address, name = traffic
    monkeypatch.setattr(polling.time, "sleep", lambda _: send_messages(address, name, 4))
    outcome = qpid_queue_stats("-a", address, "-f", name, "--interval", "0.1", "--count", "2")
    lines = outcome.out.splitlines()
    assert (outcome.code, lines[:2]) == (0, HEADER)
    (row,) = lines[2:]
    assert re.fullmatch(rf"{re.escape(name)} +\d+\.\d\d +9 +\d+\.\d\d +0\.00", row)


def test_queue_stats_classic_row_format() -> None:
    row = {"queue": "qs-b", "seconds": 10.0, "depth": 64, "enqueue_rate": 0.0, "dequeue_rate": 1.5}
    assert (
        queue_stats_line(row)
        == classic("qpid-queue-stats-filter-regex-list")["stdout"].splitlines()[2]
    )


def test_queue_stats_filter_matches_at_the_start() -> None:
    from qpidtools import Snapshot

    stats = {"msgDepth": 1, "msgTotalEnqueues": 1, "msgTotalDequeues": 0}
    before = Snapshot(0, {name: {**stats, "msgDepth": 0} for name in ("qs-a", "qs-b", "xqs-b")})
    after = Snapshot(10**10, {name: stats for name in ("qs-a", "qs-b", "xqs-b")})
    patterns = queue_stats._patterns("qs-[b-z].*,nomatch")
    assert [row["queue"] for row in queue_rate_rows(before, after, patterns)] == ["qs-b"]


def test_queue_stats_keeps_trying_an_absent_broker(
    qpid_queue_stats: Tool, closed_port: int
) -> None:
    outcome = qpid_queue_stats(
        "-a", f"127.0.0.1:{closed_port}", "--interval", "0.1", "--count", "3"
    )
    assert (outcome.code, outcome.out.splitlines()) == (0, HEADER)
    assert outcome.err.count("\n") == 1 and "retrying" in outcome.err


def test_queue_stats_bad_option(qpid_queue_stats: Tool) -> None:
    outcome = qpid_queue_stats("--bogus")
    assert outcome.code == 2 and outcome.err.startswith("qpid-queue-stats: error: ")


# -- completion ----------------------------------------------------------------------------


def test_completion_offers_columns_and_queue_names(traffic: tuple[str, str]) -> None:
    from test_completion import offered

    address, name = traffic
    assert offered("qpid-stat -q -S msg") == ["msg", "msgIn", "msgOut", "msgIn/s", "msgOut/s"]
    assert "creditMode" in offered("qpid-stat -u -S ")
    assert "creditMode" not in offered("qpid-stat -e -S ")
    assert name in offered(f"qpid-stat -b {address} -q stat-")


def test_watch_costs_one_query_per_class_per_interval(
    qpid_stat: Tool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the number of queues: each sample lists the queue class and the broker once."""
    from collections import Counter

    from qpidtools.testing import BrokerDouble
    from qpidtools.testing.agent import Agent

    asked: Counter[str] = Counter()
    query = Agent.query

    def counting(agent: Agent, body: dict[str, Any]) -> Any:
        schema = body.get("_schema_id") or {}
        name = schema.get("_class_name", b"by name")
        asked[bytes(name).decode() if isinstance(name, bytes) else str(name)] += 1
        return query(agent, body)

    monkeypatch.setattr(Agent, "query", counting)
    with BrokerDouble(ha="standalone") as double:
        with Broker.connect(ConnectionSettings(parse_address(double.address))) as api:
            for number in range(150):  # more than one reply page
                api.add_queue(f"watched-{number}", {})
        asked.clear()
        outcome = qpid_stat("-b", double.address, "-q", "--watch", "0.1", "--count", "3")
    assert outcome.out.count("Queues") == 3
    assert asked == Counter({"queue": 3, "broker": 3})


def test_connections_show_the_client_process_and_its_messages(
    qpid_stat: Tool, traffic: tuple[str, str]
) -> None:
    """An AMQP 1.0 client naming itself in its open properties, as traffic-amqp1 did (300)."""
    from proton import Message, symbol
    from proton.utils import BlockingConnection

    address, name = traffic
    properties = {symbol("qpid.client_process"): "stat-test", symbol("qpid.client_pid"): 4242}
    client = BlockingConnection(address, timeout=10, properties=properties)
    try:
        sender = client.create_sender(name)
        for number in range(3):
            sender.send(Message(body=f"m{number}"))
        rows = json.loads(qpid_stat("-b", address, "-c", "--json").out)["connections"]
        (row,) = [row for row in rows if row["process"] == "stat-test"]
        assert (row["pid"], row["msgsFromClient"], row["mechanism"]) == (4242, 3, "ANONYMOUS")
        receiver = client.create_receiver(name, credit=2)
        receiver.receive(timeout=10)
        receiver.receive(timeout=10)
        text = qpid_stat("-b", address, "-c").out
        (line,) = [line for line in text.splitlines() if "stat-test" in line]
        assert line.split()[1:3] == ["stat-test", "4242"] and line.split()[-2:] == ["3", "2"]
    finally:
        client.close()


# -- on a terminal -------------------------------------------------------------------------


@pytest.mark.parametrize("watching", [[], ["--watch", "0.1", "--count", "2"]])
def test_terminal_gets_rich_tables(
    qpid_stat: Tool,
    traffic: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    watching: list[str],
) -> None:
    import io

    from rich.console import Console

    from qpidtools.cli import stat_show
    from qpidtools.render import Mode

    screen = io.StringIO()
    monkeypatch.setattr(stat_show, "mode_for", lambda inv: Mode.RICH)
    monkeypatch.setattr(stat_show, "console", lambda inv: Console(file=screen, width=250))
    address, name = traffic
    assert qpid_stat("-b", address, "-q", *watching).code == 0
    drawn = screen.getvalue()
    assert "┃ queue" in drawn and name in drawn
    assert ("msgIn/s" in drawn) == bool(watching)


# -- the classic command lines against a broker set up as in the transcripts --------------

REPLY_QUEUE = re.compile(r"^[0-9a-f-]{36}(:0\.0|_)")


def tables(text: str, volatile_rows: tuple[str, ...], volatile_columns: tuple[str, ...]) -> Any:
    """Each table as (title, headers, rows of cells), cut at the header's column starts.

    Rows about a tool's own reply queue, and the ``volatile_rows`` (counters moved by QMF
    traffic, dates), are left out; cells of ``volatile_columns`` are blanked.
    """
    found = []
    for block in text.rstrip("\n").split("\n\n"):
        title, *lines = block.splitlines()
        if not lines:
            found.append((title, None, []))
            continue
        header = lines[0]
        starts = [m.start() for m in re.finditer(r"(?<=  )\S+", header)]
        headers = header.split()
        rows = []
        for line in lines[2:]:
            cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
            if any(REPLY_QUEUE.match(cell) for cell in cells) or cells[0] in volatile_rows:
                continue
            rows.append(
                [
                    c if h not in volatile_columns else ""
                    for h, c in zip(headers, cells, strict=True)
                ]
            )
        found.append((title, headers if rows else None, rows))
    return found


#: (case, fixture, rows and columns that hold run-dependent values)
ALIKE_CASES = [
    ("qpid-stat-q-on-b", "broker", (), ()),
    ("qpid-stat-u-none", "broker", (), ()),
    ("qpid-stat-e-no-ha", "broker_no_ha", ("", "qmf.default.topic", "qpid.management"), ()),
    ("qpid-stat-g-no-ha", "broker_no_ha", ("discards-no-route",), ("uptime",)),
    ("qpid-stat-acl-no-ha", "broker_no_ha", ("last-acl-load",), ()),
    ("qpid-stat-m", "broker", (), ("Value",)),
]


@pytest.mark.fresh_broker  # whole tables, with the transcripts' queue names
@pytest.mark.parametrize(("case", "fixture", "volatile_rows", "volatile_columns"), ALIKE_CASES)
def test_classic_command_line_on_a_broker_set_up_alike(
    qpid_stat: Tool,
    request: pytest.FixtureRequest,
    case: str,
    fixture: str,
    volatile_rows: tuple[str, ...],
    volatile_columns: tuple[str, ...],
) -> None:
    address = str(request.getfixturevalue(fixture).address)
    argv = [re.sub(r"localhost:567\d", address, arg) for arg in classic(case)["argv"][1:]]
    outcome = qpid_stat(*argv)
    assert (outcome.code, outcome.err) == (classic(case)["exit_code"], "")
    ours, theirs = (tables(text, volatile_rows, volatile_columns)
                    for text in (outcome.out, classic(case)["stdout"]))  # fmt: skip
    assert ours == theirs


def test_missing_queue_is_the_classic_text(qpid_stat: Tool, broker: Any) -> None:
    transcript = classic("qpid-stat-q-queue-missing")
    outcome = qpid_stat("-b", str(broker.address), *transcript["argv"][3:])
    assert (outcome.code, outcome.out) == (transcript["exit_code"], transcript["stdout"])


def interrupt(_: float) -> None:
    raise KeyboardInterrupt


def test_ctrl_c_ends_a_watch_with_exit_0(
    qpid_stat: Tool, traffic: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setattr(polling.time, "sleep", interrupt)
    outcome = qpid_stat("-b", traffic[0], "-e", "--watch")
    assert (outcome.code, outcome.err, outcome.out.count("Exchanges")) == (0, "", 1)


def test_ctrl_c_ends_queue_stats_with_an_empty_line(
    qpid_queue_stats: Tool, traffic: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(polling.time, "sleep", interrupt)
    outcome = qpid_queue_stats("-a", traffic[0])
    assert (outcome.code, outcome.err) == (0, "")
    assert outcome.out.splitlines() == [*HEADER, ""]


def test_watch_survives_the_broker_going_away_and_coming_back(
    qpid_stat: Tool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import ExitStack

    from qpidtools.testing import BrokerDouble

    with ExitStack() as stack:
        first = BrokerDouble(ha="standalone")
        stack.callback(first.stop)
        port = first.port
        ticks = iter(
            [first.stop, lambda: stack.enter_context(BrokerDouble(ha="standalone", port=port))]
        )
        monkeypatch.setattr(polling.time, "sleep", lambda _: next(ticks)())
        outcome = qpid_stat("-b", first.address, "-e", "--watch", "--count", "3", "--json")
    samples = [json.loads(line) for line in outcome.out.splitlines()]
    assert [sorted(sample) for sample in samples] == [
        ["broker_time_ns", "exchanges", "sample"],
        ["error", "sample"],
        ["broker_time_ns", "exchanges", "sample"],
    ]
    assert outcome.code == 0


def test_watch_one_queue_has_its_rates(qpid_stat: Tool, traffic: tuple[str, str]) -> None:
    address, name = traffic
    outcome = qpid_stat("-b", address, "-q", name, "--watch", "0.1", "--count", "2", "--json")
    second = json.loads(outcome.out.splitlines()[1])
    assert second["properties"][0]["msgIn_per_s"] == 0.0
    depth = second["statistics"][0]
    assert (depth["statistic"], depth["messages"], type(depth["bytes"])) == ("queue-depth", 5, int)


def test_library_snapshots_give_rates(traffic: tuple[str, str]) -> None:
    from qpidtools import rates

    address, name = traffic
    with Broker.connect(ConnectionSettings(parse_address(address))) as api:
        before = api.snapshot()
        send_messages(address, name, 4)
        after = api.snapshot()
        assert after.counters[name]["msgTotalEnqueues"] == 9
        per_second = rates(before, after)[name]["msgTotalEnqueues"]
        assert per_second == pytest.approx(4 / ((after.time_ns - before.time_ns) / 1e9))
        assert set(api.snapshot("broker").counters) == {"broker"}


#: The classic error and help command lines: (exit status, our one stderr line or None).
#: The classic tool printed its usage text before the error line and exited 1 for a bad
#: sort column after connecting; we print one line, and a bad column is a usage error (2).
REFUSED = "qpid-stat: error: cannot connect to {address}: connection refused"
ERROR_CASES = {
    "qpid-stat-no-command": (2, "classic"),
    "qpid-stat-ssl-key-without-cert": (2, "classic"),
    "qpid-stat-bad-option": (2, None),
    "qpid-stat-bad-limit": (2, None),
    "qpid-stat-q-sort-bad-column": (
        2,
        "qpid-stat: error: sortCol 'nosuchcol', not found in headers",
    ),
    "qpid-stat-broker-down": (1, REFUSED),
    "qpid-stat-broker-down-timeout": (1, REFUSED),
    "qpid-stat-help": (0, ""),
    "qpid-stat-help-broker-down": (0, ""),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_classic_error_command_lines(qpid_stat: Tool, closed_port: int, case: str) -> None:
    """Run against a closed port: none of these may need a broker, but the two that say so."""
    address = f"127.0.0.1:{closed_port}"
    argv = [re.sub(r"localhost:56\d\d", address, arg) for arg in classic(case)["argv"][1:]]
    outcome = qpid_stat(*argv)
    code, line = ERROR_CASES[case]
    assert outcome.code == code
    if line == "classic":
        line = classic(case)["stderr"].splitlines()[-1]
    if line is None:
        assert outcome.err.startswith("qpid-stat: error: ") and outcome.err.count("\n") == 1
    else:
        assert outcome.err == (f"{line.format(address=address)}\n" if line else "")


#: Transcripts not compared as text, and why.
NOT_COMPARED = {
    "qpid-stat-g-quiet": "broker A's counters after all the traffic runs (its history, not a "
    "state a test can set up); the -g layout is compared on the other -g transcripts",
    "qpid-stat-u-after-more-traffic": "no recording holds the subscription objects after that "
    "traffic; -u is compared on qpid-stat-u and qpid-stat-u-sort-delivered",
    "qpid-queue-stats-help": "Click's help, not optparse's",
}
QUEUE_STATS_CASES = {
    "qpid-queue-stats-bad-option": "test_queue_stats_bad_option",
    "qpid-queue-stats-broker-down": "test_queue_stats_keeps_trying_an_absent_broker",
    **dict.fromkeys(
        ("qpid-queue-stats", "qpid-queue-stats-filter", "qpid-queue-stats-filter-regex-list"),
        "test_queue_stats_transcripts_on_a_broker_set_up_alike",
    ),
}


def test_every_transcript_of_these_tools_is_accounted_for() -> None:
    from capture_files import CLASSIC_TOOLS
    from test_stat_output import CASES

    compared_alike = {case for case, *_ in ALIKE_CASES} | {"qpid-stat-q-queue-missing"}
    accounted = (
        set(CASES) | compared_alike | set(ERROR_CASES) | set(NOT_COMPARED) | set(QUEUE_STATS_CASES)
    )
    recorded = {
        path.stem for pattern in ("qpid-stat*", "qpid-queue-stats*")
        for path in CLASSIC_TOOLS.glob(f"{pattern}.json")
    }  # fmt: skip
    assert recorded == accounted


def test_durable_messages_on_a_durable_queue_count_as_persistent(
    qpid_stat: Tool, broker: Any, new_queue: Callable[..., str]
) -> None:
    from proton import Message
    from proton.utils import BlockingConnection

    address, name = str(broker.address), new_queue(unique("stat-durable"), durable=True)
    client = BlockingConnection(address, timeout=10)
    try:
        sender = client.create_sender(name)
        for durable in (True, False, True):
            sender.send(Message(body="m", durable=durable))
        receiver = client.create_receiver(name, credit=1)
        receiver.receive(timeout=10)  # the first, durable one
        receiver.accept()
    finally:
        client.close()
    statistics = json.loads(qpid_stat("-b", address, "-q", name, "--json").out)["statistics"]
    rows = {row["statistic"]: row["messages"] for row in statistics}
    assert (rows["persistent-enqueues"], rows["persistent-dequeues"]) == (2, 1)


@pytest.mark.parametrize(
    "case", ["qpid-queue-stats", "qpid-queue-stats-filter", "qpid-queue-stats-filter-regex-list"]
)
def test_queue_stats_transcripts_on_a_broker_set_up_alike(
    qpid_queue_stats: Tool,
    broker: Any,
    new_queue: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    """qs-a (empty), qs-b (100 messages) and qs-idle; in each interval 50 messages arrive on
    qs-a and 15 leave qs-b, as 10 s of the recorder's traffic did. The intervals here last
    milliseconds, so seconds and rates differ; the rows (which queues, in which order) and the
    change of depth from row to row are compared."""
    address = str(broker.address)
    prefix = f"qs{uuid.uuid4().hex[:6]}-"
    for name in ("a", "b", "idle"):
        new_queue(prefix + name)
    send_messages(address, prefix + "b", 100)

    def ten_seconds_of_traffic(_: float) -> None:
        send_messages(address, prefix + "a", 50)
        with Broker.connect(ConnectionSettings(parse_address(address))) as api:
            api.qmf.call(f"org.apache.qpid.broker:queue:{prefix}b", "purge", {"request": 15})

    monkeypatch.setattr(polling.time, "sleep", ten_seconds_of_traffic)
    argv = [arg.replace("qs-", prefix) for arg in classic(case)["argv"][1:]]
    argv = [re.sub(r"localhost:5672", address, arg) for arg in argv]
    if "-a" not in argv:  # the classic default, localhost
        argv = ["-a", address, *argv]
    theirs = classic(case)["stdout"].splitlines()
    outcome = qpid_queue_stats(*argv, "--count", "3")
    ours = outcome.out.splitlines()
    assert (outcome.code, ours[:2]) == (0, theirs[:2])

    def rows(lines: list[str], own: str) -> list[tuple[str, int]]:
        found = []
        for line in lines[2:]:
            if line:
                name, seconds, depth, *rates = line.split()
                assert float(seconds) > 0 and len(rates) == 2
                found.append(("own" if re.match(own, name) else name, int(depth)))
        return found

    def changes(found: list[tuple[str, int]]) -> dict[str, set[int]]:
        last: dict[str, int] = {}
        deltas: dict[str, set[int]] = {}
        for name, depth in found:
            if name in last and name != "own":
                deltas.setdefault(name, set()).add(depth - last[name])
            last[name] = depth
        return deltas

    our_rows = [(n.replace(prefix, "qs-"), d) for n, d in rows(ours, r"[0-9a-f-]{36}_")]
    their_rows = rows(theirs, r"qmfc-v2-ui-")
    if case == "qpid-queue-stats-filter":
        their_rows = their_rows[1:]  # a line from a queue deleted and re-created before the run
    assert [name for name, _ in our_rows][: len(their_rows)] == [name for name, _ in their_rows]
    assert changes(our_rows) == changes(their_rows)


def test_a_queue_name_without_q_is_ignored_with_a_warning(qpid_stat: Tool, broker: Any) -> None:
    outcome = qpid_stat("-b", str(broker.address), "-e", "orders")
    assert outcome.code == 0 and outcome.out.startswith("Exchanges\n")
    assert (
        outcome.err == "qpid-stat: warning: the queue name 'orders' is used only with -q; ignored\n"
    )


def test_live_view_reports_an_absent_broker(
    qpid_stat: Tool, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from qpidtools.cli import stat_show
    from qpidtools.render import Mode
    from qpidtools.render.terminal import TerminalConsole

    screen = io.StringIO()
    monkeypatch.setattr(stat_show, "mode_for", lambda inv: Mode.RICH)
    monkeypatch.setattr(stat_show, "console", lambda inv: TerminalConsole(file=screen, width=200))
    outcome = qpid_stat("-b", f"127.0.0.1:{closed_port}", "-q", "--watch", "0.1", "--count", "1")
    assert outcome.code == 0
    assert f"cannot connect to 127.0.0.1:{closed_port}" in screen.getvalue()
    assert "retrying every 0.1s" in screen.getvalue()
