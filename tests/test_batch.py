"""storyfilter batch, local engine: every input and output kind, workers, resume, bad input."""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from batch_pages import html_records, story_html, story_text, write_jsonl, write_warc
from classifier import load_model
from serving.batch import BatchOptions, run_batch
from serving.batch.state import StateError
from serving.cli import main
from serving.batch.sources import InputPathError


@pytest.fixture(scope="module")
def model():
    return load_model()


def api_row(model, page, mode, *, id, source, url=None, encoding=None, include_blocks=True):
    """What the Python API gives for one page, as a batch row."""
    data = model.filter(page, mode=mode, url=url, encoding=encoding).to_dict(include_blocks=include_blocks)
    row = {"id": id, "url": url, "source": str(source), "mode": data["mode"], "model": data["model"],
           "story_text": data["story_text"], "metadata": data["metadata"]}
    if include_blocks:
        row["blocks"] = data["blocks"]
    row["error"] = None
    return row


def read_rows(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, model):
    """One input of every kind in a folder, and the rows the API gives for them, in order."""
    root = tmp_path_factory.mktemp("inputs")
    (root / "sub").mkdir()
    expected = []
    html0 = story_html(0)
    (root / "a-page.html").write_text(html0, encoding="utf-8")
    expected.append(api_row(model, html0.encode(), "html", id="a-page", source=root / "a-page.html"))
    html1 = story_html(1).encode("utf-8")
    (root / "b-page.html.gz").write_bytes(gzip.compress(html1))
    expected.append(api_row(model, html1, "html", id="b-page", source=root / "b-page.html.gz"))
    rows = [{"id": "j1", "html": story_html(2), "url": "https://example.org/j1"},
            {"id": "j2", "text": story_text(3)}]
    write_jsonl(root / "c-pages.jsonl", rows)
    expected.append(api_row(model, rows[0]["html"], "html", id="j1", url=rows[0]["url"],
                            source=root / "c-pages.jsonl"))
    expected.append(api_row(model, rows[1]["text"], "text", id="j2", source=root / "c-pages.jsonl"))
    write_jsonl(root / "d-pages.jsonl.gz", [{"text": story_text(4)}], gz=True)
    expected.append(api_row(model, story_text(4), "text", id="d-pages:1", source=root / "d-pages.jsonl.gz"))
    text5 = story_text(5)
    (root / "e-note.txt").write_text(text5, encoding="utf-8")
    expected.append(api_row(model, text5.encode(), "text", id="e-note", source=root / "e-note.txt"))
    (root / "ignored.csv").write_text("not an input\n")
    for name, gz in (("crawl.warc", False), ("crawl.warc.gz", True)):
        records = html_records(3, start=10 if gz else 20)
        write_warc(root / "sub" / name, records, gz=gz)
        for uri, body, _, _ in records:
            expected.append(api_row(model, body.encode(), "html", id=uri, url=uri, encoding="utf-8",
                                    source=root / "sub" / name))
    return root, expected


def _key(row):
    return (row["source"], row["id"])


def test_every_input_kind_matches_the_api_page_by_page(corpus, tmp_path):
    root, expected = corpus
    out = tmp_path / "out.jsonl"
    summary = run_batch([root], out, BatchOptions(include_blocks=True), progress=False)
    rows = read_rows(out)
    assert sorted(rows, key=_key) == sorted(expected, key=_key)
    # inputs in path order, pages in their order inside each input
    assert [r["source"] for r in rows] == sorted(r["source"] for r in rows)
    assert summary.pages == len(expected) == summary.rows_written and summary.errors == 0
    assert summary.inputs == 7  # the .csv is not an input
    assert summary.skipped == 0  # request records are not responses: not even read
    assert summary.kept_blocks == sum(b["label"] == "story" for r in expected for b in r["blocks"])
    assert all(r["story_text"] for r in rows)
    assert not any("Recommended for you" in r["story_text"] for r in rows if r["mode"] == "html")
    assert not list(tmp_path.glob("*.parts")) and not list(tmp_path.glob("*.tmp-*"))


