"""Throw-away certificates for the TLS tests, made with the openssl CLI at test time.

Nothing is checked in: keys in a repository get copied into real deployments, and certificates
expire. Two unrelated CAs let a test give the client the wrong one.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# proton matches the host name against DNS names only, so 127.0.0.1 is listed as one too.
LOOPBACK_NAMES = "subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost"
# P-256 keys: made in milliseconds, where six RSA-2048 keys took over a second.
KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")


@dataclass(frozen=True)
class Certificate:
    """A PEM certificate and its unencrypted PEM key."""

    cert: str
    key: str


@dataclass(frozen=True)
class Certificates:
    """The CA the brokers' certificates chain to, an unrelated one, and what each signed."""

    ca: Certificate
    wrong_ca: Certificate
    server: Certificate  # for 127.0.0.1 and localhost
    wrong_host: Certificate  # signed by `ca`, for another host name only
    ip_only: Certificate  # signed by `ca`, names 127.0.0.1 as an IP address only
    client: Certificate  # signed by `ca`


def openssl() -> str | None:
    return shutil.which("openssl")


def _run(*args: str | Path) -> None:
    command = [openssl() or "openssl", *map(str, args)]
    subprocess.run(command, check=True, capture_output=True, text=True)


def _ca(directory: Path, name: str) -> Certificate:
    cert, key = directory / f"{name}.pem", directory / f"{name}-key.pem"
    _run(
        "req", "-x509", *KEY, "-nodes", "-days", "2",
        "-subj", f"/CN={name}", "-keyout", key, "-out", cert,
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return Certificate(str(cert), str(key))


def _signed(directory: Path, name: str, ca: Certificate, extension: str) -> Certificate:
    cert, key = directory / f"{name}.pem", directory / f"{name}-key.pem"
    request, extensions = directory / f"{name}.csr", directory / f"{name}.ext"
    extensions.write_text(extension + "\n")
    _run(
        "req", *KEY, "-nodes", "-subj", f"/CN={name}",
        "-keyout", key, "-out", request,
    )  # fmt: skip
    _run(
        "x509", "-req", "-in", request, "-CA", ca.cert, "-CAkey", ca.key,
        "-CAcreateserial", "-days", "2", "-extfile", extensions, "-out", cert,
    )  # fmt: skip
    return Certificate(str(cert), str(key))


def make_certificates(directory: Path) -> Certificates:
    """Write the CAs, keys and certificates into ``directory``."""
    ca = _ca(directory, "test-ca")
    return Certificates(
        ca=ca,
        wrong_ca=_ca(directory, "wrong-ca"),
        server=_signed(directory, "localhost", ca, LOOPBACK_NAMES),
        wrong_host=_signed(directory, "elsewhere", ca, "subjectAltName=DNS:elsewhere.invalid"),
        ip_only=_signed(directory, "ip-only", ca, "subjectAltName=IP:127.0.0.1"),
        client=_signed(directory, "client", ca, "extendedKeyUsage=clientAuth"),
    )
