"""Regenerate the shell completion scripts and man pages from the live Click definitions.

    python -m qpidtools.generate          # rewrite completions/ and man/
    python -m qpidtools.generate --check  # exit 1, naming the stale files, if any is out of date

The files are committed so that packagers need not run the tools to install them; the tests
fail when a command changed and the files were not regenerated.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from click.shell_completion import FishComplete, ShellComplete, ZshComplete

from qpidtools.cli.completion import BashComplete
from qpidtools.docs.man import render_man_page

ROOT = Path(__file__).resolve().parent.parent
SHELLS: dict[str, type[ShellComplete]] = {
    "bash": BashComplete,
    "zsh": ZshComplete,
    "fish": FishComplete,
}


PROGRAMS = (
    "qpid-config", "qpid-ha", "qpid-stat", "qpid-queue-stats", "qpid-route", "qpid-printevents",
)  # fmt: skip


def tools() -> dict[str, click.Command]:
    """The command-line tools by program name (imported when needed: they change often)."""
    from qpidtools.cli import config, ha, printevents, queue_stats, route, stat

    return {
        "qpid-config": config.cli,
        "qpid-ha": ha.cli,
        "qpid-stat": stat.cli,
        "qpid-queue-stats": queue_stats.cli,
        "qpid-route": route.cli,
        "qpid-printevents": printevents.cli,
    }


def completion_script(command: click.Command, prog: str, shell: str) -> str:
    """Click's ``*_source`` output: the script only calls back into ``prog`` on each TAB."""
    shell_class = SHELLS[shell]
    complete_var = f"_{prog.replace('-', '_').upper()}_COMPLETE"
    completer = shell_class(command, {}, prog, complete_var)
    # The template directly: BashComplete.source() also probes the local bash's version.
    return shell_class.source_template % completer.source_vars()


def targets() -> list[Path]:
    """Every generated file, relative to the repository (known without importing the CLIs)."""
    return [
        path
        for prog in PROGRAMS
        for path in (
            *(Path("completions") / f"{prog}.{shell}" for shell in SHELLS),
            Path("man") / f"{prog}.1",
        )
    ]


def render(path: Path) -> str:
    """The text the generated file ``path`` should have."""
    prog, _, kind = path.name.partition(".")
    command = tools()[prog]
    return render_man_page(prog, command) if kind == "1" else completion_script(command, prog, kind)


def outputs() -> Iterator[tuple[Path, str]]:
    """Every generated file with the text it should have."""
    for path in targets():
        yield path, render(path)


def stale(root: Path = ROOT) -> list[Path]:
    """The generated files that are missing or differ from what the definitions give."""
    return [
        path
        for path, text in outputs()
        if not (root / path).is_file() or (root / path).read_text() != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qpidtools.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    arguments = parser.parse_args(argv)
    if arguments.check:
        out_of_date = stale()
        for path in out_of_date:
            print(f"stale: {path} (run python -m qpidtools.generate)", file=sys.stderr)
        return 1 if out_of_date else 0
    for path, text in outputs():
        target = ROOT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        print(target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
