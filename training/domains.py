"""The site a page belongs to, for grouping folds: its registered domain.

``www.x.co.uk``, ``edition.x.co.uk`` and ``x.co.uk`` share one template far more
often than not, so cross-validation must keep them on the same side of a split.
The public suffix list is the one bundled with ``tldextract`` (no download, no
cache directory: a training run never touches the network and gives the same
groups on every machine with the same library version).

Only the ICANN part of the list is used: ``a.substack.com`` and ``b.substack.com``
count as one site (``substack.com``), as their pages share the platform's template.
IP addresses and hosts without a public suffix (``localhost``, ``*.test``) are
their own site.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tldextract import TLDExtract


@lru_cache(maxsize=1)
def _extractor() -> TLDExtract:
    """Built once, on first use: scoring never imports tldextract."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def host_of(url: str | None) -> str:
    """Host of a URL, lowercased and without ``www.``; empty if there is none."""
    if not url:
        return ""
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    except ValueError:  # e.g. a broken IPv6 literal: no usable host
        return ""
    host = host.rstrip(".")
    return host[4:] if host.startswith("www.") else host


@lru_cache(maxsize=65536)
def registered_domain_of_host(host: str) -> str:
    """``news.x.co.uk`` -> ``x.co.uk``; the host itself when it has no public suffix or is an IP address."""
    if not host:
        return ""
    return _extractor()(host).top_domain_under_public_suffix or host


def registered_domain(url: str | None) -> str:
    """Registered domain of a URL (see :func:`registered_domain_of_host`); empty if it has no host."""
    return registered_domain_of_host(host_of(url))
