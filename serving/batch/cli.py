"""The ``storyfilter batch`` command: many pages from files, JSONL or WARC into JSONL or Parquet."""
from __future__ import annotations

from pathlib import Path

import click

from serving.console import fail, threshold_option


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", required=True, metavar="OUT",
              help="Output file, .jsonl or .parquet (with --engine spark: a Parquet folder).")
@click.option("--workers", type=click.IntRange(1, 512), default=1, show_default=True,
              help="Worker processes, each loading the model once.")
@click.option("--mode", type=click.Choice(["auto", "html", "text"]), default="auto", show_default=True,
              help="auto: what the input says (extension, JSONL key, WARC Content-Type), else sniffed.")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None,
              callback=lambda _ctx, _param, value: threshold_option(value),
              help="Keep blocks with P(story) at or above this (default: the model's own).")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="Model directory (default: the shipped models).")
@click.option("--include-blocks", is_flag=True, help="Also write every block with its score.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True,
              help="markdown: also write the story as markdown, in a 'markdown' column.")
@click.option("--page-budget", type=click.FloatRange(0, min_open=True), default=None, metavar="SECONDS",
              help="Seconds one page may take; a page that may not fit gets an error row "
                   "(time_budget_exceeded) before it is read.")
@click.option("--overwrite", is_flag=True, help="Redo a finished output, or drop an interrupted run's state.")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True)
@click.option("--spark-master", default=None, metavar="URL",
              help="Spark master for --engine spark (default: local[*], or what spark-submit set).")
def batch(inputs: tuple[str, ...], output: str, workers: int, mode: str, threshold: float | None,
          model_dir: Path | None, include_blocks: bool, fmt: str, page_budget: float | None, overwrite: bool,
          engine: str, spark_master: str | None) -> None:
    """Score every page of INPUT... (files or folders of *.html[.gz], *.txt[.gz], *.jsonl[.gz],
    *.warc[.gz]) into OUT, one row per page. An interrupted run resumes when re-run with the
    same command: inputs already completed are skipped."""
    from classifier.errors import StoryFilterError

    from .runner import BatchOptions

    options = BatchOptions(mode=mode, threshold=threshold, model_dir=str(model_dir) if model_dir else None,
                           include_blocks=include_blocks, page_budget=page_budget, markdown=fmt == "markdown")
    if engine == "spark":
        _run_spark(inputs, output, options, spark_master, overwrite)
        return
    from .runner import run_batch
    from .state import StateError
    from .sources import InputPathError

    if spark_master:
        fail("--spark-master needs --engine spark", 2)
    try:
        summary = run_batch(list(inputs), output, options, workers=workers, overwrite=overwrite)
    except (InputPathError, StateError) as err:
        fail(str(err), 2)
    except ImportError as err:
        fail(f"batch needs {err.name or 'a module'} for these inputs or this output: "
             f"pip install 'storyfilter[batch]' ({err})")
    except (StoryFilterError, ValueError, OSError, RuntimeError) as err:
        fail(str(err))
    except KeyboardInterrupt:
        again = "the same command without --overwrite" if overwrite else "the same command"
        fail(f"interrupted; run {again} again to resume (completed inputs are kept)", 130)
    click.echo(f"storyfilter: wrote {output}: {summary.line()}", err=True)


def _run_spark(inputs: tuple[str, ...], output: str, options, master: str | None, overwrite: bool) -> None:
    from classifier.errors import StoryFilterError

    try:
        from .spark import SparkUnavailable, run_spark_batch
    except ImportError as err:
        fail(f"--engine spark needs its extra: pip install 'storyfilter[spark]' ({err})")
    try:
        done = run_spark_batch(list(inputs), output, options, master=master, overwrite=overwrite)
    except SparkUnavailable as err:
        fail(str(err))
    except (StoryFilterError, ValueError, OSError) as err:
        fail(str(err))
    click.echo(f"storyfilter: wrote {output} with Spark: {done['rows']:,} rows, {done['errors']:,} errors, "
               f"{done['skipped']:,} non-page records skipped in {done['seconds']:.1f} s", err=True)
