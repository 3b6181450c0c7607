"""The classic text against the classic tool's own output, from fixed objects.

Each test rebuilds the broker state a capture describes (``broker_state_before``) as model
objects and renders it; the result must equal the captured stdout byte for byte. Run-specific
UUIDs (reply queues, their topic bindings) are replaced by one placeholder of the same
length on both sides, so column widths are unaffected.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from capture_files import QMF_CAPTURES, load
from capture_files import classic as capture

from qpidtools.model import Binding, Exchange, Queue
from qpidtools.qmf import QmfObject
from qpidtools.render import classic, documents

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
REPLY = f"{PLACEHOLDER}:0.0"


def expected(case: str) -> str:
    return UUID.sub(PLACEHOLDER, capture(case)["stdout"])


def text(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def untag(value: Any) -> Any:
    """A capture's tagged AMQP value as the QMF layer decodes it."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith("$"):
            tag, inner = next(iter(value.items()))
            if tag == "$map":
                return {untag(k): untag(v) for k, v in inner}
            return inner
        return {key: untag(item) for key, item in value.items()}
    if isinstance(value, list):
        return [untag(item) for item in value]
    return value


# -- the broker states of the captures -------------------------------------------------------

BUILT_IN = [
    Exchange("", "direct", arguments={"qpid.replicate": "none"}),
    Exchange("amq.direct", "direct", durable=True, arguments={"qpid.replicate": "none"}),
    Exchange("amq.failover", "amq.failover"),
    Exchange("amq.fanout", "fanout", durable=True, arguments={"qpid.replicate": "none"}),
    Exchange("amq.match", "headers", durable=True, arguments={"qpid.replicate": "none"}),
    Exchange("amq.topic", "topic", durable=True, arguments={"qpid.replicate": "none"}),
    Exchange("qmf.default.direct", "direct", arguments={"qpid.replicate": "none"}),
    Exchange("qmf.default.topic", "topic", arguments={"qpid.replicate": "none"}),
    Exchange("qpid.management", "topic", arguments={"qpid.replicate": "none"}),
]
REPLY_QUEUE = Queue(REPLY, auto_delete=True, exclusive=True)
#: "fresh broker plus: queue q1 (--durable --max-queue-size 100000 --limit-policy ring), ..."
QUEUES = [
    REPLY_QUEUE,
    Queue("q1", durable=True, arguments={"qpid.max_size": 100000, "qpid.policy_type": "ring"}),
    Queue("q2"),
    Queue("q3"),
]
EXCHANGES = sorted(
    [
        *BUILT_IN,
        Exchange("ex.direct", "direct", durable=True),
        Exchange("ex.topic", "topic"),
        Exchange("ex.headers", "headers"),
    ],
    key=lambda exchange: exchange.name,
)
BINDINGS = [
    *(Binding("", queue.name, queue.name) for queue in QUEUES),
    Binding("amq.direct", "q1", "q1key"),
    Binding("ex.direct", "q1", "k1"),
    Binding("ex.headers", "q3", "h1", {"x-match": "all", "foo": "bar"}),
    Binding("ex.topic", "q2", "a.#"),
    Binding("qmf.default.topic", REPLY, f"direct.{PLACEHOLDER}"),
]
#: "broker A after the qpid-config-add-queue-* cases"
ADDED_QUEUES = [
    REPLY_QUEUE,
    Queue("aq-args", auto_delete=True, arguments={"x-int": 42, "x-str": "hello", "x-flag": None}),
    Queue("aq-grp", arguments={"qpid.group_header_key": "grp", "qpid.shared_msg_group": 1}),
    Queue(
        "aq-lin",
        durable=True,
        arguments={
            "qpid.efp_partition_num": 1,
            "qpid.efp_pool_file_size": 2048,
            "qpid.wcache-page-size": 8,
            "qpid.wcache-num-pages": 4,
        },
    ),
    Queue(
        "aq-lvq",
        arguments={
            "qpid.last_value_queue_key": "lk",
            "qpid.max_count": 100,
            "qpid.flow_stop_count": 80,
            "qpid.flow_resume_count": 60,
            "qpid.flow_stop_size": 0,
        },
    ),
    Queue("aq-nodur"),
    Queue("aq-none", arguments={"qpid.max_count": 0}),
    Queue(
        "aq-opts",
        durable=True,
        alternate_exchange="amq.direct",
        arguments={
            "qpid.max_size": 100000,
            "qpid.max_count": 500,
            "qpid.policy_type": "reject",
            "qpid.replicate": "all",
            "qpid.file_count": 8,
            "qpid.file_size": 24,
        },
    ),
    Queue("aq-plain"),
    Queue("aq-ring", arguments={"qpid.max_size": 5000, "qpid.policy_type": "ring"}),
    Queue("aq-ringstrict"),
    Queue("aq-typo", arguments={"qpid.max_cuont": 5}),
]
ADDED_EXCHANGES = sorted(
    [
        *BUILT_IN,
        Exchange("ax-arg", "direct", arguments={"x-custom": 7}),
        Exchange("ax-direct", "direct"),
        Exchange("ax-fanout", "fanout", durable=True),
        Exchange(
            "ax-headers",
            "headers",
            alternate_exchange="ax-fanout",
            arguments={"qpid.replicate": "configuration"},
        ),
        Exchange("ax-topic", "topic", arguments={"qpid.msg_sequence": 1, "qpid.ive": 1}),
    ],
    key=lambda exchange: exchange.name,
)
#: "broker A with queue bq and exchanges bx.direct, bx.topic, bx.fanout, bx.headers"
BIND_EXCHANGES = [
    Exchange("bx.direct", "direct"),
    Exchange("bx.fanout", "fanout"),
    Exchange("bx.headers", "headers"),
    Exchange("bx.topic", "topic"),
]
BIND_BINDINGS = [
    Binding("", "bq", "bq"),
    Binding("bx.direct", "bq", "k1"),
    Binding("bx.fanout", "bq", ""),
    Binding("bx.headers", "bq", "h1", {"x-match": "all", "color": "red", "size": "big"}),
    Binding("bx.headers", "bq", "h2", {"x-match": "any", "color": "blue"}),
    Binding("bx.topic", "bq", "news.#"),
]


