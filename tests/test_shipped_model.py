"""End to end on the shipped default models: the pages written for the tests and the seed example."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from classifier import load_model

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
SEED = ROOT.parent / "shared" / "data" / "seed"


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def shipped():
    return load_model()


def test_shipped_models_load_with_both_modes(shipped):
    assert set(shipped.models) == {"html", "text"}
    for loaded in shipped.models.values():
        assert loaded.manifest["cross_validation"]["folds"] >= 2
        assert 0.0 < loaded.threshold < 1.0


# Known misses of the shipped models, kept visible: strict, so a model that fixes one fails here
# until the mark is removed.
KNOWN_MISSES = {
    "story_teasers.txt": "the text model keeps 4 of 5 teaser headlines after 'More from the newsroom' "
                         "when paragraphs are separated by blank lines",
}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[n])) if n in KNOWN_MISSES else n
    for n in sorted(EXPECTED)
])
def test_cli_keeps_story_and_drops_clutter(name):
    """The CLI on each page written for the tests: story sentences kept, teasers/nav/footer dropped."""
    path = (PAGES / name).resolve()
    result = subprocess.run([sys.executable, "-m", "serving.cli", "extract", str(path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    story = _norm(result.stdout)
    expected = EXPECTED[name]
    kept = [s for s in expected["story_snippets"] if _norm(s) in story]
    leaked = [s for s in expected["boilerplate_snippets"] if _norm(s) in story]
    assert kept == expected["story_snippets"], f"story lost from {name}"
    assert leaked == [], f"clutter kept from {name}"


def test_json_format_blocks_cover_the_page():
    path = ROOT / "examples" / "article.html"
    result = subprocess.run([sys.executable, "-m", "serving.cli", "extract", str(path), "--format", "json"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["mode"] == "html" and doc["model"]["name"] == "storyfilter-html"
    labels = {b["label"] for b in doc["blocks"]}
    assert labels == {"story", "boilerplate"}
    story_from_blocks = "\n\n".join(b["text"] for b in doc["blocks"] if b["label"] == "story")
    assert story_from_blocks == doc["story_text"]


@pytest.mark.skipif(not SEED.exists(), reason="../shared/data/seed is not present on this machine")
def test_seed_keeps_story_lines_and_drops_recommendations(shipped):
    """The example the project started from: 11 story lines kept, the header and 4 teasers dropped."""
    labels = [json.loads(line) for line in (SEED / "seed.labels.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    result = shipped.filter_text((SEED / "seed.txt").read_text(encoding="utf-8"))
    by_text = {b.text: b.label for b in result.blocks}
    story = [row["text"] for row in labels if row["label"] == "story"]
    clutter = [row["text"] for row in labels if row["label"] != "story"]
    assert len(story) == 11 and len(clutter) == 5
    assert [by_text.get(_norm(t)) for t in story] == ["story"] * 11
    assert [by_text.get(_norm(t)) for t in clutter] == ["boilerplate"] * 5


@pytest.mark.skipif(shutil.which("storyfilter") is None, reason="storyfilter is not installed (pip install .)")
def test_installed_console_script_works_from_any_folder(tmp_path):
    """`pip install .` gives a `storyfilter` that finds its shipped model from any folder."""
    page = tmp_path / "page.html"
    page.write_bytes((ROOT / "examples" / "article.html").read_bytes())
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(["storyfilter", "extract", str(page)], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "tidal barrier" in result.stdout
    assert "Exporters brace for new steel tariffs" not in result.stdout
