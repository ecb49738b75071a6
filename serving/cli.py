"""The ``storyfilter`` command line: extract, train, eval, serve."""
from __future__ import annotations

import json
import logging
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from classifier import __version__
from classifier.errors import StoryFilterError
from serving.console import fail, threshold_option

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="storyfilter")
def main() -> None:
    """Keep the story of a web page; drop recommendations, related links, navigation and other clutter."""
    logging.basicConfig(level=logging.WARNING, format="storyfilter: %(message)s")


@main.command()
@click.argument("path", default="-", metavar="[PATH|URL|-]")
@click.option("--mode", type=click.Choice(["auto", "html", "text"]), default="auto", show_default=True,
              help="How to read the page; auto tells HTML from text.")
@click.option("--url", default=None, help="The page's URL (metadata's url when the page names none, the base "
                                          "of its relative links; not used by the default models; "
                                          "default: the URL fetched, after redirects).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="Print the story as plain text (tables a row a line, cells tab-separated), as markdown "
                   "(headline, headings, lists, tables, code), or the JSON result with every block and its score.")
@click.option("--links", is_flag=True, help="Markdown: write links as [text](href), resolved against the page's URL.")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None,
              callback=lambda _ctx, _param, value: threshold_option(value),
              help="Keep blocks with P(story) at or above this (default: the model's own).")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="Model directory (default: the shipped models).")
@click.option("--encoding", default=None, help="Charset of the input if known (e.g. from HTTP headers).")
@click.option("--extracted", is_flag=True,
              help="The input is text another extractor already cleaned: use the model's post-filter threshold.")
@click.option("--comments", is_flag=True,
              help="Also find readers' comments (never on forum pages): printed after the story, in JSON "
                   "as \"comments\" with author and date where the page shows them.")
@click.option("--page-type", is_flag=True,
              help="Also guess the page's type (HTML mode): in JSON as metadata's page_type and "
                   "page_type_probability.")
def extract(path: str, mode: str, url: str | None, fmt: str, links: bool, threshold: float | None,
            model_dir: Path | None, encoding: str | None, extracted: bool, comments: bool, page_type: bool) -> None:
    """Print the story of the page in PATH, at an http(s) URL, or on standard input (gzip or not)."""
    from classifier import load_model
    from classifier.decoding import check_encoding

    from serving.page_input import read_page

    if links and fmt != "markdown":
        fail("--links needs --format markdown", 2)
    try:
        check_encoding(encoding)
        page = read_page(path)
    except StoryFilterError as err:
        fail(str(err), 2)
    data, url, encoding = page.data, url or page.url, encoding or page.charset
    try:
        model = load_model(model_dir)
        if len(data) > model.limits.max_bytes:
            fail(f"input is over {model.limits.max_bytes:,} bytes (the page size limit)")
        result = model.filter(data, mode=mode, url=url, threshold=threshold, encoding=encoding,
                              extracted=extracted, comments=comments, page_type=page_type,
                              structure=fmt != "json")
        story = "" if fmt == "json" else result.render(fmt, links=links)
    except StoryFilterError as err:
        fail(str(err))
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        if story:
            click.echo(story)
        if result.comments:  # after a thematic break, so a reader sees where the story ends
            click.echo("\n---\n\n" + result.comments_text())


def _check_augment_options(augment: float, threads: bool, hashed_classes: float) -> None:
    """Exit with usage status when an option that acts on the augmented copies comes without them."""
    if threads and not augment:
        fail("--augment-threads needs --augment SHARE (the copies the threads go in)", 2)
    if hashed_classes and not augment:
        fail("--augment-hashed-classes needs --augment SHARE (the copies whose names are hashed)", 2)


def _parse_params(values: tuple[str, ...]) -> dict:
    from classifier.model import BlockClassifier

    known = BlockClassifier().get_params()
    params = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--param")
        if key not in known:
            raise click.BadParameter(f"unknown parameter {key!r}; known: {', '.join(sorted(known))}",
                                     param_hint="--param")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


def _train_command(sources: tuple[Path, ...], output: Path, mode: str, cv_folds: int,
                   threshold: float | None, seed: int, params: tuple[str, ...], holdout: float = 0.2) -> str:
    """The ``storyfilter train`` command line that reproduces this run (for the model card).

    ``--jobs`` is left out: it changes how fast, not what.
    """
    words = ["storyfilter", "train", *map(str, sources), "-o", str(output), "--mode", mode,
             "--cv-folds", str(cv_folds), "--holdout", f"{holdout:g}", "--seed", str(seed)]
    if threshold is not None:
        words += ["--threshold", str(threshold)]
    for item in params:
        words += ["--param", item]
    return " ".join(shlex.quote(w) for w in words)