def matching(items: list[Any], pattern: str) -> list[Any]:
    return [item for item in items if pattern in item.name]


# -- listings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "pattern"),
    [
        ("qpid-config-queues", ""),
        ("qpid-config-default-broker-no-b", ""),
        ("qpid-config-queues-filter-match", "q1"),
        ("qpid-config-queues-filter-substring", "q"),
        ("qpid-config-amqp-url", "q2"),
        ("qpid-config-broker-addr-option", "q2"),
    ],
)
def test_queues(case: str, pattern: str) -> None:
    assert text(classic.queues(matching(QUEUES, pattern))) == expected(case)


def test_queues_after_adds_lists_every_option_in_classic_order() -> None:
    assert text(classic.queues(ADDED_QUEUES)) == expected("qpid-config-queues-after-adds")


def test_queues_fresh_and_nomatch() -> None:
    assert text(classic.queues([REPLY_QUEUE])) == expected("qpid-config-queues-fresh")
    assert text(classic.queues([])) == expected("qpid-config-queues-filter-nomatch")


def test_queues_on_a_cluster_primary() -> None:
    replicated = {"qpid.replicate": "none"}
    bridge = "qpid.bridge_queue_qpid.broker-replicator.bridge.{0}_{0}"
    queues = [
        Queue(REPLY, auto_delete=True, exclusive=True, arguments=replicated),
        Queue("cq", arguments={"qpid.replicate": "all", "qpid.ha-uuid": PLACEHOLDER}),
        *(
            Queue(
                bridge.format(PLACEHOLDER), auto_delete=True, exclusive=True, arguments=replicated
            )
            for _ in range(2)
        ),
    ]
    assert text(classic.queues(queues)) == expected("qpid-config-cluster-primary-queues")


@pytest.mark.parametrize(
    ("case", "exchanges"),
    [
        ("qpid-config-exchanges", EXCHANGES),
        ("qpid-config-exchanges-ignore-default", EXCHANGES[1:]),
        ("qpid-config-exchanges-filter-match", matching(EXCHANGES, "ex.")),
        ("qpid-config-exchanges-after-adds", ADDED_EXCHANGES),
        ("qpid-config-exchanges-after-adds-filter", matching(ADDED_EXCHANGES, "ax-")),
        ("qpid-config-start-replica-exchanges-on-b", BUILT_IN),
    ],
)
def test_exchanges(case: str, exchanges: list[Exchange]) -> None:
    assert text(classic.exchanges(exchanges)) == expected(case)


@pytest.mark.parametrize(
    ("case", "exchanges", "bindings"),
    [
        ("qpid-config-exchanges-r", EXCHANGES, BINDINGS),
        ("qpid-config-exchanges-r-ignore-default", EXCHANGES[1:], BINDINGS),
        ("qpid-config-exchanges-r-filter", matching(EXCHANGES, "ex.headers"), BINDINGS),
        ("qpid-config-exchanges-r-after-binds", BIND_EXCHANGES, BIND_BINDINGS),
    ],
)
def test_exchange_bindings(case: str, exchanges: list[Exchange], bindings: list[Binding]) -> None:
    assert text(classic.exchange_bindings(exchanges, bindings)) == expected(case)


