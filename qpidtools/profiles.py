"""Named broker profiles from ``$XDG_CONFIG_HOME/qpidtools/config.toml``.

Example::

    [profiles.prod]
    broker = "amqps://mq.example.com"
    user = "admin"
    password_file = "~/.config/qpidtools/prod.password"
    ssl_trustfile = "/etc/pki/tls/certs/ca-bundle.crt"
    timeout = 5
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from qpidtools.errors import ConfigError

PROFILE_KEYS: dict[str, type | tuple[type, ...]] = {
    "broker": str,
    "user": str,
    "password_file": str,
    "timeout": (int, float),
    "sasl_mechanism": str,
    "sasl_service_name": str,
    "ssl_certificate": str,
    "ssl_key": str,
    "ssl_trustfile": str,
    "ssl_no_verify": bool,
}


def config_path() -> Path:
    """Where the profiles live: ``$XDG_CONFIG_HOME`` or ``~/.config``, then ``qpidtools``."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "qpidtools" / "config.toml"


def load_profile(name: str | None) -> dict[str, Any]:
    """The settings of profile ``name``; ``{}`` when no profile is asked for."""
    if not name:
        return {}
    import tomllib  # only a named profile needs the TOML parser: not every start-up

    path = config_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"profile {name!r} asked for, but {path} does not exist") from None
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{_where(path, text, 'profiles')}: 'profiles' is not a table")
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"{path}: no profile {name!r} (profiles: {known})")
    profile = profiles[name]
    if not isinstance(profile, dict):
        raise ConfigError(
            f"{_where(path, text, 'profiles', name)}: profile {name!r} is not a table"
        )
    for key, value in profile.items():
        expected = PROFILE_KEYS.get(key)
        if expected is None or not isinstance(value, expected):
            problem = "unknown key" if expected is None else "wrong type for"
            where = _where(path, text, "profiles", name, key)
            raise ConfigError(f"{where}: {problem} {key!r} in profile {name!r}")
    return dict(profile)


def _where(path: Path, text: str, *key: str) -> str:
    """``FILE, line N`` of the line that sets the dotted ``key``, or of its nearest table.

    tomllib reports no positions, so the lines are scanned: the table header plus the
    line's own (dotted) key must spell ``key``, so the same key in another profile is not
    the one blamed.
    """
    table: tuple[str, ...] = ()
    lines: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if header := re.match(r"\s*\[+([^\]]+)\]", line):
            table = _dotted(header[1])
            lines.setdefault(table, number)
        elif assignment := re.match(r"\s*([^=#\[]+?)\s*=", line):
            lines.setdefault((*table, *_dotted(assignment[1])), number)
    for length in range(len(key), 0, -1):
        if key[:length] in lines:
            return f"{path}, line {lines[key[:length]]}"
    return str(path)


def _dotted(name: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in name.split("."))
