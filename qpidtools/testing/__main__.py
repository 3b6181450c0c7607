"""Run a broker double in the foreground, so qpid-config and qpid-ha can be tried against it."""

from __future__ import annotations

import argparse
import signal
import threading
from contextlib import ExitStack

from qpidtools.testing.cluster import DoubleCluster
from qpidtools.testing.model import DEFAULT_LOG_LEVEL
from qpidtools.testing.server import BrokerDouble, TlsFiles

DESCRIPTION = """\
A simulation of qpidd's management interface (QMF over AMQP 1.0), not a broker.
It answers qpid-config and qpid-ha as the recorded captures of a real qpidd 1.40 show (TLS,
which no capture covers, is modelled on qpidd's --ssl-port and tested against the double only),
keeps its state in memory and forgets it on exit. Example: qpid-config -b 127.0.0.1:PORT queues"""


class _Parser(argparse.ArgumentParser):
    """Puts the description before the usage line, so --help starts by saying what this is."""

    def format_help(self) -> str:
        return f"{DESCRIPTION}\n\n{super().format_help()}"


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m qpidtools.testing")
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: a free one)"
    )
    parser.add_argument(
        "--no-ha", action="store_true", help="simulate a broker without the HA module"
    )
    parser.add_argument(
        "--cluster", type=int, metavar="N", help="run an HA cluster of N members (nobody promoted)"
    )
    parser.add_argument(
        "--federation",
        type=int,
        metavar="N",
        help="run N standalone doubles in this process, so that links between them come up "
        "and their routes carry messages (doubles in other processes cannot federate)",
    )
    parser.add_argument(
        "--tls-cert", metavar="PEM", help="listen with TLS only, with this certificate"
    )
    parser.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    parser.add_argument(
        "--tls-client-ca", metavar="PEM", help="require client certificates signed by this CA"
    )
    parser.add_argument(
        "--log-enable",
        metavar="LEVEL",
        default=DEFAULT_LOG_LEVEL,
        help=f"the log level 'qpid-config log' reports at start, as qpidd's option "
        f"(default: qpidd's {DEFAULT_LOG_LEVEL})",
    )
    args = parser.parse_args(argv)
    if (args.tls_key or args.tls_client_ca) and not args.tls_cert:
        parser.error("--tls-key and --tls-client-ca need --tls-cert")
    if args.tls_cert and (args.cluster or args.federation):
        parser.error("--tls-cert serves a single broker, not a --cluster or --federation")
    key = args.tls_key or args.tls_cert  # one PEM file may hold both
    tls = TlsFiles(args.tls_cert, key, args.tls_client_ca) if args.tls_cert else None
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if args.cluster:
        with DoubleCluster(args.cluster, log_level=args.log_enable) as cluster:
            for member in cluster.members:
                print(f"cluster member listening on {member.address}")
            print(f"brokers URL: {cluster.brokers_url}")
            print("promote one with: qpid-ha promote --cluster-manager -b ADDRESS")
            print("Ctrl-C to stop", flush=True)
            stop.wait()
    elif args.federation:
        with ExitStack() as doubles:
            for _ in range(args.federation):
                double = doubles.enter_context(
                    BrokerDouble(ha=None if args.no_ha else "standalone", log_level=args.log_enable)
                )
                print(f"broker double listening on {double.address}")
            print("link them with: qpid-route route add DEST SRC EXCHANGE KEY")
            print("Ctrl-C to stop", flush=True)
            stop.wait()
    else:
        with BrokerDouble(
            ha=None if args.no_ha else "standalone",
            port=args.port,
            tls=tls,
            log_level=args.log_enable,
        ) as double:
            print(f"broker double listening on {double.url if tls else double.address}")
            print("Ctrl-C to stop", flush=True)
            stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