@pytest.mark.parametrize(
    ("case", "queues", "bindings"),
    [
        ("qpid-config-queues-r", QUEUES, BINDINGS),
        ("qpid-config-queues-r-ignore-default", QUEUES, [b for b in BINDINGS if b.exchange]),
        ("qpid-config-queues-r-filter", matching(QUEUES, "q1"), BINDINGS),
        ("qpid-config-queues-r-filter-nomatch", [], BINDINGS),
        ("qpid-config-queues-r-after-binds", [Queue("bq")], BIND_BINDINGS),
    ],
)
def test_queue_bindings(case: str, queues: list[Queue], bindings: list[Binding]) -> None:
    assert text(classic.queue_bindings(queues, bindings)) == expected(case)


def test_unknown_binding_queue() -> None:
    lines = classic.exchange_bindings([Exchange("x", "direct")], [Binding("x", None, "k")])
    assert lines == ["Exchange 'x' (direct)", "    bind [k] => <unknown>"]


def test_overview() -> None:
    assert text(classic.overview(EXCHANGES, QUEUES)) == expected("qpid-config-overview")
    fresh = text(classic.overview(BUILT_IN, [REPLY_QUEUE]))
    assert fresh == expected("qpid-config-overview-fresh")


def test_log_level() -> None:
    assert text(classic.log_level("info+")) == expected("qpid-config-log")


# -- list TYPE -----------------------------------------------------------------------------


def qmf(class_name: str, values: dict[str, Any]) -> QmfObject:
    name = str(values.get("name", ""))
    return QmfObject(f"org.apache.qpid.broker:{class_name}:{name}", class_name, "", values)


def ref(class_name: str, name: str) -> dict[str, str]:
    return {"_object_name": f"org.apache.qpid.broker:{class_name}:{name}"}


EXCHANGE_OBJECTS = [
    qmf(
        "exchange",
        {
            "name": exchange.name,
            "type": exchange.type,
            "durable": exchange.durable,
            "bindingCount": sum(1 for b in BINDINGS if b.exchange == exchange.name),
            "arguments": exchange.arguments,
        },
    )
    for exchange in EXCHANGES
]
QUEUE_OBJECTS = [
    qmf(
        "queue",
        {
            "name": queue.name,
            "durable": queue.durable,
            "autoDelete": queue.auto_delete,
            "exclusive": queue.exclusive,
            "msgDepth": 0,
            "arguments": queue.arguments,
            "vhostRef": ref("vhost", "org.apache.qpid.broker:broker:amqp-broker,/"),
        },
    )
    for queue in QUEUES
]
BINDING_OBJECTS = [
    QmfObject(
        "binding",
        "binding",
        "",
        {
            "exchangeRef": ref("exchange", binding.exchange),
            "queueRef": ref("queue", str(binding.queue)),
            "bindingKey": binding.key,
            "arguments": binding.arguments,
            "msgMatched": 0,
        },
    )
    for binding in BINDINGS
]


def listing(type_name: str, objects: list[QmfObject], wanted: tuple[str, ...] = ()) -> str:
    columns, missing = classic.list_columns(type_name, objects, wanted)
    return text(classic.objects(type_name, objects, columns, missing))


def test_list_default_columns() -> None:
    assert listing("exchange", EXCHANGE_OBJECTS) == expected("qpid-config-list-exchange")
    assert listing("queue", QUEUE_OBJECTS) == expected("qpid-config-list-queue")


def test_list_other_types_take_name_and_five_more_in_python2_order() -> None:
    assert listing("binding", BINDING_OBJECTS) == expected("qpid-config-list-binding")
    raw = load(QMF_CAPTURES / "010-query-broker.json")
    broker = untag(raw["exchanges"][0]["responses"][0]["body"][0]["_values"])
    assert listing("broker", [qmf("broker", broker)]) == expected("qpid-config-list-broker")
    topic = qmf(
        "topic",
        {
            "name": "gt",
            "durable": False,
            "properties": {},
            "exchangeRef": ref("exchange", "amq.topic"),
        },
    )
    assert listing("topic", [topic]) == expected("qpid-config-list-topic")


