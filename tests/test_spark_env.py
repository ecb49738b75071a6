"""Spark's Python workers run this interpreter on a local master, however the CLI was started
(no Java needed: only the environment set before the session starts is checked)."""
from __future__ import annotations

import sys

import pytest

from serving.batch.spark import local_workers_use_this_python


@pytest.mark.parametrize("master", [None, "local", "local[2]", "local[*]"])
def test_local_workers_get_this_python_when_unset(monkeypatch, master):
    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    local_workers_use_this_python(master)
    assert sys.modules["os"].environ["PYSPARK_PYTHON"] == sys.executable


def test_a_python_the_user_chose_is_kept(monkeypatch):
    monkeypatch.setenv("PYSPARK_PYTHON", "/opt/py/bin/python3")
    local_workers_use_this_python("local[2]")
    assert sys.modules["os"].environ["PYSPARK_PYTHON"] == "/opt/py/bin/python3"


def test_a_cluster_is_left_to_its_own_setting(monkeypatch):
    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    local_workers_use_this_python("spark://host:7077")
    assert "PYSPARK_PYTHON" not in sys.modules["os"].environ
