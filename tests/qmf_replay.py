"""Read the qpidd captures and talk to a broker at the wire level to replay them.

`decode` turns the captures' JSON type tags (`{"$ulong": 5}`, `{"$binary": "x"}`, ...) into
proton values; `tag` turns proton values back into that JSON form, so a reply from the double
and a recorded reply can be compared as plain JSON with their AMQP types intact.
`ReplayClient` sends requests as raw AMQP sections and records replies section by section,
the way the capture generator did (proton's Message getters would fill in defaults).
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from typing import Any

from proton import (
    ConnectionException,
    Data,
    Delivery,
    Described,
    Endpoint,
    Event,
    Handler,
    byte,
    char,
    float32,
    int32,
    short,
    symbol,
    timestamp,
    ubyte,
    uint,
    ulong,
    ushort,
)
from proton.utils import BlockingConnection

_SCALARS: dict[str, Any] = {
    "$ulong": ulong,
    "$uint": uint,
    "$ushort": ushort,
    "$ubyte": ubyte,
    "$int": int32,
    "$short": short,
    "$byte": byte,
    "$float": float32,
    "$char": char,
    "$timestamp": timestamp,
    "$symbol": symbol,
}
# Most specific type first: symbol is a str, ulong an int, bool an int.
_TAGS: list[tuple[type, str]] = [
    (bool, ""),
    (symbol, "$symbol"),
    (ulong, "$ulong"),
    (uint, "$uint"),
    (ushort, "$ushort"),
    (ubyte, "$ubyte"),
    (int32, "$int"),
    (short, "$short"),
    (byte, "$byte"),
    (timestamp, "$timestamp"),
    (float32, "$float"),
    (char, "$char"),
]
SECTIONS = {
    0x70: "header",
    0x71: "delivery_annotations",
    0x72: "message_annotations",
    0x73: "properties",
    0x74: "application_properties",
    0x75: "data",
    0x76: "amqp_sequence",
    0x77: "amqp_value",
    0x78: "footer",
}
HEADER_FIELDS = ("durable", "priority", "ttl", "first_acquirer", "delivery_count")
PROPERTY_FIELDS = (
    "message_id",
    "user_id",
    "to",
    "subject",
    "reply_to",
    "correlation_id",
    "content_type",
    "content_encoding",
    "absolute_expiry_time",
    "creation_time",
    "group_id",
    "group_sequence",
    "reply_to_group_id",
)


def decode(value: Any) -> Any:
    """Captured JSON to proton values."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, inner), *_ = value.items()
        if key in _SCALARS:
            return _SCALARS[key](inner)
        if key == "$binary":
            return inner.encode()
        if key == "$uuid":
            return uuid.UUID(inner)
        if key == "$map":
            return {decode(k): decode(v) for k, v in inner}
    return {key: decode(item) for key, item in value.items()}


def tag(value: Any) -> Any:
    """Proton values to the captures' JSON form."""
    if isinstance(value, dict):
        if all(type(key) is str for key in value):
            return {key: tag(item) for key, item in value.items()}
        return {"$map": [[tag(key), tag(item)] for key, item in value.items()]}
    if isinstance(value, list):
        return [tag(item) for item in value]
    if isinstance(value, bytes | memoryview):
        return {"$binary": bytes(value).decode()}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    for type_, name in _TAGS:
        if isinstance(value, type_):
            if not name:
                return value
            return {name: str(value) if isinstance(value, str) else value}
    if isinstance(value, int | float | str) or value is None:
        return value
    raise TypeError(f"no capture tag for {type(value).__name__}")


def owned(value: Any) -> Any:
    """Copy proton's memoryviews, which point into a Data buffer that is about to be freed."""
    if isinstance(value, Described):
        return Described(value.descriptor, owned(value.value))
    if isinstance(value, dict):
        return {owned(key): owned(item) for key, item in value.items()}
    if isinstance(value, list):
        return [owned(item) for item in value]
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def sections_of(raw: bytes) -> list[tuple[str, Any]]:
    data = Data()
    found = []
    while raw:
        consumed = data.decode(raw)
        raw = raw[consumed:]
        data.rewind()
        data.next()
        section = owned(data.get_object())
        data.clear()
        assert isinstance(section, Described)
        descriptor: Any = section.descriptor
        found.append((SECTIONS[int(descriptor)], section.value))
    return found