def _augment_options(func):
    """--augment and the options that act on its copies, shared by train and eval."""
    func = click.option("--augment-hashed-classes", type=click.FloatRange(0.0, 1.0), default=0.0,
                        show_default=True, metavar="SHARE",
                        help="With --augment: this share of the copies get every class and id name hashed, "
                             "as CSS-in-JS sites print them (docs/training.md).")(func)
    func = click.option("--augment-threads", is_flag=True,
                        help="With --augment: some copies of article pages also get a readers' comment thread "
                             "after the story (drops more comment text, costs forum pages; "
                             "docs/training.md).")(func)
    return click.option("--augment", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
                        metavar="SHARE", help="Also train on copies of this share of the gold pages with teaser "
                                              "widgets inserted (seeded; never scored).")(func)


def _protocol_options(func):
    """--holdout and --jobs, shared by train and eval."""
    func = click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
                        help="Cross-validation folds fitted at once (worker processes); the results are the "
                             "same for any number.")(func)
    return click.option("--holdout", type=click.FloatRange(0.0, 0.9), default=0.2, show_default=True,
                        help="Share of sites (registered domains, picked by --seed) kept out of cross-validation "
                             "and every threshold, scored once at the end (0: none).")(func)


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Model directory to write (with --mode both: a folder for html/ and text/).")
@click.option("--mode", type=click.Choice(["html", "text", "both"]), default="html", show_default=True)
@click.option("--cv-folds", type=click.IntRange(0, 50), default=5, show_default=True,
              help="Cross-validate grouped by registered domain first (0: skip), thresholds picked inside "
                   "each fold's training pages.")
@_protocol_options
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None,
              callback=lambda _ctx, _param, value: threshold_option(value),
              help="Fix the threshold (folds, hold-out and the shipped model) instead of picking it.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the text renderings, the hold-out sites and the model.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Override a BlockClassifier parameter, e.g. --param C=0.5 (repeatable).")
@_augment_options
@click.option("--feedback", "feedback_db", default=None, metavar="DB_URL",
              help="Also train on the pages reviewed in this feedback store (SQLAlchemy URL or SQLite file): "
                   "corrections win; the manifest reports before/after on folds grouped by site.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def train(sources: tuple[Path, ...], output: Path, mode: str, cv_folds: int, holdout: float, jobs: int,
          threshold: float | None, seed: int, params: tuple[str, ...], augment: float, augment_threads: bool,
          augment_hashed_classes: float, feedback_db: str | None, quiet: bool) -> None:
    """Train a model from gold folders, JSONL pages or JSONL labelled blocks.

    Cross-validation and a hold-out are reported first; the model written is then
    fitted on every page.
    """
    from training.report import headline
    from training.train import train_model

    parsed = _parse_params(params)
    if feedback_db and holdout:
        holdout = 0.0  # training with feedback has its own before/after protocol, without a hold-out
    command = _train_command(sources, output, mode, cv_folds, threshold, seed, params, holdout)
    _check_augment_options(augment, augment_threads, augment_hashed_classes)
    if augment:
        if feedback_db:
            fail("--augment does not combine with --feedback", 2)
        command += f" --augment {augment:g}" + (" --augment-threads" if augment_threads else "")
        if augment_hashed_classes:
            command += f" --augment-hashed-classes {augment_hashed_classes:g}"
    if feedback_db:
        from serving.review.records import database_url, redacted

        command += " --feedback " + shlex.quote(redacted(database_url(feedback_db)))
    modes = ["html", "text"] if mode == "both" else [mode]
    try:
        for m in modes:
            out = output / m if mode == "both" else output
            if feedback_db:
                from serving.review.retrain import retrain_from_store

                manifest = retrain_from_store(sources, feedback_db, out, mode=m, params=parsed, cv_folds=cv_folds,
                                              threshold=threshold, seed=seed, progress=not quiet, command=command)
            else:
                manifest = train_model(sources, out, mode=m, params=parsed, cv_folds=cv_folds,
                                       threshold=threshold, seed=seed, progress=not quiet, command=command,
                                       holdout=holdout, jobs=jobs, augment=augment,
                                       augment_threads=augment_threads,
                                       augment_hashed_classes=augment_hashed_classes)
            line = f"wrote {out} ({manifest['name']} {manifest['version']}, threshold {manifest['threshold']})"
            for key, label in (("cross_validation", "cross-validated"), ("holdout", "hold-out")):
                part = manifest.get(key) or {}
                if part.get("systems"):
                    line += f"; {label} {headline(part['systems']['storyfilter']['overall'])}"
                for name, view in (part.get("views") or {}).items():
                    line += f" ({name} view: {headline(view['systems']['storyfilter']['overall'])})"
            feedback = manifest.get("feedback") or {}
            if "before" in feedback:
                line += (f"; {feedback['pages']} reviewed pages, block accuracy on them out of fold "
                         f"{feedback['before']['feedback_block_accuracy']} before, "
                         f"{feedback['after']['feedback_block_accuracy']} after, "
                         f"{feedback['fitted_block_accuracy']} fitted")
            click.echo(line)
    except (StoryFilterError, ValueError) as err:
        fail(str(err))


