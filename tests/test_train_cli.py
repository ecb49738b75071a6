"""The storyfilter command line: train, eval, extract — through CliRunner and as a real process."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO
from classifier.artifacts import SEAL, manifest_seal
from serving.cli import main
from synthetic import labelled_rows

RESULT_KEYS = {"model", "mode", "story_text", "metadata", "blocks"}
BLOCK_KEYS = {"index", "text", "label", "score", "kind", "path"}


def run(*args: str, input: str | bytes | None = None):
    result = CliRunner().invoke(main, [str(a) for a in args], input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception  # show the real traceback instead of a bare exit code
    return result


def run_process(args: list[str], env: dict, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "serving.cli", *map(str, args)], input=input,
                          capture_output=True, cwd=REPO, env=env, timeout=120)


def assert_clean_failure(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert stderr.startswith("storyfilter: error: ") or stderr.startswith("Usage:") or "Error:" in stderr


@pytest.fixture(scope="module")
def cli_model(tmp_path_factory, pages_jsonl) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("cli") / "my-model"
    result = run("train", pages_jsonl, "-o", out, "--cv-folds", "2", "--quiet")
    return out, result


@pytest.fixture
def broken_pages(tmp_path, pages_jsonl) -> Path:
    lines = pages_jsonl.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2][: len(lines[2]) // 2]  # line 3 cut in half
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ----- train -------------------------------------------------------------------------------------

def test_train_writes_model_dir_with_manifest_and_card(cli_model, pages_jsonl):
    out, result = cli_model
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    assert "cross-validated word F1" in result.stdout and "hold-out word F1" in result.stdout
    assert result.stdout.count("teaser leak") == 2 and result.stdout.count("without leaked") == 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"model.npz", "model.json", "MODEL_CARD.md"}
    for name, info in manifest["files"].items():
        assert info["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
    assert {"numpy", "scikit-learn", "storyfilter", "python"} <= set(manifest["libraries"])
    data = manifest["training_data"]
    assert data["pages"] == 40 and data["sites"] == 8 and data["sources"] == [pages_jsonl.name]
    assert 0.0 < data["story_share"] < 1.0
    cv, holdout = manifest["cross_validation"], manifest["holdout"]
    # 20% of the 8 sites held out: cross-validation runs on the other 6
    assert holdout["fraction"] == 0.2 and holdout["seed"] == 0 and holdout["sites"] == 2
    assert holdout["pages"] == 10 and holdout["fit_pages"] == 30 and len(holdout["domains"]) == 2
    assert cv["folds"] == 2 and cv["grouped_by"] == "registered domain" and cv["pages"] == 30 and cv["sites"] == 6
    assert len(cv["fold_thresholds"]) == 2 and cv["threshold"] == round(sum(cv["fold_thresholds"]) / 2, 4)
    for part in (cv, holdout):
        assert set(part["systems"]) == {"storyfilter", "keep-everything"}
        model_f1 = part["systems"]["storyfilter"]["overall"]["word_f1"]
        baseline_f1 = part["systems"]["keep-everything"]["overall"]["word_f1"]
        assert model_f1 > baseline_f1
        assert part["systems"]["storyfilter"]["overall"]["teaser_leak"] is not None
    assert manifest["threshold_rule"].startswith("picked on the shipped model's training pages")
    assert manifest["mode"] == "html"
    card = (out / "MODEL_CARD.md").read_text()
    assert manifest["name"] in card and manifest["version"] in card
    assert "## Cross-validation vs hold-out" in card and "| storyfilter, hold-out | 10 |" in card
    assert "teaser leak" in card and "fitted on all 40 pages, hold-out included" in card
    assert "Descriptive, not used to choose anything" in card and "| teaser leak | " in card
    # the reproduce line is this storyfilter command (not the argv of whatever process ran it)
    assert f"\nstoryfilter train {pages_jsonl} -o {out} --mode html --cv-folds 2 --holdout 0.2 --seed 0\n" in card


def test_trained_model_extracts(cli_model, unseen_pages, tmp_path):
    out, _ = cli_model
    page = unseen_pages[0]
    path = tmp_path / "page.html"
    path.write_text(page.html, encoding="utf-8")
    result = run("extract", path, "--model", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().split("\n\n") == [page.title, *page.paragraphs]


def test_train_both_modes_and_fixed_threshold(tmp_path, pages_jsonl):
    out = tmp_path / "both"
    result = run("train", pages_jsonl, "-o", out, "--mode", "both", "--cv-folds", "0", "--threshold", "0.6",
                 "--quiet", "--param", "C=0.5")
    assert result.exit_code == 0, result.output
    for mode in ("html", "text"):
        manifest = json.loads((out / mode / "manifest.json").read_text())
        assert manifest["mode"] == mode and manifest["threshold"] == 0.6
        assert manifest["cross_validation"] is None and manifest["params"]["C"] == 0.5
        assert "--cv-folds" in (out / mode / "MODEL_CARD.md").read_text()


def test_train_on_labelled_blocks_text_mode(tmp_path, synthetic_pages):
    path = tmp_path / "blocks.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for p in synthetic_pages[:16] for r in labelled_rows(p)))
    out = tmp_path / "text-model"
    result = run("train", path, "-o", out, "--mode", "text", "--cv-folds", "0", "--quiet")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text())["training_data"]["pages"] == 16


def test_train_broken_file_reports_file_and_line(tmp_path, broken_pages):
    out = tmp_path / "never"
    result = run("train", broken_pages, "-o", out, "--cv-folds", "2", "--quiet")
    assert result.exit_code == 1
    assert f"{broken_pages}:3:" in result.stderr
    assert_clean_failure(result.stderr)
    assert result.stdout == ""
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_train_broken_file_in_a_real_process(tmp_path, broken_pages, cli_env):
    out = tmp_path / "never"
    proc = run_process(["train", broken_pages, "-o", out, "--quiet"], cli_env)
    stderr = proc.stderr.decode()
    assert proc.returncode == 1
    assert f"{broken_pages}:3: not valid JSON" in stderr
    assert_clean_failure(stderr)
    assert not out.exists()


def test_train_a_sequence_stage_without_pytorch_says_which_extra(tmp_path, pages_jsonl, cli_env):
    """Without PyTorch, ``--param stage2_gru=N`` fails before any fitting, naming the extra to install."""
    blocker = tmp_path / "no_torch"
    blocker.mkdir()
    (blocker / "torch.py").write_text("raise ImportError('No module named torch')\n", encoding="utf-8")
    env = {**cli_env, "PYTHONPATH": os.pathsep.join(filter(None, [str(blocker), cli_env.get("PYTHONPATH")]))}
    out = tmp_path / "never"
    proc = run_process(["train", pages_jsonl, "--mode", "text", "--param", "stage2_gru=8", "-o", out, "--quiet"], env)
    stderr = proc.stderr.decode()
    assert proc.returncode == 1
    assert 'pip install "storyfilter[sequence]"' in stderr
    assert_clean_failure(stderr)
    assert not out.exists()


def test_train_one_site_cannot_cross_validate(tmp_path, synthetic_pages):
    from synthetic import write_pages_jsonl

    path = write_pages_jsonl(tmp_path / "one-site.jsonl", synthetic_pages[:5])
    out = tmp_path / "never"
    result = run("train", path, "-o", out, "--cv-folds", "2", "--quiet")
    assert result.exit_code == 1
    assert "two sites" in result.stderr
    assert_clean_failure(result.stderr)
    assert not out.exists()


@pytest.mark.parametrize("args, words", [
    (["--param", "no_such_thing=1"], "no_such_thing"),
    (["--param", "C"], "KEY=VALUE"),
    (["--threshold", "1.5"], "threshold"),
])
def test_train_bad_options_are_usage_errors(tmp_path, pages_jsonl, args, words):
    out = tmp_path / "never"
    result = run("train", pages_jsonl, "-o", out, "--quiet", *args)
    assert result.exit_code == 2
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_train_missing_source_is_a_usage_error(tmp_path):
    result = run("train", tmp_path / "absent.jsonl", "-o", tmp_path / "never")
    assert result.exit_code == 2 and "absent.jsonl" in result.stderr


# ----- eval --------------------------------------------------------------------------------------

def test_eval_cross_validation_beside_holdout(tmp_path, pages_jsonl):
    report_path = tmp_path / "report.json"
    result = run("eval", pages_jsonl, "--cv-folds", "2", "--quiet", "--json", report_path)
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text())
    assert report["mode"] == "html"
    cv, holdout = report["cross_validation"], report["holdout"]
    assert cv["pages"] == 30 and cv["folds"] == 2 and holdout["pages"] == 10 and holdout["sites"] == 2
    for part in (cv, holdout):
        assert set(part["systems"]) == {"storyfilter", "keep-everything"}
        overall = part["systems"]["storyfilter"]["overall"]
        assert overall["word_f1"] > part["systems"]["keep-everything"]["overall"]["word_f1"]
    lines = result.stdout.splitlines()
    table = lines[lines.index("== cross-validation vs hold-out, all pages ==") + 1:]
    assert "word F1" in table[0] and "without leaked" in table[0] and "teaser leak" in table[0]
    assert [row.split("  ")[0] for row in table[2:6]] == [
        "storyfilter, cv", "storyfilter, hold-out", "keep-everything, cv", "keep-everything, hold-out"]
    assert "thresholds picked on each fold's training pages" in result.stdout
    assert f"{holdout['pages']} pages from 2 sites, scored once" in result.stdout


def test_eval_without_holdout_and_with_a_fixed_threshold(tmp_path, pages_jsonl):
    report_path = tmp_path / "report.json"
    result = run("eval", pages_jsonl, "--cv-folds", "2", "--holdout", "0", "--threshold", "0.4", "--quiet",
                 "--json", report_path)
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text())
    assert report["holdout"] is None and report["cross_validation"]["pages"] == 40
    assert report["cross_validation"]["fold_thresholds"] == [0.4, 0.4]
    assert "fixed threshold 0.4" in result.stdout and "hold-out" not in result.stdout


def test_eval_text_mode_reports_the_extract_view(tmp_path, pages_jsonl):
    report_path = tmp_path / "report.json"
    result = run("eval", pages_jsonl, "--mode", "text", "--cv-folds", "2", "--quiet", "--json", report_path)
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text())
    for part in ("cross_validation", "holdout"):
        view = report[part]["views"]["extract"]
        assert view["systems"]["storyfilter"]["overall"]["teaser_leak"] is not None
    assert "storyfilter, cv, extract view" in result.stdout
    assert "storyfilter, hold-out, extract view" in result.stdout
    assert "post-filter threshold" in result.stdout


def test_eval_saved_model(trained_model_dir, unseen_jsonl, tmp_path):
    report_path = tmp_path / "report.json"
    result = run("eval", unseen_jsonl, "--model", trained_model_dir, "--mode", "text", "--quiet",
                 "--json", report_path)
    assert result.exit_code == 0, result.output
    assert "keep-everything" in result.stdout
    assert "teaser leak" in result.stdout and "extract view, threshold" in result.stdout
    report = json.loads(report_path.read_text())
    assert report["model"]["name"] == "test-text" and report["mode"] == "text"
    assert report["views"]["extract"]["pages"] == 8
    assert report["pages"] == 8
    manifest = json.loads((trained_model_dir / "text" / "manifest.json").read_text())
    assert report["threshold"] == manifest["threshold"]
    assert report["systems"]["storyfilter"]["overall"]["word_f1"] > 0.9


def test_eval_tampered_model(model_copy, unseen_jsonl):
    (model_copy / "html" / "model.json").write_text("{}")
    result = run("eval", unseen_jsonl, "--model", model_copy, "--quiet")
    assert result.exit_code == 1
    assert str(model_copy / "html" / "model.json") in result.stderr
    assert_clean_failure(result.stderr)


def test_eval_json_to_unwritable_place(pages_jsonl, trained_model_dir, tmp_path):
    result = run("eval", pages_jsonl, "--model", trained_model_dir, "--quiet",
                 "--json", tmp_path / "no" / "such" / "dir" / "r.json")
    assert result.exit_code == 1 and "r.json" in result.stderr
    assert_clean_failure(result.stderr)


# ----- extract -----------------------------------------------------------------------------------

@pytest.fixture
def page_files(tmp_path, unseen_pages):
    page = unseen_pages[2]
    html = tmp_path / "page.html"
    html.write_text(page.html, encoding="utf-8")
    text = tmp_path / "page.txt"
    text.write_text(page.text, encoding="utf-8")
    return page, html, text


def test_extract_text_output(trained_model_dir, page_files):
    page, html, _ = page_files
    result = run("extract", html, "--model", trained_model_dir)
    assert result.exit_code == 0, result.output
    assert result.stdout == "\n\n".join([page.title, *page.paragraphs]) + "\n"


def test_extract_json(trained_model_dir, page_files):
    page, html, _ = page_files
    result = run("extract", html, "--model", trained_model_dir, "--format", "json", "--url", page.url)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == RESULT_KEYS
    assert data["model"] == {"name": "test-html", "version": "0.0-test"}
    assert data["mode"] == "html"
    assert all(set(b) == BLOCK_KEYS and isinstance(b["path"], str) for b in data["blocks"])
    assert data["story_text"] == "\n\n".join(b["text"] for b in data["blocks"] if b["label"] == "story")


def test_extract_threshold(trained_model_dir, page_files):
    _, html, _ = page_files
    everything = json.loads(run("extract", html, "--model", trained_model_dir, "--format", "json",
                                "--threshold", "0").stdout)
    assert all(b["label"] == "story" for b in everything["blocks"])
    nothing = run("extract", html, "--model", trained_model_dir, "--threshold", "1")
    assert nothing.exit_code == 0 and len(nothing.stdout.strip().split("\n\n")) <= 1
    bad = run("extract", html, "--model", trained_model_dir, "--threshold", "2")
    assert bad.exit_code == 2 and "Traceback" not in bad.stderr


def test_extract_text_mode(trained_model_dir, page_files):
    page, _, text = page_files
    result = run("extract", text, "--model", trained_model_dir, "--mode", "text", "--format", "json")
    data = json.loads(result.stdout)
    assert data["mode"] == "text" and data["model"]["name"] == "test-text"
    assert all(b["path"] is None for b in data["blocks"])
    assert data["story_text"].split("\n\n") == [page.title, *page.paragraphs]
    # auto mode sniffs the same file as text
    assert json.loads(run("extract", text, "--model", trained_model_dir, "--format", "json").stdout)["mode"] == "text"


def test_extract_from_stdin(trained_model_dir, page_files):
    page, html, _ = page_files
    result = run("extract", "-", "--model", trained_model_dir, input=html.read_bytes())
    assert result.exit_code == 0, result.output
    assert page.paragraphs[0] in result.stdout and page.teasers[0] not in result.stdout
    # no PATH at all means stdin too
    assert run("extract", "--model", trained_model_dir, input=page.text).stdout.startswith(page.title)


def test_extract_missing_file(trained_model_dir, tmp_path):
    result = run("extract", tmp_path / "nope.html", "--model", trained_model_dir)
    assert result.exit_code == 2
    assert "nope.html" in result.stderr
    assert_clean_failure(result.stderr)
    assert result.stdout == ""


def test_extract_directory_is_an_error(trained_model_dir, tmp_path):
    result = run("extract", tmp_path, "--model", trained_model_dir)
    assert result.exit_code == 2 and "directory" in result.stderr


def test_extract_empty_file(trained_model_dir, tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    result = run("extract", empty, "--model", trained_model_dir)
    assert result.exit_code == 0 and result.stdout == ""
    data = json.loads(run("extract", empty, "--model", trained_model_dir, "--format", "json").stdout)
    assert data["story_text"] == "" and data["blocks"] == []


@pytest.mark.parametrize("damage, culprit", [
    (lambda d: (d / "html" / "model.npz").write_bytes(b"junk"), "html/model.npz"),
    (lambda d: (d / "html" / "manifest.json").write_text("{"), "html/manifest.json"),
    (lambda d: (d / "html" / "model.json").unlink(), "html/model.json"),
])
def test_extract_tampered_model(model_copy, page_files, damage, culprit):
    _, html, _ = page_files
    damage(model_copy)
    result = run("extract", html, "--model", model_copy)
    assert result.exit_code == 1
    assert str(model_copy / culprit) in result.stderr
    assert_clean_failure(result.stderr)
    assert result.stdout == ""


def test_extract_missing_model_dir(page_files, tmp_path):
    _, html, _ = page_files
    result = run("extract", html, "--model", tmp_path / "no-model")
    assert result.exit_code == 1 and "no-model" in result.stderr


# ----- real processes ----------------------------------------------------------------------------

def test_process_extract_stdin_json(trained_model_dir, page_files, cli_env):
    page, html, _ = page_files
    proc = run_process(["extract", "-", "--model", trained_model_dir, "--format", "json"], cli_env,
                       input=html.read_bytes())
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert set(data) == RESULT_KEYS and data["story_text"].split("\n\n") == [page.title, *page.paragraphs]


def test_process_extract_errors(trained_model_dir, model_copy, page_files, cli_env, tmp_path):
    _, html, _ = page_files
    missing = run_process(["extract", tmp_path / "absent.html", "--model", trained_model_dir], cli_env)
    assert missing.returncode == 2
    assert "absent.html" in missing.stderr.decode()
    assert_clean_failure(missing.stderr.decode())

    config = model_copy / "text" / "model.json"
    config.write_text(config.read_text().replace('"C": 1.0', '"C": 9.0'))
    tampered = run_process(["extract", html, "--model", model_copy], cli_env)
    stderr = tampered.stderr.decode()
    assert tampered.returncode == 1
    assert str(config) in stderr and "sha256" in stderr
    assert_clean_failure(stderr)
    assert tampered.stdout == b""


def test_process_help_lists_commands(cli_env):
    proc = run_process(["--help"], cli_env)
    assert proc.returncode == 0
    for command in ("extract", "train", "eval"):
        assert command in proc.stdout.decode()


def test_extract_extracted_uses_the_post_filter_threshold(model_copy, unseen_pages, tmp_path):
    """--extracted cuts text at the manifest's postfilter_threshold (set to 1.0 here: nothing passes)."""
    manifest_path = model_copy / "text" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["postfilter_threshold"] = 1.0
    manifest[SEAL] = manifest_seal(manifest)  # a deliberate edit, sealed again (an unsealed one is refused)
    manifest_path.write_text(json.dumps(manifest))
    path = tmp_path / "page.txt"
    path.write_text(unseen_pages[1].text, encoding="utf-8")
    plain = run("extract", path, "--mode", "text", "--model", model_copy)
    extracted = run("extract", path, "--mode", "text", "--extracted", "--model", model_copy)
    assert plain.exit_code == extracted.exit_code == 0
    assert plain.stdout.strip() and extracted.stdout == ""


def test_extract_view_lines_up_with_pages_across_mixed_sources(tmp_path, synthetic_pages, pages_jsonl):
    """Labelled blocks have no extract view: their own pages stand in, so the view stays index for index."""
    from training.train import load_examples

    blocks = tmp_path / "blocks.jsonl"
    blocks.write_text("".join(json.dumps(r) + "\n" for p in synthetic_pages[:4] for r in labelled_rows(p)))
    for sources in ([blocks, pages_jsonl], [pages_jsonl, blocks]):
        examples = load_examples(sources, "text", progress=False)
        view = examples.views["extract"]
        assert len(view.pages) == len(view.labels) == len(examples.pages)
        assert [s.id for s in view.sources] == [s.id for s in examples.sources]
        labelled = [i for i, s in enumerate(examples.sources) if not hasattr(s, "main_text")]
        assert len(labelled) == 4 and all(view.pages[i] is examples.pages[i] for i in labelled)
