"""The library pieces qpid-config is built on: the broker API, the option table, the helpers."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

import pytest

from qpidtools import Broker, ConnectionSettings, QpidToolsError, parse_address
from qpidtools.cli.config import header_match, parse_arguments, properties
from qpidtools.errors import UsageError
from qpidtools.model import EXCHANGE_OPTIONS, QUEUE_OPTIONS, Exchange, Queue, present_options


def connect(address: str) -> Any:
    return Broker.connect(ConnectionSettings(parse_address(address), timeout=5))


def test_broker_api_round_trip(broker: Any) -> None:
    with connect(broker.address) as api:
        api.add_queue("lq", {"qpid.max_count": 10, "durable": 1})
        api.add_exchange("fanout", "lx", {})
        api.bind("lx", "lq")
        queue = api.queue("lq")
        assert queue is not None
        assert (queue.durable, queue.arguments) == (True, {"qpid.max_count": 10})
        assert any(b.exchange == "lx" and b.queue == "lq" for b in api.bindings())
        api.unbind("lx", "lq")
        api.delete_exchange("lx")
        api.delete_queue("lq")
        assert api.queue("lq") is None


def test_add_queue_with_failed_replication_removes_the_queue(broker_no_ha: Any) -> None:
    with connect(broker_no_ha.address) as api:
        with pytest.raises(QpidToolsError, match="was not kept"):
            api.add_queue("rq", {}, replicate_from="127.0.0.1:1")
        assert api.queue("rq") is None


def test_present_options_follow_the_table() -> None:
    queue = Queue(
        "q",
        durable=True,
        alternate_exchange="ae",
        arguments={"qpid.policy_type": "ring", "qpid.max_size": 5, "other": 1},
    )
    flags = [option.flag for option, _ in present_options(QUEUE_OPTIONS, queue)]
    assert flags == ["durable", "max-queue-size", "limit-policy", "alternate-exchange"]
    exchange = Exchange("x", "topic", arguments={"qpid.ive": 1})
    assert [o.flag for o, _ in present_options(EXCHANGE_OPTIONS, exchange)] == ["ive"]


def test_argument_values() -> None:
    assert parse_arguments(["a=1", "b=x", "c", "d=-7", "e=1.5", "f=a=b", "g="]) == {
        "a": 1,
        "b": "x",
        "c": None,
        "d": -7,
        "e": "1.5",
        "f": "a=b",
        "g": "",
    }
    with pytest.raises(UsageError):
        parse_arguments(["=1"])


def test_properties_from_options(capsys: pytest.CaptureFixture[str]) -> None:
    given = {"durable": True, "file_count": 8, "limit_policy": "none", "argument": ("x=1",)}
    assert properties(QUEUE_OPTIONS, given) == {"x": 1, "durable": 1, "qpid.file_count": 8}
    assert properties(QUEUE_OPTIONS, {"shared_groups": True}) == {"qpid.shared_msg_group": 1}
    assert properties(EXCHANGE_OPTIONS, {"sequence": True, "replicate": "all"}) == {
        "qpid.replicate": "all",
        "qpid.msg_sequence": 1,
    }
    assert capsys.readouterr().err == ""


def test_header_match() -> None:
    assert header_match(()) is None
    assert header_match(("any", "a=1", "b=x=y")) == {"a": "1", "b": "x=y", "x-match": "any"}
    for bad in (("all",), ("some", "a=b"), ("all", "novalue")):
        with pytest.raises(UsageError):
            header_match(bad)


def test_help_imports_neither_proton_nor_rich() -> None:
    code = (
        "import sys\n"
        "from qpidtools.cli import config\n"
        "from qpidtools.cli.common import run\n"
        "run(config.cli, 'qpid-config', ['--help'])\n"
        "run(config.cli, 'qpid-config', ['add', 'queue', '--help'])\n"
        "print('proton' in sys.modules, 'rich' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == "False False"


def test_broker_info_is_typed_with_its_statistics(broker: Any) -> None:
    name = f"info-q-{uuid.uuid4().hex[:8]}"  # an external broker may hold anything
    with connect(broker.address) as api:
        api.add_queue(name, {})
        info = api.info()
        api.delete_queue(name)
    assert info.name == "amqp-broker"
    assert info.port == int(broker.address.rsplit(":", 1)[1])
    assert info.version and info.worker_threads > 0 and info.uptime_ns > 0
    assert info.statistics["queueCount"] >= 2  # ours and our own reply queue
    assert all(isinstance(value, int) for value in info.statistics.values())


def test_xml_bindings_send_the_xquery_read_from_a_file_or_stdin(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No captured broker had the XML exchange, so this is checked below the broker."""
    from io import StringIO

    from qpidtools.cli.config import binding_arguments, read_xquery

    query = tmp_path / "match.xq"
    query.write_text("./order/total > 100")
    xml = Exchange("orders", type="xml")
    assert binding_arguments(xml, None, read_xquery(str(query))) == {
        "xquery": "./order/total > 100"
    }
    monkeypatch.setattr("sys.stdin", StringIO("./order/id"))
    assert binding_arguments(xml, None, read_xquery("-")) == {"xquery": "./order/id"}
    with pytest.raises(UsageError, match="needs -f FILE"):
        binding_arguments(xml, None, None)


def test_headers_bindings_need_their_conditions() -> None:
    from qpidtools.cli.config import binding_arguments

    headers = Exchange("match", type="headers")
    assert binding_arguments(headers, {"a": "1", "x-match": "all"}, None) == {
        "a": "1",
        "x-match": "all",
    }
    with pytest.raises(UsageError, match="needs 'all' or 'any'"):
        binding_arguments(headers, None, None)
    assert binding_arguments(None, None, None) == {}  # a missing exchange: the broker says so
