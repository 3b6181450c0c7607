"""Behaviour of the broker double beyond single QMF replies: connections, links, HA, helpers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from capture_files import QMF_CAPTURES, load
from proton import ConnectionException, Message, symbol
from proton.utils import BlockingConnection
from qmf_replay import ReplayClient

from qpidtools.testing import BrokerDouble, DoubleCluster, hold_consumer, send_messages, wait_for
from qpidtools.testing.model import LOCK
from qpidtools.testing.plugin import broker_source

#: These two tests are about the fixtures' choice of broker when no qpidd is configured.
only_with_the_double = pytest.mark.skipif(
    broker_source() != "double", reason="a real qpidd is configured: the fixtures use it"
)

HABROKER = "org.apache.qpid.ha:habroker:ha-broker"
ABORTED = "Condition('amqp:connection:framing-error', 'connection aborted')"


def query(client: ReplayClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    request = {
        "subject": "broker",
        "correlation_id": "q",
        "application_properties": {
            "method": "request",
            "qmf.opcode": "_query_request",
            "x-amqp-0-10.app-id": "qmf2",
        },
        "body": body,
    }
    return [obj for record in client.exchange(request) for obj in record["body"]]


def queue_values(client: ReplayClient, name: str) -> dict[str, Any]:
    (found,) = query(client, {"_what": "OBJECT", "_object_id": {
        "_object_name": f"org.apache.qpid.broker:queue:{name}"}})  # fmt: skip
    values: dict[str, Any] = found["_values"]
    return values


def ha_status(address: str) -> str:
    client = ReplayClient(address, ha_admin=True)
    try:
        (habroker,) = query(client, {"_what": "OBJECT", "_schema_id": {"_class_name": "habroker"}})
        status: str = habroker["_values"]["status"]["$binary"]
        return status
    finally:
        client.close()


@pytest.fixture
def double() -> Any:
    with BrokerDouble() as started:
        yield started


def test_messages_and_consumers_move_the_counters(double: BrokerDouble) -> None:
    client = ReplayClient(double.address)
    client.method("create", {"type": "queue", "name": "q", "properties": {}})
    send_messages(double.address, "q", 3)
    with hold_consumer(double.address, "q"):
        values = queue_values(client, "q")
        assert values["msgDepth"] == {"$ulong": 3}
        assert values["msgTotalEnqueues"] == {"$ulong": 3}
        assert values["consumerCount"] == {"$uint": 1}
    assert queue_values(client, "q")["consumerCount"] == {"$uint": 0}
    client.close()


def test_receiving_dequeues_and_exchanges_route_by_subject(double: BrokerDouble) -> None:
    client = ReplayClient(double.address)
    client.method("create", {"type": "queue", "name": "q", "properties": {}})
    client.method("create", {"type": "binding", "name": "amq.topic/q/news.#", "properties": {}})
    conn = BlockingConnection(double.address, timeout=10)
    sender = conn.create_sender("amq.topic")
    sender.send(Message(body="kept", subject="news.today"))
    sender.send(Message(body="dropped", subject="sports"))
    receiver = conn.create_receiver("q")
    assert receiver.receive(timeout=5).body == "kept"
    receiver.accept()
    conn.close()
    assert queue_values(client, "q")["msgDepth"] == {"$ulong": 0}
    client.close()


def test_unknown_node_is_refused(double: BrokerDouble) -> None:
    conn = BlockingConnection(double.address, timeout=10)
    with pytest.raises(Exception, match="Node not found: nowhere"):
        conn.create_receiver("nowhere")
    conn.close()


def test_dynamic_reply_queue_goes_away_with_its_connection(double: BrokerDouble) -> None:
    client = ReplayClient(double.address)
    name = client.reply_to
    with LOCK:
        assert double.state.queues[name].auto_delete
    client.close()
    wait_for(lambda: name not in double.state.queues, what="reply queue deleted")


def test_stop_drops_connections_and_refuses_new_ones() -> None:
    double = BrokerDouble(ha=None)
    client = ReplayClient(double.address)
    double.stop()
    with pytest.raises(ConnectionException):
        ReplayClient(double.address, timeout=3)
    client.close(peer_gone=True)


def test_backups_abort_as_captured() -> None:
    """221: a real backup aborted plain connections with exactly the condition checked below."""
    path = QMF_CAPTURES / "221-ha-backup-client-connections.json"
    attempts = load(path)["connection_attempts"]
    texts = [a["error"]["text"] for a in attempts if a.get("error")]
    assert texts and all(text.endswith(ABORTED) for text in texts)


def test_backup_rejects_plain_connections() -> None:
    """221: backups abort connections without qpid.ha-admin, before sending their open."""
    with DoubleCluster(3, recovery_s=0.1, catchup_s=0.2) as cluster:
        c1, c2, _ = cluster.members
        with pytest.raises(ConnectionException, match=re.escape(ABORTED)):
            BlockingConnection(c1.address, timeout=5)
        admin = BlockingConnection(c1.address, timeout=5, properties={symbol("qpid.ha-admin"): 1})
        assert admin.conn is not None
        offered = admin.conn.remote_properties or {}
        assert set(offered) == {"product", "version", "platform", "host"}
        assert offered[symbol("product")] == "qpid-cpp"
        admin.close()
        assert ha_status(c1.address) == "joining"
        client = ReplayClient(c1.address, ha_admin=True)
        client.method("promote", {}, HABROKER)
        client.close()
        wait_for(lambda: cluster.statuses() == ["active", "ready", "ready"])
        with pytest.raises(ConnectionException, match=re.escape(ABORTED)):
            BlockingConnection(c2.address, timeout=5)
        for value in (1, False):  # the property's value is ignored
            BlockingConnection(
                c2.address, timeout=5, properties={symbol("qpid.ha-admin"): value}
            ).close()
        BlockingConnection(c1.address, timeout=5).close()  # the primary takes anyone


def test_failover_keeps_the_dead_primary_listed_until_a_promote() -> None:
    # recovery_s long enough that `recovering` is still seen after the promote reply
    with DoubleCluster(3, recovery_s=0.5, catchup_s=0.2) as cluster:
        client = ReplayClient(cluster.members[0].address, ha_admin=True)
        client.method("promote", {}, HABROKER)
        client.close()
        wait_for(lambda: cluster.statuses() == ["active", "ready", "ready"])
        cluster.members[0].stop()
        assert cluster.statuses() == ["stopped", "ready", "ready"]
        with LOCK:
            listed = [status for _, _, status in cluster.members[1].ha.members()]  # type: ignore[union-attr]
        assert sorted(listed) == ["active", "ready", "ready"]
        backup = ReplayClient(cluster.members[1].address, ha_admin=True)
        backup.method("promote", {}, HABROKER)
        backup.close()
        assert cluster.statuses()[1] == "recovering"
        wait_for(lambda: cluster.statuses() == ["stopped", "active", "ready"])


def test_brokers_url_names_every_member() -> None:
    with DoubleCluster(2) as cluster:
        ports = [member.port for member in cluster.members]
        assert cluster.brokers_url == f"amqp:tcp:127.0.0.1:{ports[0]},tcp:127.0.0.1:{ports[1]}"


@only_with_the_double
def test_broker_fixture_is_the_double_here(broker: Any, broker_no_ha: Any) -> None:
    assert broker.kind == "double" and not broker.is_real
    assert ha_status(broker.address) == "standalone"
    client = ReplayClient(broker_no_ha.address)
    assert query(client, {"_what": "OBJECT", "_schema_id": {"_class_name": "habroker"}}) == []
    client.close()


@only_with_the_double
@pytest.mark.real_broker
def test_real_broker_marker_skips_with_the_double() -> None:
    pytest.fail("only runs against a real qpidd")
