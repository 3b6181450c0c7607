"""Periodic data indications of the queue class, as qpidd published them in capture 330.

At every publish (qpidd's ``--mgmt-pub-interval``, 10 s) only queues that changed since the
previous one are sent, all in one message sharing that publish's ``_update_ts``:

- a queue not published before carries its properties and statistics;
- a queue whose statistics changed carries the statistics only (no ``name``);
- after an ``_agent_locate_request`` the next publish carries every queue in full, the
  unchanged ones with their older ``_update_ts``;
- a deleted queue comes once more, in a message of its own, with ``_delete_ts`` set.

Only the queue class is simulated (the other classes qpidd publishes are not). More than 100
objects in one publish were never recorded; the double sends them 100 to a message, as it
pages query replies.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from proton import ulong

from qpidtools.testing.agent import PAGE_SIZE, Agent, QmfObject, encode_message
from qpidtools.testing.model import BrokerState, Queue

# What qpidd counts as the queue's properties; everything else is a statistic.
QUEUE_PROPERTIES = frozenset(
    ("name", "durable", "autoDelete", "exclusive", "arguments", "vhostRef", "altExchange")
)
# The schema hash data indications carried (queries of the queue class show another one).
QUEUE_INDICATION_HASH = uuid.UUID("84ce326e-2cbd-6899-80d7-6267d3327e0f")
PROPERTIES = {"method": "indication", "qmf.content": "_data", "qmf.opcode": "_data_indication"}


@dataclass
class _Published:
    """A queue as last published: its statistics and update time."""

    statistics: dict[str, Any]
    updated: int


def routing_suffix(state: BrokerState) -> str:
    """`apache_org.qpidd.<uuid>`: the agent name with its dots and colons as separators."""
    return state.agent_name.replace(".", "_").replace(":", ".")


def statistics(obj: QmfObject) -> dict[str, Any]:
    return {key: value for key, value in obj.values.items() if key not in QUEUE_PROPERTIES}


def encoded(obj: QmfObject, values: dict[str, Any], updated: int, deleted: int) -> dict[str, Any]:
    body = obj.encode(with_epoch=True)
    body["_schema_id"]["_hash"] = QUEUE_INDICATION_HASH
    body.update(_values=values, _update_ts=ulong(updated), _delete_ts=ulong(deleted))
    return body


class QueueIndications:
    """What one double has published of its queues; call its methods with `LOCK` held."""

    def __init__(self, state: BrokerState, agent: Agent) -> None:
        self.state = state
        self.agent = agent
        self.published: dict[Queue, _Published] = {}
        self.everything = False

    def force(self) -> None:
        """An `_agent_locate_request` arrived: the next publish carries every queue."""
        self.everything = True

    def messages(self) -> list[tuple[str, bytes]]:
        """The messages of one publish: deleted queues one each, then the changed ones."""
        now = time.time_ns()
        current = list(self.state.queues.values())
        alive = set(current)
        batches: list[list[dict[str, Any]]] = []
        for queue in [queue for queue in self.published if queue not in alive]:
            last = self.published.pop(queue)  # the queue as deleted: no bindings, no messages
            obj = self.agent.queue_object(queue)
            batches.append([encoded(obj, obj.values, last.updated, now)])
        changed = []
        for queue in current:
            obj = self.agent.queue_object(queue)
            stats, before = statistics(obj), self.published.get(queue)
            new = before is None or stats != before.statistics
            if not new and not self.everything:
                continue
            full = before is None or self.everything
            updated = now if new or before is None else before.updated
            self.published[queue] = _Published(stats, updated)
            changed.append(encoded(obj, obj.values if full else stats, updated, 0))
        batches += [changed[i : i + PAGE_SIZE] for i in range(0, len(changed), PAGE_SIZE)]
        self.everything = False
        subject = f"agent.ind.data.org_apache_qpid_broker.queue.{routing_suffix(self.state)}"
        properties = {**PROPERTIES, "qmf.agent": self.state.agent_name}
        return [
            (subject, encode_message(properties, batch, "amqp/list", None, to="qmf.default.topic",
                                     subject=subject))
            for batch in batches
        ]  # fmt: skip
