"""A simulation of qpidd's management interface (QMF2 over AMQP 1.0) for tests; not a broker.

`BrokerDouble` answers QMF requests exactly as the recorded captures of a real qpidd 1.40 show
(`shared/qmf-captures`), keeps queues, exchanges and bindings, moves messages between plain
proton links so tests can fill and consume queues, and simulates the HA module: a standalone
habroker, queue replication between doubles, and clusters of doubles (`DoubleCluster`),
and federation: links and bridges between doubles that carry messages (`federation`).
It is an independent AMQP peer built on proton; it does not use the qpidtools client library.

    from qpidtools.testing import BrokerDouble, DoubleCluster, TlsFiles, send_messages

    with BrokerDouble(ha="standalone") as broker:   # or ha=None: no HA module
        send_messages(broker.address, "q", 3)        # the queue must exist (create it via QMF)

    with BrokerDouble(tls=TlsFiles("server.pem", "server-key.pem")) as broker:
        ...                                          # clients connect to broker.url (amqps://)

The pytest fixtures (`broker`, `broker_no_ha`, `broker_pair`, `ha_cluster`) live in
`qpidtools.testing.plugin` and use a real qpidd when one is configured.
"""

from qpidtools.testing.cluster import DoubleCluster
from qpidtools.testing.helpers import hold_consumer, send_messages, wait_for
from qpidtools.testing.server import BrokerDouble, TlsFiles

__all__ = [
    "BrokerDouble",
    "DoubleCluster",
    "TlsFiles",
    "hold_consumer",
    "send_messages",
    "wait_for",
]
