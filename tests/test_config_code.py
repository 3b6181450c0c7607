"""qpid-config export, apply and the --if-exists/--if-not-exists forms, end to end through the
broker fixtures (the double, or a real qpidd when one is configured).

Tests on the shared ``broker`` use names of their own, so that they hold on a broker that
already has other objects; those that prune or compare whole exports use brokers they start.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Outcome, Tool

from qpidtools.address import parse_address
from qpidtools.broker import Broker
from qpidtools.config_plan import plan
from qpidtools.configuration import Configuration, CurrentConfiguration, exported
from qpidtools.testing import send_messages, wait_for
from qpidtools.transport import ConnectionSettings

#: Every kind of setting export must carry: options of each kind, plain arguments, alternate
#: exchanges (one an alternate of another), headers and empty-key bindings.
POPULATE = (
    "add exchange fanout rt.spill --durable",
    "add exchange topic rt.news --durable --alternate-exchange rt.spill --sequence",
    "add exchange headers rt.match --argument x-custom=7",
    "add queue rt.orders --durable --max-queue-size 100000 --limit-policy ring "
    "--argument qpid.priorities=10",
    "add queue rt.lvq --lvq-key item --alternate-exchange rt.news",
    "add queue rt.groups --group-header g --shared-groups --max-queue-count 50",
    "add queue rt.plain",
    "bind rt.news rt.orders sport.#",
    "bind rt.spill rt.plain",
    "bind rt.match rt.groups h1 all colour=red size=big",
    "bind amq.direct rt.lvq lvq-key",
)


#: On an external broker (QPIDTOOLS_TEST_BROKER) these would not be safe: the ``address``
#: fixture deletes whatever matches OWN_NAMES, which may be someone else's objects there.
pytestmark = pytest.mark.fresh_broker

#: Names of the objects the tests on the shared ``broker`` make (glob patterns).
OWN_NAMES = ("dr.*", "full.*", "ref.*", "pw.*", "js.*", "ine.*", "ie.*", "ic.*")


@pytest.fixture
def address(broker: Any) -> str:
    """The shared broker's address, rid of what an earlier run of these tests left there
    (a real broker given by QPIDTOOLS_TEST_BROKER outlives a test run)."""
    settings = ConnectionSettings(parse_address(str(broker.address)))
    with Broker.connect(settings) as connected:
        state = connected.current_configuration()
        ours = [exported(state, True, queues=name, exchanges=name) for name in OWN_NAMES]
        left = Configuration(
            tuple(e for config in ours for e in config.exchanges),
            tuple(q for config in ours for q in config.queues),
        )
        connected.apply(
            plan(Configuration(), CurrentConfiguration(left), prune=True, force_if_not_empty=True)
        )
    return str(broker.address)


def populate(qpid_config: Tool, address: str, commands: tuple[str, ...] = POPULATE) -> None:
    for command in commands:
        outcome = qpid_config("-b", address, *command.split())
        assert (outcome.code, outcome.err) == (0, ""), (command, outcome)


def ok(outcome: Outcome) -> Outcome:
    assert (outcome.code, outcome.err) == (0, ""), outcome
    return outcome


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_apply_export_round_trip(
    qpid_config: Tool, broker_pair: Any, tmp_path: Path, fmt: str
) -> None:
    """export of A, apply of that file to an empty B, export of B: the same file, byte for byte."""
    a, b = (str(broker.address) for broker in broker_pair)
    populate(qpid_config, a)
    exported = tmp_path / f"a.{fmt}"
    ok(qpid_config("-b", a, "export", "--format", fmt, "-o", str(exported)))
    applied = ok(qpid_config("-b", b, "apply", str(exported)))
    assert applied.out.splitlines()[-2:] == [
        "Plan: 11 to add, 0 to delete, 0 to differ.",
        "Applied 11 changes.",
    ]
    again = ok(qpid_config("-b", b, "export", "--format", fmt))
    assert again.out == exported.read_text()
    assert ok(qpid_config("-b", b, "apply", "--dry-run", str(exported))).out == (
        "The broker matches the configuration: no changes.\n"
    )


def test_export_writes_options_by_their_add_queue_names(
    qpid_config: Tool, broker_pair: Any
) -> None:
    a = str(broker_pair[0].address)
    populate(qpid_config, a)
    out = ok(qpid_config("-b", a, "export", "--queues", "rt.[og]*")).out
    assert out == (
        "exchanges:\n"
        "- name: rt.match\n  type: headers\n  arguments:\n    x-custom: 7\n"
        "- name: rt.news\n  type: topic\n  durable: true\n  sequence: true\n"
        "  alternate-exchange: rt.spill\n"
        "- name: rt.spill\n  type: fanout\n  durable: true\n"
        "queues:\n"
        "- name: rt.groups\n  max-queue-count: 50\n  group-header: g\n  shared-groups: true\n"
        "- name: rt.orders\n  durable: true\n  max-queue-size: 100000\n  limit-policy: ring\n"
        "  arguments:\n    qpid.priorities: 10\n"
        "bindings:\n"
        "- exchange: rt.match\n  queue: rt.groups\n  key: h1\n  arguments:\n    colour: red\n"
        "    size: big\n    x-match: all\n"
        "- exchange: rt.news\n  queue: rt.orders\n  key: sport.#\n"
    )
    with_all = ok(qpid_config("-b", a, "export", "--all", "--json")).out
    names = [exchange["name"] for exchange in json.loads(with_all)["exchanges"]]
    assert {"amq.direct", "qmf.default.topic", "rt.news"} <= set(names)


def test_dry_run_apply_and_drift(qpid_config: Tool, address: str, tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "exchanges:\n- {name: dr.x, type: direct, durable: true}\n"
        "queues:\n- {name: dr.q, max-queue-size: 100000}\n"
        "bindings:\n- {exchange: dr.x, queue: dr.q, key: k}\n",
    )
    planned = qpid_config("-b", address, "apply", config, "--dry-run")
    assert (planned.code, planned.err) == (3, "")
    assert planned.out == (
        "+ exchange direct dr.x (--durable)\n"
        "+ queue dr.q (--max-queue-size 100000)\n"
        "+ binding dr.x dr.q k\n"
        "Plan: 3 to add, 0 to delete, 0 to differ.\n"
    )
    assert qpid_config("-b", address, "queues", "dr.q").code == 1  # nothing was sent
    ok(qpid_config("-b", address, "apply", config))
    assert ok(qpid_config("-b", address, "apply", config, "--dry-run")).out.startswith(
        "The broker matches"
    )
    drifted = write(tmp_path, Path(config).read_text().replace("100000", "200000"), "new.yaml")
    differs = qpid_config("-b", address, "apply", drifted, "--dry-run")
    assert differs.code == 1
    assert differs.out.splitlines()[0] == "! queue dr.q: --max-queue-size 100000 -> 200000"
    assert "--recreate deletes and creates it again" in differs.err
    recreated = ok(qpid_config("-b", address, "apply", drifted, "--recreate"))
    assert recreated.out.splitlines()[:2] == [
        "! queue dr.q: --max-queue-size 100000 -> 200000 (recreate)",
        "+ binding dr.x dr.q k",
    ]
    assert ok(qpid_config("-b", address, "apply", drifted, "--dry-run")).out.startswith(
        "The broker matches"
    )


def test_recreate_refuses_a_queue_with_messages(
    qpid_config: Tool, address: str, tmp_path: Path
) -> None:
    config = write(tmp_path, "queues:\n- {name: full.q, max-queue-count: 10}\n")
    ok(qpid_config("-b", address, "apply", config))
    send_messages(address, "full.q", 2)
    changed = write(tmp_path, "queues:\n- {name: full.q, max-queue-count: 20}\n", "new.yaml")
    refused = qpid_config("-b", address, "apply", changed, "--recreate")
    assert refused.code == 1
    assert refused.err == (
        "qpid-config: error: queue 'full.q' holds 2 messages: deleting it needs "
        "--force-if-not-empty\n"
    )
    ok(qpid_config("-b", address, "apply", changed, "--recreate", "--force-if-not-empty"))
    listing = ok(qpid_config("-b", address, "queues", "full.q")).out
    assert "--max-queue-count=20" in listing


def test_prune_deletes_what_the_file_leaves_out(
    qpid_config: Tool, broker_no_ha: Any, tmp_path: Path
) -> None:
    address = str(broker_no_ha.address)
    populate(qpid_config, address, ("add exchange topic px", "add queue pq", "bind px pq k"))
    empty = write(tmp_path, "{}\n")
    planned = qpid_config("-b", address, "apply", empty, "--prune", "--dry-run")
    assert (planned.code, planned.out) == (
        3,
        "- binding px pq k\n- queue pq\n- exchange px\nPlan: 0 to add, 3 to delete, 0 to differ.\n",
    )
    ok(qpid_config("-b", address, "apply", empty, "--prune"))
    assert (
        ok(qpid_config("-b", address, "export")).out == "exchanges: []\nqueues: []\nbindings: []\n"
    )


def test_a_file_that_does_not_validate_exits_2_before_connecting(
    qpid_config: Tool, closed_port: int, tmp_path: Path
) -> None:
    config = write(tmp_path, "queues:\n- name: q\n  max-queue-size: lots\n- name: q\n")
    outcome = qpid_config("-b", f"127.0.0.1:{closed_port}", "apply", config)
    assert (outcome.code, outcome.out) == (2, "")
    assert outcome.err == (
        f"qpid-config: error: {config}:3: queue 'q': max-queue-size must be a whole number, 0 "
        "or more, not 'lots'\n"
        f"qpid-config: error: {config}:4: duplicate queue 'q' (first at line 2)\n"
    )
    missing = qpid_config("-b", f"127.0.0.1:{closed_port}", "apply", str(tmp_path / "nope"))
    assert missing.code == 2
    assert "cannot read" in missing.err


def test_references_the_broker_lacks_exit_2_and_change_nothing(
    qpid_config: Tool, address: str, tmp_path: Path
) -> None:
    config = write(
        tmp_path,
        "queues:\n- {name: ref.q}\nbindings:\n- {exchange: ref.nowhere, queue: ref.q, key: k}\n",
    )
    outcome = qpid_config("-b", address, "apply", config)
    assert outcome.code == 2
    assert outcome.err == (
        f"qpid-config: error: {config}:4: binding 'ref.nowhere' 'ref.q' 'k': exchange "
        "'ref.nowhere' is neither in the file nor one the broker has\n"
    )
    assert qpid_config("-b", address, "queues", "ref.q").code == 1


def test_a_failure_part_way_says_what_was_done_and_a_second_apply_completes(
    qpid_config: Tool, address: str, tmp_path: Path
) -> None:
    """qpidd refuses a group header without shared groups [100]: the step it is in is still
    answered in full, the steps after it are not started."""
    text = (
        "exchanges:\n- {name: pw.x, type: direct}\n"
        "queues:\n- {name: pw.a}\n- {name: pw.bad, group-header: g}\n- {name: pw.c}\n"
        "bindings:\n- {exchange: pw.x, queue: pw.a, key: k}\n"
    )
    config = write(tmp_path, text)
    outcome = qpid_config("-b", address, "apply", config)
    assert outcome.code == 1
    assert outcome.out.splitlines()[-2:] == [
        "failed: + queue pw.bad (--group-header g): invalid-argument: Only shared groups are "
        "supported at present; qpid.shared_msg_group is required if qpid.group_header_key is set",
        "not done: + binding pw.x pw.a k",
    ]
    assert outcome.err.startswith("qpid-config: error: apply stopped after 3 of 5 changes: ")
    assert outcome.err.endswith("; apply the file again to complete it\n")
    fixed = write(tmp_path, text.replace("group-header: g", "group-header: g, shared-groups: true"))
    done = ok(qpid_config("-b", address, "apply", fixed))
    assert done.out.splitlines()[:2] == [
        "+ queue pw.bad (--group-header g --shared-groups)",
        "+ binding pw.x pw.a k",
    ]


def test_apply_json_and_stdin(
    qpid_config: Tool, address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("queues:\n- {name: js.q, durable: true}\n"))
    document = json.loads(ok(qpid_config("-b", address, "apply", "-", "--json")).out)
    assert document == {
        "plan": [
            {
                "action": "+",
                "kind": "queue",
                "name": "js.q",
                "line": "+ queue js.q (--durable)",
                "differences": [],
            }
        ],
        "summary": "Plan: 1 to add, 0 to delete, 0 to differ.",
        "dry_run": False,
        "blocked": [],
        "outcome": {
            "succeeded": True,
            "done": ["+ queue js.q (--durable)"],
            "failed": [],
            "not_done": [],
            "interrupted": None,
        },
    }


# -- idempotent single commands ----------------------------------------------------------------


def test_add_queue_if_not_exists(qpid_config: Tool, address: str) -> None:
    add = ("-b", address, "add", "queue", "ine.q", "--durable", "--max-queue-size", "1000")
    ok(qpid_config(*add, "--if-not-exists"))
    ok(qpid_config(*add, "--if-not-exists"))
    assert qpid_config(*add).err == "qpid-config: error: object already exists: ine.q\n"
    differs = qpid_config("-b", address, "add", "queue", "ine.q", "--if-not-exists")
    assert (differs.code, differs.err) == (
        1,
        "qpid-config: error: queue 'ine.q' exists with other settings: --durable set -> unset, "
        "--max-queue-size 1000 -> unset (qpidd cannot change them in place; delete it first, "
        "or use 'apply --recreate')\n",
    )


def test_add_exchange_if_not_exists(qpid_config: Tool, address: str) -> None:
    ok(qpid_config("-b", address, "add", "exchange", "topic", "ine.x", "--if-not-exists"))
    ok(qpid_config("-b", address, "add", "exchange", "topic", "ine.x", "--if-not-exists"))
    differs = qpid_config("-b", address, "add", "exchange", "direct", "ine.x", "--if-not-exists")
    assert differs.code == 1
    assert "exchange 'ine.x' exists with other settings: type topic -> direct" in differs.err


def test_bind_if_not_exists_compares_arguments(qpid_config: Tool, address: str) -> None:
    populate(qpid_config, address, ("add queue ine.b", "add exchange headers ine.h"))
    bind = ("-b", address, "bind", "ine.h", "ine.b", "k", "--if-not-exists")
    ok(qpid_config(*bind, "all", "a=1"))
    ok(qpid_config(*bind, "all", "a=1"))
    differs = qpid_config(*bind, "all", "a=2")
    assert differs.code == 1
    assert "binding 'ine.h' 'ine.b' 'k' exists with other settings: --argument a 1 -> 2" in (
        differs.err
    )


def test_delete_if_exists(qpid_config: Tool, address: str) -> None:
    for command in ("del queue ie.q", "del exchange ie.x", "unbind amq.direct ie.q k"):
        ok(qpid_config("-b", address, *command.split(), "--if-exists"))
    assert qpid_config("-b", address, "del", "queue", "ie.q").code == 1
    populate(
        qpid_config, address, ("add queue ie.q", "add exchange direct ie.x", "bind ie.x ie.q k")
    )
    ok(qpid_config("-b", address, "unbind", "ie.x", "ie.q", "k", "--if-exists"))
    ok(qpid_config("-b", address, "del", "queue", "ie.q", "--if-exists"))
    ok(qpid_config("-b", address, "del", "exchange", "ie.x", "--if-exists"))
    assert qpid_config("-b", address, "exchanges", "ie.x").code == 1


def test_if_exists_does_not_apply_to_add(qpid_config: Tool, address: str) -> None:
    outcome = qpid_config("-b", address, "add", "queue", "ie.other", "--if-exists")
    assert outcome.err == (
        "qpid-config: warning: --if-exists does not apply to 'add queue' and was ignored\n"
    )


def test_apply_completes_file_names() -> None:
    """The shells' own file-name completion: Click answers with the item type ``file``."""
    from click.shell_completion import ShellComplete

    from qpidtools.cli.config import cli

    completer = ShellComplete(cli, {}, "qpid-config", "_QPID_CONFIG_COMPLETE")
    items = completer.get_completions(["apply"], "conf")
    assert [(item.type, item.value) for item in items] == [("file", "conf")]


