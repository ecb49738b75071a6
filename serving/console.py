"""How every ``storyfilter`` command reports a failure: one line on standard error, a non-zero exit."""
from __future__ import annotations

import sys
from typing import NoReturn

import click


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``storyfilter: error: MESSAGE`` to standard error and exit with ``code``."""
    click.echo(f"storyfilter: error: {message}", err=True)
    sys.exit(code)


def threshold_option(value: float | None) -> float | None:
    """Click callback body for ``--threshold``: FloatRange lets ``nan`` through; this does not."""
    if value is None:
        return None
    from classifier.arguments import check_threshold
    from classifier.errors import ArgumentError

    try:
        return check_threshold(value)
    except ArgumentError as err:
        raise click.BadParameter(str(err)) from None
