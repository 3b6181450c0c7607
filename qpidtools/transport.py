"""One AMQP 1.0 connection per command: connect, TLS, SASL, timeouts, request/reply.

proton is imported here and only here, when a connection is opened, so that ``--help``,
usage errors and completion of fixed values start fast.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qpidtools.address import BrokerAddress
from qpidtools.errors import (
    BrokerTimeout,
    ConnectError,
    ConnectionLost,
    QpidToolsError,
    UsageError,
    strip_source_location,
)
from qpidtools.options import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT  # where it was before

if TYPE_CHECKING:
    import proton
    from proton.reactor import Container
    from proton.utils import BlockingConnection, BlockingReceiver, BlockingSender

_PATCHING = threading.Lock()
QMF_ADDRESS = "qmf.default.direct"
QMF_AGENT = "broker"  # the subject routes a request on qmf.default.direct to qpidd's own agent
_FOREVER = 10.0**7  # proton's blocking API has no "no timeout" for connecting
_DROP_WAIT_S = 0.05  # what closing a broken connection may still wait for proton's bookkeeping


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything needed to reach one broker. ``timeout=None`` waits forever."""

    address: BrokerAddress
    timeout: float | None = DEFAULT_TIMEOUT
    sasl_mechanism: str | None = None
    sasl_service_name: str | None = None
    ssl_certificate: str | None = None
    ssl_key: str | None = None
    ssl_trustfile: str | None = None
    ssl_verify: bool = True
    ha_admin: bool = False

    def for_address(self, address: BrokerAddress) -> ConnectionSettings:
        """The same settings and credentials for another broker (``qpid-ha --all``)."""
        with_credentials = address.with_credentials(self.address.user, self.address.password)
        return replace(self, address=with_credentials)


class Connection:
    """A connection with one sender to the QMF agent and one dynamic reply receiver."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self._correlation = itertools.count(1)
        self._broken = False
        self._blocking = _open(settings)
        try:
            self._sender: BlockingSender = self._blocking.create_sender(QMF_ADDRESS)
            self._receiver: BlockingReceiver = self._blocking.create_receiver(
                None, dynamic=True, credit=200
            )
            self.reply_to = str(self._receiver.link.remote_source.address)
        except Exception as error:
            self._broken = True
            self.close()
            raise _translate(error, settings) from error

    def request(
        self,
        body: Mapping[str, Any],
        opcode: str,
        expect_reply: bool = True,
    ) -> list[proton.Message]:
        """Send one QMF request and return every reply message of it (all pages)."""
        return list(self.stream(body, opcode, expect_reply))

    def stream(
        self,
        body: Mapping[str, Any],
        opcode: str,
        expect_reply: bool = True,
    ) -> Generator[proton.Message, None, None]:
        """Send one QMF request and yield its reply messages as they arrive.

        Nothing is sent until the first message is asked for. A caller may stop early
        (a reply found malformed); later messages of that request are then skipped.
        """
        correlation_id = str(next(self._correlation))
        message = self._message(body, opcode, correlation_id)
        try:
            self._sender.send(message, timeout=self.settings.timeout)
            if expect_reply:
                yield from self._replies(correlation_id)
        except Exception as error:
            self._broken = True
            raise _translate(error, self.settings, opened=True) from error

    def _replies(self, correlation_id: str) -> Iterator[proton.Message]:
        """The reply messages to one request, up to the one without ``partial``.

        The timeout is the longest the broker may stay silent: it restarts with every reply
        message, so a long listing that keeps arriving page after page always finishes.
        Messages for other requests (late answers to a request that timed out) do not count
        as an answer.
        """
        while True:
            deadline = self._deadline()
            while True:
                reply = self._receiver.receive(timeout=_remaining(deadline))
                self._receiver.accept()
                if reply.correlation_id == correlation_id:
                    break
            yield reply
            if "partial" not in (reply.properties or {}):
                return

    def request_many(
        self, bodies: Sequence[Mapping[str, Any]], opcode: str
    ) -> Iterator[tuple[int, list[proton.Message]]]:
        """Send every request at once, then yield ``(index, replies)`` as each one completes.

        One round trip for the lot rather than one per request (``apply`` sends thousands).
        The timeout is the longest wait for the next reply message: every reply restarts it,
        so a long batch that keeps answering never times out.
        """
        pending: dict[str, tuple[int, list[proton.Message]]] = {}
        deliveries: list[Any] = []
        try:
            for index, body in enumerate(bodies):
                correlation_id = str(next(self._correlation))
                pending[correlation_id] = (index, [])
                message = self._message(body, opcode, correlation_id)
                deliveries.append(self._sender.link.send(message))  # no wait for settlement
            deadline = self._deadline()
            while pending:
                reply = self._receiver.receive(timeout=_remaining(deadline))
                self._receiver.accept()
                waiting = pending.get(str(reply.correlation_id))
                if waiting is None:
                    continue  # a late answer to an earlier request: no answer to these
                deadline = self._deadline()
                waiting[1].append(reply)
                if "partial" not in (reply.properties or {}):
                    del pending[str(reply.correlation_id)]
                    yield waiting
        except Exception as error:
            self._broken = True
            raise _translate(error, self.settings, opened=True) from error
        finally:
            for delivery in deliveries:
                delivery.settle()

    def _deadline(self) -> float | None:
        """When the broker's silence, from now, exceeds the timeout (``None``: never)."""
        timeout = self.settings.timeout
        return None if timeout is None else time.monotonic() + timeout

    def _message(self, body: Mapping[str, Any], opcode: str, correlation_id: str) -> proton.Message:
        from proton import Message

        return Message(
            subject=QMF_AGENT,
            reply_to=self.reply_to,
            correlation_id=correlation_id,
            properties={
                "method": "request",
                "qmf.opcode": opcode,
                "x-amqp-0-10.app-id": "qmf2",
            },
            body=dict(body),
        )

    def close(self) -> None:
        """Close quietly: the command's outcome is already decided.

        After a failure the broker may be frozen or gone: drop the socket rather than wait
        for its goodbye, so a timeout costs one timeout, not two.
        """
        if self._broken:
            _drop(self._blocking)
        with suppress(Exception):  # a broker that went away (shutdown) is fine here
            self._blocking.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.001)


