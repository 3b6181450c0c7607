"""qpid-ha against the broker double: standalone brokers, queue replication and a 3-broker cluster.

The cluster scenarios follow the classic captures (README points 35-39, 48): start-up in
``joining``, promotion, backups that only admit ``qpid.ha-admin`` connections, failover after
the primary dies, and promotion refused in ``joining``/``catchup``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from qpidtools.address import BrokerAddress, parse_address
from qpidtools.broker import Broker, ha_brokers
from qpidtools.errors import ConnectError
from qpidtools.model import HaBroker
from qpidtools.testing import DoubleCluster, wait_for
from qpidtools.transport import Connection, ConnectionSettings

#: On an external broker (QPIDTOOLS_TEST_BROKER) its broker tests would not hold:
#: they expect a standalone broker and use fixed queue names.
pytestmark = pytest.mark.fresh_broker

QUERY_LINES = [
    r"Status:              (\w+)",
    r"Broker ID:           [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    r"Brokers URL:         (.*)",
    r"Public URL:          (.*)",
    r"Replicate:           none",
]


def ok(qpid_ha: Any, *args: str) -> str:
    """Run qpid-ha, expect success and a quiet stderr, return stdout."""
    result = qpid_ha(*args)
    assert (result.code, result.err) == (0, ""), result
    return str(result.out)


def failure(qpid_ha: Any, *args: str) -> str:
    """Run qpid-ha, expect exit 1 with nothing on stdout, return the one stderr line."""
    result = qpid_ha(*args)
    assert (result.code, result.out) == (1, ""), result
    assert result.err.startswith("qpid-ha: error: ") and result.err.count("\n") == 1
    return str(result.err).removeprefix("qpid-ha: error: ").rstrip("\n")


def add_queue(address: str, name: str) -> None:
    with Broker.connect(ConnectionSettings(parse_address(address), ha_admin=True)) as broker:
        broker.add_queue(name, {})


def assert_query_block(lines: list[str], status: str, url: str) -> None:
    assert len(lines) == len(QUERY_LINES)
    for line, pattern in zip(lines, QUERY_LINES, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert lines[0].split()[-1] == status
    assert lines[2][21:] == lines[3][21:] == url


# -- standalone and no HA ---------------------------------------------------------------------


def test_ping(broker: Any, broker_no_ha: Any, qpid_ha: Any) -> None:
    assert ok(qpid_ha, "ping", "-b", broker.address) == ""
    assert ok(qpid_ha, "-b", broker_no_ha.address, "ping") == ""  # HA or not, as classic


def test_status_and_query_of_a_standalone_broker(broker: Any, qpid_ha: Any) -> None:
    assert ok(qpid_ha, "status", "-b", broker.address) == "standalone\n"
    assert ok(qpid_ha, "status", "--all", "-b", broker.address) == "standalone\n"
    query = ok(qpid_ha, "query", "-b", broker.address)
    assert_query_block(query.splitlines(), "standalone", "")
    assert ok(qpid_ha, "query", "--all", "-b", broker.address) == query
    assert ok(qpid_ha, "status", "--expect", "standalone", "-b", broker.address) == ""
    assert qpid_ha("status", "--expect=primary", "-b", broker.address).code == 1
    assert qpid_ha("status", "--is-primary", "-b", broker.address).code == 1


def test_promote_of_a_standalone_broker_does_nothing(broker: Any, qpid_ha: Any) -> None:
    assert ok(qpid_ha, "promote", "--cluster-manager", "-b", broker.address) == ""
    assert ok(qpid_ha, "status", "-b", broker.address) == "standalone\n"


@pytest.mark.parametrize(
    "command",
    [
        "status",
        "status --all",
        "status --is-primary",
        "status --expect ready",
        "query",
        "query --all",
        "replicate 127.0.0.1:5672 q",
        "promote --cluster-manager",
    ],
)
def test_a_broker_without_ha(command: str, broker_no_ha: Any, qpid_ha: Any) -> None:
    message = failure(qpid_ha, *command.split(), "-b", broker_no_ha.address)
    assert message == f"HA module is not loaded on broker at {broker_no_ha.address}"


# -- replicate between two standalone brokers (ha-queue-replication) -------------------------


def test_replicate(broker_pair: Any, qpid_ha: Any) -> None:
    source, target = broker_pair
    add_queue(source.address, "haq")
    add_queue(target.address, "haq")
    assert ok(qpid_ha, "replicate", "-b", target.address, source.address, "haq") == ""
    duplicate = failure(qpid_ha, "replicate", "-b", target.address, source.address, "haq")
    assert duplicate == "Duplicate queue replicator qpid.ha-q:haq"
    missing = failure(qpid_ha, "replicate", source.address, "nothere", "-b", target.address)
    assert missing == "not-found: Queue not found: nothere"


def test_replicate_from_an_unreachable_broker_is_accepted(broker: Any, qpid_ha: Any) -> None:
    """qpidd answers before its link reaches the source, which then keeps retrying [202]."""
    add_queue(broker.address, "haq-unreach")
    assert ok(qpid_ha, "replicate", "-b", broker.address, "127.0.0.1:1", "haq-unreach") == ""


def test_replicate_to_an_invalid_url(broker: Any, qpid_ha: Any) -> None:
    add_queue(broker.address, "haq")
    message = failure(qpid_ha, "replicate", "-b", broker.address, "not a url", "haq")
    assert message.startswith("Invalid URL: not a url")


# -- a cluster --------------------------------------------------------------------------------


def lines(qpid_ha: Any, *args: str) -> list[str]:
    return ok(qpid_ha, *args).splitlines()


def statuses(cluster: Any) -> list[str]:
    """Each member's status, ``stopped`` for one that does not answer (double or real qpidd)."""
    settings = ConnectionSettings(BrokerAddress(), timeout=5, ha_admin=True)
    found = ha_brokers(settings, [parse_address(address) for address in cluster.addresses])
    return [ha.status if isinstance(ha, HaBroker) else "stopped" for ha in found]


