"""qpid-ha's command line: help, usage errors, option positions, --config, --all, timeouts.

Broker calls go to a recording fake (``calls``) where only the command line is under test;
``--all`` parallelism and timeouts use real sockets on 127.0.0.1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from capture_files import qpid_ha_copy

from qpidtools import broker as broker_module
from qpidtools import qpidd_conf
from qpidtools.address import BrokerAddress, parse_address, parse_brokers_url
from qpidtools.broker import Broker, ha_brokers
from qpidtools.errors import AddressError, BrokerTimeout, ConfigError, ConnectError
from qpidtools.model import HaBroker
from qpidtools.transport import ConnectionSettings

STANDALONE = HaBroker("standalone", "id", "", "", "none")
MANAGER_REFUSAL = (
    "qpid-ha: error: 'promote' should only be called by the cluster manager. Incorrect use of "
    "'promote' will cause cluster malfunction. To call from a cluster manager use "
    "'promote --cluster-manager'.\n"
)


def classic_stdout(case: str) -> str:
    return str(qpid_ha_copy(case)["stdout"])


@dataclass
class Calls:
    """What the fake broker was asked: (method, arguments, settings) in order."""

    made: list[tuple[str, tuple[Any, ...], ConnectionSettings]] = field(default_factory=list)
    answer: HaBroker = STANDALONE  # what every call returns

    @property
    def settings(self) -> ConnectionSettings:
        return self.made[-1][2]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Replace ``Broker.connect`` with a fake that records every call and answers ``answer``."""
    record = Calls()

    class Fake:
        def __init__(self, settings: ConnectionSettings) -> None:
            self.settings = settings

        def __getattr__(self, method: str) -> Any:
            def call(*args: Any) -> Any:
                record.made.append((method, args, self.settings))
                return record.answer

            return call

    @contextmanager
    def connect(settings: ConnectionSettings) -> Iterator[Fake]:
        record.made.append(("connect", (), settings))
        yield Fake(settings)

    monkeypatch.setattr(Broker, "connect", connect)
    return record


@pytest.fixture
def no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(settings: ConnectionSettings) -> None:
        raise AssertionError(f"connected to {settings.address} although it must not")

    monkeypatch.setattr(Broker, "connect", refuse)


# -- help -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "case"),
    [
        (["help"], "help"),
        (["--help"], "dash-help"),
        (["-h"], "help"),
        (["-help"], "help"),
        (["help", "--cluster-manager"], "help-cluster-manager"),
        (["--cluster-manager", "--help"], "help-cluster-manager"),
        (["-b", "127.0.0.1:5699", "help"], "help"),
    ],
)
def test_command_listing_is_the_classic_one(args: list[str], case: str, qpid_ha: Any) -> None:
    result = qpid_ha(*args)
    assert (result.code, result.out, result.err) == (0, classic_stdout(case), "")


@pytest.mark.usefixtures("no_connection")
def test_help_all_prints_every_command_in_full(qpid_ha: Any) -> None:
    result = qpid_ha("help-all")
    assert result.code == 0
    usages = [line for line in result.out.splitlines() if line.startswith("Usage:")]
    assert usages == [
        "Usage: qpid-ha ping [OPTIONS]",
        "Usage: qpid-ha status [OPTIONS]",
        "Usage: qpid-ha replicate [OPTIONS] REMOTE-BROKER QUEUE",
        "Usage: qpid-ha query [OPTIONS]",
    ]
    assert "--is-primary" in result.out and "--timeout" in result.out
    with_manager = qpid_ha("--help-all", "--cluster-manager")
    assert "Usage: qpid-ha promote [OPTIONS]" in with_manager.out


@pytest.mark.usefixtures("no_connection")
@pytest.mark.parametrize("args", [["status", "--help"], ["--help", "status"], ["status", "-h"]])
def test_command_help(args: list[str], qpid_ha: Any) -> None:
    result = qpid_ha(*args)
    assert result.code == 0 and result.out.startswith("Usage: qpid-ha status [OPTIONS]")
    for option in ("--expect", "--is-primary", "--all", "--broker", "--config", "--json"):
        assert option in result.out


