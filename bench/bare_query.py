"""The floor for a listing: bare proton QMF class queries, no decoding or output.

Usage: bare_query.py HOST:PORT [CLASS ...] (default: queue), one query per class, one after
the other over one connection. Prints the number of objects received.
"""

from __future__ import annotations

import sys

from proton import Message
from proton.utils import BlockingConnection


def main(address: str, classes: list[str]) -> None:
    connection = BlockingConnection(f"amqp://{address}", timeout=60, allowed_mechs="ANONYMOUS")
    sender = connection.create_sender("qmf.default.direct")
    receiver = connection.create_receiver(None, dynamic=True, credit=200)
    count = 0
    for number, class_name in enumerate(classes or ["queue"]):
        request = Message(
            subject="broker",
            reply_to=receiver.link.remote_source.address,
            correlation_id=str(number),
            properties={"qmf.opcode": "_query_request", "x-amqp-0-10.app-id": "qmf2"},
            body={"_what": "OBJECT", "_schema_id": {"_class_name": class_name}},
        )
        sender.send(request)
        while True:
            reply = receiver.receive()
            receiver.accept()
            count += len(reply.body)
            if "partial" not in reply.properties:
                break
    connection.close()
    print(count)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
