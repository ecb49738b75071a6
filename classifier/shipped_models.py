"""sha256 of the shipped models' manifest.json, by mode (each manifest lists the sha256 of
its model's other files): a shipped model that does not match is refused.

Written by ``python -m classifier.artifacts pin artifacts/html artifacts/text``; run it
after retraining the shipped models."""
SHIPPED_SHA256 = {
    'html': '62160f19ef717a831635ad34361b9cc9ef14650ca53ce7d1d30bb9cea8ef920a',
    'text': '609069cee40ffac2e7d548b0f6f2a400d095ca0fc0969c698b6ab5cfedf23f3e',
}
