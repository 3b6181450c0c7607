"""The transport's own container (no unused TLS contexts, proton left as it was), and what its
timeout means: the longest the broker may stay silent, restarted by every reply message."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from proton import _reactor

from qpidtools import transport
from qpidtools.address import parse_address
from qpidtools.transport import ConnectionSettings, _lean_container


def test_the_container_builds_no_default_tls_contexts() -> None:
    assert _lean_container().ssl is None


def test_proton_keeps_its_default_tls_config_even_with_threads() -> None:
    default = _reactor.SSLConfig
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: _lean_container(), range(32)))
    assert _reactor.SSLConfig is default
    assert _reactor.Container().ssl is not None


class Clock:
    """A clock that moves only when a reply message is waited for."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


class SlowReceiver:
    """Hands out reply messages, each after 9 of the 10 seconds' timeout; records each wait."""

    def __init__(self, clock: Clock, messages: list[SimpleNamespace]) -> None:
        self.clock, self.messages, self.waits = clock, messages, []

    def receive(self, timeout: float | None) -> SimpleNamespace:
        self.waits.append(timeout)
        self.clock.now += 9.0
        return self.messages.pop(0)

    def accept(self) -> None:
        pass


def message(correlation_id: str, partial: bool) -> SimpleNamespace:
    return SimpleNamespace(
        correlation_id=correlation_id, properties={"partial": ""} if partial else {}
    )


def replies_to_one_request(
    monkeypatch: pytest.MonkeyPatch, messages: list[SimpleNamespace]
) -> tuple[int, list[float | None]]:
    clock = Clock()
    monkeypatch.setattr(transport, "time", clock)
    connection = transport.Connection.__new__(transport.Connection)
    connection.settings = ConnectionSettings(parse_address("127.0.0.1:5672"), timeout=10)
    receiver = SlowReceiver(clock, messages)
    connection._receiver = receiver  # type: ignore[assignment]
    return len(list(connection._replies("7"))), receiver.waits


def test_every_reply_message_gets_the_whole_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three pages, 27 s in all with a 10 s timeout: the broker never stayed silent 10 s."""
    pages = [message("7", True), message("7", True), message("7", False)]
    assert replies_to_one_request(monkeypatch, pages) == (3, [10, 10, 10])


def test_messages_for_other_requests_do_not_restart_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    messages = [message("6", False), message("7", False)]
    count, waits = replies_to_one_request(monkeypatch, messages)
    assert count == 1
    assert waits == [10, pytest.approx(1.0)]
