"""The commit of the code that trained a model, in its manifest and card."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from training import provenance
from training.model_card import render_model_card

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    """A git checkout with model code in it, standing in for this one."""
    _git(tmp_path, "init", "-q")
    (tmp_path / "classifier").mkdir()
    (tmp_path / "classifier" / "features.py").write_text("X = 1\n")
    (tmp_path / "README.md").write_text("readme\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "first")
    monkeypatch.setattr(provenance, "ROOT", tmp_path)
    return tmp_path


def test_a_clean_checkout_gives_its_commit(repo):
    assert provenance.code_revision() == {"commit": _git(repo, "rev-parse", "HEAD"), "dirty": False}


def test_uncommitted_model_code_is_dirty_and_other_files_are_not(repo):
    (repo / "README.md").write_text("changed\n")
    assert provenance.code_revision()["dirty"] is False
    (repo / "classifier" / "features.py").write_text("X = 2\n")
    assert provenance.code_revision()["dirty"] is True


def test_outside_a_checkout_there_is_no_commit(tmp_path, monkeypatch):
    monkeypatch.setattr(provenance, "ROOT", tmp_path)
    assert provenance.code_revision() is None


def _card(code):
    manifest = {"name": "storyfilter-html", "version": "0.1.0+x", "mode": "html", "threshold": 0.5,
                "params": {}, "seed": 0, "training_data": {"pages": 1, "sites": 1}, "cross_validation": None}
    if code is not None:
        manifest["code"] = code
    return render_model_card(manifest, "storyfilter train corpus -o out")


def test_the_card_names_the_commit_and_says_when_the_code_was_changed():
    assert "Code: commit `abc123`." in _card({"commit": "abc123", "dirty": False})
    assert "with uncommitted changes" in _card({"commit": "abc123", "dirty": True})
    assert "Code: commit" not in _card(None)


def test_the_shipped_html_model_names_a_commit_of_this_history():
    from classifier.artifacts import verify_model_dir
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists() or _git(root, "rev-parse", "--is-shallow-repository") == "true":
        pytest.skip("not a full git checkout: the shipped model's commit cannot be looked up")
    code = verify_model_dir(root / "artifacts" / "html")["code"]
    assert code["dirty"] is False
    assert _git(root, "cat-file", "-t", code["commit"]) == "commit"


def test_a_model_trained_from_this_checkout_carries_its_commit(trained_model_dir):
    import json
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    manifest = json.loads((Path(trained_model_dir) / "html" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["code"]["commit"] == _git(root, "rev-parse", "HEAD")
    assert f"Code: commit `{manifest['code']['commit']}`" in (Path(trained_model_dir) / "html" / "MODEL_CARD.md").read_text()
