"""The floor for ``qpid-config queues``: a bare proton QMF class query, no decoding or output.

Usage: bare_query.py HOST:PORT. Prints the number of queue objects received.
"""

from __future__ import annotations

import sys

from proton import Message
from proton.utils import BlockingConnection


def main(address: str) -> None:
    connection = BlockingConnection(f"amqp://{address}", timeout=60, allowed_mechs="ANONYMOUS")
    sender = connection.create_sender("qmf.default.direct")
    receiver = connection.create_receiver(None, dynamic=True, credit=200)
    request = Message(
        subject="broker",
        reply_to=receiver.link.remote_source.address,
        correlation_id="1",
        properties={"qmf.opcode": "_query_request", "x-amqp-0-10.app-id": "qmf2"},
        body={"_what": "OBJECT", "_schema_id": {"_class_name": "queue"}},
    )
    sender.send(request)
    count = 0
    while True:
        reply = receiver.receive()
        receiver.accept()
        count += len(reply.body)
        if "partial" not in reply.properties:
            break
    connection.close()
    print(count)


if __name__ == "__main__":
    main(sys.argv[1])
