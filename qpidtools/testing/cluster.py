"""Clusters of doubles: N members sharing a brokers URL, with HA statuses like qpidd's."""

from __future__ import annotations

from qpidtools.testing.ha import Cluster
from qpidtools.testing.model import DEFAULT_LOG_LEVEL, LOCK
from qpidtools.testing.server import BrokerDouble, StopsOnExit


class DoubleCluster(StopsOnExit):
    """`size` doubles run like `qpidd --ha-cluster yes --ha-brokers-url URL --ha-public-url URL`.

    Every member starts `joining`. Promote one over QMF (`qpid-ha promote`): it becomes `active`
    (or `recovering` for `recovery_s` first when ready backups exist), and the others go
    `joining` -> `catchup` -> `ready` within `catchup_s`. Backups abort connections that lack
    the `qpid.ha-admin` open property. `members[i].stop()` kills a member; the backups keep
    listing it as active until someone promotes a new primary. `restart(i)` brings a stopped
    member back on its port as a new backup (same system id, next agent epoch).

    `log_level` is each member's log level at start (qpidd's default `notice+`).

    Attributes: `members` (list of BrokerDouble), `brokers_url`
    ("amqp:tcp:127.0.0.1:P1,tcp:127.0.0.1:P2,..."), `addresses`.
    """

    def __init__(
        self,
        size: int = 3,
        recovery_s: float = 0.5,
        catchup_s: float | None = None,
        *,
        log_level: str = DEFAULT_LOG_LEVEL,
    ) -> None:
        self.log_level = log_level
        self.cluster = Cluster(recovery_s, recovery_s if catchup_s is None else catchup_s)
        ports = [BrokerDouble.free_port() for _ in range(size)]
        self.brokers_url = "amqp:" + ",".join(f"tcp:127.0.0.1:{port}" for port in ports)
        self.members = [self.start_member(port) for port in ports]

    def start_member(self, port: int, previous: BrokerDouble | None = None) -> BrokerDouble:
        return BrokerDouble(
            port=port,
            cluster=self.cluster,
            brokers_url=self.brokers_url,
            system_id=previous.state.system_id if previous else None,
            epoch=previous.state.epoch + 1 if previous else 1,
            log_level=self.log_level,
        )

    @property
    def addresses(self) -> list[str]:
        return [member.address for member in self.members]

    def restart(self, index: int) -> BrokerDouble:
        """Start a stopped member again on the same port; it rejoins as a backup."""
        old = self.members[index]
        old.stop()
        self.members[index] = self.start_member(old.port, old)
        return self.members[index]

    def statuses(self) -> list[str]:
        """Each live member's status (`stopped` for dead ones), for tests and waiting."""
        with LOCK:
            return [
                member.ha.status if member.running and member.ha else "stopped"
                for member in self.members
            ]

    def stop(self) -> None:
        for member in self.members:
            member.stop()
