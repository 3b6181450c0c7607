"""qpid-config end to end through the ``broker`` fixture (the double, or a real qpidd).

Broker state is set up with qpid-config itself; listings are compared with the classic
tool's captured output, byte for byte where the tool's own reply queue plays no part, else
row by row with the reply queues (named differently on every run and by every client) left
out.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from capture_files import classic as capture
from conftest import Outcome, Tool

from qpidtools.address import parse_address
from qpidtools.broker import Broker
from qpidtools.testing import hold_consumer, send_messages
from qpidtools.transport import ConnectionSettings

#: On an external broker (QPIDTOOLS_TEST_BROKER) its broker tests would not hold:
#: they compare listings with the transcripts and use their names.
pytestmark = pytest.mark.fresh_broker

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: Lines naming a client's reply queue: the classic ``<uuid>:0.0``, or the double's/proton's
#: ``<container>_<link>``; and the classic tool's 0-10 topic binding ``direct.<uuid>``.
REPLY_LINE = re.compile(rf"{UUID.pattern}(:0\.0|_)|direct\.{UUID.pattern}")


def without_reply_queues(text: str) -> list[str]:
    """The lines of a listing minus those about reply queues; ``Queue '<reply>'`` blocks too."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        if line.startswith("Queue '"):
            skipping = bool(REPLY_LINE.search(line))
        if not skipping and not REPLY_LINE.search(line):
            kept.append(line)
    return kept


def rows(text: str) -> list[tuple[str, str]]:
    """A queue/exchange table as (name column, attributes column) pairs, header and padding
    aside: what stays equal when the width of the name column changes."""
    lines = text.splitlines()
    start = lines[0].index("Attributes")
    return [
        (line[: start - 2].rstrip(), line[start - 1 :])
        for line in lines[2:]
        if not REPLY_LINE.search(line)
    ]


def run_case(qpid_config: Tool, address: str, case: str) -> Outcome:
    """Run a captured command line against our broker instead of the captured one."""
    argv = capture(case)["argv"][1:]
    replaced = [re.sub(r"(localhost|127\.0\.0\.1):567[0-9]", address, arg) for arg in argv]
    if replaced == argv:  # no broker on the line: the classic default, localhost
        replaced = ["-b", address, *argv]
    return qpid_config(*replaced)


def ok(outcome: Outcome) -> Outcome:
    assert (outcome.code, outcome.err) == (0, ""), outcome
    return outcome


#: The state most listing captures were taken in ("fresh broker plus: ..."), as qpid-config
#: commands, and as the create calls they make (test_populated_is_what_qpid_config_makes).
POPULATE = (
    "add queue q1 --durable --max-queue-size 100000 --limit-policy ring",
    "add queue q2",
    "add queue q3",
    "add exchange direct ex.direct --durable",
    "add exchange topic ex.topic",
    "add exchange headers ex.headers",
    "bind ex.direct q1 k1",
    "bind ex.topic q2 a.#",
    "bind ex.headers q3 h1 all foo=bar",
    "bind amq.direct q1 q1key",
)


def populate(address: str) -> None:
    """POPULATE over one connection: ten qpid-config runs cost ten connections per test."""
    with Broker.connect(ConnectionSettings(parse_address(address), timeout=10)) as api:
        api.add_queue("q1", {"durable": 1, "qpid.max_size": 100000, "qpid.policy_type": "ring"})
        api.add_queue("q2", {})
        api.add_queue("q3", {})
        api.add_exchange("direct", "ex.direct", {"durable": 1})
        api.add_exchange("topic", "ex.topic", {})
        api.add_exchange("headers", "ex.headers", {})
        api.bind("ex.direct", "q1", "k1")
        api.bind("ex.topic", "q2", "a.#")
        api.bind("ex.headers", "q3", "h1", {"x-match": "all", "foo": "bar"})
        api.bind("amq.direct", "q1", "q1key")


