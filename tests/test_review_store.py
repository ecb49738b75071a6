"""The feedback store on real SQLite files: migrations, labels, the queue, concurrent writers, kills, exports."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from extras import require

sa = require("sqlalchemy", "review")
require("alembic", "review")

from serving.review.export import FORMATS, export_rows  # noqa: E402
from serving.review.store import (FeedbackStore, NewBlock, NewPage, PageNotFound,  # noqa: E402
                                  database_url, metadata)
from service_process import free_port  # noqa: E402
from training.readers import read_labelled_blocks  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _page(n: int = 4, ref: str | None = None, html: bool = True, threshold: float = 0.5) -> NewPage:
    blocks = [NewBlock(i, f"block number {i} of the page", "paragraph", f"body>div>p:{i}" if html else None,
                       score=(i + 0.5) / n) for i in range(n)]
    content = "<html><body>" + "".join(f"<p>{b.text}</p>" for b in blocks) + "</body></html>" if html else \
        "\n".join(b.text for b in blocks)
    return NewPage(mode="html" if html else "text", content=content, site="example.test", model_name="m",
                   model_version="1", threshold=threshold, blocks=blocks, url="https://example.test/a", ref=ref)


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free port (skipped where PostgreSQL or psycopg is missing)."""
    require("psycopg", "postgres")
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed")
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser")
        try:
            import pwd
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user")
        as_user = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="storyfilter-pg-"))
    os.chmod(folder, 0o755)
    if as_user:
        os.chown(folder, user.pw_uid, user.pw_gid)
    data, port = folder / "data", free_port()
    _run(*as_user, "initdb", "-D", str(data), "-A", "trust", "-U", "storyfilter", "--no-sync")
    _run(*as_user, "pg_ctl", "-D", str(data), "-w", "-l", str(folder / "log"), "-o",
         f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql+psycopg://storyfilter@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, "pg_ctl", "-D", str(data), "-m", "immediate", "stop"], capture_output=True,
                       timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path) -> Iterator[FeedbackStore]:
    """The same store tests on a SQLite file and on PostgreSQL (a fresh database each time)."""
    if request.param == "sqlite":
        s = FeedbackStore.open(tmp_path / "feedback.sqlite3")
    else:
        base = request.getfixturevalue("postgres_url")
        name = "t" + uuid.uuid4().hex[:12]
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        admin.dispose()
        s = FeedbackStore.open(base.rsplit("/", 1)[0] + "/" + name)
        again = FeedbackStore.open(s.url)  # migrating twice changes nothing
        assert again.schema_version() == "0001"
        again.close()
    yield s
    s.close()


