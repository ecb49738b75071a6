"""storyfilter on Apache Spark: a pandas UDF for existing PySpark jobs, and a WARC-to-Parquet job.

The UDF is iterator-style (``Iterator[tuple[Series, ...]] -> Iterator[DataFrame]``): the
model is loaded once per Python worker process (and kept there across tasks, as Spark
reuses its Python workers), and each Arrow batch of pages is scored with one
vectorised model call per mode -- the same code as the local ``storyfilter batch``, so
the rows are the same.

The job is laid out like the usual Common Crawl PySpark jobs: the list of input paths
becomes an RDD with one partition per file, so one task reads one WARC file, streaming
it (FastWARC) from a local path or any URI ``pyarrow.fs`` opens (``s3://``, ``hdfs://``,
``gs://``, ``file://``); the pages go through the UDF and the rows are written as
Parquet (a folder, as Spark writes).

Usage from an existing job::

    from serving.batch.spark import storyfilter_udf
    score = storyfilter_udf()                      # shipped model; storyfilter_udf("models/mine")
    df = df.withColumn("sf", score(df.html))       # or score(df.html, df.charset)
    df.select("url", "sf.story_text", "sf.error")
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from typing import Any

from classifier.decoding import normalize_encoding
from classifier.metadata import FIELDS as METADATA_FIELDS

from .scoring import BatchOptions, score_chunk_with
from .sources import InputFile, Page, Skip, discover, iter_stream

_MODELS: dict[str | None, Any] = {}


class SparkUnavailable(RuntimeError):
    """PySpark or a Java runtime is missing; the message says what to install."""


def check_spark() -> None:
    """Raise :class:`SparkUnavailable` naming what to install when Spark cannot start here."""
    try:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as err:
        raise SparkUnavailable(f"Spark support needs its extra: pip install 'storyfilter[spark]' ({err})") from None
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and os.path.exists(os.path.join(java_home, "bin", "java"))):
        raise SparkUnavailable("Spark needs a Java runtime (17 or later) on PATH or in JAVA_HOME, "
                               "e.g. apt-get install openjdk-17-jre-headless")


def _model(model_dir: str | None):
    """The model of this Python worker process, loaded on first use."""
    model = _MODELS.get(model_dir)
    if model is None:
        from classifier import load_model

        model = _MODELS[model_dir] = load_model(model_dir)
    return model


def result_schema(include_blocks: bool = False, markdown: bool = False):
    """Spark type of the UDF's result struct (``blocks`` and ``markdown`` only when asked for)."""
    from pyspark.sql import types as T

    fields = [T.StructField("mode", T.StringType()),
              T.StructField("model", T.StructType([T.StructField("name", T.StringType()),
                                                   T.StructField("version", T.StringType())])),
              T.StructField("story_text", T.StringType()),
              T.StructField("metadata", T.StructType([
                  T.StructField(name, T.DoubleType() if name == "page_type_probability" else T.StringType())
                  for name in METADATA_FIELDS]))]
    if include_blocks:
        block = T.StructType([T.StructField("index", T.IntegerType()), T.StructField("text", T.StringType()),
                              T.StructField("label", T.StringType()), T.StructField("score", T.DoubleType()),
                              T.StructField("kind", T.StringType()), T.StructField("path", T.StringType())])
        fields.append(T.StructField("blocks", T.ArrayType(block)))
    if markdown:
        fields.append(T.StructField("markdown", T.StringType()))
    fields.append(T.StructField("error", T.StringType()))
    return T.StructType(fields)


def _result_frame(rows: list[dict[str, Any]], include_blocks: bool, markdown: bool = False):
    import pandas as pd

    keys = (["mode", "model", "story_text", "metadata"] + (["blocks"] if include_blocks else [])
            + (["markdown"] if markdown else []) + ["error"])
    return pd.DataFrame({k: [r.get(k) for r in rows] for k in keys})