@pytest.fixture
def populated(broker: Any) -> str:
    """A broker in the POPULATE state; returns its address."""
    populate(broker.address)
    return str(broker.address)


def test_populated_is_what_qpid_config_makes(qpid_config: Tool, broker_pair: Any) -> None:
    by_tool, by_api = (str(b.address) for b in broker_pair)
    for command in POPULATE:
        ok(qpid_config("-b", by_tool, *command.split()))
    populate(by_api)
    for listing in (["queues", "-r"], ["exchanges", "-r"], ["exchanges"]):
        made = [ok(qpid_config("-b", address, *listing)).out for address in (by_tool, by_api)]
        assert without_reply_queues(made[0]) == without_reply_queues(made[1]), listing
    assert rows(ok(qpid_config("-b", by_tool, "queues")).out) == rows(
        ok(qpid_config("-b", by_api, "queues")).out
    )


# -- listings against the captures ---------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        "qpid-config-queues-filter-match",
        "qpid-config-queues-filter-substring",
        "qpid-config-amqp-url",
        "qpid-config-broker-addr-option",
        "qpid-config-user-pass-url",
        "qpid-config-error-timeout-option",
        "qpid-config-exchanges",
        "qpid-config-exchanges-ignore-default",
        "qpid-config-exchanges-filter-match",
        "qpid-config-exchanges-r-filter",
        "qpid-config-queues-r-filter",
        "qpid-config-overview",
        "qpid-config-list-exchange",
        "qpid-config-list-exchange-show-bad-property",
        "qpid-config-list-nosuchclass",
        "qpid-config-log",
    ],
)
def test_listing_is_the_classic_text(qpid_config: Tool, populated: str, case: str) -> None:
    if case == "qpid-config-error-timeout-option":
        ok(qpid_config("-b", populated, "add", "queue", "exists-q"))
    if case == "qpid-config-log":  # recorded with --log-enable info+; qpidd's default differs
        ok(qpid_config("-b", populated, "log", "info+"))
    outcome = run_case(qpid_config, populated, case)
    assert (outcome.code, outcome.out) == (capture(case)["exit_code"], capture(case)["stdout"])


@pytest.mark.parametrize(
    "case",
    [
        "qpid-config-exchanges-r",
        "qpid-config-exchanges-r-ignore-default",
        "qpid-config-queues-r",
        "qpid-config-queues-r-ignore-default",
    ],
)
def test_recursive_listing_apart_from_reply_queues(
    qpid_config: Tool, populated: str, case: str
) -> None:
    outcome = ok(run_case(qpid_config, populated, case))
    assert without_reply_queues(outcome.out) == without_reply_queues(capture(case)["stdout"])


