"""The configuration-as-code library without a broker: files, broker states, plans and their order.

Broker state is built from the typed objects of qpidtools.model, as the three class queries
would return them (values as the captures 100, 110, 120 and 222 show qpidd storing them).
"""

from __future__ import annotations

from typing import Any

import pytest

from qpidtools.config_file import dump, load
from qpidtools.config_plan import Plan, plan, problems
from qpidtools.configuration import CurrentConfiguration, current_configuration, exported
from qpidtools.errors import ValidationError
from qpidtools.model import Binding, Exchange, Queue

FILE = """\
exchanges:
- name: news
  type: topic
  durable: true
  alternate-exchange: spill
- name: spill
  type: fanout
queues:
- name: orders
  durable: true
  max-queue-size: 100000
  limit-policy: ring
  arguments:
    qpid.priorities: 10
- name: plain
bindings:
- exchange: news
  queue: orders
  key: sport.#
- exchange: amq.match
  queue: plain
  key: k
  arguments:
    colour: red
    x-match: all
"""


def builtin() -> list[Exchange]:
    """The exchanges of a fresh qpidd [030]."""
    return [
        Exchange("", type="direct", arguments={"qpid.replicate": "none"}),
        Exchange("amq.direct", durable=True, type="direct"),
        Exchange("amq.failover", type="amq.failover"),
        Exchange("amq.fanout", durable=True, type="fanout"),
        Exchange("amq.match", durable=True, type="headers"),
        Exchange("amq.topic", durable=True, type="topic"),
        Exchange("qmf.default.direct", type="direct"),
        Exchange("qmf.default.topic", type="topic"),
        Exchange("qpid.management", type="topic"),
    ]


def state(
    queues: list[Queue] = (),  # type: ignore[assignment]
    exchanges: list[Exchange] = (),  # type: ignore[assignment]
    bindings: list[Binding] = (),  # type: ignore[assignment]
) -> CurrentConfiguration:
    default = [Binding("", queue.name, queue.name) for queue in queues]
    return current_configuration(queues, [*builtin(), *exchanges], [*default, *bindings])


def matching() -> CurrentConfiguration:
    """A broker that holds exactly FILE."""
    return state(
        [
            Queue(
                "orders",
                durable=True,
                arguments={
                    "qpid.max_size": 100000,
                    "qpid.policy_type": "ring",
                    "qpid.priorities": 10,
                },
            ),  # fmt: skip
            Queue("plain"),
        ],
        [
            Exchange("news", durable=True, type="topic", alternate_exchange="spill"),
            Exchange("spill", type="fanout"),
        ],
        [
            Binding("news", "orders", "sport.#"),
            Binding("amq.match", "plain", "k", {"colour": "red", "x-match": "all"}),
        ],
    )


def lines(wanted: str, broker: CurrentConfiguration, **options: Any) -> list[str]:
    return plan(load(wanted, "c.yaml"), broker, **options).lines()


# -- plan lines ------------------------------------------------------------------------------


def test_an_empty_broker_gets_everything_alternates_first() -> None:
    assert lines(FILE, state()) == [
        "+ exchange fanout spill",
        "+ exchange topic news (--durable --alternate-exchange spill)",
        "+ queue orders (--durable --max-queue-size 100000 --limit-policy ring "
        "--argument qpid.priorities=10)",
        "+ queue plain",
        "+ binding amq.match plain k (colour=red x-match=all)",
        "+ binding news orders 'sport.#'",
    ]


def test_a_matching_broker_needs_nothing() -> None:
    result = plan(load(FILE, "c.yaml"), matching(), prune=True)
    assert (result.changes, result.steps) == ((), ())
    assert result.summary() == "The broker matches the configuration: no changes."


def test_prune_deletes_what_the_file_does_not_name_users_first() -> None:
    broker = matching()
    assert lines("{}", broker, prune=True) == [
        "- binding amq.match plain k",
        "- binding news orders 'sport.#'",
        "- queue orders",
        "- queue plain",
        "- exchange news",
        "- exchange spill",
    ]
    steps = plan(load("{}", "c.yaml"), broker, prune=True).steps
    names = [[(op.verb, op.spec.kind, op.spec.identity) for op in step] for step in steps]
    assert names[2:] == [[("delete", "exchange", "news")], [("delete", "exchange", "spill")]]


def test_without_prune_nothing_is_deleted() -> None:
    assert lines("{}", matching()) == []


