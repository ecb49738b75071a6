"""The README's training example runs as written on the example corpus under examples/, and training
reports its progress as log lines when standard error is not a terminal."""
from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from service_process import repo_env

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "examples" / "news-sites"


def readme_training_example() -> list[str]:
    """The commands of the README's fenced block that trains on examples/news-sites."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    chosen = [b for b in blocks if "storyfilter train examples/news-sites" in b]
    assert len(chosen) == 1, "the README has one training example on examples/news-sites"
    return [line for line in chosen[0].splitlines() if line.strip() and not line.startswith("#")]


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    words = shlex.split(command.split("#")[0])
    assert words[0] == "storyfilter"
    return subprocess.run([sys.executable, "-m", "serving.cli", *words[1:]], cwd=cwd, env=repo_env(),
                          capture_output=True, text=True, timeout=600)


def test_the_example_corpus_is_laid_out_like_wcxb_dev():
    records = sorted((CORPUS / "ground-truth").glob("*.json"))
    assert len(records) >= 12
    sites = set()
    for record in records:
        data = json.loads(record.read_text(encoding="utf-8"))
        assert data["ground_truth"]["main_content"].strip()
        assert (CORPUS / "html" / f"{record.stem}.html").is_file()
        sites.add(data["url"].split("/")[2])
    assert len(sites) >= 4


def test_the_readme_training_example_runs_on_the_example_corpus(tmp_path):
    shutil.copytree(CORPUS, tmp_path / "examples" / "news-sites")
    commands = readme_training_example()
    assert any(c.startswith("storyfilter train") for c in commands)
    outputs = [run(command, tmp_path) for command in commands]
    for command, done in zip(commands, outputs):
        assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
    train = outputs[0]
    assert "wrote my-model" in train.stdout
    # stderr is a pipe here, not a terminal: progress comes as log lines, not a redrawn bar
    assert "storyfilter: segmenting (html): 12 pages" in train.stderr
    assert re.search(r"storyfilter: segmenting \(html\): done, 12/12 pages in [\d.]+ s", train.stderr)
    assert "storyfilter: cross-validating: 2 folds" in train.stderr and "\r" not in train.stderr
    assert (tmp_path / "my-model" / "manifest.json").is_file()
    assert (tmp_path / "my-model" / "scoring.npz").is_file()
    page_id = commands[1].split("/html/")[1].split(".html")[0]
    gold = json.loads((CORPUS / "ground-truth" / f"{page_id}.json").read_text(encoding="utf-8"))
    first_paragraph = gold["ground_truth"]["main_content"].split("\n\n")[1]
    assert first_paragraph in outputs[1].stdout
