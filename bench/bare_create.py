"""The floor for ``apply``: a bare proton client that pipelines create calls on one connection.

Usage: bare_create.py HOST:PORT FILE, where FILE holds one JSON object per line, the
``_arguments`` of one broker ``create`` call. Every request is sent before any reply is read;
then every reply is read. Prints the number of replies that were not exceptions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from proton import Message
from proton.utils import BlockingConnection

BROKER = "org.apache.qpid.broker:broker:amqp-broker"


def main(address: str, path: str) -> None:
    calls = [json.loads(line) for line in Path(path).read_text().splitlines()]
    connection = BlockingConnection(f"amqp://{address}", timeout=60, allowed_mechs="ANONYMOUS")
    sender = connection.create_sender("qmf.default.direct")
    receiver = connection.create_receiver(None, dynamic=True, credit=200)
    reply_to = receiver.link.remote_source.address
    deliveries = []
    for number, arguments in enumerate(calls):
        request = Message(
            subject="broker",
            reply_to=reply_to,
            correlation_id=str(number),
            properties={"qmf.opcode": "_method_request", "x-amqp-0-10.app-id": "qmf2"},
            body={
                "_object_id": {"_object_name": BROKER},
                "_method_name": "create",
                "_arguments": arguments,
            },
        )
        deliveries.append(sender.link.send(request))
    succeeded = 0
    for _ in calls:
        reply = receiver.receive()
        receiver.accept()
        succeeded += reply.properties.get("qmf.opcode") != "_exception"
    for delivery in deliveries:
        delivery.settle()
    connection.close()
    print(succeeded)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