def test_what_a_cluster_primary_adds_is_no_difference(
    qpid_config: Tool, qpid_ha: Tool, ha_cluster: Any, tmp_path: Path
) -> None:
    """A primary adds qpid.ha-uuid to what it replicates, its default qpid.replicate to queues
    created without one [222]."""
    primary = ha_cluster.addresses[0]
    ok(qpid_ha("-b", primary, "promote", "--cluster-manager"))
    wait_for(lambda: qpid_ha("-b", primary, "status").out == "active\n", 30, what="active")
    config = write(
        tmp_path,
        "exchanges:\n- {name: hx, type: topic}\nqueues:\n- {name: hq, durable: true}\n"
        "bindings:\n- {exchange: hx, queue: hq, key: '#'}\n",
    )
    ok(qpid_config("-b", primary, "apply", config))
    unchanged = ok(qpid_config("-b", primary, "apply", config, "--dry-run"))
    assert unchanged.out == "The broker matches the configuration: no changes.\n"
    exported = ok(qpid_config("-b", primary, "export", "--queues", "hq", "--exchanges", "hx")).out
    assert "ha-uuid" not in exported
    assert "- name: hq\n  durable: true\n  replicate: none\n" in exported
    pinned = write(tmp_path, exported.replace("replicate: none", "replicate: all"), "all.yaml")
    differs = qpid_config("-b", primary, "apply", pinned, "--dry-run")
    assert "! queue hq: --replicate none -> all" in differs.out.splitlines()


