"""A stand-in for the qpidd executable, to test how the fixtures start real brokers.

It does what matters to the fixtures and nothing else: like qpidd it locks its ``--data-dir``
(a second process on the same directory exits at start-up, as qpidd does with "Data
directory is locked by another process") and listens on ``--interface``/``--port`` until
killed. It writes its command line to ``DATA_DIR/argv``.
"""

from __future__ import annotations

import argparse
import fcntl
import socket
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(prog="qpidd")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--data-dir", type=Path, required=True)
    arguments, _ = parser.parse_known_args()
    lock = (arguments.data_dir / "lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print("critical Data directory is locked by another process", file=sys.stderr)
        return 1
    (arguments.data_dir / "argv").write_text("\n".join(sys.argv[1:]))
    with socket.create_server((arguments.interface, arguments.port)) as server:
        while True:
            connection, _ = server.accept()
            connection.close()


if __name__ == "__main__":
    sys.exit(main())
