"""The double's client connections, sessions and AMQP 1.0 links, as qpidd's management shows them.

A simulation: the double speaks AMQP 1.0 only, so every client connection is ``AMQP 1.0``
and clients have no ``subscription`` objects (qpidd makes those for AMQP 0-10 consumers only,
capture 300); a federation link's connections are ``AMQP 0-10``, as qpidd's, and its bridges
have their sessions and subscriptions (see ``federation``). As in qpidd, a client that puts
``qpid.client_process`` / ``qpid.client_pid`` in its
open-frame properties gets them as ``remoteProcessName`` / ``remotePid`` (a uint), and
``remoteProperties`` holds its open properties plus its container id (but not
``qpid.ha-admin``: no recording shows what qpidd lists for it, and the fidelity replays add it
to connections recorded without it). The counters
``msgsFromClient`` / ``msgsToClient`` move as messages pass; the byte and frame counters stay 0,
as qpidd's do for AMQP 1.0 connections.
"""

from __future__ import annotations

from typing import Any

from proton import uint, ulong, ushort

from qpidtools.testing.model import ClientConnection, Endpoint, Session

PROCESS_PROPERTY = "qpid.client_process"
PID_PROPERTY = "qpid.client_pid"


def remote_properties(properties: Any) -> dict[str, Any]:
    """A client's open-frame properties with plain string keys (proton gives symbols)."""
    if not isinstance(properties, dict):
        return {}
    return {str(key): value for key, value in properties.items()}


def connection_values(conn: ClientConnection, vhost: dict[str, Any]) -> dict[str, Any]:
    """The `_values` of a `connection` object."""
    values: dict[str, Any] = {
        "SystemConnection": False,
        "address": conn.address.encode(),
        "authIdentity": conn.auth_identity.encode(),
        "bytesFromClient": ulong(0),
        "bytesToClient": ulong(0),
        "closing": False,
        "federationLink": False,
        "framesFromClient": ulong(0),
        "framesToClient": ulong(0),
        "incoming": conn.incoming,
        "msgsFromClient": ulong(conn.messages_in),
        "msgsToClient": ulong(conn.messages_out),
        "protocol": conn.protocol.encode(),
        "remoteProperties": {k: v for k, v in conn.properties.items() if k != "qpid.ha-admin"},
        "saslMechanism": conn.mechanism.encode(),
        "saslSsf": ushort(0),
        "shadow": False,
        "userProxyAuth": False,
        "vhostRef": vhost,
    }
    if conn.protocol == "AMQP 1.0":  # an AMQP 1.0 client's container id is listed too
        values["remoteProperties"]["container-id"] = conn.container_id.encode()
    pid = conn.properties.get(PID_PROPERTY)
    if isinstance(pid, int) and not isinstance(pid, bool):
        values["remotePid"] = uint(pid)
    process = conn.properties.get(PROCESS_PROPERTY)
    if isinstance(process, str):
        values["remoteProcessName"] = process.encode()
    return dict(sorted(values.items()))


def session_values(
    session: Session, connection_ref: dict[str, Any], vhost: dict[str, Any]
) -> dict[str, Any]:
    """The `_values` of a `session` object (AMQP 1.0 sessions are named like pointers)."""
    return {
        "TxnCommits": ulong(0),
        "TxnCount": uint(0),
        "TxnRejects": ulong(0),
        "TxnStarts": ulong(0),
        "attached": True,
        "channelId": ushort(0),
        "clientCredit": uint(0),
        "connectionRef": connection_ref,
        "detachedLifespan": uint(0),
        "framesOutstanding": uint(0),
        "fullName": session.name.encode(),
        "name": session.name.encode(),
        "unackedMessages": ulong(0),
        "vhostRef": vhost,
    }


def endpoint_values(
    conn: ClientConnection, endpoint: Endpoint, session_ref: dict[str, Any]
) -> dict[str, Any]:
    """The `_values` of an `incoming` (producer) or `outgoing` (consumer) link object."""
    return {
        "containerid": conn.container_id.encode(),
        "domain": b"",
        "name": endpoint.name.encode(),
        "sessionRef": session_ref,
        "source": endpoint.source.encode(),
        "target": endpoint.target.encode(),
        "transfers": ulong(endpoint.transfers),
    }
