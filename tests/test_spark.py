"""Spark: the WARC job end to end in local[2], the importable pandas UDF, the CLI engine."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from batch_pages import html_records, story_html, story_text, write_jsonl, write_warc

REPO = Path(__file__).resolve().parent.parent

if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs a Java runtime (none on PATH or in JAVA_HOME); .ci/run installs one",
                allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    """One local[2] session for the module (its start-up dominates the time)."""
    # Spark's Python workers are new processes: let them import this checkout.
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), before]))
    from serving.batch.spark import build_session

    session = build_session("local[2]", app_name="storyfilter-test")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    if before is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = before


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark-in")
    records = html_records(4) + [("https://news.example.org/logo.png", b"\x89PNG....", "image/png", 200)]
    write_warc(root / "one.warc.gz", records)
    write_warc(root / "two.warc", html_records(3, start=50), gz=False)
    write_jsonl(root / "pages.jsonl", [{"id": "t1", "text": story_text(1)}, {"id": "h1", "html": story_html(9)},
                                       {"id": "bad"}])
    return root


def _rows(frame) -> list[dict]:
    return sorted((r.asDict(recursive=True) for r in frame.collect()), key=lambda r: (r["source"], r["id"]))


def _local_and_spark(spark, inputs: Path, tmp_path: Path, options) -> tuple[list[dict], list[dict], dict, str]:
    """The same inputs through the local batch and the Spark job: (local rows, Spark rows, summary, output)."""
    from serving.batch import run_batch
    from serving.batch.spark import run_spark_batch

    local = tmp_path / "local.jsonl"
    run_batch([inputs], local, options, progress=False)
    want = sorted((json.loads(line) for line in local.read_text().splitlines()),
                  key=lambda r: (r["source"], r["id"]))
    out = str(tmp_path / "spark.parquet")
    summary = run_spark_batch([str(inputs)], out, options, spark=spark)
    return want, _rows(spark.read.parquet(out)), summary, out


def test_the_job_matches_the_local_batch_row_for_row(spark, inputs, tmp_path):
    from serving.batch import BatchOptions

    want, got, summary, out = _local_and_spark(spark, inputs, tmp_path, BatchOptions(include_blocks=True))
    assert summary["rows"] == len(want) == 4 + 3 + 3
    assert summary["errors"] == 1 and summary["skipped"] == 1  # the "bad" JSONL row; the PNG response
    assert got == want
    assert (Path(out) / "_SUCCESS").exists()  # Spark's committer: the folder is complete
    assert sum(r["error"] is not None for r in got) == 1


def test_the_job_writes_markdown_as_the_local_batch(spark, inputs, tmp_path):
    from serving.batch import BatchOptions

    want, got, _, _ = _local_and_spark(spark, inputs, tmp_path, BatchOptions(markdown=True))
    assert got == want
    assert sum(bool(r["markdown"]) for r in got) == len(got) - 1  # every page but the error row


def test_one_task_per_input_file(spark, inputs):
    from serving.batch.spark import expand_inputs, read_inputs

    uris = expand_inputs([str(inputs)])
    assert len(uris) == 3 and all(u.startswith("/") for u in uris)
    rdd = spark.sparkContext.parallelize(uris, numSlices=len(uris)).mapPartitions(read_inputs)
    assert rdd.getNumPartitions() == 3
    assert sorted(rdd.glom().map(len).collect()) == [3, 3, 4]  # pages per file, one file per task


def test_the_udf_in_an_existing_job_equals_the_api(spark):
    from pyspark.sql import functions as F

    from classifier import load_model
    from serving.batch.spark import storyfilter_udf

    pages = [(f"https://x.example/{i}", story_html(i)) for i in range(5)] + [("https://x.example/bin", "\x00" * 50)]
    df = spark.createDataFrame(pages, "url string, html string")
    score = storyfilter_udf()
    got = {r["url"]: r for r in df.withColumn("sf", score(F.col("html")))
           .select("url", "sf.story_text", "sf.mode", "sf.error").collect()}
    model = load_model()
    for url, html in pages[:-1]:
        assert got[url]["story_text"] == model.filter(html, mode="auto").story_text
        assert got[url]["mode"] == "html" and got[url]["error"] is None
    assert got["https://x.example/bin"]["error"] and got["https://x.example/bin"]["story_text"] is None


def test_the_udf_renders_markdown_as_the_api(spark):
    from pyspark.sql import functions as F

    from classifier import load_model
    from serving.batch.spark import storyfilter_udf

    pages = [(f"https://x.example/{i}", story_html(i)) for i in range(3)]
    df = spark.createDataFrame(pages, "url string, html string")
    score = storyfilter_udf(markdown=True)
    got = {r["url"]: r["markdown"] for r in df.withColumn("sf", score(F.col("html"))).select("url", "sf.markdown")
           .collect()}
    model = load_model()
    for url, html in pages:
        assert got[url] == model.filter(html, mode="auto").to_markdown()


def test_cli_engine_spark(spark, inputs, tmp_path):
    from click.testing import CliRunner

    from serving.cli import main

    out = tmp_path / "cli.parquet"
    runner = CliRunner()
    result = runner.invoke(main, ["batch", str(inputs / "one.warc.gz"), "-o", str(out), "--engine", "spark"])
    assert result.exit_code == 0, result.output
    assert "4 rows, 0 errors, 1 non-page records skipped" in result.output
    again = runner.invoke(main, ["batch", str(inputs / "one.warc.gz"), "-o", str(out), "--engine", "spark"])
    assert again.exit_code == 1 and "exists" in again.output


def test_console_script_by_absolute_path_with_a_bare_path(inputs, tmp_path):
    """Spark's Python workers must not fall back to the system python3, which has no storyfilter."""
    import subprocess
    import sys

    script = Path(sys.executable).with_name("storyfilter")
    if not script.is_file():
        pytest.skip(f"no console script next to {sys.executable}")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    if os.environ.get("JAVA_HOME"):
        env["JAVA_HOME"] = os.environ["JAVA_HOME"]
    out = tmp_path / "bare.jsonl"
    done = subprocess.run([str(script), "batch", str(inputs / "one.warc.gz"), "-o", str(out), "--engine", "spark",
                           "--spark-master", "local[1]"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    parts = sorted(out.glob("part-*")) if out.is_dir() else [out]  # Spark writes a folder of parts
    rows = [json.loads(line) for part in parts for line in part.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4 and all(row["error"] is None for row in rows if row["story_text"] is not None)


def test_missing_java_is_named(monkeypatch):
    from serving.batch.spark import SparkUnavailable, check_spark

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(SparkUnavailable, match="Java runtime"):
        check_spark()
