"""``qpid-config --help`` names every option of every command, in the classic help's sections."""

from __future__ import annotations

import click
from capture_files import classic as capture
from conftest import Tool

from qpidtools.cli import config
from qpidtools.cli.help import OptionsOverviewGroup, context, subcommands


def sections(help_text: str) -> dict[str, str]:
    """The help's sections by heading (a line at column 0 ending in ':')."""
    found: dict[str, str] = {}
    heading = ""
    for line in help_text.splitlines():
        if line and not line[0].isspace() and line.endswith(":"):
            heading = line[:-1]
            found[heading] = ""
        elif heading:
            found[heading] += line + "\n"
    return found


def long_flags(records: str) -> set[str]:
    """``--flag`` words, without a classic ``=<value>`` or a separating comma."""
    return {word.split("=")[0].rstrip(",") for word in records.split() if word.startswith("--")}


def every_shown_option(command: click.Command, prog: str) -> dict[str, set[str]]:
    """Each command's path and the long flags its own ``--help`` shows."""
    shown = {}
    for ctx in subcommands(context(command, prog, None)):
        records = [p.get_help_record(ctx) for p in ctx.command.get_params(ctx)]
        shown[ctx.command_path] = {
            flag
            for record in records
            if record is not None
            for flag in record[0].replace(",", " ").split()
            if flag.startswith("--")
        }
    return shown


def test_top_level_help_names_every_option_of_every_command(qpid_config: Tool) -> None:
    """Read from the live Click tree: commands and options added later are covered too."""
    top = qpid_config("--help")
    assert top.code == 0
    listed = long_flags(top.out)
    for path, flags in every_shown_option(config.cli, "qpid-config").items():
        assert flags <= listed, (path, flags - listed)


def test_options_the_issue_named(qpid_config: Tool) -> None:
    found = sections(qpid_config("--help").out)
    assert "--start-replica" in long_flags(found["Options for Adding Queues"])
    assert "--max-queue-size" in long_flags(found["Options for Adding Queues"])
    assert "--durable" in long_flags(found["Options for Adding Exchanges and Queues"])


def test_sections_are_the_classic_ones(qpid_config: Tool) -> None:
    """Every option the classic help listed sits under the same heading here.

    Exceptions, because this tool accepts more than the classic one did: ``-r`` is listed with
    the listing options (the classic tool listed it as general), and ``--argument`` with the
    options for adding exchanges and queues (it works for both).
    """
    ours = {flag: title for title, text in sections(qpid_config("--help").out).items()
            for flag in long_flags(text)}  # fmt: skip
    moved = {"--recursive", "--argument"}
    classic = sections(capture("qpid-config-help")["stdout"].replace("\n  ", "\n"))
    for title, text in classic.items():
        expected = "Options" if title == "General Options" else title  # the shared ones
        for flag in long_flags(text) - moved - {"--help"}:
            assert ours.get(flag) == expected, flag
    assert (
        ours["--recursive"]
        == ours["--ignore-default"]
        == "Options for Listing Exchanges and Queues"
    )


def test_a_new_command_gets_a_section_of_its_own() -> None:
    @click.group(cls=OptionsOverviewGroup, option_sections={frozenset({"a"}): "Options for A"})
    @click.option("--everywhere")
    def tool() -> None:
        pass

    def command(name: str, option: str) -> None:
        tool.command(name)(click.option(option, help="...")(lambda: None))

    command("a", "--only-a")
    command("b", "--shared-bc")
    command("c", "--shared-bc")
    found = sections(tool.get_help(click.Context(tool, info_name="tool")))
    assert long_flags(found["Options for A"]) == {"--only-a"}
    assert long_flags(found["Options for 'b' and 'c'"]) == {"--shared-bc"}
    assert "--everywhere" in found["Options"]