def test_parquet_output_equals_jsonl_output_and_two_workers_equal_one(corpus, tmp_path):
    root, expected = corpus
    run_batch([root], tmp_path / "one.jsonl", BatchOptions(include_blocks=True), progress=False)
    summary = run_batch([root], tmp_path / "two.parquet", BatchOptions(include_blocks=True), workers=2,
                        progress=False)
    assert read_rows(tmp_path / "two.parquet") == read_rows(tmp_path / "one.jsonl")
    assert 1 <= len(summary.peak_rss_mib) <= 2 and all(v > 10 for v in summary.peak_rss_mib.values())


def test_without_blocks_rows_hold_the_contract_fields(corpus, tmp_path):
    root, expected = corpus
    run_batch([root / "a-page.html"], tmp_path / "o.parquet", progress=False)
    row, = read_rows(tmp_path / "o.parquet")
    assert list(row) == ["id", "url", "source", "mode", "model", "story_text", "metadata", "error"]
    assert row["story_text"] == expected[0]["story_text"]
    assert row["model"]["version"] == load_model().model_for("html").version
    assert row["metadata"] == load_model().filter((root / "a-page.html").read_bytes()).metadata.to_dict()


def test_rows_carry_the_metadata_read_with_the_page_url(tmp_path, model):
    html = ('<html lang="en"><head><title>Pier rebuilt | Harbour Notes</title><meta name="author" '
            'content="Ann Weller"></head><body><h1>Pier rebuilt</h1><p>The harbour council voted to rebuild '
            'the old stone pier, which was damaged in the winter storms.</p></body></html>')
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "html": html, "url": "https://news.example/2025/03/04/pier"}])
    run_batch([path], tmp_path / "o.parquet", progress=False)
    row, = read_rows(tmp_path / "o.parquet")
    want = model.filter(html, url="https://news.example/2025/03/04/pier").metadata
    assert row["metadata"] == want.to_dict()
    assert (want.title, want.author, want.url, want.date) == ("Pier rebuilt", "Ann Weller",
                                                               "https://news.example/2025/03/04/pier", "2025-03-04")


def test_forced_mode_and_threshold_match_the_api(corpus, tmp_path, model):
    root, _ = corpus
    page = root / "a-page.html"
    run_batch([page], tmp_path / "o.jsonl", BatchOptions(mode="text", threshold=0.9), progress=False)
    row, = read_rows(tmp_path / "o.jsonl")
    want = model.filter(page.read_bytes(), mode="text", threshold=0.9)
    assert row["mode"] == "text" and row["story_text"] == want.story_text


def test_resume_after_a_crash_skips_completed_inputs_and_loses_or_duplicates_nothing(corpus, tmp_path):
    root, _ = corpus
    full = tmp_path / "full.jsonl"
    run_batch([root], full, progress=False)
    out = tmp_path / "out.jsonl"
    seen = []

    def crash_after_two(record):
        seen.append(record.path)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch([root], out, workers=2, progress=False, on_input_done=crash_after_two)
    assert not out.exists()  # never a partial file under the real name
    parts = out.with_name("out.jsonl.parts")
    assert len((parts / "done.jsonl").read_text().splitlines()) == 2
    assert not list(parts.glob("*.tmp-*"))
    summary = run_batch([root], out, progress=False)
    assert summary.inputs_already_done == 2
    assert read_rows(out) == read_rows(full)
    assert not parts.exists()


def test_resume_redoes_an_input_that_changed(corpus, tmp_path):
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.html").write_text(story_html(1))
    (root / "b.html").write_text(story_html(2))
    out = tmp_path / "out.jsonl"
    calls = []

    def crash_after_one(record):
        calls.append(record.path)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch([root], out, progress=False, on_input_done=crash_after_one)
    (root / "a.html").write_text(story_html(7))  # changed since it was done
    summary = run_batch([root], out, progress=False)
    assert summary.inputs_already_done == 0
    rows = read_rows(out)
    assert [r["id"] for r in rows] == ["a", "b"] and "story 7" in rows[0]["story_text"]