def settle(cluster: Any, *expected: str) -> None:
    wait_for(lambda: statuses(cluster) == list(expected), what=f"statuses {expected}")


def test_cluster_life(ha_cluster: Any, qpid_ha: Any) -> None:
    first, second, third = ha_cluster.addresses
    url = ha_cluster.brokers_url

    # start-up: everybody joining, nobody primary
    assert lines(qpid_ha, "status", "--all", "-b", first) == [
        f"{address} joining" for address in ha_cluster.addresses
    ]
    assert_query_block(lines(qpid_ha, "query", "-b", first), "joining", url)
    assert qpid_ha("status", "--is-primary", "-b", first).code == 1

    # the cluster manager promotes the first broker
    assert ok(qpid_ha, "-b", first, "promote", "--cluster-manager") == ""
    assert ok(qpid_ha, "status", "--expect", "primary", "-b", first) == ""
    settle(ha_cluster, "active", "ready", "ready")
    assert lines(qpid_ha, "status", "--all", "-b", third) == [
        f"{first} active",
        f"{second} ready",
        f"{third} ready",
    ]
    assert ok(qpid_ha, "status", "--is-primary", "-b", first) == ""
    assert qpid_ha("status", "--is-primary", "-b", second).code == 1
    assert ok(qpid_ha, "status", "--expect", "ready", "-b", second) == ""
    assert ok(qpid_ha, "ping", "-b", second) == ""

    blocks = ok(qpid_ha, "query", "--all", "-b", first).split("\n\n")
    assert blocks[-1] == ""
    for block, address, status in zip(
        blocks, ha_cluster.addresses, ("active", "ready", "ready"), strict=False
    ):
        address_line, *rest = block.splitlines()
        assert address_line == f"{'Address:':<20} {address}"
        assert_query_block(rest, status, url)

    # failover: the primary dies; the backups stay ready until a new promote
    ha_cluster.members[0].stop()
    after_death = lines(qpid_ha, "status", "--all", "-b", second)
    assert after_death[0] == f"{first} error: cannot connect to {first}: connection refused"
    assert after_death[1:] == [f"{second} ready", f"{third} ready"]
    assert ok(qpid_ha, "promote", "--cluster-manager", "-b", second) == ""
    assert ok(qpid_ha, "status", "--is-primary", "-b", second) == ""  # recovering counts
    settle(ha_cluster, "stopped", "active", "ready")
    assert lines(qpid_ha, "status", "--all", "-b", second)[1:] == [
        f"{second} active",
        f"{third} ready",
    ]
    document = json.loads(ok(qpid_ha, "status", "--all", "--json", "-b", third))
    assert [entry.get("status", "error") for entry in document["brokers"]] == [
        "error",
        "active",
        "ready",
    ]

    # a ready backup would accept a promote while a primary lives, giving two primaries
    # (classic [224]): qpid-ha refuses, naming the primary, unless forced
    refused = failure(qpid_ha, "promote", "--cluster-manager", "-b", third)
    assert refused == (
        f"{second} is active: promoting this broker too would make two primaries "
        "(--force promotes anyway)"
    )
    assert statuses(ha_cluster) == ["stopped", "active", "ready"]
    assert ok(qpid_ha, "promote", "--cluster-manager", "--force", "-b", third) == ""
    settle(ha_cluster, "stopped", "active", "active")


