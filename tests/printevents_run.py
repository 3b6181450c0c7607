"""Run qpid-printevents as a process (it runs until stopped) and compare it with transcripts.

The classic tool spoke AMQP 0-10; ours subscribes over AMQP 1.0, so the events of each tool's
own subscription differ (classic: queueDeclare of ``<uuid>:0.0``, bind, subscribe ``dest=0``;
ours: queueDeclare of ``<container>_<link>`` and subscribe with empty rhost). Those lines are
left out on both sides, as are values that change on every run (times, uuids, client ports,
message sizes).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from qpidtools.testing import wait_for

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TIME = re.compile(r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} ")
OWN_SUBSCRIPTION = re.compile(rf"qName={UUID}(:0\.0|_{UUID}-qmf\.default\.topic)")
VOLATILE = [
    (re.compile(UUID), "<uuid>"),
    (re.compile(r"(?<=-127\.0\.0\.1:)\d+"), "<port>"),
    (re.compile(r"byteDepth=\d+"), "byteDepth=<n>"),
]


@dataclass
class Finished:
    code: int
    out: str
    err: str


class PrintEvents:
    """qpid-printevents in the background; its stdout lines are collected as they come."""

    def __init__(self, *args: str) -> None:
        command = "from qpidtools.cli.printevents import main; main()"
        self.process = subprocess.Popen(
            [sys.executable, "-c", command, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._readers = [
            threading.Thread(target=_collect, args=(stream, into), daemon=True)
            for stream, into in (
                (self.process.stdout, self.lines),
                (self.process.stderr, self.errors),
            )
        ]
        for reader in self._readers:
            reader.start()

    def wait_line(self, predicate: Callable[[str], bool], what: str, count: int = 1) -> None:
        wait_for(lambda: sum(map(predicate, self.lines)) >= count, timeout=20, what=what)

    def wait_connected(self, count: int = 1) -> None:
        self.wait_line(lambda line: "brokerConnected" in line, "brokerConnected", count)

    def wait_running(self) -> None:
        """Until its receiving threads run: from then on Ctrl-C is handled (Linux /proc)."""

        def threads() -> int:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
            return int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]

        wait_for(lambda: threads() > 1, timeout=20, what="qpid-printevents to start")

    def stop(self, sig: signal.Signals = signal.SIGINT) -> Finished:
        self.process.send_signal(sig)
        code = self.process.wait(timeout=20)
        for reader in self._readers:
            reader.join(timeout=20)
        return Finished(code, "".join(self.lines), "".join(self.errors))

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _collect(stream: IO[str] | None, into: list[str]) -> None:
    assert stream is not None
    for line in stream:
        into.append(line)


def normalized(text: str, roles: dict[str, str] | None = None) -> list[str]:
    """The lines with times, uuids, client ports and sizes as placeholders, minus the lines
    of the tool's own subscription; ``roles`` maps broker ports to role names."""
    result = []
    for line in text.splitlines():
        if OWN_SUBSCRIPTION.search(line):
            continue
        line = TIME.sub("<time> ", line)
        for pattern, placeholder in VOLATILE:
            line = pattern.sub(placeholder, line)
        for port, role in (roles or {}).items():
            line = re.sub(rf"(?<=[:]){port}\b", f"<{role}>", line)
        result.append(line)
    return result


def without_amqp010_clients(text: str) -> str:
    """The transcript minus the lines of its AMQP 0-10 clients (qpid-send, qpid-receive),
    which no test here can run: every line naming the address of such a connection."""
    found = re.findall(r"client_process.*rhost=(\S+)", text)
    return "".join(
        line for line in text.splitlines(keepends=True) if not any(a in line for a in found)
    )