def test_replicate_help_gives_the_argument_order_that_works(qpid_ha: Any) -> None:
    assert (
        "Usage: qpid-ha replicate [OPTIONS] REMOTE-BROKER QUEUE"
        in qpid_ha("replicate", "--help").out
    )


# -- usage errors: exit 2, one line, before connecting ---------------------------------------


@pytest.mark.usefixtures("no_connection")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["frobnicate"], "No such command 'frobnicate'"),
        (["replicate", "-b", "127.0.0.1:5673", "127.0.0.1:5672"], "Missing argument 'QUEUE'"),
        (["replicate", "a", "b", "c"], "unexpected extra argument (c)"),
        (["status", "extra"], "unexpected extra argument (extra)"),
        (["status", "--expect", "primay"], "'primay' is not one of"),
        (["status", "--expect"], "'--expect' requires an argument"),
        (["ping", "--all"], "No such option '--all'"),
        (["status", "--ssl-key", "key.pem"], "missing '--ssl-certificate'"),
        (["status", "--timeout", "-1"], "--timeout"),
        (["status", "-b", "host:99999"], "invalid port"),
    ],
)
def test_usage_errors(args: list[str], message: str, qpid_ha: Any) -> None:
    result = qpid_ha(*args)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("qpid-ha: error: ") and result.err.count("\n") == 1
    assert message in result.err


@pytest.mark.usefixtures("no_connection")
def test_no_command_prints_the_listing_and_fails(qpid_ha: Any) -> None:
    for args in ([], ["-b", "127.0.0.1:5672"]):
        result = qpid_ha(*args)
        assert (result.code, result.out) == (2, classic_stdout("help"))
        assert result.err == "qpid-ha: error: no command given\n"


# -- promote and --cluster-manager ------------------------------------------------------------


@pytest.mark.usefixtures("no_connection")
@pytest.mark.parametrize(
    "args",
    [
        ["promote", "-b", "127.0.0.1:5672"],
        ["-b", "127.0.0.1:5672", "promote"],
        ["promote"],
        ["promote", "--ssl-key", "key.pem"],  # refused before anything else is looked at
    ],
)
def test_promote_without_cluster_manager_is_refused_without_connecting(
    args: list[str], qpid_ha: Any
) -> None:
    result = qpid_ha(*args)
    assert (result.code, result.out, result.err) == (1, "", MANAGER_REFUSAL)


@pytest.mark.parametrize(
    "args",
    [
        ["--cluster-manager", "promote", "-b", "127.0.0.1:5672"],
        ["promote", "--cluster-manager", "-b", "127.0.0.1:5672"],
        ["-b", "127.0.0.1:5672", "promote", "--cluster-manager"],
        ["-b", "127.0.0.1:5672", "--cluster-manager", "promote"],
        ["promote", "-b", "127.0.0.1:5672", "--cluster-manager"],
    ],
)
def test_promote_with_cluster_manager_anywhere(args: list[str], calls: Calls, qpid_ha: Any) -> None:
    result = qpid_ha(*args)
    assert (result.code, result.out, result.err) == (0, "", "")
    assert [name for name, _, _ in calls.made] == ["connect", "ha_broker", "promote"]
    assert calls.settings.address.host_port == "127.0.0.1:5672"
    assert calls.settings.ha_admin


# -- option positions and values --------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["replicate", "-b", "127.0.0.1:5673", "127.0.0.1:5672", "haq"],
        ["-b", "127.0.0.1:5673", "replicate", "127.0.0.1:5672", "haq"],
        ["replicate", "127.0.0.1:5672", "haq", "-b", "127.0.0.1:5673"],
        ["replicate", "127.0.0.1:5672", "-b", "127.0.0.1:5673", "haq"],
    ],
)
def test_replicate_sends_remote_broker_then_queue(
    args: list[str], calls: Calls, qpid_ha: Any
) -> None:
    assert qpid_ha(*args).code == 0
    assert calls.made[-1][:2] == ("replicate", ("127.0.0.1:5672", "haq"))
    assert calls.settings.address.host_port == "127.0.0.1:5673"