def test_list_show_property() -> None:
    wanted = ("name", "type", "altExchange", "bindingCount")
    shown = listing("exchange", EXCHANGE_OBJECTS, wanted)
    assert shown == expected("qpid-config-list-exchange-show-property")
    wanted = ("name", "msgDepth", "arguments")
    shown = listing("queue", QUEUE_OBJECTS, wanted)
    assert shown == expected("qpid-config-list-queue-show-property")
    shown = listing("exchange", EXCHANGE_OBJECTS, ("nosuch",))
    assert shown == expected("qpid-config-list-exchange-show-bad-property")


def test_list_unknown_class_prints_the_title_only() -> None:
    assert listing("nosuchclass", []) == expected("qpid-config-list-nosuchclass")


def test_list_missing_property_is_na_and_long_rules_are_cut() -> None:
    objects = [qmf("thing", {"name": "a" * 300}), qmf("thing", {"other": 1})]
    lines = classic.objects("thing", objects, ["name", "other"], [])
    assert lines[2] == "  " + "=" * 253
    assert lines[4].startswith("  n/a")
    assert lines[4].endswith("1")


# -- Python 2 semantics --------------------------------------------------------------------


def test_python2_dict_order_and_repr() -> None:
    assert classic.py2_order(sorted(["color", "size", "x-match"])) == ("color", "x-match", "size")
    assert (
        classic.py2_repr({"x-match": "all", "foo": "bar"}) == "{u'foo': u'bar', u'x-match': u'all'}"
    )
    assert classic.py2_repr({"a": [1, True, None], "é": "it's"}) == (
        "{u'a': [1, True, None], u'\\xe9': u\"it's\"}"
    )
    assert classic.py2_order(f"k{i}" for i in range(50)) != tuple(f"k{i}" for i in range(50))
    assert sorted(classic.py2_order(f"k{i}" for i in range(50))) == sorted(
        f"k{i}" for i in range(50)
    )


def test_python2_str() -> None:
    assert [classic.py2_str(v) for v in (None, True, 5, 0.1 + 0.2, 2.0, "x")] == [
        "None",
        "True",
        "5",
        "0.3",
        "2.0",
        "x",
    ]


def test_limit_policy_underscores_and_flag_values() -> None:
    queue = Queue(
        "q",
        arguments={"qpid.policy_type": "self_destruct", "qpid.shared_msg_group": 2},
    )
    assert classic.queue_attributes(queue) == ["--limit-policy=self-destruct"]
    exchange = Exchange("x", "topic", arguments={"qpid.msg_sequence": 2, "qpid.ive": 0})
    assert classic.exchange_attributes(exchange) == ["--sequence"]


# -- JSON documents ------------------------------------------------------------------------


def test_queue_document_shape() -> None:
    queue = Queue(
        "q1",
        durable=True,
        alternate_exchange="amq.direct",
        arguments={"qpid.max_size": 100000, "qpid.shared_msg_group": 1, "x": "y"},
        statistics={"msgDepth": 3},
    )
    document = documents.queue_bindings([queue], [Binding("amq.direct", "q1", "k")])
    assert document == {
        "queues": [
            {
                "name": "q1",
                "durable": True,
                "auto_delete": False,
                "exclusive": False,
                "alternate_exchange": "amq.direct",
                "arguments": {"qpid.max_size": 100000, "qpid.shared_msg_group": 1, "x": "y"},
                "options": {
                    "durable": True,
                    "max-queue-size": 100000,
                    "alternate-exchange": "amq.direct",
                    "shared-groups": True,
                },
                "statistics": {"msgDepth": 3},
                "bindings": [{"exchange": "amq.direct", "key": "k", "arguments": {}}],
            }
        ]
    }


def test_other_documents() -> None:
    overview = documents.overview(BUILT_IN, [REPLY_QUEUE])
    assert overview["exchanges"]["types"] == {
        "topic": 3,
        "amq.failover": 1,
        "fanout": 1,
        "direct": 3,
        "headers": 1,
    }
    assert overview["queues"] == {"total": 1, "durable": 0, "non_durable": 1}
    document = documents.exchange_bindings(BIND_EXCHANGES[:1], BIND_BINDINGS)
    assert document["exchanges"][0]["bindings"] == [{"queue": "bq", "key": "k1", "arguments": {}}]
    columns, missing = classic.list_columns("binding", BINDING_OBJECTS, ("queueRef", "nope"))
    listed = documents.objects("binding", BINDING_OBJECTS[:1], columns, missing)
    assert listed == {
        "type": "binding",
        "properties": ["queueRef"],
        "missing": ["nope"],
        "objects": [{"queueRef": REPLY}],
    }


def test_proton_number_types_print_as_numbers() -> None:
    from proton import ulong, ushort

    assert classic.py2_str(ulong(7)) == "7"
    assert classic.py2_repr({"n": ushort(3)}) == "{u'n': 3}"