def storyfilter_udf(model_dir: str | None = None, mode: str = "auto", threshold: float | None = None,
                    include_blocks: bool = False, markdown: bool = False):
    """A function ``score(page_col, encoding_col=None, kind_col=None, url_col=None)`` -> struct column.

    ``page_col`` holds HTML or text as binary or string; ``encoding_col`` the HTTP charset if
    known; ``kind_col`` ``"html"``/``"text"`` if the source says (else ``mode`` decides, and
    ``auto`` sniffs); ``url_col`` where the page came from (for its metadata). The struct has
    ``mode``, ``model {name, version}``, ``story_text``, ``metadata``, ``blocks`` (with
    ``include_blocks``), ``markdown`` (with ``markdown``) and ``error`` (a page that cannot be read gets an error, not a failed task).
    """
    from pyspark.sql import functions as F

    score = _pandas_udf(BatchOptions(mode=mode, threshold=threshold, model_dir=model_dir,
                                     include_blocks=include_blocks, markdown=markdown))

    def apply(page_col, encoding_col=None, kind_col=None, url_col=None):
        none = F.lit(None).cast("string")
        return score(page_col, none, none if encoding_col is None else encoding_col,
                     none if kind_col is None else kind_col, none if url_col is None else url_col)

    return apply


def _pandas_udf(options: BatchOptions):
    """The iterator pandas UDF over ``(data, text, encoding, kind, url)``: ``text`` (a string column)
    is used where it is not null, so pages read as str stay str, exactly as the local batch."""
    from typing import Tuple

    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    def score(batches):
        model = _model(options.model_dir)
        for datas, texts, encodings, kinds, urls in batches:
            chunk = [Page("", "", t if isinstance(t, str) else _page_value(d), url=u if isinstance(u, str) else None,
                          kind=k if k in ("html", "text") else None,
                          encoding=normalize_encoding(e))  # a charset hint: unknown is none, as locally
                     for d, t, e, k, u in zip(datas, texts, encodings, kinds, urls)]
            rows, _ = score_chunk_with(model, chunk, options)
            yield _result_frame(rows, options.include_blocks, options.markdown)

    # Spark picks the UDF kind (iterator of a tuple of Series) from these hints.
    score.__annotations__ = {"batches": Iterator[Tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]],
                             "return": Iterator[pd.DataFrame]}
    return pandas_udf(result_schema(options.include_blocks, options.markdown))(score)


def _page_value(value: Any) -> bytes | str | None:
    if value is None or isinstance(value, (bytes, str)):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return None  # pandas NA for a null column value


# ----- the WARC (or any input) job ---------------------------------------------------------------
def _open_uri(uri: str):
    """A seekable binary stream for a local path or a ``scheme://`` URI (pyarrow filesystems)."""
    if "://" not in uri:
        return open(uri, "rb")
    from pyarrow import fs

    filesystem, path = fs.FileSystem.from_uri(uri)
    return filesystem.open_input_file(path)


def read_inputs(uris: Iterable[str], skipped=None) -> Iterator[tuple]:
    """Page rows ``(id, url, source, data, text, kind, encoding, error)`` of each input URI.

    For ``mapPartitions``; ``skipped`` is an optional Spark accumulator of non-page records.
    A file that cannot be opened is one error row.
    """
    for uri in uris:
        name = uri.rstrip("/").rsplit("/", 1)[-1]
        try:
            stream = _open_uri(uri)
        except OSError as err:
            yield (name, None, uri, None, None, None, None, f"cannot open: {err}")
            continue
        with stream:
            for item in iter_stream(stream, name, uri):
                if isinstance(item, Skip):
                    if skipped is not None:
                        skipped.add(1)
                    continue
                text = item.data if isinstance(item.data, str) else None
                data = item.data if isinstance(item.data, bytes) else None
                yield (item.id, item.url, item.source, data, text, item.kind, item.encoding, item.error)


def page_schema():
    from pyspark.sql import types as T

    return T.StructType([T.StructField("id", T.StringType()), T.StructField("url", T.StringType()),
                         T.StructField("source", T.StringType()), T.StructField("data", T.BinaryType()),
                         T.StructField("text", T.StringType()),
                         T.StructField("kind", T.StringType()), T.StructField("encoding", T.StringType()),
                         T.StructField("read_error", T.StringType())])


def expand_inputs(inputs: Iterable[str]) -> list[str]:
    """Input URIs: local files and folders as :func:`~serving.batch.sources.discover` finds them,
    ``scheme://`` URIs as given (a folder URI is listed recursively with ``pyarrow.fs``)."""
    uris: list[str] = []
    local = []
    for item in inputs:
        if "://" in item and not item.startswith("file://"):
            uris.extend(_list_remote(item))
        else:
            local.append(item[len("file://"):] if item.startswith("file://") else item)
    files: list[InputFile] = discover(local) if local else []
    return [str(f.path) for f in files] + uris


