"""What qpid-ha asks of the members of a cluster: the survey behind ``--all`` and the
split-brain check of ``promote``.

Apart from :mod:`qpidtools.cli.ha` so that the broker API is loaded only by commands that
connect, never for ``--help`` or completion.
"""

from __future__ import annotations

from qpidtools import broker
from qpidtools.address import parse_brokers_url
from qpidtools.errors import QpidToolsError
from qpidtools.model import HaBroker
from qpidtools.render.ha import Survey
from qpidtools.transport import ConnectionSettings


def survey(settings: ConnectionSettings, every_broker: bool) -> Survey:
    """The broker of ``settings`` and, with ``--all``, every broker of its brokers URL."""
    local = broker.ha_broker_at(settings)
    members = parse_brokers_url(local.brokers_url) if every_broker else []
    if not members:  # a standalone broker: its own answer, without an address (classic)
        return Survey([(settings.address.host_port, local)], every_broker, named=False)
    found = broker.ha_brokers(settings, members)
    return Survey([(str(a), f) for a, f in zip(members, found, strict=True)], True, named=True)


def refuse_a_second_primary(settings: ConnectionSettings, local: HaBroker) -> None:
    """Raise if another member of ``local``'s brokers URL answers that it is primary.

    A broker that is already primary is not checked: promoting it changes nothing. Members are
    told apart by system id, so the local broker is skipped whatever address the URL gives it.
    Members that cannot be asked do not count: a dead primary is why one promotes.
    """
    if local.is_primary:
        return
    members = parse_brokers_url(local.brokers_url)
    for address, found in zip(members, broker.ha_brokers(settings, members), strict=True):
        if isinstance(found, HaBroker) and found.is_primary and found.system_id != local.system_id:
            raise QpidToolsError(
                f"{address} is {found.status}: promoting this broker too would make two "
                "primaries (--force promotes anyway)"
            )