@pytest.mark.parametrize("case", ["qpid-config-queues", "qpid-config-default-broker-no-b"])
def test_queue_rows_apart_from_reply_queues(qpid_config: Tool, populated: str, case: str) -> None:
    outcome = ok(run_case(qpid_config, populated, case))
    assert rows(outcome.out) == rows(capture(case)["stdout"])
    header, rule = outcome.out.splitlines()[:2]
    width = header.index("Attributes") - 2
    assert rule == "=" * (5 * (width // 5 + 5))


def test_filter_matching_nothing_exits_1_silently(qpid_config: Tool, populated: str) -> None:
    assert qpid_config("-b", populated, "queues", "nomatch") == Outcome(1, "", "")
    assert qpid_config("-b", populated, "exchanges", "nomatch") == Outcome(1, "", "")
    assert qpid_config("-b", populated, "queues", "-r", "nomatch") == Outcome(0, "", "")
    assert qpid_config("-b", populated, "exchanges", "nomatch", "-r") == Outcome(0, "", "")


# -- add -----------------------------------------------------------------------------------

ADD_QUEUE_CASES = [
    "qpid-config-add-queue-plain",
    "qpid-config-add-queue-options",
    "qpid-config-add-queue-ring",
    "qpid-config-add-queue-ring-strict",
    "qpid-config-add-queue-none-policy",
    "qpid-config-add-queue-lvq-flow",
    "qpid-config-add-queue-groups",
    "qpid-config-add-queue-group-not-shared",
    "qpid-config-add-queue-lvq-and-groups",
    "qpid-config-add-queue-linearstore",
    "qpid-config-add-queue-store-opts-without-durable",
    "qpid-config-add-queue-arguments",
    "qpid-config-add-queue-argument-typo",
]
ADD_EXCHANGE_CASES = [
    "qpid-config-add-exchange-direct",
    "qpid-config-add-exchange-fanout",
    "qpid-config-add-exchange-headers",
    "qpid-config-add-exchange-topic",
    "qpid-config-add-exchange-argument",
    "qpid-config-add-exchange-bogus-type",
    "qpid-config-add-exchange-xml",
]


def broker_error(case: str) -> str:
    """The broker's error text in a classic ``Failed: ...`` line, without the source location."""
    match = re.search(r"u'error_text': '(.*)'\}", capture(case)["stdout"])
    assert match, case
    return re.sub(r" \([^()]*\.cpp:\d+\)$", "", match[1])


def test_add_cases_reproduce_the_captured_state(qpid_config: Tool, broker: Any) -> None:
    address = str(broker.address)
    for case in ADD_QUEUE_CASES + ADD_EXCHANGE_CASES:
        outcome = run_case(qpid_config, address, case)
        assert outcome.code == capture(case)["exit_code"], (case, outcome)
        if outcome.code:
            assert outcome.err == f"qpid-config: error: {broker_error(case)}\n", case
    queues = ok(qpid_config("-b", address, "queues"))
    assert rows(queues.out) == rows(capture("qpid-config-queues-after-adds")["stdout"])
    exchanges = ok(qpid_config("-b", address, "exchanges"))
    assert exchanges.out == capture("qpid-config-exchanges-after-adds")["stdout"]
    filtered = ok(qpid_config("-b", address, "exchanges", "ax-"))
    assert filtered.out == capture("qpid-config-exchanges-after-adds-filter")["stdout"]
    generic = run_case(qpid_config, address, "qpid-config-add-generic-topic")
    assert ok(generic)
    topics = ok(qpid_config("-b", address, "list", "topic"))
    assert topics.out == capture("qpid-config-list-topic")["stdout"]
    ok(run_case(qpid_config, address, "qpid-config-del-generic-topic"))
    assert ok(qpid_config("-b", address, "list", "topic")).out == "Objects of type 'topic'\n"


def test_silently_ignored_options_are_warned_about(qpid_config: Tool, broker: Any) -> None:
    outcome = qpid_config(
        "-b", broker.address, "add", "queue", "rs", "--limit-policy", "ring-strict"
    )
    assert outcome.code == 0
    assert "warning: --limit-policy ring-strict is not supported" in outcome.err
    outcome = qpid_config("-b", broker.address, "add", "queue", "nd", "--file-count", "8")
    assert outcome.code == 0
    assert "warning: --file-count: store options apply to durable queues only" in outcome.err
    outcome = qpid_config("--force", "-b", broker.address, "queues", "nd")
    assert outcome.code == 0
    assert (
        outcome.err == "qpid-config: warning: --force does not apply to 'queues' and was ignored\n"
    )
    listed = ok(qpid_config("-b", broker.address, "queues", "rs"))
    assert listed.out.splitlines()[2] == "rs          "


def test_options_before_and_after_the_command_words(qpid_config: Tool, broker: Any) -> None:
    ok(qpid_config("--durable", "add", "queue", "-b", broker.address, "dq", "--max-queue-count=5"))
    ok(
        qpid_config(
            "add", "--argument", "x=1", "queue", "aq", "--argument", "y", "-b", broker.address
        )
    )
    listed = ok(qpid_config("queues", "q", "-b", broker.address))
    assert listed.out.splitlines()[2:] == [
        "aq          --argument y=None --argument x=1",
        "dq          --durable --max-queue-count=5 ",
    ]


def test_existing_objects_and_missing_alternate(qpid_config: Tool, broker: Any) -> None:
    ok(qpid_config("-b", broker.address, "add", "queue", "exists-q"))
    assert qpid_config("-b", broker.address, "add", "queue", "exists-q") == Outcome(
        1, "", "qpid-config: error: object already exists: exists-q\n"
    )
    outcome = qpid_config("-b", broker.address, "add", "exchange", "direct", "amq.direct")
    assert outcome.err == "qpid-config: error: object already exists: amq.direct\n"
    outcome = qpid_config("-b", broker.address, "add", "queue", "x", "--alternate-exchange", "nope")
    assert (outcome.code, outcome.err) == (
        1,
        "qpid-config: error: not-found: Exchange not found: nope\n",
    )


# -- bind and unbind -----------------------------------------------------------------------


@pytest.fixture
def bind_state(broker: Any, qpid_config: Tool) -> str:
    address = str(broker.address)
    ok(qpid_config("-b", address, "add", "queue", "bq"))
    for kind in ("direct", "topic", "fanout", "headers"):
        ok(qpid_config("-b", address, "add", "exchange", kind, f"bx.{kind}"))
    return address


def test_bind_and_unbind_as_captured(qpid_config: Tool, bind_state: str) -> None:
    for case in (
        "qpid-config-bind-direct",
        "qpid-config-bind-direct-again",
        "qpid-config-bind-topic",
        "qpid-config-bind-fanout-nokey",
        "qpid-config-bind-headers-all",
        "qpid-config-bind-headers-any",
    ):
        ok(run_case(qpid_config, bind_state, case))
    for case in ("qpid-config-bind-missing-exchange", "qpid-config-bind-missing-queue"):
        outcome = run_case(qpid_config, bind_state, case)
        assert (outcome.code, outcome.err) == (1, f"qpid-config: error: {broker_error(case)}\n")
    for case in ("qpid-config-exchanges-r-after-binds", "qpid-config-queues-r-after-binds"):
        outcome = ok(run_case(qpid_config, bind_state, case))
        assert without_reply_queues(outcome.out) == without_reply_queues(capture(case)["stdout"])
    for case in (
        "qpid-config-unbind-direct",
        "qpid-config-unbind-direct-again",
        "qpid-config-unbind-headers",
    ):
        ok(run_case(qpid_config, bind_state, case))
    outcome = run_case(qpid_config, bind_state, "qpid-config-unbind-missing-exchange")
    assert outcome.code == 1
    after = ok(run_case(qpid_config, bind_state, "qpid-config-exchanges-r-after-unbinds"))
    assert after.out == capture("qpid-config-exchanges-r-after-unbinds")["stdout"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bind", "bx.headers", "bq", "h4", "some", "a=b"], "needs 'all' or 'any'"),
        (["bind", "bx.headers", "bq", "h5", "all"], "needs conditions K=V after 'all'"),
        (["bind", "bx.headers", "bq", "h6", "any", "novalue"], "must be K=V, not 'novalue'"),
        (["bind", "bx.direct", "bq", "a/b"], "contains '/'"),
        (["bind", "", "bq", "k"], "default exchange"),
        (["bind", "bx.direct"], "Missing argument 'QUEUE'"),
        (["bind", "bx.xml", "q", "-f", "/nonexistent/file.xq"], "cannot read the XQuery file"),
    ],
)
def test_bind_usage_errors_need_no_broker(qpid_config: Tool, argv: list[str], message: str) -> None:
    outcome = qpid_config("-b", "127.0.0.1:1", *argv)
    assert outcome.code == 2
    assert message in outcome.err
    assert outcome.err.count("\n") == 1


def test_headers_binding_needs_conditions(qpid_config: Tool, bind_state: str) -> None:
    outcome = qpid_config("-b", bind_state, "bind", "bx.headers", "bq", "h3")
    assert outcome.code == 2
    assert "headers exchange 'bx.headers' needs 'all' or 'any'" in outcome.err
    outcome = qpid_config("-b", bind_state, "bind", "bx.direct", "bq", "k", "all", "a=b")
    assert outcome.code == 0
    assert "ignored for direct" in outcome.err


# -- delete --------------------------------------------------------------------------------


def test_delete_queue_is_safe_by_default(qpid_config: Tool, broker: Any) -> None:
    address = str(broker.address)
    for name in ("dq", "dq-empty", "dq-used"):
        ok(qpid_config("-b", address, "add", "queue", name))
    send_messages(address, "dq", 2)
    ok(qpid_config("-b", address, "del", "queue", "dq-empty"))
    outcome = qpid_config("-b", address, "del", "queue", "dq")
    assert outcome == Outcome(
        1, "", "qpid-config: error: precondition-failed: Cannot delete queue dq; queue not empty\n"
    )
    ok(qpid_config("-b", address, "del", "queue", "dq", "--force"))
    outcome = qpid_config("-b", address, "del", "queue", "dq")
    assert outcome.err == "qpid-config: error: not-found: Delete failed. No such queue: dq\n"
    with hold_consumer(address, "dq-used"):
        outcome = qpid_config("-b", address, "del", "queue", "dq-used", "--force-if-not-empty")
        assert "queue in use" in outcome.err
        ok(qpid_config("-b", address, "del", "queue", "dq-used", "--force-if-used"))
    assert qpid_config("-b", address, "queues", "dq").code == 1


def test_delete_exchange(qpid_config: Tool, broker: Any) -> None:
    address = str(broker.address)
    ok(qpid_config("-b", address, "add", "exchange", "fanout", "dae"))
    ok(qpid_config("-b", address, "add", "queue", "dq-ae", "--alternate-exchange", "dae"))
    outcome = qpid_config("-b", address, "del", "exchange", "dae")
    assert (outcome.code, outcome.err) == (
        1,
        "qpid-config: error: not-allowed: Cannot delete dae, in use as alternate-exchange.\n",
    )
    ok(qpid_config("-b", address, "add", "exchange", "direct", "dx"))
    ok(qpid_config("-b", address, "del", "exchange", "dx"))
    outcome = qpid_config("-b", address, "del", "exchange", "dx")
    assert outcome.err == "qpid-config: error: not-found: Exchange not found: dx\n"


# -- start-replica, log, reload-acl, shutdown ----------------------------------------------


def test_start_replica(qpid_config: Tool, broker_pair: Any) -> None:
    a, b = broker_pair
    ok(qpid_config("-b", a.address, "add", "queue", "myqueue"))
    ok(
        qpid_config(
            f"--broker={b.address}", "add", "queue", "--start-replica", a.address, "myqueue"
        )
    )
    listed = ok(qpid_config("-b", b.address, "queues", "myqueue"))
    assert listed.out.splitlines()[2].startswith("myqueue ")


def test_failed_start_replica_leaves_no_queue(qpid_config: Tool, broker_no_ha: Any) -> None:
    outcome = qpid_config(
        "-b", broker_no_ha.address, "add", "queue", "repq", "--start-replica", "127.0.0.1:1"
    )
    assert outcome.code == 1
    assert outcome.err.startswith("qpid-config: error: HA module is not loaded on broker at")
    assert "(queue 'repq' was not kept)" in outcome.err
    assert qpid_config("-b", broker_no_ha.address, "queues", "repq").code == 1


def test_log_level(qpid_config: Tool, broker: Any) -> None:
    ok(qpid_config("-b", broker.address, "log", "info+,debug+:Broker"))
    assert ok(qpid_config("log", "-b", broker.address)).out == "Log level: info+,debug+:Broker\n"
    ok(qpid_config("-b", broker.address, "log", "info+"))
    outcome = qpid_config("-b", broker.address, "log", "bogus")
    assert (outcome.code, outcome.err) == (1, "qpid-config: error: Invalid log level name: bogus\n")


def test_reload_acl_without_acl_file(qpid_config: Tool, broker: Any) -> None:
    outcome = qpid_config("-b", broker.address, "reload-acl")
    assert outcome.code == 1
    assert outcome.err == 'qpid-config: error: Unable to open ACL file "": eof=F; fail=T; bad=F\n'


def test_shutdown_then_broker_is_gone(qpid_config: Tool, broker_no_ha: Any) -> None:
    ok(qpid_config("-b", broker_no_ha.address, "shutdown"))
    outcome = qpid_config("-b", broker_no_ha.address, "-t", "2", "queues")
    assert outcome.code == 1
    assert outcome.err.startswith("qpid-config: error:")


# -- usage errors: found before connecting ---------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "queue"], "Missing argument 'NAME'"),
        (["add", "exchange", "direct"], "Missing argument 'NAME'"),
        (["del", "queue"], "Missing argument 'NAME'"),
        (["add"], "Missing command"),
        (["list"], "Missing argument 'TYPE'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["add", "queue", "x", "--max-queue-size", "big"], "'big' is not a valid integer"),
        (["add", "queue", "x", "--max-queue-size", "-5"], "--max-queue-size"),
        (["add", "queue", "x", "--limit-policy", "drop"], "'drop' is not one of"),
        (["add", "queue", "x", "--replicate", "sometimes"], "'sometimes' is not one of"),
        (["--no-such-option", "queues"], "No such option '--no-such-option'"),
        (["exchanges", "-b"], "'-b' requires an argument"),
        (["--ssl-key", "client-key.pem", "queues"], "missing '--ssl-certificate'"),
        (["add", "queue", "x", "--argument", "=5"], "the property name is missing"),
        (["log", "a", "b"], "unexpected extra argument"),
        (["-b", "host:notaport", "queues"], "invalid"),
        (["-b", "amqpx://host", "queues"], "unknown scheme"),
    ],
)
def test_usage_errors_exit_2_without_a_broker(
    qpid_config: Tool, argv: list[str], message: str
) -> None:
    outcome = qpid_config(*(["-b", "127.0.0.1:1"] if "-b" not in argv else []), *argv)
    assert outcome.code == 2, outcome
    assert outcome.err.startswith("qpid-config: error: ")
    assert outcome.err.count("\n") == 1
    assert message in outcome.err
    assert outcome.out == ""


