"""Shared fixtures: synthetic pages on disk and one tiny trained model (html/ + text/) per session."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
for entry in (str(REPO), str(TESTS)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from service_process import repo_env  # noqa: E402
from synthetic import make_pages, write_pages_jsonl  # noqa: E402

N_SITES, PAGES_PER_SITE = 8, 5


@pytest.fixture(scope="session")
def synthetic_pages():
    """40 pages from 8 fake sites (seeded): the training set of the session model."""
    return make_pages(N_SITES, PAGES_PER_SITE, seed=7)


@pytest.fixture(scope="session")
def unseen_pages():
    """Pages the session model never saw (same templates, other seed)."""
    return make_pages(N_SITES, 1, seed=1234)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def pages_jsonl(data_dir, synthetic_pages) -> Path:
    return write_pages_jsonl(data_dir / "pages.jsonl", synthetic_pages)


@pytest.fixture(scope="session")
def unseen_jsonl(data_dir, unseen_pages) -> Path:
    return write_pages_jsonl(data_dir / "unseen.jsonl", unseen_pages)


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory, pages_jsonl) -> Path:
    """A folder with ``html/`` and ``text/`` model directories, trained with 2-fold grouped CV.

    Treat it as read-only; copy it (``model_copy``) before tampering with it.
    """
    from training.train import train_model

    root = tmp_path_factory.mktemp("model")
    for mode in ("html", "text"):
        train_model([pages_jsonl], root / mode, mode=mode, cv_folds=2, seed=0, progress=False,
                    name=f"test-{mode}", version="0.0-test")
    return root


@pytest.fixture(scope="session")
def loaded_model(trained_model_dir):
    from classifier import load_model

    return load_model(trained_model_dir)


@pytest.fixture
def model_copy(trained_model_dir, tmp_path) -> Path:
    """A private copy of the session model folder, safe to modify."""
    target = tmp_path / "model"
    shutil.copytree(trained_model_dir, target)
    return target


@pytest.fixture(scope="session")
def cli_env() -> dict[str, str]:
    """Environment for ``python -m serving.cli`` subprocesses run from the repository."""
    return repo_env()