def test_migrates_an_empty_database_and_a_second_run_changes_nothing(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    path = tmp_path / "new" / "f.sqlite3"
    store = FeedbackStore.open(path)
    assert path.exists() and store.schema_version() == "0001"
    with store.engine.connect() as conn:  # the migration scripts build exactly the schema the code uses
        context = MigrationContext.configure(conn, opts={"version_table": "storyfilter_schema_version"})
        assert compare_metadata(context, metadata) == []
    page_id = store.add_page(_page())
    store.migrate()
    store.close()
    again = FeedbackStore.open(path)
    assert again.schema_version() == "0001"
    assert [p.id for p in again.pages()] == [page_id]
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_database_url_accepts_paths_and_urls(tmp_path):
    assert database_url(tmp_path / "x.db") == f"sqlite:///{tmp_path / 'x.db'}"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_corrections_win_over_model_labels(store):
    page_id = store.add_page(_page(4))
    page = store.page(page_id)
    assert [b.label for b in page.blocks] == ["boilerplate", "boilerplate", "story", "story"]
    assert page.summary.reviewed is None
    assert store.save_labels(page_id, {0: "story", 3: "boilerplate", 2: "story"}) == 3
    page = store.page(page_id)
    assert [b.label for b in page.blocks] == ["story", "boilerplate", "story", "boilerplate"]
    assert [b.corrected for b in page.blocks] == [True, False, False, True]
    assert page.summary.labelled == 3 and page.summary.corrected == 2 and page.summary.reviewed
    with pytest.raises(ValueError):
        store.save_labels(page_id, {4: "story"})
    with pytest.raises(ValueError):
        store.save_labels(page_id, {1: "maybe"})
    with pytest.raises(PageNotFound):
        store.save_labels("nope", {0: "story"})
    assert store.page(page_id).summary.labelled == 3  # a refused save changed nothing


def test_delete_removes_the_page_and_its_blocks(store):
    keep, gone = store.add_page(_page()), store.add_page(_page())
    store.delete_page(gone)
    assert [p.id for p in store.pages()] == [keep]
    with pytest.raises(PageNotFound):
        store.page(gone)
    with pytest.raises(PageNotFound):
        store.delete_page(gone)
    with store.engine.connect() as conn:
        blocks = sa.select(sa.func.count()).select_from(sa.table("review_blocks", sa.column("page_id")))
        assert conn.execute(blocks.where(sa.column("page_id") == gone)).scalar() == 0


def test_queue_offers_unlabelled_blocks_nearest_the_threshold(store):
    a = store.add_page(_page(4, threshold=0.5))  # scores .125 .375 .625 .875
    b = store.add_page(_page(5, threshold=0.3))  # scores .1 .3 .5 .7 .9
    store.save_labels(b, {1: "story"})
    queue = store.queue(limit=4)  # margins: a .375 .125 .125 .375; b .2 (0: labelled) .2 .4 .6
    assert [(q.page_id, q.position) for q in queue] == [(a, 1), (a, 2), (b, 0), (b, 2)]
    assert (b, 1) not in {(q.page_id, q.position) for q in store.queue(100)}
    assert len(store.queue(100)) == 8


def test_concurrent_threads_lose_no_write(store):
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(15):
                page_id = store.add_page(_page(6, ref=f"t{k}-{i}"))
                store.save_labels(page_id, {i % 6: "story", (i + 1) % 6: "boilerplate"})
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    pages = store.pages(limit=1000)
    assert len(pages) == 120 and len({p.ref for p in pages}) == 120
    assert all(p.labelled == 2 and p.reviewed for p in pages)


_WRITER = """
import sys, time
sys.path.insert(0, {repo!r}); sys.path.insert(0, {tests!r})
from test_review_store import _page
from serving.review.store import FeedbackStore
store = FeedbackStore.open({path!r})   # both processes migrate the same fresh file at once
tag, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    page_id = store.add_page(_page(40, ref=f"{{tag}}-{{i}}"))
    store.save_labels(page_id, {{j: "story" for j in range(0, 40, 3)}})
    print(i, flush=True)
"""


def _writer(path: Path, tag: str, n: int) -> subprocess.Popen:
    code = _WRITER.format(repo=str(REPO), tests=str(REPO / "tests"), path=str(path))
    return subprocess.Popen([sys.executable, "-c", code, tag, str(n)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_processes_write_the_same_fresh_database(tmp_path):
    path = tmp_path / "shared.sqlite3"
    procs = [_writer(path, tag, 25) for tag in ("a", "b")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = FeedbackStore.open(path)
    pages = store.pages(limit=1000)
    assert sorted(p.ref for p in pages) == sorted(f"{t}-{i}" for t in "ab" for i in range(25))
    assert all(p.n_blocks == 40 and p.labelled == 14 for p in pages)
    store.close()


def _open_at_the_signal(path: str, start, errors) -> None:
    """A process that opens the store the moment all its siblings are ready, and reports any error."""
    start.wait(timeout=60)
    try:
        FeedbackStore.open(path).close()
    except Exception as err:  # noqa: BLE001 - the test reports what any opener saw
        errors.put(f"{type(err).__name__}: {err}")


@pytest.mark.skipif(sys.platform == "win32", reason="forks the openers")
def test_processes_opening_one_fresh_file_at_once_all_open_it(tmp_path):
    """The first open of a file switches it to WAL: several openers at once must all get through."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    errors = ctx.Queue()
    for round_ in range(6):  # a fresh file each round; a barrier starts the four openers together
        path = tmp_path / f"fresh{round_}.sqlite3"
        start = ctx.Barrier(4)
        openers = [ctx.Process(target=_open_at_the_signal, args=(str(path), start, errors)) for _ in range(4)]
        for proc in openers:
            proc.start()
        for proc in openers:
            proc.join(timeout=120)
            assert proc.exitcode == 0
        seen = []
        while not errors.empty():
            seen.append(errors.get())
        assert seen == [], seen
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert raw.execute("SELECT version_num FROM storyfilter_schema_version").fetchall() == [("0001",)]


def test_a_writer_killed_mid_write_leaves_every_commit_and_no_half_page(tmp_path):
    path = tmp_path / "killed.sqlite3"
    proc = _writer(path, "k", 100_000)
    assert proc.stdout is not None
    committed = -1
    give_up = time.monotonic() + 60
    while committed < 20 and time.monotonic() < give_up:  # let it commit some pages, then kill it mid-loop
        committed = int(proc.stdout.readline() or committed)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert committed >= 20
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = FeedbackStore.open(path)
    pages = store.pages(limit=100_000)
    assert len(pages) >= committed + 1  # every page it reported is there
    for p in pages:  # and no page is half-written: all blocks, labels all-or-nothing
        assert p.n_blocks == 40
        assert len(store.page(p.id).blocks) == 40
        assert p.labelled in (0, 14)
    store.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_exports_parse_back_through_the_training_readers(store, tmp_path, fmt):
    html_page = store.add_page(_page(4, ref="one", html=True))
    text_page = store.add_page(_page(3, ref="two", html=False))
    store.add_page(_page(3, ref="never-reviewed"))
    store.save_labels(html_page, {0: "story", 3: "boilerplate"})
    store.save_labels(text_page, {})
    out = tmp_path / f"{fmt}.jsonl"
    rows = list(export_rows(store.reviewed_pages(), fmt))
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    pages = {p.id: p for p in read_labelled_blocks(out)}
    assert set(pages) == {html_page, text_page}
    assert pages[html_page].labels == [1, 0, 1, 0]  # corrections win; the rest are the model's labels
    assert pages[text_page].labels == [0, 1, 1]
    assert pages[html_page].texts[0] == "block number 0 of the page"
    if fmt == "blocks":
        assert pages[html_page].html and "<p>" in pages[html_page].html and pages[text_page].html is None
        assert pages[html_page].url == "https://example.test/a"