def test_broker_down_is_exit_1(qpid_config: Tool, closed_port: int) -> None:
    outcome = qpid_config("-b", f"127.0.0.1:{closed_port}", "add", "queue", "x")
    assert outcome.code == 1
    assert (
        outcome.err
        == f"qpid-config: error: cannot connect to 127.0.0.1:{closed_port}: connection refused\n"
    )


def test_password_is_never_printed(qpid_config: Tool) -> None:
    for argv in (
        ["-b", "admin/s3cret@127.0.0.1:1", "queues"],
        ["-b", "amqp://admin:s3cret@127.0.0.1:1", "queues"],
        ["-b", "admin/s3cret@127.0.0.1:notaport", "queues"],
        ["-a", "admin/s3cret@[::1", "queues"],
    ):
        outcome = qpid_config("-t", "2", *argv)
        assert outcome.code in (1, 2)
        assert "s3cret" not in outcome.out + outcome.err


def test_timeout_is_honoured(qpid_config: Tool, silent_port: int) -> None:
    started = time.monotonic()
    outcome = qpid_config("-t", "1", "-b", f"127.0.0.1:{silent_port}", "queues")
    elapsed = time.monotonic() - started
    assert outcome.code == 1
    assert outcome.err.startswith("qpid-config: error: timed out after 1 s waiting for the broker")
    assert elapsed < 4


