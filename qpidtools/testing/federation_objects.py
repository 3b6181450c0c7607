"""The `link`, `bridge` and `subscription` objects of a double's federation, as qpidd lists
them (captures 310-314): AMQP types, references, and which objects carry an agent epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from proton import uint, ulong, ushort

from qpidtools.testing.federation import DOUBLES, refresh

if TYPE_CHECKING:
    from qpidtools.testing.model import BrokerState

LINK_PREFIX = "org.apache.qpid.broker:link:"
VHOST = "org.apache.qpid.broker:vhost:org.apache.qpid.broker:broker:amqp-broker,/"
#: (class name, object name, created, values, agent epoch or None for durable objects)
ObjectRow = tuple[str, str, int, dict[str, Any], int | None]


def reference(name: str, epoch: int | None) -> dict[str, Any]:
    value: dict[str, Any] = {"_object_name": name.encode()}
    if epoch is not None:
        value["_agent_epoch"] = ulong(epoch)
    return value


def management_objects(state: BrokerState) -> list[ObjectRow]:
    """The `link` and `bridge` objects, with the AMQP types the captures show (310-314)."""
    rows: list[ObjectRow] = []
    for link in list(state.links.values()):
        refresh(link)
        epoch = None if link.durable else state.epoch
        connection = (
            reference(f"org.apache.qpid.broker:connection:{link.name}", state.epoch)
            if link.connected
            else {"_object_name": b""}
        )
        values: dict[str, Any] = {
            "connectionRef": connection,
            "durable": link.durable,
            "host": link.host.encode(),
            "lastError": link.last_error.encode(),
            "name": link.name.encode(),
            "port": ushort(link.port),
            "state": link.state.encode(),
            "transport": link.transport.encode(),
            "vhostRef": reference(VHOST, None),
        }
        rows.append(("link", LINK_PREFIX + link.name, link.created, values, epoch))
    for bridge in state.bridges.values():
        link_name = LINK_PREFIX + bridge.link.name
        values = {
            "channelId": ushort(bridge.channel),
            "credit": uint(bridge.credit),
            "dest": bridge.dest.encode(),
            "durable": bridge.durable,
            "dynamic": bridge.dynamic,
            "excludes": bridge.excludes.encode(),
            "key": bridge.key.encode(),
            "linkRef": reference(link_name, None if bridge.link.durable else state.epoch),
            "name": bridge.name.encode(),
            "src": bridge.src.encode(),
            "srcIsLocal": bridge.src_is_local,
            "srcIsQueue": bridge.src_is_queue,
            "sync": ushort(bridge.sync),
            "tag": bridge.tag.encode(),
        }
        name = f"org.apache.qpid.broker:bridge:{link_name},{bridge.name}"
        rows.append(("bridge", name, bridge.created, values, state.epoch))
    return rows + subscriptions(state)


def subscriptions(state: BrokerState) -> list[ObjectRow]:
    """The subscriptions the active bridges of every double hold on this (source) broker."""
    rows: list[ObjectRow] = []
    bridges = {b for other in (*DOUBLES.values(), state) for b in other.bridges.values()}
    for bridge in bridges:
        if bridge.feeds is None or bridge.feeds[0] is not state or bridge.session is None:
            continue
        queue, session = bridge.feeds[1].name, bridge.session.name
        values = {
            "acknowledged": False,
            "arguments": {},
            "browsing": False,
            "creditMode": b"WINDOW",
            "delivered": ulong(0),
            "exclusive": False,
            "name": bridge.src.encode(),
            "queueRef": reference(f"org.apache.qpid.broker:queue:{queue}", state.epoch),
            "sessionRef": reference(f"org.apache.qpid.broker:session:{session}", state.epoch),
        }
        name = (
            f"org.apache.qpid.broker:subscription:org.apache.qpid.broker:session:{session},"
            f"org.apache.qpid.broker:queue:{queue},{bridge.src}"
        )
        rows.append(("subscription", name, bridge.created, values, state.epoch))
    return rows
