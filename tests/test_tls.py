"""TLS: the broker is verified by default for amqps://, and every failure says what went wrong.

The brokers are doubles listening with TLS; the certificates are made for the session by
`tls_certs`. Every failure must be one line on stderr that names the problem and the way out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Outcome, Tool
from tls_certs import Certificate, Certificates, make_certificates, openssl

from qpidtools.testing import BrokerDouble, TlsFiles

pytestmark = pytest.mark.skipif(
    openssl() is None, reason="needs the openssl command to make certificates"
)

SECRET = "tls-S3cret!"
TIMEOUT = 5.0


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


def serving(server: Certificate, client_ca: str | None = None) -> BrokerDouble:
    return BrokerDouble(tls=TlsFiles(server.cert, server.key, client_ca))


@pytest.fixture
def tls_broker(certs: Certificates) -> Iterator[BrokerDouble]:
    with serving(certs.server) as double:
        yield double


def failure(outcome: Outcome) -> str:
    """The one error line of a failed connection, checked for everything a failure owes."""
    assert outcome.code == 1, outcome
    assert outcome.out == ""
    lines = outcome.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in outcome.err, outcome.err
    assert SECRET not in outcome.err
    return lines[0]


def test_trustfile_verifies_the_broker(
    qpid_config: Tool, tls_broker: BrokerDouble, certs: Certificates
) -> None:
    trust = ("-b", tls_broker.url, "--ssl-trustfile", certs.ca.cert)
    assert qpid_config(*trust, "add", "queue", "over-tls").code == 0
    listed = qpid_config(*trust, "queues")
    assert listed.code == 0 and "over-tls" in listed.out, listed


def test_profile_with_password_file_and_ca_bundle(
    qpid_config: Tool,
    tls_broker: BrokerDouble,
    certs: Certificates,
    tmp_path: Path,
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    password_file = tmp_path / "password"
    password_file.write_text(SECRET + "\n")
    config = clean_environment
    config.parent.mkdir()
    profile = f"""\
[profiles.tls]
broker = "{tls_broker.url}"
user = "admin"
password_file = "{password_file}"
ssl_trustfile = "{certs.ca.cert}"

[profiles.wrong-ca]
broker = "{tls_broker.url}"
user = "admin"
password_file = "{password_file}"
ssl_trustfile = "{certs.wrong_ca.cert}"
"""
    config.write_text(profile)
    by_option = qpid_config("--profile", "tls", "queues", "--json")
    assert by_option.code == 0, by_option
    monkeypatch.setenv("QPIDTOOLS_PROFILE", "tls")
    by_environment = qpid_config("queues", "-v")
    assert by_environment.code == 0, by_environment
    assert SECRET not in by_option.out + by_environment.out + by_environment.err
    wrong = failure(qpid_config("--profile", "wrong-ca", "queues"))
    assert f"not signed by a CA in {certs.wrong_ca.cert}" in wrong


@pytest.mark.parametrize("trust", ["wrong CA", "no trustfile"])
def test_an_unknown_ca_fails_verification(
    qpid_config: Tool, tls_broker: BrokerDouble, certs: Certificates, trust: str
) -> None:
    """Without --ssl-trustfile the system's CAs are used, and they do not know the test CA."""
    options = ["--ssl-trustfile", certs.wrong_ca.cert] if trust == "wrong CA" else []
    line = failure(qpid_config("-b", tls_broker.url, *options, "queues"))
    assert f"TLS verification of the broker at {tls_broker.address} failed" in line
    where = certs.wrong_ca.cert if options else "the system's CA store"
    assert f"its certificate is not signed by a CA in {where}" in line
    assert "unable to get local issuer certificate" in line
    assert "--ssl-trustfile" in line and "--ssl-no-verify" in line


