"""qpid-ha's output against the classic tool's captures, and its JSON and Rich forms.

The HA broker objects are built from the captured classic output itself, so each test is a
round trip: what the classic tool printed for a broker, we print for the same broker. The
broker is faked at the one seam the CLI fetches through (``ha_broker_at``), so every command
line still runs through the real parser, the real parallel ``--all`` and the real renderer.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import pytest
from capture_files import qpid_ha_copy as capture

from qpidtools import broker as broker_module
from qpidtools.errors import ConnectError, HaNotLoadedError, QpidToolsError
from qpidtools.model import HaBroker
from qpidtools.transport import ConnectionSettings

CLASSIC_REFUSED = "[Errno 111] Connection refused"
LABELS = {
    "Status:": "status",
    "Broker ID:": "system_id",
    "Brokers URL:": "brokers_url",
    "Public URL:": "public_url",
    "Replicate:": "replicate_default",
}
CLUSTER_URL = "amqp:tcp:127.0.0.1:5681,tcp:127.0.0.1:5682,tcp:127.0.0.1:5683"

Cluster = dict[str, HaBroker | QpidToolsError]


def ours(classic_stdout: str) -> str:
    """The classic text with the classic connection error replaced by ours."""
    lines = []
    for line in classic_stdout.splitlines(keepends=True):
        address, _, rest = line.partition(" ")
        if rest.startswith(CLASSIC_REFUSED):
            line = f"{address} error: {refused(address)}\n"
        lines.append(line)
    return "".join(lines)


def refused(address: str) -> ConnectError:
    return ConnectError(f"cannot connect to {address}: connection refused")


def brokers_from_query(stdout: str) -> Cluster:
    """The brokers a classic ``query [--all]`` output describes, by address."""
    found: Cluster = {}
    for block in stdout.strip("\n").split("\n\n"):
        fields = {}
        for line in block.splitlines():
            address, _, rest = line.partition(" ")
            if rest.startswith(CLASSIC_REFUSED):
                found[address] = refused(address)
            else:
                label, value = line[:20].strip(), line[21:]
                fields["address" if label == "Address:" else LABELS[label]] = value
        if fields:
            address = fields.pop("address", "127.0.0.1:5672")
            found[address] = HaBroker(**fields)
    return found


def cluster_of(statuses: dict[str, str | None]) -> Cluster:
    """A cluster on the captures' ports: status per address, ``None`` for a dead broker."""
    return {
        address: refused(address)
        if status is None
        else HaBroker(status, f"id-{address}", CLUSTER_URL, CLUSTER_URL, "none")
        for address, status in statuses.items()
    }


@pytest.fixture
def brokers(monkeypatch: pytest.MonkeyPatch) -> Callable[[Cluster], None]:
    """Install fake brokers: ``brokers({"127.0.0.1:5681": HaBroker(...) or error})``."""

    def install(cluster: Cluster) -> None:
        def fetch(settings: ConnectionSettings) -> HaBroker:
            found = cluster.get(settings.address.host_port) or refused(settings.address.host_port)
            if isinstance(found, QpidToolsError):
                raise found
            return found

        monkeypatch.setattr(broker_module, "ha_broker_at", fetch)

    return install


def argv(case: str) -> list[str]:
    """The captured command line, with ``localhost`` as 127.0.0.1 (our fake's keys)."""
    return [arg.replace("localhost", "127.0.0.1") for arg in capture(case)["argv"][1:]]


# -- plain output, compared with the classic tool ---------------------------------------------

QUERY_CASES = [
    "query",
    "query-all-standalone",
    "cluster-query",
    "cluster-query-joining",
    "cluster-query-after-failover",
    "cluster-query-all",
    "cluster-query-all-primary-dead",
]


@pytest.mark.parametrize("case", QUERY_CASES)
def test_query_prints_what_the_classic_tool_printed(
    case: str, brokers: Callable[[Cluster], None], qpid_ha: Any
) -> None:
    classic = capture(case)
    found = brokers_from_query(classic["stdout"])
    args = argv(case)
    target = args[args.index("-b") + 1]
    if target not in found:  # a single-broker capture: the fake answers for -b
        found = {target: next(iter(found.values()))}
    brokers(found)
    result = qpid_ha(*args)
    assert (result.code, result.out, result.err) == (0, ours(classic["stdout"]), "")


