"""The man pages: current with the Click definitions, complete, valid roff, runnable examples."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from qpidtools.docs.man import PAGES, context, render_man_page, roff, subcommands
from qpidtools.generate import ROOT, render, targets, tools

MAN_PAGES = [path for path in targets() if path.suffix == ".1"]
SECTIONS = (
    "NAME",
    "SYNOPSIS",
    "DESCRIPTION",
    "COMMANDS",
    "OPTIONS",
    "EXAMPLES",
    "EXIT STATUS",
    "ENVIRONMENT",
    "FILES",
    "SEE ALSO",
)


@pytest.mark.parametrize("path", sorted(MAN_PAGES), ids=str)
def test_committed_man_page_is_current(path: Path) -> None:
    committed = ROOT / path
    assert committed.is_file() and committed.read_text() == render(path), (
        f"{path} is stale: run python -m qpidtools.generate"
    )


@pytest.mark.parametrize("prog", sorted(PAGES))
def test_page_has_every_section_command_and_option(prog: str) -> None:
    text = render_man_page(prog, tools()[prog])
    headings = [line.removeprefix(".SH ") for line in text.splitlines() if line.startswith(".SH")]
    grouped = isinstance(tools()[prog], click.Group)  # a single command has no COMMANDS
    expected = [section for section in SECTIONS if grouped or section != "COMMANDS"]
    assert [heading for heading in headings if heading in SECTIONS] == expected
    root = context(tools()[prog], prog, None)
    for ctx in [root, *subcommands(root)]:
        assert roff(ctx.command_path, hyphens=True) in text
        for param in ctx.command.params:
            if isinstance(param, click.Option) and not param.hidden:
                for flag in param.opts:
                    assert roff(flag, hyphens=True) in text, (ctx.command_path, flag)


def _parse_strictly(prog: str, args: list[str]) -> click.Context:
    """Parse a command line as the tool would, without running it; raise on usage errors."""
    ctx = tools()[prog].make_context(prog, args)
    while isinstance(ctx.command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        assert rest, f"{shlex.join(args)}: names a group, not a command"
        name, command, rest = ctx.command.resolve_command(ctx, rest)
        assert command is not None and name is not None
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx


@pytest.mark.parametrize(
    ("prog", "example"),
    [(prog, example) for prog, page in PAGES.items() for _, example in page.examples],
)
def test_examples_are_valid_command_lines(prog: str, example: str) -> None:
    words = shlex.split(example)
    assert words[0] == prog
    _parse_strictly(prog, words[1:])


def test_roff_escapes() -> None:
    assert roff("a\\b") == "a\\eb"
    assert roff("use --no-color, not ring-strict") == "use \\-\\-no\\-color, not ring-strict"
    assert roff("qpid-ha", hyphens=True) == "qpid\\-ha"
    assert roff("colour \u2014 \u00e9") == "colour \\[u2014] \\[u00E9]"


def _hostile_command() -> click.Group:
    """Help texts full of what breaks roff: requests, backslashes, quotes, non-ASCII."""

    @click.group()
    def cli() -> None:
        pass

    @cli.command(help=".TH not a request\n\n'neither this\\n\n\n\b\n.keep\n  as written")
    @click.option("--path", metavar="C:\\DIR", help="A 'quoted' \"path\" \u2014 with \\fB.")
    @click.argument("name")
    def sub(name: str, path: str) -> None:
        pass

    return cli


def _groff() -> str:
    groff = shutil.which("groff")
    if groff is None:
        pytest.skip("groff is not installed (apt-get install groff-base)")
    return groff


def _groff_warnings(text: str) -> str:
    result = subprocess.run(
        [_groff(), "-man", "-Tutf8", "-ww", "-z"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stderr + ("" if result.returncode == 0 else f"exit {result.returncode}")


def test_hostile_help_texts_are_escaped() -> None:
    text = render_man_page("qpid-config", _hostile_command())
    assert "\n.keep" not in text and "\n'neither" not in text and '\n."comment' not in text
    assert _groff_warnings(text) == ""
    rendered = subprocess.run(
        [_groff(), "-man", "-Tutf8"], input=text, capture_output=True, text=True, check=True
    ).stdout
    plain = re.sub(".\b", "", rendered)  # drop grotty's overstriking (bold, underline)
    assert ".TH not a request" in plain and "C:\\DIR" in plain and ".keep" in plain
    assert '"path" \u2014 with \\fB.' in plain


@pytest.mark.parametrize("path", sorted(MAN_PAGES), ids=str)
def test_groff_renders_without_warnings(path: Path) -> None:
    assert _groff_warnings(render(path)) == ""


@pytest.mark.parametrize("path", sorted(MAN_PAGES), ids=str)
def test_man_renders_without_warnings(path: Path, tmp_path: Path) -> None:
    man = shutil.which("man")
    if man is None:
        pytest.skip("man is not installed (apt-get install man-db)")
    page = tmp_path / path.name
    page.write_text(render(path))
    result = subprocess.run(
        [man, "--warnings", "-l", str(page)],
        capture_output=True,
        text=True,
        env={**os.environ, "MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat"},
        check=False,
    )
    assert result.returncode == 0 and result.stderr == ""
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
