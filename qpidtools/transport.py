"""One AMQP 1.0 connection per command: connect, TLS, SASL, timeouts, request/reply.

proton is imported here and only here, when a connection is opened, so that ``--help``,
usage errors and completion of fixed values start fast.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qpidtools.address import BrokerAddress
from qpidtools.errors import BrokerTimeout, ConnectError

if TYPE_CHECKING:
    import proton
    from proton.utils import BlockingConnection, BlockingReceiver, BlockingSender

QMF_ADDRESS = "qmf.default.direct"
_FOREVER = 10.0**7  # proton's blocking API has no "no timeout" for connecting


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything needed to reach one broker. ``timeout=None`` waits forever."""

    address: BrokerAddress
    timeout: float | None = 10.0
    sasl_mechanism: str | None = None
    sasl_service_name: str | None = None
    ssl_certificate: str | None = None
    ssl_key: str | None = None
    ssl_trustfile: str | None = None
    ssl_verify: bool = True
    ha_admin: bool = False

    def for_address(self, address: BrokerAddress) -> ConnectionSettings:
        """The same settings and credentials for another broker (``qpid-ha --all``)."""
        from dataclasses import replace

        with_credentials = address.with_credentials(self.address.user, self.address.password)
        return replace(self, address=with_credentials)


class Connection:
    """A connection with one sender to the QMF agent and one dynamic reply receiver."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self._correlation = itertools.count(1)
        self._blocking = _open(settings)
        try:
            self._sender: BlockingSender = self._blocking.create_sender(QMF_ADDRESS)
            self._receiver: BlockingReceiver = self._blocking.create_receiver(
                None, dynamic=True, credit=200
            )
            self.reply_to = str(self._receiver.link.remote_source.address)
        except Exception as error:
            self.close()
            raise _translate(error, settings) from error

    def request(
        self,
        body: Mapping[str, Any],
        opcode: str,
        subject: str = "broker",
        expect_reply: bool = True,
    ) -> list[proton.Message]:
        """Send one QMF request and return every reply message of it (all pages)."""
        from proton import Message

        correlation_id = str(next(self._correlation))
        message = Message(
            subject=subject,
            reply_to=self.reply_to,
            correlation_id=correlation_id,
            properties={
                "method": "request",
                "qmf.opcode": opcode,
                "x-amqp-0-10.app-id": "qmf2",
            },
            body=dict(body),
        )
        timeout = self.settings.timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            self._sender.send(message, timeout=_remaining(deadline))
            if not expect_reply:
                return []
            return self._collect(correlation_id, deadline)
        except Exception as error:
            raise _translate(error, self.settings) from error

    def _collect(self, correlation_id: str, deadline: float | None) -> list[proton.Message]:
        replies = []
        while True:
            reply = self._receiver.receive(timeout=_remaining(deadline))
            self._receiver.accept()
            if reply.correlation_id != correlation_id:
                continue  # a late answer to an earlier, timed-out request
            replies.append(reply)
            if "partial" not in (reply.properties or {}):
                return replies

    def close(self) -> None:
        """Close quietly: the command's outcome is already decided."""
        with suppress(Exception):  # a broker that went away (shutdown) is fine here
            self._blocking.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextmanager
def connect(settings: ConnectionSettings) -> Iterator[Connection]:
    """Open a :class:`Connection`, closed again when the block ends."""
    connection = Connection(settings)
    try:
        yield connection
    finally:
        connection.close()


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.001)


def _open(settings: ConnectionSettings) -> BlockingConnection:
    from proton import SSLDomain, symbol
    from proton.utils import BlockingConnection

    address = settings.address
    options: dict[str, Any] = {}
    if address.user is not None:
        options["user"] = address.user
        options["password"] = address.password or ""
    if settings.sasl_mechanism:
        options["allowed_mechs"] = settings.sasl_mechanism
    elif address.user is None:
        options["allowed_mechs"] = "ANONYMOUS"
    if settings.ha_admin:
        options["properties"] = {symbol("qpid.ha-admin"): 1}
    ssl_domain = None
    if address.tls:
        ssl_domain = SSLDomain(SSLDomain.MODE_CLIENT)
        if settings.ssl_certificate:
            ssl_domain.set_credentials(
                settings.ssl_certificate, settings.ssl_key or settings.ssl_certificate, None
            )
        if settings.ssl_trustfile:
            ssl_domain.set_trusted_ca_db(settings.ssl_trustfile)
        ssl_domain.set_peer_authentication(
            SSLDomain.VERIFY_PEER_NAME if settings.ssl_verify else SSLDomain.ANONYMOUS_PEER
        )
    try:
        return BlockingConnection(
            address.url,
            timeout=settings.timeout if settings.timeout else _FOREVER,
            ssl_domain=ssl_domain,
            **options,
        )
    except Exception as error:
        raise _translate(error, settings) from error


def _translate(error: Exception, settings: ConnectionSettings) -> Exception:
    """Turn proton's exceptions into one-line errors that name the broker, never its password."""
    from proton import ConnectionException, LinkException, Timeout

    where = settings.address.host_port
    if isinstance(error, ConnectError | BrokerTimeout):
        return error
    if isinstance(error, Timeout):
        return BrokerTimeout(
            f"timed out after {settings.timeout:g} s waiting for the broker at {where}"
        )
    if isinstance(error, ConnectionException | LinkException):
        return ConnectError(_describe(error, settings))
    return error


def _describe(error: Exception, settings: ConnectionSettings) -> str:
    where = settings.address.host_port
    condition = getattr(getattr(error, "connection", None), "remote_condition", None)
    text = str(condition.description if condition else error)
    if "Connection refused" in text:
        return f"cannot connect to {where}: connection refused"
    if "certificate verify failed" in text or "SSL Failure" in text:
        return (
            f"TLS verification of the broker at {where} failed ({_ssl_reason(text)}): "
            "give its CA with --ssl-trustfile, or skip the check with --ssl-no-verify"
        )
    if "connection aborted" in text or "framing-error" in text or "Expected AMQP" in text:
        hint = "" if settings.ha_admin else " (an HA backup refuses clients without --ha-admin)"
        return f"connection to {where} aborted{hint}"
    if "sasl" in text.lower() or "authentication" in text.lower():
        return f"authentication with the broker at {where} failed: {_last_part(text)}"
    return f"connection to {where} failed: {_last_part(text)}"


def _ssl_reason(text: str) -> str:
    return _last_part(text).removeprefix("SSL Failure: ").strip() or "certificate verify failed"


def _last_part(text: str) -> str:
    """proton wraps the socket error in ``Connection URL disconnected: Condition(...)``."""
    if "Condition(" in text:
        inner = text.split("Condition(", 1)[1].rstrip(")")
        parts = [part.strip(" '\"") for part in inner.split(",", 1)]
        return parts[-1]
    return text
