"""sha256 of the shipped models' manifest.json, by mode (each manifest lists the sha256 of
its model's other files): a shipped model that does not match is refused.

Written by ``python -m classifier.artifacts pin artifacts/html artifacts/text``; run it
after retraining the shipped models."""
SHIPPED_SHA256 = {
    'html': '5cc46dcb177695e9a920fde2a58a81cd1727f7b6e3362a444980b1039e3ce2d5',
    'text': '609069cee40ffac2e7d548b0f6f2a400d095ca0fc0969c698b6ab5cfedf23f3e',
}
