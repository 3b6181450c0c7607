"""``qpid-stat --openmetrics``: broker, queue and exchange statistics for Prometheus.

Written with the reference client library, ``prometheus_client`` (imported only here), so
names, ``# HELP``/``# TYPE`` lines, counter ``_total`` samples and the escaping of label
values follow the OpenMetrics text format for any queue name qpidd accepts. Metric names
start with ``qpid_``; labels are ``broker`` (host:port) and ``queue`` or ``exchange``.
Counters are counters, depths and counts are gauges.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

COUNTER, GAUGE = "counter", "gauge"
#: (metric name after ``qpid_<kind>_``, QMF statistic, type, help) per kind of object.
METRICS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "broker": (
        ("queues", "queueCount", GAUGE, "Queues on the broker."),
        ("depth_messages", "msgDepth", GAUGE, "Messages on all queues."),
        ("depth_bytes", "byteDepth", GAUGE, "Bytes of the messages on all queues."),
        ("messages_enqueued", "msgTotalEnqueues", COUNTER, "Messages enqueued on any queue."),
        ("messages_dequeued", "msgTotalDequeues", COUNTER, "Messages dequeued from any queue."),
        ("bytes_enqueued", "byteTotalEnqueues", COUNTER, "Bytes enqueued on any queue."),
        ("bytes_dequeued", "byteTotalDequeues", COUNTER, "Bytes dequeued from any queue."),
        ("discards_no_route", "discardsNoRoute", COUNTER, "Messages no binding matched."),
        ("discards_ring", "discardsRing", COUNTER, "Messages pushed out of ring queues."),
        ("discards_ttl", "discardsTtl", COUNTER, "Messages expired before delivery."),
        ("abandoned", "abandoned", COUNTER, "Messages dropped when their queue was deleted."),
    ),
    "queue": (
        ("depth_messages", "msgDepth", GAUGE, "Messages on the queue."),
        ("depth_bytes", "byteDepth", GAUGE, "Bytes of the messages on the queue."),
        ("consumers", "consumerCount", GAUGE, "Consumers of the queue."),
        ("bindings", "bindingCount", GAUGE, "Bindings of the queue."),
        ("messages_enqueued", "msgTotalEnqueues", COUNTER, "Messages enqueued."),
        ("messages_dequeued", "msgTotalDequeues", COUNTER, "Messages dequeued."),
        ("bytes_enqueued", "byteTotalEnqueues", COUNTER, "Bytes enqueued."),
        ("bytes_dequeued", "byteTotalDequeues", COUNTER, "Bytes dequeued."),
        ("acquires", "acquires", COUNTER, "Messages acquired by consumers."),
        ("releases", "releases", COUNTER, "Messages released back to the queue."),
        ("discards_ring", "discardsRing", COUNTER, "Messages pushed out of a ring queue."),
        ("discards_overflow", "discardsOverflow", COUNTER, "Messages refused: queue full."),
        ("discards_ttl", "discardsTtl", COUNTER, "Messages expired before delivery."),
    ),
    "exchange": (
        ("bindings", "bindingCount", GAUGE, "Bindings of the exchange."),
        ("messages_received", "msgReceives", COUNTER, "Messages received."),
        ("messages_routed", "msgRoutes", COUNTER, "Messages routed to queues."),
        ("messages_dropped", "msgDrops", COUNTER, "Messages dropped (no route)."),
        ("bytes_received", "byteReceives", COUNTER, "Bytes received."),
        ("bytes_routed", "byteRoutes", COUNTER, "Bytes routed to queues."),
        ("bytes_dropped", "byteDrops", COUNTER, "Bytes dropped (no route)."),
    ),
}


def families(
    broker_label: str,
    broker: Mapping[str, Any],
    queues: Iterable[Mapping[str, Any]],
    exchanges: Iterable[Mapping[str, Any]],
) -> Iterator[Metric]:
    """The metric families of one broker, from the QMF values of its objects."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    groups: dict[str, tuple[list[str], list[tuple[list[str], Mapping[str, Any]]]]] = {
        "broker": (["broker"], [([broker_label], broker)]),
        "queue": (["broker", "queue"], [([broker_label], v) for v in queues]),
        "exchange": (["broker", "exchange"], [([broker_label], v) for v in exchanges]),
    }
    for kind, (labels, objects) in groups.items():
        for suffix, key, kind_of_metric, text in METRICS[kind]:
            family_class = CounterMetricFamily if kind_of_metric == COUNTER else GaugeMetricFamily
            family = family_class(f"qpid_{kind}_{suffix}", text, labels=labels)
            for label_values, values in objects:
                value = values.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    names = label_values if kind == "broker" else [*label_values, _name(values)]
                    family.add_metric(names, value)
            yield family


def _name(values: Mapping[str, Any]) -> str:
    return str(values.get("name", ""))


def exposition(metrics: Iterable[Metric]) -> str:
    """The OpenMetrics text of ``metrics``, ending in ``# EOF``."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.openmetrics.exposition import generate_latest

    found = list(metrics)

    class _Fixed:
        def collect(self) -> list[Metric]:
            return found

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed())
    text: bytes = generate_latest(registry)  # type: ignore[no-untyped-call]
    return text.decode()