STATUS_CASES = {
    "status": {"127.0.0.1:5672": "standalone"},
    "status-all-standalone": {"127.0.0.1:5672": "standalone"},
    "cluster-status-joining": {"127.0.0.1:5681": "joining"},
    "cluster-status-primary": {"127.0.0.1:5681": "active"},
    "cluster-status-backup": {"127.0.0.1:5682": "ready"},
    "cluster-status-new-primary-right-after-promote": {"127.0.0.1:5682": "recovering"},
    "cluster-status-all": {
        "127.0.0.1:5681": "active",
        "127.0.0.1:5682": "ready",
        "127.0.0.1:5683": "ready",
    },
    "cluster-status-all-from-backup": {
        "127.0.0.1:5681": "active",
        "127.0.0.1:5682": "ready",
        "127.0.0.1:5683": "ready",
    },
    "cluster-status-all-joining": dict.fromkeys(
        ("127.0.0.1:5681", "127.0.0.1:5682", "127.0.0.1:5683"), "joining"
    ),
    "cluster-status-all-primary-dead": {
        "127.0.0.1:5681": None,
        "127.0.0.1:5682": "ready",
        "127.0.0.1:5683": "ready",
    },
    "cluster-status-all-after-failover": {
        "127.0.0.1:5681": None,
        "127.0.0.1:5682": "active",
        "127.0.0.1:5683": "ready",
    },
    "cluster-status-all-after-second-promote": {
        "127.0.0.1:5681": None,
        "127.0.0.1:5682": "active",
        "127.0.0.1:5683": "active",
    },
}


@pytest.mark.parametrize("case", sorted(STATUS_CASES))
def test_status_prints_what_the_classic_tool_printed(
    case: str, brokers: Callable[[Cluster], None], qpid_ha: Any
) -> None:
    statuses = STATUS_CASES[case]
    cluster = cluster_of(statuses)
    if len(statuses) == 1:  # a standalone broker, or one asked without --all
        ((address, status),) = statuses.items()
        url = CLUSTER_URL if address.endswith(("5681", "5682", "5683")) else ""
        cluster = {address: HaBroker(status or "", "id", url, url, "none")}
    brokers(cluster)
    classic = capture(case)
    result = qpid_ha(*argv(case))
    assert (result.code, result.out, result.err) == (0, ours(classic["stdout"]), "")


CHECK_CASES = [
    "status-expect-primary",
    "status-expect-standalone",
    "status-is-primary",
    "cluster-status-expect-ready",
    "cluster-status-is-primary-on-backup",
    "cluster-status-is-primary-on-primary",
]


@pytest.mark.parametrize("case", CHECK_CASES)
def test_checks_are_silent_and_exit_as_classic(
    case: str, brokers: Callable[[Cluster], None], qpid_ha: Any
) -> None:
    """``--expect``/``--is-primary`` print nothing, except that ``primary`` now means primary."""
    classic = capture(case)
    state = {"5672": "standalone", "5681": "active", "5682": "ready"}
    brokers(cluster_of({f"127.0.0.1:{port}": status for port, status in state.items()}))
    result = qpid_ha(*argv(case))
    assert (result.code, result.out, result.err) == (classic["exit_code"], "", "")


@pytest.mark.parametrize(
    ("status", "primary"),
    [
        ("joining", False),
        ("catchup", False),
        ("ready", False),
        ("recovering", True),
        ("active", True),
        ("standalone", False),
    ],
)
def test_is_primary_and_expect_primary_agree(
    status: str, primary: bool, brokers: Callable[[Cluster], None], qpid_ha: Any
) -> None:
    brokers(cluster_of({"127.0.0.1:5681": status}))
    expected = 0 if primary else 1
    assert qpid_ha("status", "--is-primary", "-b", "127.0.0.1:5681").code == expected
    assert qpid_ha("-b", "127.0.0.1:5681", "status", "--expect=primary").code == expected
    assert qpid_ha("status", "--expect", status, "-b", "127.0.0.1:5681").code == 0
    both = qpid_ha("status", "--expect", status, "--is-primary", "-b", "127.0.0.1:5681")
    assert both.code == expected


def test_all_with_a_check_looks_at_the_named_broker_only(
    brokers: Callable[[Cluster], None], qpid_ha: Any
) -> None:
    brokers(cluster_of({"127.0.0.1:5681": None, "127.0.0.1:5682": "active"}))
    result = qpid_ha("status", "--all", "--is-primary", "-b", "127.0.0.1:5682")
    assert (result.code, result.out, result.err) == (0, "", "")


def test_no_ha_module_is_one_line_and_exit_1(
    brokers: Callable[[Cluster], None], qpid_ha: Any
) -> None:
    brokers({"127.0.0.1:5674": HaNotLoadedError("127.0.0.1:5674")})
    for command in ("status", "query", "status --all", "status --is-primary"):
        result = qpid_ha(*command.split(), "-b", "127.0.0.1:5674")
        assert result.code == 1 and result.out == ""
        assert result.err == "qpid-ha: error: HA module is not loaded on broker at 127.0.0.1:5674\n"