@main.command(name="eval")
@click.argument("corpus", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="Score this saved model on the corpus instead of cross-validating.")
@click.option("--mode", type=click.Choice(["html", "text"]), default="html", show_default=True)
@click.option("--cv-folds", type=click.IntRange(2, 50), default=5, show_default=True,
              help="Folds grouped by registered domain; each picks its threshold on its own training pages.")
@_protocol_options
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None,
              callback=lambda _ctx, _param, value: threshold_option(value),
              help="Cut every fold and the hold-out here instead of picking a threshold.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE")
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None,
              help="Also write the full report as JSON here.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the text renderings, the hold-out sites and the model.")
@_augment_options
@click.option("--quiet", is_flag=True, help="No progress bars.")
def evaluate(corpus: tuple[Path, ...], model_dir: Path | None, mode: str, cv_folds: int, holdout: float,
             jobs: int, threshold: float | None, params: tuple[str, ...], json_out: Path | None, seed: int,
             augment: float, augment_threads: bool, augment_hashed_classes: float, quiet: bool) -> None:
    """Evaluate on a gold corpus: grouped cross-validation beside a hold-out, or a saved model with --model."""
    from classifier import load_model
    from classifier.model import BlockClassifier
    from training.evaluate import evaluate_protocol, saved_model_report
    from training.report import format_protocol, format_table, headline
    from training.train import DEFAULT_PARAMS, load_examples

    parsed = _parse_params(params)
    _check_augment_options(augment, augment_threads, augment_hashed_classes)
    try:
        examples = load_examples(corpus, mode, seed, progress=not quiet,
                                 augment=augment if model_dir is None else 0.0,  # a saved model is only scored
                                 augment_threads=augment_threads, augment_hashed_classes=augment_hashed_classes)
        if model_dir is not None:
            loaded = load_model(model_dir).model_for(mode)
            cut = loaded.threshold if threshold is None else threshold
            views = {"extract": loaded.postfilter_threshold or cut} if mode == "text" else None
            report = saved_model_report(examples, loaded.classifier, cut, progress=not quiet, view_thresholds=views)
            report["model"] = {"name": loaded.name, "version": loaded.version, "path": str(model_dir)}
        else:
            settings = {**DEFAULT_PARAMS[mode], **parsed, "random_state": seed}
            report = evaluate_protocol(examples, lambda: BlockClassifier(**settings), cv_folds, holdout, seed,
                                       threshold, jobs, progress=not quiet)
    except (StoryFilterError, ValueError) as err:
        fail(str(err))
    report["mode"] = mode
    if model_dir is not None:
        click.echo(format_table(report["systems"]))
        click.echo(f"threshold {report['threshold']}, {report['pages']} pages: "
                   f"{headline(report['systems']['storyfilter']['overall'])}")
        for name, view in (report.get("views") or {}).items():
            click.echo(f"{name} view, threshold {view['threshold']}, {view['pages']} pages: "
                       f"{headline(view['systems']['storyfilter']['overall'])}")
    else:
        click.echo(format_protocol(report), nl=False)
    if json_out:
        try:
            json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        except OSError as err:
            fail(f"{json_out}: {err.strerror or err}")


@main.command()
@click.option("--host", default=None, help="Address to listen on  [default: 127.0.0.1; env STORYFILTER_HOST]")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port to listen on  [default: 8000; env STORYFILTER_PORT]")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="Model directory  [default: the shipped models; env STORYFILTER_MODEL_DIR]")
@click.option("--api-key", default=None,
              help="Require this key in the X-API-Key header on /v1/*  [env STORYFILTER_API_KEY]")
@click.option("--max-body-bytes", type=click.IntRange(1), default=None,
              help="Largest request body  [default: 16 MiB; env STORYFILTER_MAX_BODY_BYTES]")
@click.option("--max-batch", type=click.IntRange(1), default=None,
              help="Most pages per batch request  [default: 64; env STORYFILTER_MAX_BATCH]")
