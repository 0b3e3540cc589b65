"""Mean signal and noise counts for p_astro: read from a JSON file, or fitted (FGMC) on a list of
triggers."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from ..errors import DataError

log = logging.getLogger(__name__)


def read_mean_counts(path: Path) -> dict[str, float]:
    """``{"Astro": .., "Terrestrial": ..}`` from a JSON of mean counts (ours, or p-astro's
    ``counts_*`` file: the astrophysical classes are summed)."""
    try:
        raw = json.loads(Path(path).read_text())
    except ValueError as e:
        raise DataError(f"{path}: not JSON ({e})") from None
    counts = {k.removeprefix("counts_"): float(v) for k, v in raw.items()}
    terr = counts.pop("Terrestrial", counts.pop("Terr", None))
    if terr is None:
        raise DataError(f"{path}: no Terrestrial count in {sorted(raw)}")
    return {"Astro": sum(counts.values()), "Terrestrial": terr}


def fit_mean_counts(csv: Path, far_star: float, snr_star: float) -> dict[str, float]:
    """FGMC mean counts fitted on a trigger list with ``far`` (Hz) and ``snr`` columns (e.g.
    SPIIR's fgmc_data.csv), with the SNR/FAR density model at thresholds ``far_star``, ``snr_star``."""
    import pandas as pd

    from . import fgmc

    df = pd.read_csv(csv)
    missing = {"far", "snr"} - set(df.columns)
    if missing:
        raise DataError(f"{csv}: missing columns {sorted(missing)}")
    bf = fgmc.snr_far_bayes_factor(df.far.to_numpy(), df.snr.to_numpy(), far_star, snr_star)
    counts = fgmc.fit_counts(bf).mean_counts
    log.info("FGMC mean counts fitted on %d triggers of %s: %s", len(df), csv, counts)
    return counts
