"""qpid-config: placeholder until the command set lands."""

from __future__ import annotations

import sys

import click

from qpidtools.cli.common import CONTEXT_SETTINGS, run, shared_options, version_option


@click.group(context_settings=CONTEXT_SETTINGS, invoke_without_command=True)
@shared_options()
@version_option()
def cli() -> None:
    """Manage queues, exchanges and bindings on a qpidd broker."""


def main() -> None:
    sys.exit(run(cli, "qpid-config"))
