"""Broker addresses as operators write them, parsed once and never printed with a password.

Accepted forms (the classic tools' and the URL form):

* ``host``, ``host:port``, ``user/password@host:port`` (classic qpid-config/qpid-ha);
* ``user:password@host:port`` (accepted here too: unambiguous once ``@`` is present);
* ``amqp://[user[:password]@]host[:port]`` and ``amqps://...`` (TLS, default port 5671);
* IPv6 literals in brackets, ``[::1]:5672``, or bare (``::1``) when no port is given.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from urllib.parse import unquote

from qpidtools.errors import AddressError

AMQP_PORT = 5672
AMQPS_PORT = 5671
_URL_PROTOCOLS = ("tcp", "ssl", "rdma")  # the transports of qpidd's own URLs

_FORM = re.compile(
    r"""^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://)?
        (?:(?P<userinfo>.*)@)?
        (?P<hostport>[^@]*)$""",
    re.VERBOSE,
)
_HOSTPORT = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.%a-zA-Z]+)\]|(?P<host>[^:/\[\]]*))(?::(?P<port>\d*))?$"
)


@dataclass(frozen=True)
class BrokerAddress:
    """Where a broker is and who we are to it. ``str()`` masks the password."""

    host: str = "localhost"
    port: int = AMQP_PORT
    tls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # repr() shows up in tracebacks

    @property
    def host_port(self) -> str:
        """``host:port`` with IPv6 hosts bracketed: the form operators read in listings."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The credential-free URL handed to proton (credentials travel separately)."""
        return f"{'amqps' if self.tls else 'amqp'}://{self.host_port}"

    def with_credentials(self, user: str | None, password: str | None) -> BrokerAddress:
        """Fill in credentials the address itself did not carry."""
        return replace(
            self,
            user=self.user if self.user is not None else user,
            password=self.password if self.password is not None else password,
        )

    def __str__(self) -> str:
        scheme = "amqps://" if self.tls else ""
        if self.user is None:
            return f"{scheme}{self.host_port}"
        secret = "/***" if self.password is not None else ""
        return f"{scheme}{self.user}{secret}@{self.host_port}"


def parse_address(text: str, default_port: int | None = None) -> BrokerAddress:
    """Parse a broker address; raise :class:`AddressError` (a usage error) when malformed.

    ``default_port`` replaces the AMQP default when the text names no port (qpid-ha takes it
    from the broker's qpidd.conf).
    """
    stripped = text.strip()
    match = _FORM.match(stripped)
    if not stripped or match is None:
        raise AddressError(f"invalid broker address: {text!r}")
    scheme = (match["scheme"] or "").lower()
    if scheme not in ("", "amqp", "amqps"):
        raise AddressError(f"invalid broker address {mask(text)!r}: unknown scheme {scheme!r}")
    tls = scheme == "amqps"
    user, password = _split_userinfo(match["userinfo"], url_form=bool(scheme))
    host, port = _split_hostport(match["hostport"], text)
    return BrokerAddress(
        host=host or "localhost",
        port=port if port is not None else (default_port or (AMQPS_PORT if tls else AMQP_PORT)),
        tls=tls,
        user=user,
        password=password,
    )


def parse_brokers_url(url: str) -> list[BrokerAddress]:
    """The brokers of an HA brokers URL, ``amqp:tcp:h1:p1,tcp:h2:p2`` (``ssl:`` means TLS).

    This is qpidd's own URL syntax (``Url::str()``), not the address syntax above: each entry
    is ``[protocol:]host[:port]`` and the ``amqp:`` prefix comes once. An empty URL (a
    standalone broker) has no brokers.
    """
    text = url.strip()
    for prefix in ("amqps:", "amqp:"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    brokers = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        protocol, colon, rest = entry.partition(":")
        if not colon or protocol not in _URL_PROTOCOLS:
            protocol, rest = "tcp", entry
        host, port = _split_hostport(rest, url)
        tls = protocol == "ssl"
        brokers.append(BrokerAddress(host, port or (AMQPS_PORT if tls else AMQP_PORT), tls))
    return brokers


def _split_userinfo(userinfo: str | None, url_form: bool) -> tuple[str | None, str | None]:
    if userinfo is None:
        return None, None
    user, _, password = _split_credentials(userinfo)
    if url_form:
        return unquote(user), None if password is None else unquote(password)
    return user, password


def _split_credentials(userinfo: str) -> tuple[str, str, str | None]:
    """User, separator and password, split at the *first* ``:`` or ``/``.

    A user name has neither, a password may have both: splitting at a later one would take
    part of the password for the user name, and print it.
    """
    cuts = [index for index in (userinfo.find(":"), userinfo.find("/")) if index >= 0]
    if not cuts:
        return userinfo, "", None
    cut = min(cuts)
    return userinfo[:cut], userinfo[cut], userinfo[cut + 1 :]


def _split_hostport(hostport: str, original: str) -> tuple[str, int | None]:
    if hostport.count(":") > 1 and not hostport.startswith("["):
        try:  # a bare IPv6 literal cannot carry a port
            return str(ipaddress.IPv6Address(hostport)), None
        except ValueError:
            raise AddressError(f"invalid broker address: {mask(original)!r}") from None
    match = _HOSTPORT.match(hostport.rstrip("/"))
    if match is None:
        raise AddressError(f"invalid broker address: {mask(original)!r}")
    if match["port"] is None:
        return match["v6"] or match["host"], None
    if not match["port"] or not 0 < int(match["port"]) < 65536:
        raise AddressError(f"invalid port in broker address: {mask(original)!r}")
    return match["v6"] or match["host"], int(match["port"])


def mask(text: str) -> str:
    """Hide the password in an address the user typed, for use in error messages."""
    match = _FORM.match(text.strip())
    if match is None or match["userinfo"] is None:
        return text
    user, separator, password = _split_credentials(match["userinfo"])
    if password is None:
        return text
    prefix = f"{match['scheme']}://" if match["scheme"] else ""
    return f"{prefix}{user}{separator}***@{match['hostport']}"