def test_broker_owned_objects_are_never_pruned() -> None:
    broker = state(
        [
            Queue("qmf.reply"),
            Queue("qpid.system"),
            Queue("client-temp", auto_delete=True),
            Queue("client-excl", exclusive=True),
        ],
        [],
        [Binding("qmf.default.topic", "qmf.reply", "direct.x"),
         Binding("amq.topic", "client-temp", "#")],
    )  # fmt: skip
    assert lines("{}", broker, prune=True) == []


def test_differing_settings_are_named_with_option_names() -> None:
    changed = FILE.replace("100000", "200000").replace("type: fanout", "type: direct")
    changed = changed.replace("colour: red", "colour: blue")
    result = plan(load(changed, "c.yaml"), matching())
    assert result.lines() == [
        "! exchange spill: type fanout -> direct",
        "! queue orders: --max-queue-size 100000 -> 200000",
        "! binding amq.match plain k: --argument colour red -> blue",
    ]
    assert len(result.conflicts) == 3
    assert result.steps == ()


def test_added_and_removed_settings_show_unset() -> None:
    changed = FILE.replace("  durable: true\n  max-queue-size", "  max-queue-size").replace(
        "- name: plain", "- name: plain\n  arguments:\n    x-custom: 7"
    )
    assert lines(changed, matching()) == [
        "! queue orders: --durable set -> unset",
        "! queue plain: --argument x-custom unset -> 7",
    ]


def test_recreate_deletes_and_creates_again_and_binds_again() -> None:
    changed = FILE.replace("100000", "200000")
    result = plan(load(changed, "c.yaml"), matching(), recreate=True)
    assert result.lines() == [
        "! queue orders: --max-queue-size 100000 -> 200000 (recreate)",
        "+ binding news orders 'sport.#'",
    ]
    assert result.conflicts == []
    verbs = [[(op.verb, op.spec.kind) for op in step] for step in result.steps]
    assert verbs == [[("delete", "queue")], [("create", "queue")], [("create", "binding")]]


def test_recreating_a_queue_with_messages_is_blocked_unless_forced() -> None:
    broker = matching()
    full = CurrentConfiguration(broker.configuration, broker.owned, {**broker.depths, "orders": 5})
    changed = load(FILE.replace("100000", "200000"), "c.yaml")
    assert plan(changed, full, recreate=True).blocked == (
        "queue 'orders' holds 5 messages: deleting it needs --force-if-not-empty",
    )
    forced = plan(changed, full, recreate=True, force_if_not_empty=True)
    assert (forced.blocked, forced.force_if_not_empty) == ((), True)


def test_an_alternate_exchange_in_use_cannot_be_pruned() -> None:
    broker = state([Queue("kept", alternate_exchange="alt")], [Exchange("alt", type="fanout")])
    assert plan(load("{}", "c.yaml"), broker, prune=True).blocked == ()  # both go
    only_queue = load("queues:\n- name: kept\n  alternate-exchange: alt\n", "c.yaml")
    assert plan(only_queue, broker, prune=True).blocked == (
        "exchange 'alt' cannot be deleted: it is the alternate exchange of queue 'kept'",
    )
    assert problems(only_queue, broker, prune=True) == [
        "c.yaml:3: queue 'kept': alternate exchange 'alt' is neither in the file nor one the "
        "broker keeps (--prune deletes it)"
    ]


def test_alternate_chains_are_created_in_order() -> None:
    chain = """\
exchanges:
- {name: a, type: topic, alternate-exchange: b}
- {name: b, type: topic, alternate-exchange: c}
- {name: c, type: topic}
"""
    steps = plan(load(chain, "c.yaml"), state()).steps
    assert [[op.spec.identity for op in step] for step in steps] == [["c"], ["b"], ["a"]]


# -- what is compared --------------------------------------------------------------------------


def test_ha_identity_and_unrequested_replicate_level_are_ignored() -> None:
    """A cluster primary adds qpid.ha-uuid to what it replicates, its default qpid.replicate to
    queues created without one [222]."""
    primary = state(
        [Queue("plain", arguments={"qpid.ha-uuid": "1c39", "qpid.replicate": "none"})],
        [Exchange("x", type="direct", arguments={"qpid.ha-uuid": "2374", "qpid.replicate": "all"})],
    )
    wanted = "exchanges:\n- {name: x, type: direct}\nqueues:\n- name: plain\n"
    assert lines(wanted, primary) == []
    named = wanted.replace("type: direct}", "type: direct, replicate: none}")
    assert lines(named, primary) == ["! exchange x: --replicate all -> none"]
    assert "ha-uuid" not in dump(exported(primary))


