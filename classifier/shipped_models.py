"""sha256 of the shipped models' manifest.json, by mode (each manifest lists the sha256 of
its model's other files): a shipped model that does not match is refused.

Written by ``python -m classifier.artifacts pin artifacts/html artifacts/text``; run it
after retraining the shipped models."""
SHIPPED_SHA256 = {
    'html': 'f8772128c7f5545efb8c3e9fd1206f72ce09b34550e3b3cfc42b594dd8bf7707',
    'text': '9afef2ebecec1ed991c842ed2266f7042adf6c653684fa4d09ea3bc781afb1ea',
}