def test_finished_output_and_other_options_are_refused(corpus, tmp_path):
    root, _ = corpus
    out = tmp_path / "out.jsonl"
    run_batch([root / "a-page.html"], out, progress=False)
    with pytest.raises(StateError, match="exists"):
        run_batch([root / "a-page.html"], out, progress=False)
    run_batch([root / "a-page.html", root / "e-note.txt"], out, overwrite=True, progress=False)
    assert len(read_rows(out)) == 2

    def stop(record):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch([root / "a-page.html"], tmp_path / "x.jsonl", progress=False, on_input_done=stop)
    with pytest.raises(StateError, match="other options.*threshold"):
        run_batch([root / "a-page.html"], tmp_path / "x.jsonl", BatchOptions(threshold=0.3), progress=False)


def test_bad_inputs_are_counted_never_fatal_and_good_pages_survive(tmp_path, model):
    root = tmp_path / "in"
    root.mkdir()
    good = story_html(1).encode()
    (root / "empty.html").write_bytes(b"")
    (root / "empty.jsonl").write_bytes(b"")
    (root / "empty.warc.gz").write_bytes(b"")
    (root / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)  # undecodable: binary
    (root / "latin.html").write_bytes(b"<p>" + bytes(range(0x80, 0x100)) * 3 + b"</p>")  # odd bytes, decodes
    (root / "truncated.html.gz").write_bytes(gzip.compress(good)[:-40])
    lines = "".join(json.dumps({"id": f"r{i}", "html": story_html(i)}) + "\n" for i in range(40))
    (root / "cut.jsonl.gz").write_bytes(gzip.compress(lines.encode())[:-200])
    (root / "mixed.jsonl").write_bytes(b'{"id": "ok1", "text": "A fine line."}\n{broken\n[1, 2]\n'
                                       b'{"id": "nohtml"}\n\xff\xfe not utf-8\n{"id": "ok2", "html": "<p>Two</p>"}\n')
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["batch", str(root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in read_rows(out)}
    assert rows["empty"]["error"] is None and rows["empty"]["story_text"] == ""
    assert "binary" in rows["image"]["error"] or "PNG" in rows["image"]["error"]
    assert rows["latin"]["error"] is None
    assert "gzip" in rows["truncated"]["error"]
    # the truncated .jsonl.gz keeps every line before the cut, then one error row
    cut = [r for r in read_rows(out) if r["source"].endswith("cut.jsonl.gz")]
    assert cut[-1]["error"] and "gzip" in cut[-1]["error"]
    assert 20 < len(cut) - 1 < 40 and all(r["error"] is None for r in cut[:-1])
    assert cut[0]["story_text"] == model.filter(story_html(0), mode="html").story_text
    assert rows["ok1"]["story_text"] == "A fine line." and rows["ok2"]["story_text"] == "Two"
    assert "not valid JSON" in rows["mixed:2"]["error"] and "JSON object" in rows["mixed:3"]["error"]
    assert "no \"html\" or \"text\"" in rows["nohtml"]["error"] and "UTF-8" in rows["mixed:5"]["error"]
    errors = sum(r["error"] is not None for r in read_rows(out))
    assert f"{errors} errors" in result.output and errors == 7


def test_cli_end_to_end_and_its_error_messages(corpus, tmp_path):
    root, expected = corpus
    runner = CliRunner()
    out = tmp_path / "out.parquet"
    result = runner.invoke(main, ["batch", str(root / "sub"), "-o", str(out), "--workers", "2",
                                  "--include-blocks"])
    assert result.exit_code == 0, result.output
    assert "6 pages" in result.output and "pages/s" in result.output and "peak RSS" in result.output
    warc_rows = [r for r in expected if "/sub/" in r["source"]]
    assert sorted(read_rows(out), key=_key) == sorted(warc_rows, key=_key)
    again = runner.invoke(main, ["batch", str(root / "sub"), "-o", str(out)])
    assert again.exit_code == 2 and "exists" in again.output and "--overwrite" in again.output
    missing = runner.invoke(main, ["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "x.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    unknown = tmp_path / "page.pdf"
    unknown.write_bytes(b"%PDF-1.4")
    bad_kind = runner.invoke(main, ["batch", str(unknown), "-o", str(tmp_path / "x.jsonl")])
    assert bad_kind.exit_code == 2 and "unknown kind of input" in bad_kind.output and ".warc.gz" in bad_kind.output
    bad_out = runner.invoke(main, ["batch", str(root), "-o", str(tmp_path / "x.csv")])
    assert bad_out.exit_code == 1 and ".jsonl or .parquet" in bad_out.output
    with pytest.raises(InputPathError):
        run_batch([tmp_path / "nope"], tmp_path / "y.jsonl", progress=False)


def test_an_over_long_jsonl_line_is_an_error_row_and_reading_goes_on(tmp_path, monkeypatch):
    import serving.batch.sources

    monkeypatch.setattr(serving.batch.sources, "MAX_READ_BYTES", 200)
    path = write_jsonl(tmp_path / "long.jsonl", [{"id": "a", "text": "Short one."}, {"id": "b", "text": "x" * 1000},
                                                  {"id": "c", "text": "Short two."}])
    rows = read_rows(run_batch([path], tmp_path / "o.jsonl", progress=False) and tmp_path / "o.jsonl")
    assert [r["id"] for r in rows] == ["a", "long:2", "c"]
    assert "longer than 200 bytes" in rows[1]["error"] and rows[2]["story_text"] == "Short two."


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc to find the worker processes")
def test_a_worker_that_dies_costs_no_page(tmp_path):
    """Kill a worker process mid-run: the pool restarts and the chunks in flight are scored again.

    The run cannot end before the kill: the first input's done-callback waits for it, and
    the run goes on only after that callback returns.
    """
    import signal
    import threading
    import time

    folder = tmp_path / "pages"
    folder.mkdir()
    paths = [write_jsonl(folder / f"part{f}.jsonl", [{"id": f"p{f}-{i}", "html": story_html(50 * f + i)}
                                                     for i in range(50)]) for f in range(8)]
    killed = threading.Event()
    waited: list[bool] = []

    def rss_mib(pid: int) -> float:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return 0.0
        return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)

    def kill_one_worker() -> None:
        give_up = time.monotonic() + 120  # a guard against a pool that never starts, not a measurement
        while not killed.is_set() and time.monotonic() < give_up:
            # workers are children of the forkserver, itself a child of this process; one that
            # holds the model (70-110 MiB; a fresh fork about 10) is past its initializer and scoring
            workers = [w for c in _children(os.getpid()) for w in _children(c) if rss_mib(w) > 50]
            if workers:
                os.kill(workers[0], signal.SIGKILL)
                killed.set()
            time.sleep(0.02)

    def hold_the_run_until_killed(done) -> None:
        if not waited:
            waited.append(killed.wait(timeout=120))

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    summary = run_batch(paths, tmp_path / "two.jsonl", workers=2, progress=False,
                        on_input_done=hold_the_run_until_killed)
    killer.join()
    assert waited == [True], "no worker was killed while the run went on"
    run_batch(paths, tmp_path / "one.jsonl", progress=False)
    assert summary.errors == 0 and summary.pages == 400
    assert read_rows(tmp_path / "two.jsonl") == read_rows(tmp_path / "one.jsonl")


def test_an_output_inside_an_input_folder_is_not_read_back(tmp_path):
    (tmp_path / "a.html").write_text(story_html(1))
    out = tmp_path / "clean.jsonl"
    run_batch([tmp_path], out, progress=False)
    summary = run_batch([tmp_path], out, overwrite=True, progress=False)
    assert summary.inputs == 1 and [r["id"] for r in read_rows(out)] == ["a"]


def test_error_rows_have_the_same_keys_as_scored_rows(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": "ok", "text": "A story line."}, {"id": "bad"}])
    run_batch([path], tmp_path / "o.jsonl", BatchOptions(include_blocks=True), progress=False)
    ok, bad = read_rows(tmp_path / "o.jsonl")
    assert list(ok) == list(bad) == ["id", "url", "source", "mode", "model", "story_text", "metadata", "blocks",
                                     "error"]
    assert bad["blocks"] is None and bad["error"] and ok["error"] is None
    assert bad["metadata"] is None and ok["metadata"]["title"] is None


def test_an_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path):
    path = write_jsonl(tmp_path / "pages.jsonl", [{"id": "a", "text": "A story line."}])
    before = path.read_bytes()
    with pytest.raises(StateError, match="one of the inputs"):
        run_batch([path], path, overwrite=True, progress=False)
    assert path.read_bytes() == before


def test_no_input_files_is_an_error_not_an_empty_output(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputPathError, match="no input files"):
        run_batch([tmp_path / "empty"], tmp_path / "o.jsonl", progress=False)
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_text_utf8_cannot_hold_is_written_as_a_replacement_not_a_crash(tmp_path, suffix):
    # A lone surrogate is valid JSON; a file name that is not UTF-8 comes back with one too.
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "p.jsonl").write_text('{"id": "a\\ud800", "text": "A story line."}\n', encoding="utf-8")
    odd_name = (tmp_path / "in").as_posix().encode() + b"/caf\xe9.html"
    with open(odd_name, "w", encoding="utf-8") as handle:
        handle.write(story_html(1))
    out = tmp_path / f"o{suffix}"
    summary = run_batch([tmp_path / "in"], out, progress=False)
    rows = sorted(read_rows(out), key=lambda r: r["id"])
    assert summary.pages == 2 and [r["id"] for r in rows] == ["a\ufffd", "caf\ufffd"]
    assert all(r["story_text"] for r in rows)


def test_a_symlink_is_read_under_its_own_name(tmp_path):
    blobs = tmp_path / "blobs"
    blobs.mkdir()
    write_jsonl(blobs / "3f9a1b", [{"id": "x", "text": "A story line."}], gz=True)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "pages.jsonl.gz").symlink_to(blobs / "3f9a1b")
    run_batch([tmp_path / "in"], tmp_path / "o.jsonl", progress=False)
    (row,) = read_rows(tmp_path / "o.jsonl")
    assert row["id"] == "x" and row["error"] is None and row["story_text"] == "A story line."