def _list_remote(uri: str) -> list[str]:
    from pyarrow import fs

    from .sources import kind_of

    filesystem, path = fs.FileSystem.from_uri(uri)
    info = filesystem.get_file_info(path)
    if info.type == fs.FileType.File:
        return [uri]
    if info.type != fs.FileType.Directory:
        raise ValueError(f"{uri}: no such file or folder")
    scheme = uri.split("://", 1)[0]
    found = filesystem.get_file_info(fs.FileSelector(path, recursive=True))
    return sorted(f"{scheme}://{f.path}" for f in found if f.type == fs.FileType.File and kind_of(f.base_name))


def score_inputs(spark, uris: list[str], options: BatchOptions = BatchOptions()):
    """A DataFrame of result rows for the inputs: one task per input file.

    Columns: ``id, url, source, mode, model, story_text, metadata, [blocks,] [markdown,] error``, as the local batch writes.
    """
    from pyspark.sql import functions as F

    sc = spark.sparkContext
    skipped = sc.accumulator(0)
    rdd = sc.parallelize(uris, numSlices=max(1, len(uris))).mapPartitions(lambda it: read_inputs(it, skipped))
    pages = spark.createDataFrame(rdd, schema=page_schema())
    score = _pandas_udf(options)
    scored = pages.withColumn("r", score(F.col("data"), F.col("text"), F.col("encoding"), F.col("kind"),
                                         F.col("url")))
    columns = [F.col("id"), F.col("url"), F.col("source"), F.col("r.mode").alias("mode"),
               F.col("r.model").alias("model"), F.col("r.story_text").alias("story_text"),
               F.col("r.metadata").alias("metadata")]
    if options.include_blocks:
        columns.append(F.col("r.blocks").alias("blocks"))
    if options.markdown:
        columns.append(F.col("r.markdown").alias("markdown"))
    # a page the reader could not read keeps the reader's error (the UDF saw no data)
    columns.append(F.coalesce(F.col("read_error"), F.col("r.error")).alias("error"))
    return scored.select(*columns), skipped


def local_workers_use_this_python(master: str | None) -> None:
    """On a local master, make Spark's Python workers run this interpreter (``PYSPARK_PYTHON``,
    unless set): run by the console script's absolute path, with the virtual environment not
    on ``PATH``, they would start the system ``python3``, which cannot import storyfilter.
    (The builder's ``spark.pyspark.python`` does not reach them; the variable, set before the
    session starts, does.) A cluster's executors need their own setting."""
    import os
    import sys

    if master is None or master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


def build_session(master: str | None = None, app_name: str = "storyfilter batch"):
    """A SparkSession (``master`` such as ``local[4]`` or ``spark://host:7077``)."""
    check_spark()
    import sys

    from pyspark.sql import SparkSession

    local_workers_use_this_python(master)
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    if master is None or master.startswith("local"):
        builder = builder.config("spark.pyspark.python", sys.executable)
    return builder.getOrCreate()


def run_spark_batch(inputs: list[str], output: str, options: BatchOptions = BatchOptions(),
                    master: str | None = None, overwrite: bool = False, spark=None) -> dict[str, Any]:
    """Score ``inputs`` on Spark into ``output`` (a Parquet folder, or JSON lines for ``.jsonl``).

    Returns ``{"rows", "errors", "skipped", "seconds"}``. Spark's output committer writes
    ``_SUCCESS`` last, so a folder without it is an unfinished run (re-run with ``overwrite``).
    """
    import time

    uris = expand_inputs(inputs)
    if not uris:
        raise ValueError("no input files found")
    if not output.lower().endswith((".parquet", ".jsonl")):
        raise ValueError(f"{output}: the output must end in .parquet or .jsonl")
    fmt = "jsonl" if output.lower().endswith(".jsonl") else "parquet"
    if "://" not in output and os.path.exists(output) and not overwrite:
        raise ValueError(f"{output} exists; pass --overwrite to replace it, or choose another output")
    session = spark or build_session(master)
    started = time.perf_counter()
    frame, skipped = score_inputs(session, uris, options)
    writer = frame.write.mode("overwrite" if overwrite else "errorifexists")
    if fmt == "jsonl":  # keep null fields, so rows have the local engine's columns
        writer.option("ignoreNullFields", False).json(output)
    else:
        writer.parquet(output)
    seconds = time.perf_counter() - started
    written = (session.read.json if fmt == "jsonl" else session.read.parquet)(output)
    errors = written.filter(written.error.isNotNull()).count() if "error" in written.columns else 0
    return {"rows": written.count(), "errors": errors, "skipped": skipped.value, "seconds": seconds}
