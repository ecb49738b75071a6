"""How every ``storyfilter`` command reports a failure: one line on standard error, a non-zero exit."""
from __future__ import annotations

import sys
from typing import NoReturn

import click


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``storyfilter: error: MESSAGE`` to standard error and exit with ``code``."""
    click.echo(f"storyfilter: error: {message}", err=True)
    sys.exit(code)
