"""QMF2 over AMQP 1.0: method calls and object queries, replies decoded, errors raised.

qpidd sends most strings as AMQP binary (``memoryview`` in proton) and strings inside
``arguments`` maps as AMQP strings; :func:`decode` turns both into ``str`` once, here, so no
other layer ever sees bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qpidtools.errors import BrokerError, QpidToolsError

if TYPE_CHECKING:
    import proton

    from qpidtools.transport import Connection

BROKER_OBJECT = "org.apache.qpid.broker:broker:amqp-broker"
HA_BROKER_OBJECT = "org.apache.qpid.ha:habroker:ha-broker"
ACL_OBJECT = "org.apache.qpid.acl:acl:org.apache.qpid.broker:broker:amqp-broker"


@dataclass(frozen=True)
class QmfObject:
    """One object of a query reply: its properties and statistics, decoded."""

    object_name: str
    class_name: str
    package_name: str
    values: dict[str, Any] = field(default_factory=dict)
    update_ts: int = 0
    create_ts: int = 0

    @property
    def key(self) -> str:
        """The object's own name: what follows ``package:class:`` in its object name."""
        return object_key(self.object_name)


def object_key(object_name: str) -> str:
    """``org.apache.qpid.broker:exchange:amq.direct`` -> ``amq.direct`` (names may hold ``:``)."""
    parts = object_name.split(":", 2)
    return parts[2] if len(parts) == 3 else object_name


def reference_key(value: Any) -> str | None:
    """The referred object's own name if ``value`` is a QMF reference (``{_object_name: ...}``)."""
    if isinstance(value, dict) and "_object_name" in value:
        return object_key(str(value["_object_name"]))
    return None


def decode(value: Any) -> Any:
    """Turn AMQP binary into ``str`` (bytes when not UTF-8) and uuids into text, recursively.

    Dispatches on the exact type: a 10,000-queue listing passes a million values through here,
    most of them integers that need nothing.
    """
    kind = type(value)
    if kind is dict:
        return {
            key if type(key) is str else decode(key): decode(item) for key, item in value.items()
        }
    if kind is memoryview or kind is bytes:
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
    if kind is list or kind is tuple:
        return [decode(item) for item in value]
    if kind is uuid.UUID:
        return str(value)
    return value


class QmfClient:
    """Speaks QMF2 to the broker agent over one :class:`~qpidtools.transport.Connection`."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def call(
        self,
        object_name: str,
        method: str,
        arguments: Mapping[str, Any] | None = None,
        expect_reply: bool = True,
    ) -> dict[str, Any]:
        """Invoke ``method`` on an object and return its output arguments."""
        body = _method_body(object_name, method, arguments)
        replies = self.connection.request(body, "_method_request", expect_reply=expect_reply)
        if not replies:
            return {}
        return _output(replies[0])

    def call_many(
        self, calls: Sequence[tuple[str, str, Mapping[str, Any]]]
    ) -> Iterator[tuple[int, dict[str, Any] | BrokerError]]:
        """Invoke many ``(object name, method, arguments)`` at once (pipelined); yield each
        call's index with its output arguments, or the broker's error, as replies arrive."""
        bodies = [_method_body(*call) for call in calls]
        for index, replies in self.connection.request_many(bodies, "_method_request"):
            try:
                yield index, _output(replies[0])
            except BrokerError as error:
                yield index, error

    def query_class(self, class_name: str, package_name: str | None = None) -> list[QmfObject]:
        """Every object of a class; an unknown class is simply empty."""
        schema = {"_class_name": class_name}
        if package_name:
            schema["_package_name"] = package_name
        return self._query({"_what": "OBJECT", "_schema_id": schema})

    def query_object(self, object_name: str) -> QmfObject | None:
        """One object by its full object name, or ``None`` when there is none."""
        found = self._query({"_what": "OBJECT", "_object_id": {"_object_name": object_name}})
        return found[0] if found else None

    def _query(self, body: Mapping[str, Any]) -> list[QmfObject]:
        objects: list[QmfObject] = []
        for reply in self.connection.request(body, "_query_request"):
            content = _content(reply)
            if not isinstance(content, list):
                raise QpidToolsError("unexpected reply from the broker to a query")
            objects.extend(_qmf_object(item) for item in content)
        return objects


def _method_body(
    object_name: str, method: str, arguments: Mapping[str, Any] | None
) -> dict[str, Any]:
    return {
        "_object_id": {"_object_name": object_name},
        "_method_name": method,
        "_arguments": dict(arguments or {}),
    }


def _output(reply: proton.Message) -> dict[str, Any]:
    """A method reply's output arguments; the broker's exception raised as :class:`BrokerError`."""
    return dict(decode(_content(reply).get("_arguments", {})))


def _content(reply: proton.Message) -> Any:
    properties: dict[str, Any] = dict(reply.properties or {})
    body: Any = reply.body
    if properties.get("qmf.opcode") == "_exception":
        values = body.get("_values", {}) if isinstance(body, dict) else {}
        text = str(decode(values.get("error_text", "")))
        raise BrokerError(int(values.get("error_code", 0)), text)
    return body


def _qmf_object(raw: Mapping[str, Any]) -> QmfObject:
    schema = decode(raw.get("_schema_id", {}))
    return QmfObject(
        object_name=decode(raw.get("_object_id", {}).get("_object_name", "")),
        class_name=schema.get("_class_name", ""),
        package_name=schema.get("_package_name", ""),
        values=decode(raw.get("_values", {})),
        update_ts=int(raw.get("_update_ts", 0)),
        create_ts=int(raw.get("_create_ts", 0)),
    )
