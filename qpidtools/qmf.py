"""QMF2 over AMQP 1.0: method calls and object queries, replies decoded, errors raised.

qpidd sends most strings as AMQP binary (``memoryview`` in proton) and strings inside
``arguments`` maps as AMQP strings; :func:`decode` turns both into ``str`` once, here, so no
other layer ever sees bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from qpidtools.errors import BrokerError, MalformedReply

if TYPE_CHECKING:
    import proton

    from qpidtools.transport import Connection

BROKER_OBJECT = "org.apache.qpid.broker:broker:amqp-broker"
HA_BROKER_OBJECT = "org.apache.qpid.ha:habroker:ha-broker"
ACL_OBJECT = "org.apache.qpid.acl:acl:org.apache.qpid.broker:broker:amqp-broker"
T = TypeVar("T")


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
    """Speaks QMF2 to the broker agent over one :class:`~qpidtools.transport.Connection`.

    Every reply is checked against what QMF promises; one that is not (wrong types, missing
    keys, pages without end) raises :class:`MalformedReply`, never a ``KeyError``.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @property
    def address(self) -> str:
        return self.connection.settings.address.host_port

    def call(
        self,
        object_name: str,
        method: str,
        arguments: Mapping[str, Any] | None = None,
        expect_reply: bool = True,
    ) -> dict[str, Any]:
        """Invoke ``method`` on an object and return its output arguments."""
        body = _method_body(object_name, method, arguments)
        replies = self.connection.stream(body, "_method_request", expect_reply=expect_reply)
        reply = next(replies, None)  # one message, even from a broker that marks it partial
        replies.close()
        if reply is None:
            return {}
        return self._output(reply, method)

    def call_many(
        self, calls: Sequence[tuple[str, str, Mapping[str, Any]]]
    ) -> Iterator[tuple[int, dict[str, Any] | BrokerError]]:
        """Invoke many ``(object name, method, arguments)`` at once (pipelined); yield each
        call's index with its output arguments, or the broker's error, as replies arrive."""
        bodies = [_method_body(*call) for call in calls]
        for index, replies in self.connection.request_many(bodies, "_method_request"):
            try:
                yield index, self._output(replies[0], calls[index][1])
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
        """All pages of a query; a page marked ``partial`` must bring objects not seen yet.

        The timeout restarts with every page, so a broker that repeated pages (or sent empty
        ones) forever would never time out: such a reply is refused as malformed instead.
        qpidd's agent marks only full pages ``partial`` (ManagementAgent.cpp sends each batch of
        100 objects, then the rest, possibly empty, without it), so it never trips this.
        """
        objects: dict[str, QmfObject] = {}
        for reply in self.connection.stream(body, "_query_request"):
            content = self._content(reply)
            if not isinstance(content, list):
                raise self._malformed("a query reply that is not a list of objects")
            try:
                page = [_qmf_object(item) for item in content]
            except _Malformed as bad:
                raise self._malformed(str(bad)) from None
            fresh = {obj.object_name: obj for obj in page if obj.object_name not in objects}
            if not fresh and "partial" in (reply.properties or {}):
                raise self._malformed("a partial page of a query reply brought no new object")
            objects.update(fresh)
        return list(objects.values())

    def typed(self, convert: Callable[[QmfObject], T], objects: Iterable[QmfObject]) -> list[T]:
        """Typed objects; a value of a type the model cannot take makes the reply malformed."""
        result = []
        for obj in objects:
            try:
                result.append(convert(obj))
            except (TypeError, ValueError, AttributeError, KeyError) as error:
                raise self._malformed(
                    f"object {obj.object_name!r} has a value of the wrong type ({error})"
                ) from error
        return result

    def _output(self, reply: proton.Message, method: str) -> dict[str, Any]:
        """A method reply's output arguments; the broker's exception raised as BrokerError."""
        content = self._content(reply)
        if not isinstance(content, dict) or not isinstance(content.get("_arguments"), dict):
            raise self._malformed(f"the reply to {method} has no _arguments map")
        return dict(decode(content["_arguments"]))

    def _content(self, reply: proton.Message) -> Any:
        """The body of a reply, after raising the broker's exception if it is one."""
        properties = reply.properties
        if not isinstance(properties, dict):
            raise self._malformed("a reply without application properties")
        body: Any = reply.body
        if properties.get("qmf.opcode") != "_exception":
            return body
        values = body.get("_values") if isinstance(body, dict) else None
        code = values.get("error_code", 0) if isinstance(values, dict) else None
        text = decode(values.get("error_text", "")) if isinstance(values, dict) else None
        if not isinstance(code, int) or not isinstance(text, str):
            raise self._malformed("an exception without error_code and error_text")
        raise BrokerError(int(code), text)

    def _malformed(self, what: str) -> MalformedReply:
        return MalformedReply(f"malformed reply from the broker at {self.address}: {what}")


class _Malformed(Exception):
    """What is wrong with one object; :class:`QmfClient` names the broker and raises it."""


def _method_body(
    object_name: str, method: str, arguments: Mapping[str, Any] | None
) -> dict[str, Any]:
    return {
        "_object_id": {"_object_name": object_name},
        "_method_name": method,
        "_arguments": dict(arguments or {}),
    }


def _qmf_object(raw: Any) -> QmfObject:
    """One object of a query reply, its envelope checked (the values are the model's)."""
    if not isinstance(raw, dict):
        raise _Malformed("a query reply holding something other than objects")
    object_id, schema = decode(raw.get("_object_id")), decode(raw.get("_schema_id", {}))
    name = object_id.get("_object_name") if isinstance(object_id, dict) else None
    values = decode(raw.get("_values", {}))
    update_ts, create_ts = raw.get("_update_ts", 0), raw.get("_create_ts", 0)
    if not isinstance(name, str):
        raise _Malformed("an object without an _object_id name")
    if not isinstance(schema, dict) or not isinstance(values, dict):
        raise _Malformed(f"object {name!r} without a _schema_id or _values map")
    if not isinstance(update_ts, int) or not isinstance(create_ts, int):
        raise _Malformed(f"object {name!r} with a non-integer _update_ts or _create_ts")
    return QmfObject(
        object_name=name,
        class_name=str(schema.get("_class_name", "")),
        package_name=str(schema.get("_package_name", "")),
        values=values,
        update_ts=int(update_ts),
        create_ts=int(create_ts),
    )