def test_pages_that_kill_their_worker_are_error_rows_and_the_run_goes_on(tmp_path, cli_env):
    """Three pages in a row that crash the worker scoring them (a stand-in for a parser crash):
    each becomes an error row, every other page is scored, and the run finishes."""
    import subprocess
    import sys

    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import os\n"
        "from classifier.api import StoryFilter\n"
        "_check = StoryFilter._check_page  # every page of every mode passes here before it is parsed\n"
        "def _check_page(self, page, encoding):\n"
        "    if 'CRASHME' in (page if isinstance(page, str) else bytes(page).decode('utf-8', 'replace')):\n"
        "        os._exit(1)\n"
        "    return _check(self, page, encoding)\n"
        "StoryFilter._check_page = _check_page\n")
    rows = [{"id": f"p{i:02d}", "html": story_html(i).replace("Paragraph 0", "CRASHME" if i < 3 else "Paragraph 0")}
            for i in range(20)]
    path = write_jsonl(tmp_path / "pages.jsonl", rows)
    env = {**cli_env, "PYTHONPATH": f"{hooks}{os.pathsep}{cli_env['PYTHONPATH']}"}
    done = subprocess.run([sys.executable, "-m", "serving.cli", "batch", str(path), "-o", str(tmp_path / "o.jsonl"),
                           "--workers", "2"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = {r["id"]: r for r in read_rows(tmp_path / "o.jsonl")}
    assert sorted(i for i, r in out.items() if r["error"]) == ["p00", "p01", "p02"]
    assert len(out) == 20 and all(r["story_text"] for i, r in out.items() if i >= "p03")