def test_help_everywhere_without_a_broker(qpid_config: Tool) -> None:
    root = qpid_config("-b", "127.0.0.1:1", "--help")
    assert root.code == 0
    assert "qpid-config [OPTIONS] bind   <exchange-name> <queue-name> [binding-key]" in root.out
    for argv in (
        ["queues"],
        ["exchanges"],
        ["add"],
        ["add", "queue"],
        ["add", "exchange"],
        ["del", "queue"],
        ["bind"],
        ["unbind"],
        ["list"],
        ["log"],
        ["reload-acl"],
        ["shutdown"],
    ):
        outcome = qpid_config(*argv, "-h")
        assert outcome.code == 0, argv
        assert outcome.out.startswith("Usage: qpid-config")
    assert "--max-queue-size" in qpid_config("add", "queue", "--help").out
    assert "--max-queue-size" not in qpid_config("queues", "--help").out


# -- other output modes ----------------------------------------------------------------------


def test_json_documents(qpid_config: Tool, populated: str) -> None:
    queues = json.loads(ok(qpid_config("-b", populated, "queues", "q1", "--json")).out)
    (q1,) = queues["queues"]
    assert q1["name"] == "q1"
    assert q1["durable"] is True
    assert q1["options"] == {"durable": True, "max-queue-size": 100000, "limit-policy": "ring"}
    assert q1["arguments"]["qpid.max_size"] == 100000
    assert isinstance(q1["statistics"]["msgDepth"], int)
    nomatch = qpid_config("-b", populated, "--json", "queues", "nomatch")
    assert (nomatch.code, json.loads(nomatch.out)) == (1, {"queues": []})
    recursive = json.loads(ok(qpid_config("-b", populated, "--json", "exchanges", "-r", "ex.")).out)
    headers = {e["name"]: e for e in recursive["exchanges"]}["ex.headers"]
    assert headers["bindings"] == [
        {"queue": "q3", "key": "h1", "arguments": {"x-match": "all", "foo": "bar"}}
    ]
    overview = json.loads(ok(qpid_config("-b", populated, "--json")).out)
    assert overview["exchanges"]["total"] == 12
    assert overview["queues"]["durable"] == 1
    listed = json.loads(ok(qpid_config("-b", populated, "--json", "list", "exchange")).out)
    assert listed["properties"] == ["name", "type", "durable"]
    assert {"name": "amq.direct", "type": "direct", "durable": True} in listed["objects"]
    ok(qpid_config("-b", populated, "log", "warning+"))
    assert json.loads(ok(qpid_config("-b", populated, "log", "--json")).out) == {
        "level": "warning+"
    }
    missing = qpid_config("-b", populated, "--json", "list", "queue", "--show-property", "nosuch")
    assert "no such property 'nosuch'" in missing.err
    assert json.loads(missing.out)["missing"] == ["nosuch"]


def test_rich_tables_on_a_terminal(
    qpid_config: Tool, populated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    outcome = ok(qpid_config("-b", populated, "queues", "q", "--no-color"))
    assert "q1" in outcome.out
    assert "--max-queue-size=100000" in outcome.out
    assert "\x1b[" not in outcome.out
    assert "━" in outcome.out or "─" in outcome.out
    exchanges = ok(qpid_config("-b", populated, "--no-color", "exchanges", "ex."))
    assert "ex.direct" in exchanges.out and "--durable" in exchanges.out
    for argv in (["exchanges", "-r"], ["queues", "-r"], [], ["list", "binding"], ["log"]):
        assert ok(qpid_config("-b", populated, "--no-color", *argv)).out


def test_plain_rendering_of_many_queues_is_fast() -> None:
    from qpidtools.model import Queue
    from qpidtools.render import classic

    queues = [
        Queue(f"queue-{i:05}", durable=bool(i % 2), arguments={"qpid.max_size": i, "x": "y"})
        for i in range(10_000)
    ]
    started = time.monotonic()
    lines = classic.queues(queues)
    assert time.monotonic() - started < 1.0
    assert len(lines) == 10_002
