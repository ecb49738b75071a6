"""How well the gold-text alignment labels blocks: word F1 of the "perfect" block selection.

    python bench/alignment.py ../shared/data/wcxb-dev [--mode html|text]

Keeps exactly the blocks the alignment rule labels ``story`` and scores them
against the gold text like any system (mean page word F1), next to keeping
every block. The gap to 1.0 is what segmentation and the rule cost.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from training.dataset import build_examples
from training.evaluate import baseline_scores, page_score
from training.readers import read_gold_folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--mode", choices=["html", "text"], default="html")
    args = parser.parse_args()
    examples = build_examples(read_gold_folder(args.corpus), args.mode)
    perfect = [page_score(examples, i, [bool(y) for y in labels]) for i, labels in enumerate(examples.labels)]
    keep_all = baseline_scores(examples)
    print(json.dumps({
        "mode": args.mode, "pages": len(examples.pages),
        "pages_without_blocks": sum(1 for p in examples.pages if not p),
        "perfect_selection_word_f1": round(float(np.mean([s.word_f1 for s in perfect])), 4),
        "keep_everything_word_f1": round(float(np.mean([s.word_f1 for s in keep_all])), 4),
    }, indent=2))


if __name__ == "__main__":
    main()