def test_an_option_value_that_is_a_command_word_stays_a_value(calls: Calls, qpid_ha: Any) -> None:
    assert qpid_ha("-b", "query", "status", "--timeout", "3").code == 0
    assert calls.settings.address.host_port == "query:5672"
    assert calls.made[-1][0] == "ha_broker"
    assert calls.settings.timeout == 3.0


def test_command_options_before_the_command_word(calls: Calls, qpid_ha: Any) -> None:
    result = qpid_ha("--is-primary", "-b", "127.0.0.1:5672", "status")
    assert (result.code, result.out) == (1, "")


@pytest.mark.parametrize("command", ["ping", "status", "query", "promote --cluster-manager"])
def test_every_connection_is_an_ha_admin_one(command: str, calls: Calls, qpid_ha: Any) -> None:
    assert qpid_ha(*command.split(), "-b", "127.0.0.1:5672").code == 0
    assert all(settings.ha_admin for _, _, settings in calls.made)


def test_ping_only_connects(calls: Calls, qpid_ha: Any) -> None:
    result = qpid_ha("ping", "-b", "127.0.0.1:5672")
    assert (result.code, result.out, result.err) == (0, "", "")
    assert [name for name, _, _ in calls.made] == ["connect"]


@pytest.mark.parametrize(("given", "expected"), [(None, 10.0), ("2.5", 2.5), ("0", None)])
def test_timeout(given: str | None, expected: float | None, calls: Calls, qpid_ha: Any) -> None:
    args = ["--timeout", given] if given else []
    assert qpid_ha("status", "-b", "127.0.0.1:5672", *args).code == 0
    assert calls.settings.timeout == expected


# -- --config and qpidd.conf ------------------------------------------------------------------

CONF = """\
# the broker's own settings
ha-cluster=yes
port = 5800   # trailing comment
ha-username=hauser
ha-password=pa=ss
ha-mechanism=PLAIN
link-heartbeat-interval=7
no equals sign here
"""


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    """A qpidd.conf; no QPID_* variable overrides it (conftest's clean_environment)."""
    path = tmp_path / "qpidd.conf"
    path.write_text(CONF)
    return path


def test_read_qpidd_conf(conf: Path) -> None:
    settings = qpidd_conf.read(conf)
    assert settings["port"] == "5800" and settings["ha-password"] == "pa=ss"
    assert "no equals sign here" not in settings and "# the broker's own settings" not in settings
    assert qpidd_conf.connection_defaults(conf) == {
        "user": "hauser",
        "password": "pa=ss",
        "sasl_mechanism": "PLAIN",
        "port": 5800,
        "timeout": 7.0,
    }


def test_ha_heartbeat_interval_comes_before_the_link_one(conf: Path) -> None:
    conf.write_text(CONF + "ha-heartbeat-interval=3\n")
    assert qpidd_conf.connection_defaults(conf)["timeout"] == 3.0