def test_a_stored_value_no_option_expresses_stays_an_argument() -> None:
    """qpidd stores what it is sent, e.g. a count as a string [100]."""
    broker = state([Queue("odd", arguments={"qpid.max_count": "50", "qpid.shared_msg_group": 2})])
    text = dump(exported(broker))
    assert "    qpid.max_count: '50'\n    qpid.shared_msg_group: 2\n" in text
    assert lines(text, broker) == []


# -- export ------------------------------------------------------------------------------------


def test_export_leaves_out_broker_owned_objects_unless_all() -> None:
    broker = state(
        [Queue("mine"), Queue("temp", auto_delete=True)],
        [],
        [Binding("amq.direct", "mine", "k"), Binding("amq.direct", "temp", "k")],
    )
    assert dump(exported(broker)) == (
        "exchanges: []\nqueues:\n- name: mine\nbindings:\n- exchange: amq.direct\n"
        "  queue: mine\n  key: k\n"
    )
    everything = exported(broker, include_all=True)
    assert [e.name for e in everything.exchanges][:2] == ["amq.direct", "amq.failover"]
    assert [q.name for q in everything.queues] == ["mine", "temp"]
    assert everything.queues[1].properties == {"auto-delete": 1}


def test_export_filters_are_globs_on_both_ends_of_a_binding() -> None:
    broker = matching()
    config = exported(broker, queues="ord*", exchanges="n*")
    assert [q.name for q in config.queues] == ["orders"]
    assert [e.name for e in config.exchanges] == ["news"]
    assert [b.identity for b in config.bindings] == [("news", "orders", "sport.#")]


def test_export_is_sorted_and_reads_back_the_same() -> None:
    text = dump(exported(matching()))
    assert text.index("name: news") < text.index("name: spill")
    assert dump(load(text, "e.yaml")) == text
    as_json = dump(exported(matching()), "json")
    assert dump(load(as_json, "e.json")) == text


# -- validation --------------------------------------------------------------------------------


def invalid(text: str) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        load(text, "bad.yaml")
    return [str(raised.value), *raised.value.further]


def test_every_problem_of_a_file_is_reported_with_its_line() -> None:
    text = """\
exchanges:
- name: x
  type: bogus
queues:
- name: q
  max-queue-sise: 5
  durable: yes please
  max-queue-count: -1
- name: q
bindings:
- exchange: x
  queue: q
  colour: red
topics: []
"""
    assert invalid(text) == [
        "bad.yaml:3: exchange 'x': qpidd knows no exchange type 'bogus' (direct, fanout, topic, "
        "headers, xml)",
        "bad.yaml:6: queue 'q': unknown setting 'max-queue-sise' (known: name, durable, "
        "replicate, file-size, file-count, efp-partition-num, efp-pool-file-size, "
        "wcache-page-size, wcache-num-pages, max-queue-size, max-queue-count, limit-policy, "
        "lvq-key, alternate-exchange, flow-stop-size, flow-resume-size, flow-stop-count, "
        "flow-resume-count, group-header, shared-groups, arguments)",
        "bad.yaml:7: queue 'q': durable must be true or false, not 'yes please'",
        "bad.yaml:8: queue 'q': max-queue-count must be a whole number, 0 or more, not -1",
        "bad.yaml:9: duplicate queue 'q' (first at line 5)",
        "bad.yaml:13: binding: unknown setting 'colour' (known: exchange, queue, key, arguments)",
        "bad.yaml:14: unknown section 'topics' (exchanges, queues, bindings)",
    ]


def test_yaml_syntax_errors_and_duplicate_keys_name_the_line() -> None:
    assert invalid("queues:\n- name: a\n  name: b\n") == ["bad.yaml:3: duplicate key 'name'"]
    assert invalid("queues:\n- name: [a\n")[0].startswith("bad.yaml:3: ")
    assert invalid("- a\n") == ["bad.yaml:1: expected a mapping with exchanges, queues, bindings"]


def test_safe_loading_only() -> None:
    assert invalid("queues: !!python/object/apply:os.system ['true']\n")[0].startswith(
        "bad.yaml:1: could not determine a constructor"
    )