def test_backups_admit_only_ha_admin_connections(ha_cluster: Any, qpid_ha: Any) -> None:
    """Why every qpid-ha connection is an admin one: without it a backup aborts it [221]."""
    backup = parse_address(ha_cluster.addresses[1])
    with pytest.raises(ConnectError, match="aborted"):
        Connection(ConnectionSettings(backup, timeout=5)).close()
    assert ok(qpid_ha, "status", "-b", ha_cluster.addresses[1]) == "joining\n"


def test_promote_is_refused_while_joining_or_catching_up(qpid_ha: Any) -> None:
    """The double's own cluster, so that the backups stay joining and catchup on demand."""
    with DoubleCluster(recovery_s=0.05, catchup_s=600) as cluster:
        first, second, third = cluster.addresses
        assert ok(qpid_ha, "promote", "--cluster-manager", "-b", first) == ""
        settle(cluster, "active", "joining", "joining")
        guarded = failure(qpid_ha, "promote", "--cluster-manager", "-b", second)
        assert guarded.startswith(f"{first} is active: ")
        joining = failure(qpid_ha, "promote", "--cluster-manager", "--force", "-b", second)
        assert joining == "Joining active cluster, cannot be promoted."
        ha = cluster.members[2].ha
        assert ha is not None
        ha.change("catchup", (600, "ready"))
        catchup = failure(qpid_ha, "--force", "promote", "--cluster-manager", "-b", third)
        assert catchup == "Still catching up, cannot be promoted."
        assert statuses(cluster) == ["active", "joining", "catchup"]


def test_promote_is_refused_while_a_member_is_recovering(qpid_ha: Any) -> None:
    """A just-promoted primary waiting for its backups (recovering) counts as primary too."""
    with DoubleCluster() as cluster:
        first, second, _ = cluster.addresses
        primary = cluster.members[0].ha
        assert primary is not None
        primary.change("recovering")
        refused = failure(qpid_ha, "promote", "--cluster-manager", "-b", second)
        assert refused.startswith(f"{first} is recovering: promoting this broker too")
        assert statuses(cluster) == ["recovering", "joining", "joining"]


def test_members_that_are_down_do_not_hold_back_a_promote(ha_cluster: Any, qpid_ha: Any) -> None:
    """Failover is the normal case: the other members may be dead."""
    for member in ha_cluster.members[1:]:
        member.stop()
    first = ha_cluster.addresses[0]
    assert ok(qpid_ha, "promote", "--cluster-manager", "-b", first) == ""
    assert ok(qpid_ha, "status", "--is-primary", "-b", first) == ""


def test_a_silent_member_costs_one_timeout(
    qpid_ha: Any, silent_port: int, closed_port: int
) -> None:
    """Members that accept and never answer, or refuse, are given up after --timeout."""
    with DoubleCluster() as cluster:
        first = cluster.addresses[0]
        dead = f"tcp:127.0.0.1:{silent_port},tcp:127.0.0.1:{closed_port}"
        settings = ConnectionSettings(parse_address(first), ha_admin=True)
        with Broker.connect(settings) as broker:
            broker.set_brokers_url(f"{cluster.brokers_url},{dead}")
        assert ok(qpid_ha, "promote", "--cluster-manager", "--timeout", "1", "-b", first) == ""
        assert ok(qpid_ha, "status", "--is-primary", "-b", first) == ""


def test_promote_without_cluster_manager_leaves_the_cluster_alone(
    ha_cluster: Any, qpid_ha: Any
) -> None:
    assert qpid_ha("promote", "-b", ha_cluster.addresses[0]).code == 1
    assert statuses(ha_cluster) == ["joining", "joining", "joining"]


def test_config_file_port(broker: Any, tmp_path: Any, qpid_ha: Any) -> None:
    conf = tmp_path / "qpidd.conf"
    port = broker.address.rsplit(":", 1)[1]
    conf.write_text(f"ha-queue-replication=yes\nport={port}\n")
    assert ok(qpid_ha, "--config", str(conf), "-b", "127.0.0.1", "status") == "standalone\n"
