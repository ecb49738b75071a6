"""A seeded share of sites kept out of every model choice, scored once at the end.

Cross-validation figures are what model choices were made on (parameters tried,
thresholds, features kept), so over many runs they drift up. The hold-out sites
take no part in any of that: cross-validation and every threshold run on the
other sites, one model is fitted on those, and the hold-out is scored once.

Which sites are held out depends only on the seed and the site names (ranked by
a hash of both), so a run is reproducible and adding data moves few sites.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

#: Sites left for cross-validation at the least, else there is no hold-out.
MIN_REMAINING_SITES = 2


def _rank(site: str, seed: int) -> bytes:
    return hashlib.sha256(f"{seed}\x00{site}".encode("utf-8", "surrogatepass")).digest()


def holdout_sites(sites: Sequence[str], fraction: float, seed: int) -> list[str]:
    """The sites to hold out: ``fraction`` of them (at least one), ranked by a seeded hash; sorted.

    Empty when ``fraction`` is 0 or fewer than ``MIN_REMAINING_SITES`` would be left.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"the hold-out share must be in [0, 1), got {fraction}")
    distinct = sorted(set(sites))
    if fraction == 0.0:
        return []
    count = min(max(1, round(fraction * len(distinct))), len(distinct) - MIN_REMAINING_SITES)
    if count <= 0:
        return []
    return sorted(sorted(distinct, key=lambda s: _rank(s, seed))[:count])
