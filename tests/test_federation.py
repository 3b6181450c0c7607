"""Federation in the library and in the double: typed links and bridges, link states as the
captures show them (312), the events a link raises (320), and bridges that carry messages.

These tests drive the double's own state (stopping and restarting a peer, a broker that
wants a login), so they run on the double only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from qpidtools import Bridge, Link
from qpidtools.address import parse_address
from qpidtools.broker import Broker
from qpidtools.qmf import QmfObject
from qpidtools.testing import BrokerDouble, send_messages, wait_for
from qpidtools.testing.federation import refresh
from qpidtools.testing.model import LOCK
from qpidtools.transport import ConnectionSettings

Event = tuple[str, str, dict[str, Any], str]


def api(address: str) -> Any:
    return Broker.connect(ConnectionSettings(parse_address(address), timeout=10))


@pytest.fixture
def pair() -> Iterator[tuple[BrokerDouble, BrokerDouble, list[Event]]]:
    """Two doubles with fed.x (direct) and fed.dyn (topic); the events A raises are recorded."""
    events: list[Event] = []
    with BrokerDouble() as a, BrokerDouble() as b:
        a.state.publish_event = lambda *event: events.append(event)
        for double in (a, b):
            with api(double.address) as broker:
                broker.add_exchange("direct", "fed.x", {})
                broker.add_exchange("topic", "fed.dyn", {})
        yield a, b, events


def depth(address: str, queue: str) -> int:
    with api(address) as broker:
        found = broker.queue(queue)
    assert found is not None
    return found.statistics["msgDepth"]


def test_typed_links_and_bridges(pair: Any) -> None:
    a, b, _ = pair
    with api(a.address) as broker:
        broker.open_link("localhost", b.port, durable=True)
        link = broker.wait_for_link("127.0.0.1", b.port, timeout=5)
        assert isinstance(link, Link)
        assert (link.name, link.state, link.connected) == (
            f"qpid.tcp:localhost:{b.port}",
            "Operational",
            True,
        )
        assert (link.address, link.durable, link.transport) == (f"localhost:{b.port}", True, "tcp")
        name = broker.add_bridge(link, "fed.x", "fed.x", "k1", durable=True, sync=5, credit=10)
        assert name == f"fed.x:k1:{link.name}:False:False"
        (bridge,) = broker.bridges()
        assert isinstance(bridge, Bridge)
        assert (bridge.link, bridge.kind, bridge.key, bridge.sync, bridge.credit) == (
            link.name,
            "exchange",
            "k1",
            5,
            10,
        )
        broker.close_bridge(bridge)
        assert broker.bridges() == []
        broker.close_link(link)
        assert broker.links() == []


def test_link_events(pair: Any) -> None:
    a, b, events = pair
    with api(a.address) as broker:
        broker.add_link("ev-link", "127.0.0.1", b.port)
    b.stop()
    with LOCK:
        refresh(a.state.links["ev-link"])
    with api(a.address) as broker:
        broker.delete("link", "ev-link")
    link_exchange = b"qpid.link.ev-link"
    rhost = f"127.0.0.1:{b.port}".encode()
    # Only the link's events: queues, exchanges and connections raise theirs too.
    assert [
        (name, values, severity)
        for _, name, values, severity in events
        if name.startswith("brokerLink") or values.get("exName") == link_exchange
    ] == [
        (
            "exchangeDeclare",
            {
                "altEx": b"",
                "args": {},
                "autoDel": False,
                "disp": b"created",
                "durable": False,
                "exName": link_exchange,
                "exType": b"qpid.LinkExchange",
                "rhost": b"",
                "user": b"",
            },
            "info",
        ),
        ("brokerLinkUp", {"rhost": rhost}, "info"),
        ("brokerLinkDown", {"rhost": rhost}, "warn"),
        ("exchangeDelete", {"exName": link_exchange, "rhost": b"", "user": b""}, "info"),
    ]


def link_state(double: BrokerDouble, name: str) -> tuple[str, str]:
    with LOCK:
        link = double.state.links[name]
        refresh(link)
        return link.state, link.last_error


def test_link_follows_its_peer_down_and_up(pair: Any) -> None:
    a, b, _ = pair
    port = b.port
    with api(a.address) as broker:
        broker.add_link("to-b", "127.0.0.1", port)
    assert link_state(a, "to-b") == ("Operational", "")
    b.stop()
    assert link_state(a, "to-b") == ("Waiting", "Closed by peer")
    wait_for(lambda: link_state(a, "to-b") == ("Waiting", "Connection refused"))
    with BrokerDouble(port=port):
        # qpidd keeps the old lastError once the link is up again (captures 312)
        assert link_state(a, "to-b") == ("Operational", "Connection refused")


def test_a_broker_that_wants_a_login_fails_the_link(pair: Any) -> None:
    a, _, _ = pair
    with BrokerDouble(ha=None) as s:
        s.state.link_users = {"fed": "secret"}
        with api(a.address) as broker:
            broker.add_link("none", "127.0.0.1", s.port)
            broker.add_link("bad", "127.0.0.1", s.port, authMechanism="PLAIN", username="fed",
                            password="wrong")  # fmt: skip
            broker.add_link("good", "127.0.0.1", s.port, authMechanism="PLAIN", username="fed",
                            password="secret")  # fmt: skip
            states = {link.name: (link.state, link.last_error) for link in broker.links()}
    assert states == {
        "none": ("Failed", "connection-forced: Unsupported mechanism"),
        "bad": ("Failed", "connection-forced: Authentication failed"),
        "good": ("Operational", ""),
    }


def test_bridges_carry_messages(pair: Any) -> None:
    """Static, queue, push and dynamic routes, and no message going round a loop."""
    a, b, _ = pair
    with api(b.address) as broker:
        broker.add_queue("srcq", {})
        broker.add_queue("pushed", {})
        broker.bind("fed.x", "pushed", "kp")
    send_messages(b.address, "srcq", 2, subject="k1")  # queued before the route exists
    with api(a.address) as broker:
        broker.add_queue("in", {})
        broker.bind("fed.x", "in", "k1")
        broker.add_queue("news", {})
        broker.bind("fed.dyn", "news", "news.#")
        broker.open_link("127.0.0.1", b.port)
        link = broker.wait_for_link("127.0.0.1", b.port, timeout=5)
        assert link is not None
        broker.add_bridge(link, "fed.x", "fed.x", "k1")
        broker.add_bridge(link, "srcq", "fed.x", src_is_queue=True)
        broker.add_bridge(link, "fed.x", "fed.x", "kp", src_is_local=True)
        broker.add_bridge(link, "fed.dyn", "fed.dyn", dynamic=True)
    with api(b.address) as broker:  # and back: B pulls k1 from A, a loop
        broker.open_link("127.0.0.1", a.port)
        back = broker.wait_for_link("127.0.0.1", a.port, timeout=5)
        assert back is not None
        broker.add_bridge(back, "fed.x", "fed.x", "k1")
    with api(a.address) as broker:  # bound after the dynamic route was made
        broker.bind("fed.dyn", "news", "later.#")
    send_messages(b.address, "fed.x", 3, subject="k1")
    send_messages(b.address, "fed.dyn", 1, subject="later.eu")
    send_messages(b.address, "fed.dyn", 1, subject="news.eu")
    send_messages(b.address, "fed.dyn", 1, subject="sport.eu")
    send_messages(a.address, "fed.x", 1, subject="kp")
    assert depth(a.address, "in") == 3 + 2  # three by key k1, the two queued on srcq
    assert depth(a.address, "news") == 2  # only what A's bindings ask for
    assert depth(b.address, "pushed") == 1
    assert depth(b.address, "srcq") == 0


def test_a_link_has_its_connection_on_both_brokers(pair: Any) -> None:
    a, b, _ = pair

    def federation_connections(double: BrokerDouble) -> list[dict[str, Any]]:
        with api(double.address) as broker:
            found = broker.objects("connection")
        return [c.values for c in found if c.values.get("protocol") == "AMQP 0-10"]

    with api(a.address) as broker:
        broker.add_link("to-b", "127.0.0.1", b.port)
    (here,) = federation_connections(a)
    (there,) = federation_connections(b)
    assert (here["address"], here["incoming"], here["authIdentity"]) == ("to-b", False, "")
    assert there["incoming"] and there["remoteProperties"]["qpid.fed_link"] == 1
    with api(a.address) as broker:
        broker.delete("link", "to-b")
    assert federation_connections(a) == federation_connections(b) == []


def test_a_silent_peer_times_out_and_is_tried_again(
    pair: Any, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qpidtools.testing import federation

    a, _, events = pair
    with api(a.address) as broker:
        broker.add_link("to-silent", "127.0.0.1", silent_port)
    assert link_state(a, "to-silent") == ("Operational", "")
    monkeypatch.setattr(federation, "SILENT_PEER_TIMEOUT_S", 0.0)  # qpidd: about 10 s
    assert link_state(a, "to-silent") == ("Waiting", "Closed by peer")
    monkeypatch.setattr(federation, "SILENT_PEER_TIMEOUT_S", 10.0)
    wait_for(lambda: link_state(a, "to-silent") == ("Operational", "Closed by peer"))
    assert "brokerLinkDown" not in [name for _, name, _, _ in events]  # it was never up


def test_an_active_bridge_subscribes_on_the_source(pair: Any) -> None:
    a, b, _ = pair
    with api(a.address) as broker:
        broker.open_link("127.0.0.1", b.port)
        link = broker.wait_for_link("127.0.0.1", b.port, timeout=5)
        assert link is not None
        broker.add_bridge(link, "fed.x", "fed.x", "k1")
    with api(b.address) as broker:
        (subscription,) = broker.objects("subscription")
        sessions = [s.key for s in broker.objects("session") if "bridge_session" in s.key]
    assert subscription.values["name"] == "fed.x"
    assert subscription.values["creditMode"] == "WINDOW"
    assert sessions == [subscription.values["sessionRef"]["_object_name"].split(":", 2)[2]]
    with api(a.address) as broker:
        broker.close_bridge(broker.bridges()[0])
    with api(b.address) as broker:
        assert broker.objects("subscription") == []


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        (Link, {"name": "l", "host": "h", "port": "five"}),
        (Link, {"name": "l", "host": 5, "port": 5672}),
        (Bridge, {"name": "b", "src": "x", "dest": "y", "credit": "all"}),
    ],
)
def test_links_and_bridges_of_the_wrong_type_are_refused(kind: Any, values: dict[str, Any]) -> None:
    """A value of the wrong type is a malformed reply, not quietly turned into a string."""
    name = f"org.apache.qpid.broker:{kind.__name__.lower()}:x"
    with pytest.raises(TypeError):
        kind.from_qmf(QmfObject(name, kind.__name__.lower(), "org.apache.qpid.broker", values))