def open_blocking(
    settings: ConnectionSettings, *, heartbeat: float | None = None
) -> BlockingConnection:
    """A bare connection with the same TLS, SASL and errors, for receivers such as events'."""
    return _open(settings, heartbeat=heartbeat)


def translate_error(error: Exception, settings: ConnectionSettings) -> Exception:
    """proton's exception as one of ours, naming the broker (see :func:`_translate`)."""
    return _translate(error, settings)


def _open(settings: ConnectionSettings, *, heartbeat: float | None = None) -> BlockingConnection:
    from proton import symbol
    from proton.utils import BlockingConnection

    address = settings.address
    options: dict[str, Any] = {} if heartbeat is None else {"heartbeat": heartbeat}
    if address.user is not None:
        options["user"] = address.user
        options["password"] = address.password or ""
    if settings.sasl_mechanism:
        options["allowed_mechs"] = settings.sasl_mechanism
    elif address.user is None:
        options["allowed_mechs"] = "ANONYMOUS"
    if settings.ha_admin:
        options["properties"] = {symbol("qpid.ha-admin"): 1}
    ssl_domain = _tls_domain(settings) if address.tls else None
    try:
        return BlockingConnection(
            address.url,
            timeout=settings.timeout if settings.timeout else _FOREVER,
            container=_lean_container(),
            ssl_domain=ssl_domain,
            **options,
        )
    except Exception as error:
        raise _translate(error, settings) from error


def _lean_container() -> Container:
    """A proton Container without the two default TLS contexts it would build.

    Building them loads the system CA store twice, about 40 ms: most of what a command costs
    beyond importing proton. They would never be used: amqps:// always gets its own domain
    from :func:`_tls_domain`. If proton changes, this is merely slower, never wrong.
    """
    from proton import SSLUnavailable, _reactor

    def unavailable() -> None:
        raise SSLUnavailable()

    with _PATCHING:  # qpid-ha --all opens connections from several threads
        default = _reactor.SSLConfig
        _reactor.SSLConfig = unavailable  # type: ignore[assignment,misc]
        try:
            return _reactor.Container()
        finally:
            _reactor.SSLConfig = default  # type: ignore[misc]


