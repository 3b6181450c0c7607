"""Connection defaults from the broker's own qpidd.conf, for ``qpid-ha --config``.

Cluster-manager hooks run qpid-ha on the broker's host with only ``--config``: the HA
credentials, port, SASL mechanism and heartbeat are already in qpidd.conf, so the hook does
not repeat them. The file is ``key=value`` lines with ``#`` comments, as qpidd reads it.
As in qpidd, an environment variable ``QPID_<NAME>`` overrides the key ``<name>``
(lower-cased, ``_`` read as ``-``: ``QPID_HA_USERNAME`` overrides ``ha-username``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from qpidtools.errors import ConfigError

ENV_PREFIX = "QPID_"
RELATIVE_PATH = Path("etc", "qpid", "qpidd.conf")


def candidates() -> list[Path]:
    """Where the local broker's qpidd.conf may be: under our install prefix, then ``/etc``."""
    return [Path(sys.prefix) / RELATIVE_PATH, Path("/") / RELATIVE_PATH]


def find() -> Path | None:
    """The local broker's qpidd.conf, used when no broker is named on the command line."""
    return next((path for path in candidates() if path.is_file()), None)


def read(path: str | Path) -> dict[str, str]:
    """Every ``key=value`` of the file, with ``QPID_*`` environment variables on top."""
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    settings = {}
    for line in text.splitlines():
        key, equals, value = line.split("#", 1)[0].partition("=")
        if equals and key.strip():
            settings[key.strip()] = value.strip()
    for name, value in os.environ.items():
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
            settings[name[len(ENV_PREFIX) :].lower().replace("_", "-")] = value
    return settings


def connection_defaults(path: str | Path) -> dict[str, Any]:
    """The settings qpid-ha takes from qpidd.conf, named as :func:`invocation` expects them."""
    conf = read(path)
    defaults: dict[str, Any] = {
        "user": conf.get("ha-username"),
        "password": conf.get("ha-password"),
        "sasl_mechanism": conf.get("ha-mechanism"),
    }
    port = conf.get("port")
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"{path}: port {port!r} is not a valid port number")
        defaults["port"] = int(port)
    heartbeat = conf.get("ha-heartbeat-interval") or conf.get("link-heartbeat-interval")
    if heartbeat:
        defaults["timeout"] = _seconds(path, heartbeat)
    return {key: value for key, value in defaults.items() if value is not None}


def _seconds(path: str | Path, text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise ConfigError(f"{path}: heartbeat interval {text!r} is not a number of seconds")
    return seconds
