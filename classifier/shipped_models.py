"""sha256 of the shipped models' manifest.json, by mode (each manifest lists the sha256 of
its model's other files): a shipped model that does not match is refused.

Written by ``python -m classifier.artifacts pin artifacts/html artifacts/text``; run it
after retraining the shipped models."""
SHIPPED_SHA256 = {
    'html': '8ccb80ddebaba92d9da76455ad63c0063dcc6ffaa23f5d34222915f3ab841a89',
    'text': '9afef2ebecec1ed991c842ed2266f7042adf6c653684fa4d09ea3bc781afb1ea',
}
