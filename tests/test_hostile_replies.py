"""A misbehaving broker (issue 7, item 12): one clear line and exit 1, never a traceback or hang.

Two sources of bad replies: the double's chaos modes (`qpidtools.testing.chaos`), spoken to over
AMQP, and replies recorded from a real qpidd (tests/captures) with parts replaced, removed or
retyped by hypothesis, fed to the tools in-process through a stand-in connection.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from types import SimpleNamespace
from typing import Any

import pytest
from capture_files import QMF_CAPTURES
from conftest import Outcome, Tool
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from qmf_replay import decode

from qpidtools import broker as broker_module
from qpidtools.address import parse_address
from qpidtools.cli import config, ha, route, stat
from qpidtools.cli.common import run
from qpidtools.testing import BrokerDouble
from qpidtools.transport import ConnectionSettings

TIMEOUT = "0.5"
INTERNAL = "internal error"


def assert_clean(outcome: Outcome, prog: str) -> None:
    """Exit 0 with nothing on stderr, or 1 with one error line; never a bug of ours."""
    assert INTERNAL not in outcome.err, outcome.err
    assert outcome.code in (0, 1), outcome
    if outcome.code == 1:
        lines = outcome.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{prog}: error: "), outcome.err


# -- the double's chaos modes -----------------------------------------------------------------

CONFIG_COMMANDS = [
    ("queues",),
    ("queues", "-r"),
    ("exchanges", "-r"),
    ("log",),
    ("add", "queue", "x"),
]
HA_COMMANDS = [("status",), ("query",), ("status", "--all"), ("ping",)]
#: What ``qpid-config queues`` says against each mode (after "...broker at ADDRESS").
QUEUES_FAILURE = {
    "wrong-types": ": object ",
    "missing-keys": ": an object without an _object_id name",
    "non-map-bodies": ": a query reply that is not a list of objects",
    "unknown-correlation": " for 0.5 s",
    "endless-pages": ": a partial page of a query reply brought no new object",
}


@pytest.mark.parametrize("mode", [*QUEUES_FAILURE, "dangling-references"])
def test_chaos_modes_give_one_line_or_a_listing(
    qpid_config: Tool, qpid_ha: Tool, mode: str
) -> None:
    with BrokerDouble(chaos=mode) as double:
        for command in CONFIG_COMMANDS:
            assert_clean(qpid_config("-b", double.address, "-t", TIMEOUT, *command), "qpid-config")
        for command in HA_COMMANDS:
            assert_clean(qpid_ha("-b", double.address, "--timeout", TIMEOUT, *command), "qpid-ha")
        listing = qpid_config("-b", double.address, "-t", TIMEOUT, "queues")
    if mode == "dangling-references":  # a reference may dangle on a real broker too (a race)
        assert listing.code == 0
        return
    reason = "no reply from" if mode == "unknown-correlation" else "malformed reply from"
    expected = f"qpid-config: error: {reason} the broker at {double.address}{QUEUES_FAILURE[mode]}"
    assert (listing.code, listing.out) == (1, "")
    assert listing.err.startswith(expected), listing.err


# -- recorded replies, mutated ------------------------------------------------------------------

Reply = dict[str, Any]  # {"properties": ..., "body": ...}: one reply message


@cache
def recorded() -> dict[str, list[Reply]]:
    """The first recorded answer to each class query and each method, by class or method name.

    Pages are cut to three objects each and two pages at most: enough to reach every code path
    of decoding and rendering, small enough for hypothesis to search.
    """
    found: dict[str, list[Reply]] = {}
    for path in sorted(QMF_CAPTURES.glob("*.json")):
        for exchange in json.loads(path.read_text()).get("exchanges", []):
            body = exchange["request"].get("body")
            responses = exchange.get("responses") or []
            if not isinstance(body, dict) or not responses:
                continue
            if responses[0]["application_properties"].get("qmf.opcode") == "_exception":
                continue
            key = body.get("_method_name") or body.get("_schema_id", {}).get("_class_name")
            if isinstance(key, str) and key not in found:
                found[key] = [
                    {
                        "properties": decode(response["application_properties"]),
                        "body": _cut(decode(response["body"])),
                    }
                    for response in responses[:2]
                ]
                if len(found[key]) == 2:
                    found[key][-1]["properties"].pop("partial", None)
    return found


def _cut(body: Any) -> Any:
    return body[:3] if isinstance(body, list) else body


def amqp_values() -> st.SearchStrategy[Any]:
    """Values an AMQP 1.0 body can carry, odd ones included."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**64), max_value=2**64)
        | st.floats(allow_nan=True)
        | st.text(max_size=8)
        | st.binary(max_size=8)
        | st.sampled_from(
            ["", "=", "/", "@", "amq.direct", "\udcff".encode(errors="surrogatepass")]
        )
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(max_size=6) | st.integers(0, 3), inner, max_size=3)
        ),
        max_leaves=6,
    )


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _mutate(value: Any, path: tuple[Any, ...], replacement: Any, delete: bool) -> Any:
    """A copy of ``value`` with the part at ``path`` replaced (or removed)."""
    if not path:
        return replacement
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if delete and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _mutate(value[head], rest, replacement, delete)
        return copy
    copy_list = list(value)
    if delete and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _mutate(value[head], rest, replacement, delete)
    return copy_list