@click.option("--max-blocks", type=click.IntRange(1), default=None,
              help="Blocks kept per page  [default: 20000; env STORYFILTER_MAX_BLOCKS]")
@click.option("--time-budget", type=click.FloatRange(0, min_open=True), default=None,
              help="Seconds per request; a page that may not fit in what is left gets 503  "
                   "[default: 30; env STORYFILTER_TIME_BUDGET]")
@click.option("--max-in-flight", type=click.IntRange(1), default=None,
              help="Scoring requests one worker holds at once; more get 429  [default: 64; "
                   "env STORYFILTER_MAX_IN_FLIGHT]")
@click.option("--max-connections", type=click.IntRange(1), default=None,
              help="Open connections one worker serves; a request on one more gets 503  [default: 1000; "
                   "env STORYFILTER_MAX_CONNECTIONS]")
@click.option("--keep-alive", type=click.IntRange(1, 3600), default=None,
              help="Seconds an idle keep-alive connection stays open  [default: 5; env STORYFILTER_KEEP_ALIVE]")
@click.option("--threads", type=click.IntRange(1, 256), default=None,
              help="Threads scoring requests in one worker  [default: 4; env STORYFILTER_THREADS]")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes  [default: 1; env STORYFILTER_WORKERS]")
@click.option("--feedback-db", default=None, metavar="URL|PATH",
              help="Feedback store of the review page /review: SQLAlchemy URL or SQLite file  "
                   "[default: ~/.local/share/storyfilter/feedback.sqlite3; env STORYFILTER_FEEDBACK_DB]")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              default="info", show_default=True)
def serve(host: str | None, port: int | None, model_dir: Path | None, api_key: str | None,
          max_body_bytes: int | None, max_batch: int | None, max_blocks: int | None,
          time_budget: float | None, max_in_flight: int | None, max_connections: int | None,
          keep_alive: int | None, threads: int | None, workers: int | None,
          feedback_db: str | None,
          log_level: str) -> None:
    """Run the HTTP scoring service (flags win over STORYFILTER_* variables)."""
    import os

    try:
        import uvicorn

        from serving.settings import Settings, ValidationError
    except ImportError as err:
        fail(f"the service needs its extra: pip install 'storyfilter[serve]' ({err})")
    try:
        settings = Settings.from_env(model_dir=model_dir, host=host, port=port, api_key=api_key,
                                     max_body_bytes=max_body_bytes, max_batch=max_batch, max_blocks=max_blocks,
                                     time_budget=time_budget, max_in_flight=max_in_flight,
                                     max_connections=max_connections, keep_alive=keep_alive, threads=threads,
                                     workers=workers,
                                     feedback_db=feedback_db)
    except ValidationError as err:
        fail("bad setting: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()), 2)
    if settings.model_dir is not None and not settings.model_dir.exists():
        fail(f"{settings.model_dir}: no such model directory", 2)
    # Every worker process builds its own app from the environment, so the settings travel there.
    os.environ.update(settings.to_env())
    from serving.protocol import best_protocol
    from serving.supervisor import run

    with _run_dir(settings.workers) as run_dir:
        config = uvicorn.Config("serving.app:app_from_env", factory=True, host=settings.host, port=settings.port,
                                workers=settings.workers, log_level=log_level, server_header=False,
                                http=best_protocol(),
                                # uvicorn answers 503 once the open connections reach its limit, the
                                # asking one included: one more than ours serves max_connections.
                                limit_concurrency=settings.max_connections + 1,
                                timeout_keep_alive=settings.keep_alive)
        run(config, run_dir)


@contextmanager
def _run_dir(workers: int) -> Iterator[Path | None]:
    """With several workers, a fresh folder they share: the model directory they should all serve,
    and their Prometheus samples (so ``/metrics`` on any worker sums them all). A samples folder
    set by the user (PROMETHEUS_MULTIPROC_DIR) is used as it is, and left in place."""
    import os
    import shutil
    import tempfile

    from serving.metrics import MULTIPROC_ENV
    from serving.supervisor import RUN_DIR_ENV

    if workers < 2:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="storyfilter-run-"))
    added = {RUN_DIR_ENV: str(folder)}
    if not os.environ.get(MULTIPROC_ENV):
        (folder / "metrics").mkdir()
        added[MULTIPROC_ENV] = str(folder / "metrics")
    os.environ.update(added)
    try:
        yield folder
    finally:
        for name in added:
            os.environ.pop(name, None)
        shutil.rmtree(folder, ignore_errors=True)


from serving.batch.cli import batch  # noqa: E402  (its own module: it is a command of its own)

main.add_command(batch)

if __name__ == "__main__":  # pragma: no cover
    main()
