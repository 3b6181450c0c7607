"""pytest plugin: broker fixtures that use a real qpidd when one is configured, else a double.

Where the broker comes from, first match wins:

1. `QPIDTOOLS_TEST_BROKER=host:port`: that broker, used as is (kind "external");
2. `QPIDTOOLS_TEST_IMAGE=<image>` and a container engine that answers: qpidd run from that image
   with host networking (kind "container"; needs the `testcontainers` package);
3. a `qpidd` executable from `$QPIDD` or `PATH` (kind "qpidd");
4. otherwise the in-process double, a simulation of qpidd's management interface (kind "double").

Fixtures (function scoped, fresh state per test): `broker` (queue replication enabled, like
`--ha-queue-replication yes`), `broker_no_ha` (no HA module), `broker_pair` (two brokers A and B
with queue replication), `ha_cluster` (three members of an HA cluster, nothing promoted),
`broker_process` (starts brokers in processes of their own, to kill and freeze).
Each broker object has `address` ("host:port"), `kind` and `is_real`. Every qpidd a test starts
gets its own port and its own data directory under the test's `tmp_path` (qpidd locks its data
directory: two brokers sharing one would stop the second at start-up). Tests marked
`@pytest.mark.real_broker` are skipped when only the double is available; tests marked
`@pytest.mark.fresh_broker` are skipped where they ask for `broker` and it is external (someone's
broker, used as is: its state is not the test's, and fixed names could clash).
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

from qpidtools.testing.cluster import DoubleCluster
from qpidtools.testing.helpers import wait_for
from qpidtools.testing.server import BrokerDouble

REAL_BROKER_REASON = "needs a real qpidd (set QPIDTOOLS_TEST_BROKER, QPIDD or QPIDTOOLS_TEST_IMAGE)"
EXTERNAL_ONLY_REASON = (
    "only the external broker QPIDTOOLS_TEST_BROKER is available; this test needs brokers it "
    "can start with its own options"
)
FRESH_BROKER_REASON = (
    "needs a broker started for this test (it compares whole listings or event streams, uses "
    "fixed names or changes broker settings); QPIDTOOLS_TEST_BROKER is used as is"
)
HA_OPTIONS = ["--ha-queue-replication", "yes"]
START_TIMEOUT_S = 30.0


class BrokerHandle(Protocol):
    """What every fixture broker offers."""

    address: str
    kind: str
    is_real: bool


@dataclass
class ExternalBroker:
    address: str
    kind: str = "external"
    is_real: bool = True


@dataclass
class RealBroker:
    """A qpidd started for one test, as a process or in a container; `stop()` kills it."""

    address: str
    kind: str
    stop_action: Any = field(repr=False)
    data_dir: Path
    is_real: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def port(self) -> int:
        return int(self.address.rpartition(":")[2])

    def stop(self) -> None:
        self.stop_action()


@dataclass
class RealCluster:
    """Three qpidd processes run with `--ha-cluster yes`; same attributes as DoubleCluster."""

    members: list[RealBroker]
    brokers_url: str

    @property
    def addresses(self) -> list[str]:
        return [member.address for member in self.members]


def free_port() -> int:
    return BrokerDouble.free_port()


def free_ports(count: int) -> list[int]:
    """``count`` different loopback ports nobody listens on, for brokers that must know each
    other's ports before any of them starts (all probes stay open until all are chosen)."""
    with ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


def wait_for_port(port: int, alive: Callable[[], bool], pid: int | None = None) -> None:
    """Poll until the broker listens on the port; fail early if it died.

    With the broker's ``pid`` (and Linux's /proc) the listener must be that process's own: the
    port was free when chosen, but another test's broker may have taken it since, and a
    connection to that one would pass for ours.
    """

    def listening() -> bool:
        if not alive():
            raise BrokerExited(f"qpidd on port {port} exited during start-up")
        if pid is not None and Path(f"/proc/{pid}/fd").is_dir():
            return port in listening_ports(pid)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_for(listening, START_TIMEOUT_S, interval=0.05, what=f"qpidd to listen on port {port}")