def test_a_broker_that_stops_answering_interrupts_apply(
    qpid_config: Tool, address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """qpidd ignores a request without its app-id [090]: here, the create of ic.silent."""
    from qpidtools.transport import Connection

    build = Connection._message

    def unanswered(self: Connection, body: Any, opcode: str, correlation_id: str) -> Any:
        message = build(self, body, opcode, correlation_id)
        if body.get("_arguments", {}).get("name") == "ic.silent":
            del message.properties["x-amqp-0-10.app-id"]
        return message

    monkeypatch.setattr(Connection, "_message", unanswered)
    config = write(tmp_path, "queues:\n- {name: ic.ok}\n- {name: ic.silent}\n")
    # Long enough for a loaded qpidd's listings and ic.ok; the silent create costs all of it.
    outcome = qpid_config("-b", address, "-t", "2", "apply", config)
    assert outcome.code == 1
    assert outcome.out.splitlines()[-1] == "not done: + queue ic.silent"
    prefix = "qpid-config: error: apply stopped after 1 of 2 changes confirmed: "
    assert outcome.err.startswith(prefix)  # then the transport's timeout message
    assert outcome.err.endswith("; apply the file again to complete it\n")


def test_prune_with_patterns_leaves_other_objects_alone(
    qpid_config: Tool, broker_no_ha: Any, tmp_path: Path
) -> None:
    """A file that manages one application's objects on a shared broker."""
    address = str(broker_no_ha.address)
    populate(
        qpid_config,
        address,
        ("add queue app.old", "add queue other.q", "bind amq.direct other.q k"),
    )
    config = write(tmp_path, "queues:\n- {name: app.new}\n")
    outcome = ok(qpid_config("-b", address, "apply", config, "--prune", "--queues", "app.*"))
    assert outcome.out.splitlines()[:2] == ["- queue app.old", "+ queue app.new"]
    assert ok(qpid_config("-b", address, "export")).out == (
        "exchanges: []\nqueues:\n- name: app.new\n- name: other.q\nbindings:\n"
        "- exchange: amq.direct\n  queue: other.q\n  key: k\n"
    )