def test_environment_overrides_the_file(conf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QPID_PORT", "5900")
    monkeypatch.setenv("QPID_HA_USERNAME", "fromenv")
    assert qpidd_conf.connection_defaults(conf)["port"] == 5900
    assert qpidd_conf.connection_defaults(conf)["user"] == "fromenv"


@pytest.mark.parametrize(
    ("line", "message"),
    [("port=http", "port 'http'"), ("port=0", "port '0'"), ("ha-heartbeat-interval=x", "'x'")],
)
def test_bad_values_are_config_errors(conf: Path, line: str, message: str) -> None:
    conf.write_text(line + "\n")
    with pytest.raises(ConfigError, match=message):
        qpidd_conf.connection_defaults(conf)


def test_config_fills_what_the_command_line_leaves_open(
    conf: Path, calls: Calls, qpid_ha: Any
) -> None:
    assert qpid_ha("--config", str(conf), "status", "-b", "127.0.0.1").code == 0
    settings = calls.settings
    assert settings.address == BrokerAddress("127.0.0.1", 5800, False, "hauser", "pa=ss")
    assert (settings.sasl_mechanism, settings.timeout) == ("PLAIN", 7.0)


def test_the_command_line_wins_over_config(conf: Path, calls: Calls, qpid_ha: Any) -> None:
    args = ["-b", "me/secret@127.0.0.1:5672", "--timeout", "0", "--sasl-mechanism", "ANONYMOUS"]
    assert qpid_ha("status", "--config", str(conf), *args).code == 0
    settings = calls.settings
    assert settings.address == BrokerAddress("127.0.0.1", 5672, False, "me", "secret")
    assert (settings.sasl_mechanism, settings.timeout) == ("ANONYMOUS", None)


def test_local_qpidd_conf_is_used_without_a_broker_address(
    conf: Path, calls: Calls, qpid_ha: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qpidd_conf, "candidates", lambda: [conf.parent / "none.conf", conf])
    assert qpid_ha("ping").code == 0
    assert calls.settings.address == BrokerAddress("localhost", 5800, False, "hauser", "pa=ss")
    assert qpid_ha("ping", "-b", "127.0.0.1").code == 0  # a named broker: no local file
    assert calls.settings.address == BrokerAddress("127.0.0.1", 5672)


def test_the_local_qpidd_conf_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert [str(path) for path in qpidd_conf.candidates()][-1] == "/etc/qpid/qpidd.conf"
    found = tmp_path / "etc" / "qpid" / "qpidd.conf"
    monkeypatch.setattr(qpidd_conf.sys, "prefix", str(tmp_path))
    assert qpidd_conf.find() != found
    found.parent.mkdir(parents=True)
    found.write_text("port=1\n")
    assert qpidd_conf.find() == found


@pytest.mark.usefixtures("no_connection")
def test_config_file_problems_are_usage_errors(conf: Path, qpid_ha: Any) -> None:
    missing = qpid_ha("status", "--config", str(conf.parent / "missing.conf"))
    assert missing.code == 2 and "cannot read" in missing.err and "missing.conf" in missing.err
    conf.write_text("port=none\n")
    bad = qpid_ha("ping", "--config", str(conf))
    assert bad.code == 2 and "is not a valid port number" in bad.err


# -- brokers URL and --all --------------------------------------------------------------------


def test_parse_brokers_url() -> None:
    assert parse_brokers_url("") == []
    assert parse_brokers_url("amqp:tcp:127.0.0.1:5681,tcp:127.0.0.1:5682") == [
        BrokerAddress("127.0.0.1", 5681),
        BrokerAddress("127.0.0.1", 5682),
    ]
    assert parse_brokers_url("amqp:ssl:node1:5671,node2,tcp:[::1]:5673") == [
        BrokerAddress("node1", 5671, tls=True),
        BrokerAddress("node2", 5672),
        BrokerAddress("::1", 5673),
    ]
    with pytest.raises(AddressError):
        parse_brokers_url("amqp:tcp:node1:http")


def test_all_reuses_the_credentials_of_b(calls: Calls, qpid_ha: Any) -> None:
    url = "amqp:tcp:127.0.0.1:5681,ssl:127.0.0.1:5682"
    calls.answer = HaBroker("active", "id", url, url, "none")
    result = qpid_ha("status", "--all", "-b", "admin/pw@127.0.0.1:5681")
    assert result.out.splitlines() == ["127.0.0.1:5681 active", "amqps://127.0.0.1:5682 active"]
    members = [settings.address for name, _, settings in calls.made[2:] if name == "connect"]
    assert sorted(members, key=str) == [
        BrokerAddress("127.0.0.1", 5681, False, "admin", "pw"),
        BrokerAddress("127.0.0.1", 5682, True, "admin", "pw"),
    ]


def test_every_member_is_asked_at_the_same_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each fetch waits for all the others to start: it can only pass if they run at once."""
    addresses = [BrokerAddress("127.0.0.1", port) for port in (5681, 5682, 5683, 5684)]
    everyone = threading.Barrier(len(addresses), timeout=10)

    def fetch(settings: ConnectionSettings) -> HaBroker:
        everyone.wait()
        return HaBroker("ready", settings.address.host_port, "", "", "none")

    monkeypatch.setattr(broker_module, "ha_broker_at", fetch)
    found = ha_brokers(ConnectionSettings(BrokerAddress()), addresses)
    assert [ha.system_id for ha in found if isinstance(ha, HaBroker)] == [
        address.host_port for address in addresses
    ]


@pytest.fixture
def silent(silent_port: int) -> BrokerAddress:
    """A broker address that accepts connections and never says a word."""
    return BrokerAddress("127.0.0.1", silent_port)


@pytest.fixture
def refused(closed_port: int) -> BrokerAddress:
    return BrokerAddress("127.0.0.1", closed_port)


def test_a_silent_member_costs_its_timeout_and_a_dead_one_an_error(
    silent: BrokerAddress, refused: BrokerAddress
) -> None:
    settings = ConnectionSettings(BrokerAddress(), timeout=0.3, ha_admin=True)
    found = ha_brokers(settings, [silent, refused, silent])
    assert [type(error) for error in found] == [BrokerTimeout, ConnectError, BrokerTimeout]
    assert str(found[0]) == f"timed out after 0.3 s waiting for the broker at {silent.host_port}"


@pytest.mark.fresh_broker  # sets the broker's brokers URL
def test_all_with_members_that_never_answer(
    broker: Any, silent: BrokerAddress, refused: BrokerAddress, qpid_ha: Any
) -> None:
    """A silent member costs one timeout and shows as an error line; the others answer."""
    url = f"amqp:tcp:{broker.address},tcp:{silent.host_port},tcp:{refused.host_port}"
    with Broker.connect(ConnectionSettings(parse_address(broker.address))) as api:
        api.set_brokers_url(url)
    # The timeout is also the live broker's: long enough for a loaded qpidd to answer.
    result = qpid_ha("status", "--all", "--timeout", "2", "-b", broker.address)
    assert result.code == 0 and result.out.splitlines() == [
        f"{broker.address} standalone",
        f"{silent.host_port} error: timed out after 2 s waiting for the broker at "
        f"{silent.host_port}",
        f"{refused.host_port} error: cannot connect to {refused.host_port}: connection refused",
    ]


def test_timeout_is_honoured_when_connecting(silent: BrokerAddress, qpid_ha: Any) -> None:
    for command in ("ping", "status", "query --all", "promote --cluster-manager"):
        result = qpid_ha(*command.split(), "-b", silent.host_port, "--timeout", "0.2")
        assert result.code == 1 and result.out == ""
        assert result.err == (
            f"qpid-ha: error: timed out after 0.2 s waiting for the broker at {silent.host_port}\n"
        )


def test_a_broker_that_is_down(refused: BrokerAddress, qpid_ha: Any) -> None:
    for command in ("ping", "status", "status --is-primary", "query", "replicate a q"):
        result = qpid_ha(*command.split(), "-b", refused.host_port)
        assert (result.code, result.out) == (1, "")
        assert result.err == (
            f"qpid-ha: error: cannot connect to {refused.host_port}: connection refused\n"
        )


def test_an_unexpected_failure_is_one_line(monkeypatch: pytest.MonkeyPatch, qpid_ha: Any) -> None:
    def broken(settings: ConnectionSettings) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Broker, "connect", broken)
    result = qpid_ha("ping", "-b", "127.0.0.1:5672")
    assert result.code == 1 and "Traceback" not in result.err and result.err.count("\n") == 1


def test_parse_address_with_a_default_port() -> None:
    assert parse_address("node1", default_port=5800).port == 5800
    assert parse_address("node1:5672", default_port=5800).port == 5672
