"""An error that quotes a password read from a file still never shows it."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from qpidtools.cli.common import invocation, run, shared_options
from qpidtools.errors import QpidToolsError

SECRET = "file-only-Secret-7"


def test_a_password_from_a_file_is_masked_in_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    @click.command()
    @shared_options()
    @click.pass_context
    def echo_back(ctx: click.Context) -> None:
        password = invocation(ctx).settings.address.password
        raise QpidToolsError(f"the broker said: bad credentials admin/{password}")

    secret_file = tmp_path / "password"
    secret_file.write_text(SECRET + "\n")
    argv = ["--user", "admin", "--password-file", str(secret_file)]
    assert run(echo_back, "tool", argv) == 1
    err = capsys.readouterr().err
    assert err == "tool: error: the broker said: bad credentials admin/***\n"