def record_of(raw: bytes) -> dict[str, Any]:
    """A message record like the captures': only the fields present on the wire."""
    record: dict[str, Any] = {"sections": []}
    for name, value in sections_of(raw):
        record["sections"].append(name)
        if name == "header":
            record["header"] = {
                f: tag(v) for f, v in zip(HEADER_FIELDS, value, strict=False) if v is not None
            }
        elif name == "properties":
            for field, item in zip(PROPERTY_FIELDS, value, strict=False):
                if item is not None:
                    record[field] = tag(item)
        elif name == "application_properties":
            record["application_properties"] = tag(value)
        elif name == "amqp_value":
            record["body"] = tag(value)
            record["body_section"] = "amqp-value"
    return record


def encode_request(request: dict[str, Any], reply_to: str | None) -> bytes:
    """The captured request's sections, with our own reply-to address."""
    properties: list[Any] = [None] * 7
    for index, field in enumerate(PROPERTY_FIELDS[:7]):
        if field in request:
            properties[index] = decode(request[field])
    properties[4] = reply_to
    data = Data()
    data.put_object(Described(ulong(0x70), []))
    data.put_object(Described(ulong(0x73), properties))
    data.put_object(Described(ulong(0x74), decode(request.get("application_properties", {}))))
    data.put_object(Described(ulong(0x77), decode(request["body"])))
    return bytes(data.encode())


class _Collector(Handler):
    """Keeps every reply's raw bytes, accepts it and keeps the credit up."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[bytes] = []

    def on_delivery(self, event: Event) -> None:
        delivery, link = event.delivery, event.link
        assert delivery is not None and link is not None
        if delivery.readable and not delivery.partial:
            self.raw.append(link.recv(delivery.pending) or b"")
            link.advance()
            delivery.update(Delivery.ACCEPTED)
            delivery.settle()
            link.flow(1)


class ReplayClient:
    """One connection with a dynamic reply queue and a sender to `qmf.default.direct`."""

    def __init__(self, address: str, *, ha_admin: bool = False, timeout: float = 10) -> None:
        options: dict[str, Any] = {"properties": {symbol("qpid.ha-admin"): 1}} if ha_admin else {}
        self.conn = BlockingConnection(address, timeout=timeout, **options)
        self.collector = _Collector()
        # Keep the BlockingReceiver: its finalizer would unset the link's handler.
        self.receiver = self.conn.create_receiver(
            None, dynamic=True, credit=200, handler=self.collector
        )
        self.reply_to: str = self.receiver.remote_source.address or ""
        self.sender = self.conn.create_sender("qmf.default.direct").link
        self.tags = 0

    def send(self, raw: bytes) -> Delivery:
        self.tags += 1
        delivery = self.sender.delivery(str(self.tags))
        self.sender.send(raw)
        self.sender.advance()
        self.conn.wait(lambda: delivery.remote_state is not None, msg="request disposition")
        return delivery

    def exchange(self, request: dict[str, Any], reply_to: str | None = "") -> list[dict[str, Any]]:
        """Send a captured request; return the reply records up to the last page."""
        start = len(self.collector.raw)
        self.send(encode_request(request, self.reply_to if reply_to == "" else reply_to))
        self.conn.wait(lambda: self.complete(start), msg=f"reply to {request.get('body')}")
        return [record_of(raw) for raw in self.collector.raw[start:]]

    def complete(self, start: int) -> bool:
        records = [record_of(raw) for raw in self.collector.raw[start:]]
        return bool(records) and "partial" not in records[-1].get("application_properties", {})

    def method(self, name: str, arguments: dict[str, Any], obj: str = "") -> dict[str, Any]:
        """Call a method (on the broker object by default) and return the reply body."""
        request = {
            "subject": "broker",
            "correlation_id": "setup",
            "application_properties": {
                "method": "request",
                "qmf.opcode": "_method_request",
                "x-amqp-0-10.app-id": "qmf2",
            },
            "body": {
                "_object_id": {"_object_name": obj or "org.apache.qpid.broker:broker:amqp-broker"},
                "_method_name": name,
                "_arguments": arguments,
            },
        }
        (reply,) = self.exchange(request)
        body: dict[str, Any] = reply["body"]
        return body

    def barrier(self) -> list[dict[str, Any]]:
        """Replies that arrive before an echo's own reply (the double answers in order)."""
        start = len(self.collector.raw)
        self.method("echo", {"sequence": 7, "body": "barrier"})
        return [record_of(raw) for raw in self.collector.raw[start:-1]]

    @property
    def open(self) -> bool:
        conn = self.conn.conn
        return conn is not None and bool(conn.state & Endpoint.REMOTE_ACTIVE)

    def close(self, peer_gone: bool = False) -> None:
        """Close; when the broker was stopped, first notice that (proton's close would wait)."""
        if peer_gone:
            with suppress(ConnectionException):
                self.conn.wait(lambda: bool(self.conn.disconnected), msg="noticing the broker left")
        self.conn.close()
