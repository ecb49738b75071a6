"""sha256 of the shipped models' manifest.json, by mode (each manifest lists the sha256 of
its model's other files): a shipped model that does not match is refused.

Written by ``python -m classifier.artifacts pin artifacts/html artifacts/text``; run it
after retraining the shipped models."""
SHIPPED_SHA256 = {
    'html': '5d2ec9aa9cfbede8c99b63e1ecf9a91bf53b97ef919603205d13238df913d878',
    'text': '609069cee40ffac2e7d548b0f6f2a400d095ca0fc0969c698b6ab5cfedf23f3e',
}