def _tls_domain(settings: ConnectionSettings) -> proton.SSLDomain:
    """The client side of TLS; unusable certificate, key or CA files are usage errors."""
    from proton import SSLDomain

    domain = SSLDomain(SSLDomain.MODE_CLIENT)
    certificate, trustfile = settings.ssl_certificate, settings.ssl_trustfile
    if certificate:
        key = settings.ssl_key or certificate
        _load(
            lambda: domain.set_credentials(certificate, key, None),
            {"--ssl-certificate": certificate, "--ssl-key": key},
            "not PEM, or the key does not match the certificate",
        )
    if trustfile:
        _load(
            lambda: domain.set_trusted_ca_db(trustfile),
            {"--ssl-trustfile": trustfile},
            "not a PEM bundle of CA certificates",
        )
    domain.set_peer_authentication(
        SSLDomain.VERIFY_PEER_NAME if settings.ssl_verify else SSLDomain.ANONYMOUS_PEER
    )
    return domain


def _load(action: Callable[[], object], files: Mapping[str, str], problem: str) -> None:
    """Run one SSLDomain call on ``files`` (path by option): proton says only ``SSL failure``."""
    from proton import SSLException

    for option, path in files.items():
        try:
            Path(path).open("rb").close()
        except OSError as error:
            raise UsageError(f"cannot read {option} {path}: {error.strerror}") from None
    try:
        action()
    except SSLException:
        named = " with ".join(f"{option} {path}" for option, path in files.items())
        raise UsageError(f"cannot use {named}: {problem}") from None


def _translate(error: Exception, settings: ConnectionSettings, opened: bool = False) -> Exception:
    """Turn proton's exceptions into one-line errors that name the broker, never its password.

    ``opened``: the connection was up and a request under way, so a failure is a loss (or a
    silence) in the middle of a command, not a failure to connect.
    """
    from proton import ConnectionException, LinkException, Timeout

    where = settings.address.host_port
    if isinstance(error, QpidToolsError):
        return error
    if isinstance(error, Timeout):
        if opened:
            return BrokerTimeout(f"no reply from the broker at {where} for {settings.timeout:g} s")
        return BrokerTimeout(
            f"timed out after {settings.timeout:g} s waiting for the broker at {where}"
        )
    if isinstance(error, ConnectionException | LinkException):
        if opened:
            return ConnectionLost(_describe_loss(error, where))
        return ConnectError(_describe(error, settings))
    return error


def _describe_loss(error: Exception, where: str) -> str:
    """A connection or link the broker ended during a request: say who ended it and why."""
    link = getattr(error, "link", None)
    connection = getattr(error, "connection", None)
    if link is not None:
        whom, condition = "detached our management link", link.remote_condition
    elif connection is not None:
        whom, condition = "closed the connection", connection.remote_condition
    else:  # the socket went away: a killed or crashed broker, or the network
        return f"lost the connection to the broker at {where}"
    if condition is None:
        return f"the broker at {where} {whom}"
    text = strip_source_location(str(condition.description or ""))
    return f"the broker at {where} {whom}: {condition.name}{': ' + text if text else ''}"


def _drop(blocking: BlockingConnection) -> None:
    """Close our end of the socket now: a frozen broker would never answer a polite close.

    proton's close would wait for the broker's close frame up to the whole timeout again.
    """
    connection = blocking.conn
    transport = connection.transport if connection is not None else None
    if transport is not None:
        transport.close_tail()
        transport.close_head()
    blocking.timeout = _DROP_WAIT_S


def _describe(error: Exception, settings: ConnectionSettings) -> str:
    where = settings.address.host_port
    condition = getattr(getattr(error, "connection", None), "remote_condition", None)
    text = str(condition.description if condition else error)
    if "Connection refused" in text:
        return f"cannot connect to {where}: connection refused"
    if "SSL Failure" in text or "certificate verify failed" in text:
        return _describe_tls(_ssl_reason(text), settings)
    if "Expected AMQP" in text and not settings.address.tls:
        return f"the broker at {where} did not answer in AMQP: a TLS port needs amqps://{where}"
    if "connection aborted" in text or "framing-error" in text or "Expected AMQP" in text:
        hint = "" if settings.ha_admin else " (an HA backup refuses clients without --ha-admin)"
        return f"connection to {where} aborted{hint}"
    if "mech=none" in text:
        return f"the broker at {where} offers none of the SASL mechanisms {_mechanisms(settings)}"
    if "sasl" in text.lower() or "authentication" in text.lower():
        return f"authentication with the broker at {where} failed: {_last_part(text)}"
    return f"connection to {where} failed: {_last_part(text)}"