def test_a_member_without_ha_is_an_error_line(
    brokers: Callable[[Cluster], None], qpid_ha: Any
) -> None:
    cluster = cluster_of({"127.0.0.1:5681": "active", "127.0.0.1:5682": "ready"})
    cluster["127.0.0.1:5683"] = HaNotLoadedError("127.0.0.1:5683")
    brokers(cluster)
    result = qpid_ha("status", "--all", "-b", "127.0.0.1:5681")
    assert result.code == 0
    assert result.out.splitlines() == [
        "127.0.0.1:5681 active",
        "127.0.0.1:5682 ready",
        "127.0.0.1:5683 error: HA module is not loaded on broker at 127.0.0.1:5683",
    ]


# -- JSON -------------------------------------------------------------------------------------


def test_status_json(brokers: Callable[[Cluster], None], qpid_ha: Any) -> None:
    brokers(cluster_of({"127.0.0.1:5681": "active"}))
    result = qpid_ha("status", "--json", "-b", "127.0.0.1:5681")
    assert json.loads(result.out) == {"address": "127.0.0.1:5681", "status": "active"}


def test_status_all_json_has_one_entry_per_broker(
    brokers: Callable[[Cluster], None], qpid_ha: Any
) -> None:
    brokers(
        cluster_of({"127.0.0.1:5681": None, "127.0.0.1:5682": "active", "127.0.0.1:5683": "ready"})
    )
    result = qpid_ha("--json", "status", "--all", "-b", "127.0.0.1:5682")
    assert json.loads(result.out) == {
        "brokers": [
            {"address": "127.0.0.1:5681", "error": str(refused("127.0.0.1:5681"))},
            {"address": "127.0.0.1:5682", "status": "active"},
            {"address": "127.0.0.1:5683", "status": "ready"},
        ]
    }


def test_query_json(brokers: Callable[[Cluster], None], qpid_ha: Any) -> None:
    brokers(brokers_from_query(capture("query")["stdout"]))
    document = json.loads(qpid_ha("query", "-b", "127.0.0.1:5672", "--json").out)
    assert document == {
        "address": "127.0.0.1:5672",
        "status": "standalone",
        "system_id": "9180fa42-e76c-430e-9ba0-ceb5f7fe73cf",
        "brokers_url": "",
        "public_url": "",
        "replicate_default": "none",
        "members": [],
    }


def test_query_all_json_on_a_standalone_broker_lists_it(
    brokers: Callable[[Cluster], None], qpid_ha: Any
) -> None:
    brokers(brokers_from_query(capture("query")["stdout"]))
    document = json.loads(qpid_ha("query", "--all", "-b", "127.0.0.1:5672", "--json").out)
    assert [entry["address"] for entry in document["brokers"]] == ["127.0.0.1:5672"]
    assert document["brokers"][0]["status"] == "standalone"


def test_query_all_json_keeps_the_keys_of_query(
    brokers: Callable[[Cluster], None], qpid_ha: Any
) -> None:
    brokers(brokers_from_query(capture("cluster-query-all-primary-dead")["stdout"]))
    document = json.loads(qpid_ha("query", "--all", "--json", "-b", "127.0.0.1:5682").out)
    dead, *alive = document["brokers"]
    assert set(dead) == {"address", "error"}
    for entry in alive:
        assert set(entry) == {"address", *LABELS.values(), "members"}


# -- Rich -------------------------------------------------------------------------------------


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Captured stdout claims to be a terminal: Rich output.

    The class is patched because capsys swaps its stream in only when the test itself runs.
    """
    monkeypatch.setattr(type(sys.stdout), "isatty", lambda self: True)


@pytest.mark.usefixtures("terminal")
def test_rich_status_and_query(brokers: Callable[[Cluster], None], qpid_ha: Any) -> None:
    brokers(
        cluster_of({"127.0.0.1:5681": None, "127.0.0.1:5682": "active", "127.0.0.1:5683": "ready"})
    )
    single = qpid_ha("status", "-b", "127.0.0.1:5682", "--no-color")
    assert "active" in single.out and "127.0.0.1" not in single.out
    table = qpid_ha("status", "--all", "-b", "127.0.0.1:5682", "--no-color")
    assert table.code == 0 and "Address" in table.out and "connection refused" in table.out
    panels = qpid_ha("query", "--all", "-b", "127.0.0.1:5682", "--no-color")
    assert panels.code == 0 and "╭" in panels.out
    for text in ("127.0.0.1:5683", "Brokers URL:", CLUSTER_URL, "connection refused"):
        assert text in panels.out


@pytest.mark.usefixtures("terminal")
def test_rich_query_lists_members(brokers: Callable[[Cluster], None], qpid_ha: Any) -> None:
    from qpidtools.model import HaMember

    member = HaMember("id-2", "127.0.0.1", 5682, "tcp", "ready")
    primary = HaBroker("active", "id-1", CLUSTER_URL, CLUSTER_URL, "all", (member,))
    brokers({"127.0.0.1:5681": primary})
    result = qpid_ha("query", "-b", "127.0.0.1:5681")
    assert "Members" in result.out and "127.0.0.1:5682" in result.out and "id-2" in result.out