def test_bindings_and_arguments_are_checked() -> None:
    text = """\
queues:
- name: q
  max-queue-size: 5
  arguments: {qpid.max_size: 6, when: 2024-01-01}
bindings:
- {exchange: ex, queue: q, key: 12}
- {exchange: 'a/b', queue: q}
- {exchange: ex, queue: q, key: '12'}
- {exchange: ex, queue: q, key: '12'}
"""
    assert invalid(text) == [
        "bad.yaml:4: queue 'q': argument 'qpid.max_size' is also given as --max-queue-size; "
        "give it once",
        "bad.yaml:4: queue 'q': argument 'when' has a value qpidd cannot store: "
        "datetime.date(2024, 1, 1)",
        "bad.yaml:6: binding: key must be a string, not 12",
        "bad.yaml:7: binding: the exchange 'a/b' contains '/', which qpidd cannot bind",
        "bad.yaml:9: duplicate binding 'ex' 'q' '12' (first at line 8)",
    ]


def test_references_must_resolve_in_the_file_or_on_the_broker() -> None:
    text = """\
exchanges:
- {name: h, type: headers}
- {name: loop1, type: topic, alternate-exchange: loop2}
- {name: loop2, type: topic, alternate-exchange: loop1}
queues:
- {name: q, alternate-exchange: nowhere}
bindings:
- {exchange: missing, queue: q}
- {exchange: h, queue: gone}
- {exchange: amq.direct, queue: onbroker}
"""
    broker = state([Queue("onbroker")])
    assert problems(load(text, "c.yaml"), broker) == [
        "c.yaml:6: queue 'q': alternate exchange 'nowhere' is neither in the file nor one the "
        "broker has",
        "c.yaml:8: binding 'missing' 'q' '': exchange 'missing' is neither in the file nor one "
        "the broker has",
        "c.yaml:9: binding 'h' 'gone' '': a binding to headers exchange 'h' needs the argument "
        "x-match: all or any",
        "c.yaml:9: binding 'h' 'gone' '': queue 'gone' is neither in the file nor one the broker "
        "has",
        "c.yaml:3: exchange 'loop1': its alternate exchanges lead back to it",
        "c.yaml:4: exchange 'loop2': its alternate exchanges lead back to it",
    ]


def test_broker_owned_exchanges_keep_their_own_types() -> None:
    """``export --all`` writes amq.failover, whose type is amq.failover [030]."""
    config = load("exchanges:\n- {name: amq.failover, type: amq.failover}\n", "c.yaml")
    assert plan(config, state()) == Plan()


def test_plan_lines_are_coloured_on_a_terminal() -> None:
    from rich.console import Console

    from qpidtools.render.plans import draw

    terminal = Console(record=True, force_terminal=True, color_system="standard", width=200)
    draw(terminal, lines(FILE.replace("100000", "1"), matching()) + ["+ queue [x]"])
    assert terminal.export_text(clear=False) == (
        "! queue orders: --max-queue-size 100000 -> 1\n+ queue [x]\n"  # no markup
    )
    styled = terminal.export_text(styles=True)
    assert "\x1b[33m! queue orders" in styled
    assert "\x1b[32m+ queue [x]" in styled


def test_prune_deletes_only_what_the_patterns_select() -> None:
    from qpidtools.configuration import limited

    broker = limited(matching(), queues="ord*", exchanges="news")
    assert lines("{}", broker, prune=True) == [
        "- binding news orders 'sport.#'",
        "- queue orders",
        "- exchange news",
    ]


def test_an_empty_file_is_refused_not_read_as_nothing() -> None:
    """``cat missing.yaml | qpid-config apply - --prune`` must not delete everything."""
    assert invalid("") == ["bad.yaml: the file is empty (an empty configuration is written {})"]
    assert invalid("# only a comment\n") == [
        "bad.yaml: the file is empty (an empty configuration is written {})"
    ]
    assert load("{}", "c.yaml") == load("exchanges: []\nqueues: []\nbindings: []\n", "c.yaml")


def test_broker_owned_objects_are_taken_as_they_are() -> None:
    """``export --all`` of an HA broker names amq.direct with qpidd's own qpid.replicate [030];
    another broker's amq.direct may lack it, and qpidd cannot recreate amq.direct anyway."""
    wanted = "exchanges:\n- {name: amq.direct, type: direct, durable: true, replicate: none}\n"
    assert lines(wanted, state(), recreate=True) == []