def _mechanisms(settings: ConnectionSettings) -> str:
    """Which mechanisms we asked for, as the remedy depends on it."""
    if settings.sasl_mechanism:
        return f"asked for ({settings.sasl_mechanism}): choose another with --sasl-mechanism"
    if settings.address.user is None:
        return "asked for (ANONYMOUS, as no user was given): give --user and a password"
    return "this client knows (PLAIN, ANONYMOUS, EXTERNAL): choose one with --sasl-mechanism"


def _describe_tls(reason: str, settings: ConnectionSettings) -> str:
    where = settings.address.host_port
    if "certificate verify failed" in reason:
        problem, remedy = _verification_problem(settings)
        return f"TLS verification of the broker at {where} failed: {problem}; {remedy}"
    if "certificate required" in reason:
        return (
            f"the broker at {where} requires a client certificate: "
            "give one with --ssl-certificate and --ssl-key"
        )
    if settings.ssl_certificate and ("certificate" in reason or "unknown ca" in reason):
        return f"the broker at {where} refused our client certificate ({reason})"
    return (
        f"TLS handshake with the broker at {where} failed ({reason}): "
        "is that a TLS port? amqp:// connects without TLS"
    )


def _verification_problem(settings: ConnectionSettings) -> tuple[str, str]:
    """What failed and what to do, for proton's bare ``certificate verify failed``.

    proton does not say whether the chain or the host name failed, so a second handshake with
    Python's ssl module, trusting the same CAs, finds out.
    """
    import socket
    import ssl

    address, trustfile = settings.address, settings.ssl_trustfile
    give_ca = "give its CA with --ssl-trustfile, or skip the check with --ssl-no-verify"
    context = ssl.create_default_context(cafile=trustfile)
    context.check_hostname = False
    with suppress(OSError):  # the broker's certificate arrives before it asks for ours
        if settings.ssl_certificate:
            context.load_cert_chain(settings.ssl_certificate, settings.ssl_key)
    try:
        with (
            socket.create_connection((address.host, address.port), settings.timeout) as raw,
            context.wrap_socket(raw, server_hostname=address.host) as tls,
        ):
            certificate = tls.getpeercert() or {}
    except ssl.SSLCertVerificationError as error:
        trusted = trustfile or "the system's CA store"
        return (
            f"its certificate is not signed by a CA in {trusted} ({error.verify_message})",
            give_ca,
        )
    except OSError:
        return "certificate verify failed", give_ca
    mismatch = _name_problem(address.host, certificate)
    if mismatch is None:
        return "certificate verify failed", give_ca
    return mismatch, (
        "connect by a DNS name the certificate lists, or skip the check with --ssl-no-verify "
        "(--ssl-trustfile cannot help: the CA is trusted)"
    )


def _name_problem(host: str, certificate: Mapping[str, Any]) -> str | None:
    """How the certificate's names miss ``host``, as proton matches them (DNS names only)."""
    alternatives = certificate.get("subjectAltName", ())
    dns = [value for kind, value in alternatives if kind == "DNS"]
    ips = [value for kind, value in alternatives if kind == "IP Address"]
    if host in dns:
        return None
    if host in ips and host not in dns:
        return f"its certificate names {host} as an IP address only, which proton does not match"
    common = [
        value for rdn in certificate.get("subject", ()) for key, value in rdn if key == "commonName"
    ]
    return f"its certificate is for {', '.join(dns or ips or common) or 'no name'}, not {host}"


def _ssl_reason(text: str) -> str:
    """OpenSSL's reason without its code: ``error:0A000086:SSL routines::certificate ...``."""
    reason = _last_part(text).removeprefix("SSL Failure: ")
    return re.sub(r"^error:[0-9A-Fa-f]+:[^:]*:[^:]*:", "", reason).strip() or "TLS failure"


def _last_part(text: str) -> str:
    """proton wraps the socket error in ``Connection URL disconnected: Condition(...)``."""
    if "Condition(" in text:
        inner = text.split("Condition(", 1)[1].rstrip(")")
        parts = [part.strip(" '\"") for part in inner.split(",", 1)]
        return parts[-1]
    return text
