"""The transport's own container: no unused TLS contexts, proton left as it was."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from proton import _reactor

from qpidtools.transport import _lean_container


def test_the_container_builds_no_default_tls_contexts() -> None:
    assert _lean_container().ssl is None


def test_proton_keeps_its_default_tls_config_even_with_threads() -> None:
    default = _reactor.SSLConfig
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: _lean_container(), range(32)))
    assert _reactor.SSLConfig is default
    assert _reactor.Container().ssl is not None