class BrokerExited(RuntimeError):
    """A qpidd started for a test exited before it listened."""


def listening_ports(pid: int) -> set[int]:
    """The TCP ports on which process ``pid`` or a child of it (``$QPIDD`` may be a wrapper
    script) has a listening socket (Linux /proc)."""
    inodes = set()
    for member in process_family(pid):
        try:
            fds = list(Path(f"/proc/{member}/fd").iterdir())
        except OSError:
            continue  # exited meanwhile
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue  # closed meanwhile
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            listening = fields[3] == "0A"  # TCP_LISTEN
            if listening and fields[9] in inodes:
                ports.add(int(fields[1].rpartition(":")[2], 16))
    return ports


def qpidd_arguments(port: int, data_dir: Path, options: list[str]) -> list[str]:
    return [
        "--auth", "no",
        "--interface", "127.0.0.1",
        "--port", str(port),
        "--data-dir", str(data_dir),
        "--log-to-file", str(data_dir / "qpidd.log"),
        *options,
    ]  # fmt: skip


def process_family(pid: int) -> set[int]:
    """``pid`` and its descendants, from the parent ids in /proc/*/stat."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    family = {pid}
    while grown := {child for child, parent in parents.items() if parent in family} - family:
        family |= grown
    return family


@functools.cache
def container_engine_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped,unused-ignore]

        docker.from_env().ping()
    except Exception:
        return False
    return True


def broker_source() -> str:
    """Which kind of broker the fixtures use: external, container, qpidd or double."""
    if os.environ.get("QPIDTOOLS_TEST_BROKER"):
        return "external"
    if os.environ.get("QPIDTOOLS_TEST_IMAGE") and container_engine_answers():
        return "container"
    if qpidd_binary():
        return "qpidd"
    return "double"


def qpidd_binary() -> str | None:
    return os.environ.get("QPIDD") or shutil.which("qpidd")


#: Attempts to start a qpidd on a port of its own before giving up (the port chosen may be
#: taken by someone else before qpidd binds it; qpidd then exits).
START_ATTEMPTS = 3


@contextmanager
def real_broker(options: list[str], workdir: Path, port: int | None = None) -> Iterator[RealBroker]:
    """Start qpidd (process or container) with the given options on a free port.

    Its data directory (with its log) is a new directory under ``workdir``, never shared.
    Without a given ``port``, a qpidd that exits during start-up is tried again on another port.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    if broker_source() == "container":
        with container_broker(options, workdir, port or free_port()) as started:
            yield started
        return
    binary = qpidd_binary()
    assert binary is not None
    for attempt in range(1, START_ATTEMPTS + 1):
        chosen = port or free_port()
        data_dir = Path(tempfile.mkdtemp(prefix=f"qpidd-{chosen}-", dir=workdir))
        try:
            process = start_qpidd(binary, qpidd_arguments(chosen, data_dir, options), chosen)
        except BrokerExited:
            if port is not None or attempt == START_ATTEMPTS:
                raise
            continue
        break
    try:
        yield RealBroker(
            f"127.0.0.1:{chosen}", "qpidd", lambda: stop_process(process), data_dir, True, process
        )
    finally:
        stop_process(process)


