"""/docs and /redoc work offline: every script, stylesheet and icon they load comes from the
service itself (the installed fastapi-offline package), none from a CDN."""
from __future__ import annotations

import re
import urllib.request
from urllib.parse import urljoin, urlparse

from extras import require

require("fastapi_offline", "serve")

from service_process import running_server  # noqa: E402

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""", re.IGNORECASE)


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.status, answer.headers.get("content-type", ""), answer.read()


def test_docs_and_redoc_load_every_asset_from_the_service_itself(trained_model_dir):
    with running_server(["--model", str(trained_model_dir)]) as (base, _):
        for page in ("/docs", "/redoc"):
            status, kind, body = get(base + page)
            assert status == 200 and kind.startswith("text/html")
            html = body.decode("utf-8")
            assets = [urljoin(base + page, a or b) for a, b in ASSET.findall(html)]
            scripts = [a for a in assets if a.endswith(".js")]
            assert scripts, html
            for asset in assets:
                assert urlparse(asset).netloc == urlparse(base).netloc, f"{page} loads {asset} from elsewhere"
                status, kind, content = get(asset)
                assert status == 200 and len(content) > 100, asset
                if asset.endswith(".js"):
                    assert "javascript" in kind
                if asset.endswith(".css"):
                    assert kind.startswith("text/css")
            assert "cdn" not in html.lower()
        status, kind, schema = get(base + "/openapi.json")  # what the pages render
        assert status == 200 and b"/v1/score" in schema