@pytest.mark.parametrize(
    ("server", "problem"),
    [
        ("wrong_host", "its certificate is for elsewhere.invalid, not 127.0.0.1"),
        ("ip_only", "its certificate names 127.0.0.1 as an IP address only"),
    ],
)
def test_a_host_name_mismatch_fails_verification(
    qpid_config: Tool, certs: Certificates, server: str, problem: str
) -> None:
    with serving(getattr(certs, server)) as double:
        line = failure(qpid_config("-b", double.url, "--ssl-trustfile", certs.ca.cert, "queues"))
    assert f"TLS verification of the broker at {double.address} failed: {problem}" in line
    assert "--ssl-no-verify" in line


@pytest.mark.parametrize(("server", "trust"), [("server", "wrong_ca"), ("wrong_host", "ca")])
def test_no_verify_is_the_explicit_way_out(
    qpid_config: Tool, certs: Certificates, server: str, trust: str
) -> None:
    trustfile = getattr(certs, trust).cert
    with serving(getattr(certs, server)) as double:
        args = ("-b", double.url, "--ssl-trustfile", trustfile, "queues")
        assert qpid_config(*args).code == 1
        outcome = qpid_config(*args, "--ssl-no-verify")
    assert outcome.code == 0, outcome


def test_client_certificate(qpid_config: Tool, certs: Certificates) -> None:
    with serving(certs.server, client_ca=certs.ca.cert) as double:
        trust = ("-b", double.url, "--ssl-trustfile", certs.ca.cert)
        client = ("--ssl-certificate", certs.client.cert, "--ssl-key", certs.client.key)
        accepted = qpid_config(*trust, *client, "queues")
        missing = failure(qpid_config(*trust, "queues"))
        stranger = ("--ssl-certificate", certs.wrong_ca.cert, "--ssl-key", certs.wrong_ca.key)
        refused = failure(qpid_config(*trust, *stranger, "queues"))
    assert accepted.code == 0, accepted
    assert missing == (
        f"qpid-config: error: the broker at {double.address} requires a client certificate: "
        "give one with --ssl-certificate and --ssl-key"
    )
    assert f"the broker at {double.address} refused our client certificate" in refused
    assert "unknown ca" in refused


def test_unusable_tls_files_are_usage_errors(
    qpid_config: Tool, tls_broker: BrokerDouble, certs: Certificates, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.pem"
    outcome = qpid_config("-b", tls_broker.url, "--ssl-trustfile", str(missing), "queues")
    assert outcome.code == 2
    assert f"cannot read --ssl-trustfile {missing}: No such file or directory" in outcome.err
    mismatched = ("--ssl-certificate", certs.client.cert, "--ssl-key", certs.ca.key)
    outcome = qpid_config("-b", tls_broker.url, *mismatched, "queues")
    assert outcome.code == 2
    assert "the key does not match the certificate" in outcome.err


def test_the_wrong_scheme_fails_fast(
    qpid_config: Tool, tls_broker: BrokerDouble, certs: Certificates
) -> None:
    """amqp:// on a TLS port and amqps:// on a plain one: an answer, not a timeout."""
    with BrokerDouble(ha=None) as plain:
        started = time.monotonic()
        to_tls = failure(qpid_config("-b", tls_broker.address, "queues", "-t", str(TIMEOUT)))
        to_plain = failure(
            qpid_config(
                "-b",
                f"amqps://{plain.address}",
                "--ssl-trustfile",
                certs.ca.cert,
                "queues",
                "-t",
                str(TIMEOUT),
            )  # fmt: skip
        )
    assert time.monotonic() - started < TIMEOUT
    assert f"a TLS port needs amqps://{tls_broker.address}" in to_tls
    assert f"TLS handshake with the broker at {plain.address} failed" in to_plain
    assert "is that a TLS port?" in to_plain


def test_qpid_ha_over_tls(qpid_ha: Tool, tls_broker: BrokerDouble, certs: Certificates) -> None:
    outcome = qpid_ha("status", "-b", tls_broker.url, "--ssl-trustfile", certs.ca.cert)
    assert (outcome.code, outcome.out.strip()) == (0, "standalone"), outcome
    line = failure(qpid_ha("status", "-b", tls_broker.url, "--ssl-trustfile", certs.wrong_ca.cert))
    assert line.startswith("qpid-ha: error: TLS verification of the broker")