@st.composite
def spoilt(draw: st.DrawFn, replies: list[Reply]) -> list[Reply]:
    """``replies`` with one to three parts replaced, removed or given another type."""
    result: Any = replies
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(result))[1:]  # messages and their parts, not the list itself
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        result = _mutate(result, path, draw(amqp_values()), draw(st.booleans()))
    assume(result)  # the transport always yields a message or raises
    return result  # type: ignore[no-any-return]


class Replaying:
    """Stands in for a transport Connection: answers each request with recorded replies."""

    def __init__(self, replies: Mapping[str, list[Reply]]) -> None:
        self.replies = replies
        self.settings = ConnectionSettings(parse_address("127.0.0.1:5672"))

    def __call__(self, settings: ConnectionSettings) -> Replaying:
        return self

    def __enter__(self) -> Replaying:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass

    def request(self, body: Mapping[str, Any], opcode: str, expect_reply: bool = True) -> Any:
        return list(self.stream(body, opcode, expect_reply))

    def stream(
        self, body: Mapping[str, Any], opcode: str, expect_reply: bool = True
    ) -> Iterator[Any]:
        schema = body.get("_schema_id") or {}
        key = body.get("_method_name") or schema.get("_class_name")
        empty = [{"properties": {"qmf.opcode": "_query_response"}, "body": []}]
        for reply in self.replies.get(str(key), empty) if expect_reply else []:
            if isinstance(reply, dict):
                yield SimpleNamespace(
                    properties=reply.get("properties"), body=reply.get("body"), correlation_id="1"
                )
            else:
                yield SimpleNamespace(properties=reply, body=reply, correlation_id="1")


HOSTILE = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
CASES = [
    ("queue", "qpid-stat", ("-q",)),
    ("exchange", "qpid-stat", ("-e",)),
    ("connection", "qpid-stat", ("-c",)),
    ("broker", "qpid-stat", ("-g",)),
    ("queue", "qpid-config", ("queues",)),
    ("queue", "qpid-config", ("queues", "--json")),
    ("binding", "qpid-config", ("queues", "-r")),
    ("exchange", "qpid-config", ("exchanges", "-r", "--json")),
    ("broker", "qpid-config", ()),
    ("getLogLevel", "qpid-config", ("log",)),
    ("create", "qpid-config", ("add", "queue", "q1")),
    ("habroker", "qpid-ha", ("status",)),
    ("habroker", "qpid-ha", ("query", "--json")),
    ("habroker", "qpid-ha", ("query", "--all")),
]


TOOLS = {
    "qpid-config": config.cli,
    "qpid-ha": ha.cli,
    "qpid-stat": stat.cli,
    "qpid-route": route.cli,
}


def run_tool(capsys: pytest.CaptureFixture[str], prog: str, argv: tuple[str, ...]) -> Outcome:
    capsys.readouterr()
    code = run(TOOLS[prog], prog, list(argv))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


@pytest.mark.parametrize(("key", "prog", "argv"), CASES)
@HOSTILE
@given(data=st.data())
def test_mutated_recorded_replies_give_one_line_or_output(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    prog: str,
    argv: tuple[str, ...],
    data: st.DataObject,
) -> None:
    replies = dict(recorded())
    replies[key] = data.draw(spoilt(replies[key]), label=key)
    monkeypatch.setattr(broker_module, "Connection", Replaying(replies))
    assert_clean(run_tool(capsys, prog, argv), prog)


def test_the_recorded_replies_themselves_list_cleanly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stand-in answers like qpidd: unspoilt, every case succeeds."""
    monkeypatch.setattr(broker_module, "Connection", Replaying(recorded()))
    for _, prog, argv in CASES:
        outcome = run_tool(capsys, prog, argv)
        assert (outcome.code, outcome.err) == (0, ""), (argv, outcome)


@pytest.mark.parametrize("mode", [*QUEUES_FAILURE, "dangling-references"])
def test_chaos_modes_and_qpid_stat_and_qpid_route(
    capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    timeout = "0.5" if mode == "unknown-correlation" else "10"
    with BrokerDouble(chaos=mode) as double:
        for prog, argv in (
            ("qpid-stat", ("-q", "-b", double.address)),
            ("qpid-stat", ("-g", "-b", double.address)),
            ("qpid-route", ("link", "list", double.address)),
            ("qpid-route", ("route", "list", double.address)),
        ):
            assert_clean(run_tool(capsys, prog, (*argv, "--timeout", timeout)), prog)
