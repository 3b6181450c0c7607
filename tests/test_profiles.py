"""Profiles and environment: command line > environment > profile > defaults, clear errors."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from qpidtools import __version__
from qpidtools.cli.common import Invocation, invocation, run, shared_options
from qpidtools.generate import tools
from qpidtools.profiles import config_path

PROFILES = """\
# two profiles that share their keys
[profiles.prod]
broker = "prod.example.com:5673"
user = "operator"
timeout = 3

[profiles.dev]
broker = "dev.example.com"
sasl_mechanism = "PLAIN"
"""


def write_config(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


class Resolve:
    """Run a command that only resolves its options, as every real command does first."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.resolved: list[Invocation] = []

        @click.group()
        @shared_options()
        def cli() -> None:
            pass

        @cli.command()
        @shared_options()
        @click.pass_context
        def show(ctx: click.Context) -> None:
            self.resolved.append(invocation(ctx))

        self.cli = cli

    def __call__(self, *args: str) -> Invocation:
        code = run(self.cli, "tool", [*args, "show"] if "show" not in args else list(args))
        assert code == 0, self.capsys.readouterr().err
        return self.resolved[-1]

    def error(self, *args: str) -> tuple[int, str]:
        code = run(self.cli, "tool", [*args, "show"])
        return code, self.capsys.readouterr().err


@pytest.fixture
def resolve(capsys: pytest.CaptureFixture[str]) -> Resolve:
    return Resolve(capsys)


def test_defaults(resolve: Resolve) -> None:
    settings = resolve().settings
    assert (settings.address.host, settings.address.port, settings.timeout) == (
        "localhost",
        5672,
        10.0,
    )
    assert settings.address.user is None


def test_environment_names_the_default_broker(
    resolve: Resolve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QPIDTOOLS_BROKER", "env.example.com:6000")
    assert resolve().settings.address.host_port == "env.example.com:6000"


def test_profile_from_option_or_environment(
    resolve: Resolve, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(PROFILES)
    settings = resolve("--profile", "prod").settings
    assert settings.address.host_port == "prod.example.com:5673"
    assert (settings.address.user, settings.timeout) == ("operator", 3.0)
    monkeypatch.setenv("QPIDTOOLS_PROFILE", "dev")
    assert resolve().settings.sasl_mechanism == "PLAIN"
    assert resolve("--profile", "prod").settings.address.host == "prod.example.com"


def test_precedence_command_line_environment_profile_default(
    resolve: Resolve, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(PROFILES)
    monkeypatch.setenv("QPIDTOOLS_PROFILE", "prod")
    assert resolve().settings.address.host == "prod.example.com"
    monkeypatch.setenv("QPIDTOOLS_BROKER", "env.example.com")
    monkeypatch.setenv("QPIDTOOLS_USER", "env-user")
    settings = resolve().settings
    assert (settings.address.host, settings.address.user) == ("env.example.com", "env-user")
    assert settings.timeout == 3.0  # not in the environment: still the profile's
    settings = resolve("-b", "cli.example.com", "show", "--user", "cli-user", "--timeout", "7")
    assert settings.settings.address.host == "cli.example.com"
    assert (settings.settings.address.user, settings.settings.timeout) == ("cli-user", 7.0)


def test_options_anywhere_last_one_wins(resolve: Resolve) -> None:
    settings = resolve("-b", "first", "show", "-b", "second").settings
    assert settings.address.host == "second"


def test_config_home_defaults_to_dot_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_path() == tmp_path / ".config" / "qpidtools" / "config.toml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[profiles.prod]\nbroker = "unterminated\n', "line 2"),
        ("[profiles.prod]\nbroker = \n", "line 2"),
        ("[profiles.prod]\nbrokr = 'x'\n", "line 2: unknown key 'brokr' in profile 'prod'"),
        (
            "[profiles.dev]\ntimeout = 1\n\n[profiles.prod]\ntimeout = 'soon'\n",
            "line 5: wrong type for 'timeout' in profile 'prod'",
        ),
        ("[profiles]\nprod.timeout = 'soon'\n", "line 2: wrong type for 'timeout'"),
        ("[profiles]\nprod = { brokr = 'x' }\n", "line 2: unknown key 'brokr'"),
        ("[profiles]\nprod = 'mq1'\n", "line 2: profile 'prod' is not a table"),
        ("profiles = 3\n", "line 1: 'profiles' is not a table"),
        ("[profiles.dev]\nbroker = 'x'\n", "no profile 'prod' (profiles: dev)"),
    ],
)
def test_broken_config_names_file_and_line(resolve: Resolve, text: str, expected: str) -> None:
    path = write_config(text)
    code, err = resolve.error("--profile", "prod")
    assert code == 2
    assert err.startswith(f"tool: error: {path}")
    assert expected in err
    assert len(err.splitlines()) == 1


def test_missing_config_file_is_named(resolve: Resolve, clean_environment: Path) -> None:
    code, err = resolve.error("--profile", "prod")
    assert code == 2 and str(clean_environment) in err and "does not exist" in err


def test_config_is_read_only_when_a_profile_is_asked_for(resolve: Resolve) -> None:
    write_config("this is not TOML")
    assert resolve().settings.address.host == "localhost"


@pytest.mark.parametrize("prog", ["qpid-config", "qpid-ha"])
@pytest.mark.parametrize("where", ["first", "after an option"])
def test_both_tools_report_their_version(
    prog: str, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--version"] if where == "first" else ["-b", "nowhere:1", "--version"]
    assert run(tools()[prog], prog, argv) == 0
    assert capsys.readouterr().out == f"{prog} (qpidtools) {__version__}\n"