def start_qpidd(binary: str, arguments: list[str], port: int) -> subprocess.Popen[bytes]:
    """Start qpidd and wait until it listens; its output goes to ``qpidd.out`` in its data dir."""
    output_file = Path(arguments[arguments.index("--data-dir") + 1]) / "qpidd.out"
    with open(output_file, "wb") as output:
        # A process group of its own: signals reach qpidd also when $QPIDD is a wrapper script.
        process = subprocess.Popen(
            [binary, *arguments], stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for_port(port, lambda: process.poll() is None, process.pid)
    except BrokerExited:
        said = output_file.read_text(errors="replace")[-2000:]
        raise BrokerExited(f"qpidd on port {port} exited during start-up: {said}") from None
    except BaseException:
        stop_process(process)
        raise
    return process


@contextmanager
def container_broker(options: list[str], workdir: Path, port: int) -> Iterator[RealBroker]:
    """qpidd run from ``$QPIDTOOLS_TEST_IMAGE`` with host networking."""
    from testcontainers.core.container import DockerContainer

    data_dir = Path(tempfile.mkdtemp(prefix=f"qpidd-{port}-", dir=workdir))
    container = DockerContainer(os.environ["QPIDTOOLS_TEST_IMAGE"])
    # The image's own entrypoint may be a wrapper script; run qpidd itself, as the other
    # sources do, so the fixture's options are the only ones.
    arguments = qpidd_arguments(port, data_dir, options)
    container.with_command(arguments).with_kwargs(network_mode="host", entrypoint=["qpidd"])
    container.with_volume_mapping(str(data_dir), str(data_dir), "rw")
    container.start()
    stopped: list[bool] = []

    def stop() -> None:  # a test may stop it (a link's far end going away); then teardown does
        if not stopped:
            stopped.append(True)
            container.stop()

    try:
        wait_for_port(port, lambda: True)
        yield RealBroker(f"127.0.0.1:{port}", "container", stop, data_dir)
    finally:
        stop()


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Kill the broker (resumed first if frozen) and whatever it started."""
    leads_group = signal_broker(process, signal.SIGCONT)
    if leads_group or process.poll() is None:
        signal_broker(process, signal.SIGKILL)
    process.wait(timeout=10)


def signal_broker(process: subprocess.Popen[Any], signal_number: int) -> bool:
    """Send the signal to the process's own group if it leads one (a qpidd started here, maybe
    under a wrapper script), else to the process; says whether it was a group."""
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signal_number)
            return True
        if process.poll() is None:
            process.send_signal(signal_number)
    except ProcessLookupError:
        pass  # gone (and reaped) already
    return False


@dataclass
class BrokerProcess:
    """A broker in a process of its own, which a test may kill, freeze and resume.

    A real qpidd when one is configured, else a double run as ``python -m qpidtools.testing``
    (which prints a line when a chaos mode holds a reply: see :meth:`wait_for_output`).
    """

    address: str
    kind: str
    is_real: bool
    process: subprocess.Popen[Any] = field(repr=False)
    output: list[str] = field(default_factory=list, repr=False)

    def kill(self) -> None:
        """SIGKILL: the broker dies at once; the kernel closes its sockets."""
        stop_process(self.process)

    def freeze(self) -> None:
        """SIGSTOP: the broker stays connected but says nothing more."""
        signal_broker(self.process, signal.SIGSTOP)

    def resume(self) -> None:
        signal_broker(self.process, signal.SIGCONT)

    def wait_for_output(self, text: str) -> None:
        """Wait until the double has printed a line containing ``text``."""
        wait_for(lambda: any(text in line for line in self.output), START_TIMEOUT_S, what=text)


@contextmanager
def double_process(chaos: str | None = None) -> Iterator[BrokerProcess]:
    """A broker double (with queue replication) in a child process."""
    port = free_port()
    command = [sys.executable, "-m", "qpidtools.testing", "--port", str(port)]
    process = subprocess.Popen(
        [*command, *(["--chaos", chaos] if chaos else [])], stdout=subprocess.PIPE, text=True
    )
    started = BrokerProcess(f"127.0.0.1:{port}", "double", False, process)
    threading.Thread(target=_collect_lines, args=(process, started.output), daemon=True).start()
    try:
        started.wait_for_output("listening on")
        yield started
    finally:
        stop_process(process)


def _collect_lines(process: subprocess.Popen[str], lines: list[str]) -> None:
    """Keep what the double prints, line by line as it comes, until it exits."""
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)


@pytest.fixture
def broker_process(tmp_path: Path) -> Iterator[Callable[..., BrokerProcess]]:
    """Start brokers that tests may kill or freeze: ``broker_process(chaos=None)``.

    A real qpidd (with queue replication) when one is configured, else a double in a child
    process. A ``chaos`` mode (:mod:`qpidtools.testing.chaos`) is the double's only: asking for
    one skips the test on a real broker.
    """
    source = broker_source()
    if source in ("external", "container"):
        pytest.skip("needs a broker process of its own to kill and freeze (qpidd or the double)")
    with ExitStack() as stack:

        def start(chaos: str | None = None) -> BrokerProcess:
            if source == "double":
                return stack.enter_context(double_process(chaos))
            if chaos:
                pytest.skip(f"the chaos mode {chaos} is the broker double's; a real qpidd is set")
            real = stack.enter_context(real_broker(HA_OPTIONS, tmp_path / "processes"))
            assert real.process is not None
            return BrokerProcess(real.address, real.kind, True, real.process)

        yield start


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"real_broker: {REAL_BROKER_REASON}")
    config.addinivalue_line("markers", f"fresh_broker: the `broker` fixture {FRESH_BROKER_REASON}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("real_broker") and broker_source() == "double":
        pytest.skip(REAL_BROKER_REASON)


@pytest.fixture
def broker(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[BrokerHandle]:
    """A broker with queue replication (habroker status `standalone`)."""
    source = broker_source()
    if source == "external" and request.node.get_closest_marker("fresh_broker"):
        pytest.skip(FRESH_BROKER_REASON)
    if source == "external":
        yield ExternalBroker(os.environ["QPIDTOOLS_TEST_BROKER"])
    elif source == "double":
        with BrokerDouble(ha="standalone") as double:
            yield double
    else:
        with real_broker(HA_OPTIONS, tmp_path) as started:
            yield started


@pytest.fixture
def broker_no_ha(tmp_path: Path) -> Iterator[BrokerHandle]:
    """A broker without the HA module: habroker queries return `[]`."""
    source = broker_source()
    if source == "external":
        pytest.skip(EXTERNAL_ONLY_REASON)
    if source == "double":
        with BrokerDouble(ha=None) as double:
            yield double
    else:
        with real_broker([], tmp_path) as started:
            yield started


@pytest.fixture
def broker_pair(tmp_path: Path) -> Iterator[tuple[BrokerHandle, BrokerHandle]]:
    """Two brokers, A and B, both with queue replication, for `replicate` tests."""
    source = broker_source()
    if source == "external":
        pytest.skip(EXTERNAL_ONLY_REASON)
    with ExitStack() as stack:
        if source == "double":
            a: BrokerHandle = stack.enter_context(BrokerDouble())
            b: BrokerHandle = stack.enter_context(BrokerDouble())
        else:
            a = stack.enter_context(real_broker(HA_OPTIONS, tmp_path))
            b = stack.enter_context(real_broker(HA_OPTIONS, tmp_path))
        yield a, b


@pytest.fixture
def ha_cluster(tmp_path: Path) -> Iterator[DoubleCluster | RealCluster]:
    """Three HA cluster members sharing a brokers URL, all `joining` (nobody promoted yet)."""
    source = broker_source()
    if source == "external":
        pytest.skip(EXTERNAL_ONLY_REASON)
    if source == "double":
        with DoubleCluster(3, recovery_s=0.2) as cluster:
            yield cluster
        return
    ports = free_ports(3)
    url = "amqp:" + ",".join(f"tcp:127.0.0.1:{port}" for port in ports)
    options = ["--ha-cluster", "yes", "--ha-brokers-url", url, "--ha-public-url", url]
    with ExitStack() as stack:
        members = [stack.enter_context(real_broker(options, tmp_path, port)) for port in ports]
        yield RealCluster(members, url)
