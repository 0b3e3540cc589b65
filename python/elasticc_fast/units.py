"""Units and conventions, written once.

- SNANA ``FLUXCAL`` has zero point 27.5: ``m = 27.5 - 2.5 log10(FLUXCAL)``.
- ELAsTiCC alert ``psFlux`` is in nJy (zero point 31.4): ``FLUXCAL = psFlux * 10**(-0.4 * 3.9)``.
- ZTF magnitudes (AB) to microjansky: ``10**((23.9 - m) / 2.5)``.
- PHOTFLAG bits: 1024 saturated, 2048 trigger epoch, 4096 detection.
- Bands are stored as uint8 indices into ``BANDS``.
"""
from __future__ import annotations

FLUXCAL_ZEROPOINT = 27.5
NJY_ZEROPOINT = 31.4
#: multiply an alert psFlux (nJy) by this to get SNANA FLUXCAL (about 1 / 36.3)
FLUXCAL_PER_NJY = 10 ** (-0.4 * (NJY_ZEROPOINT - FLUXCAL_ZEROPOINT))
UJY_ZEROPOINT = 23.9

PHOTFLAG_SATURATED = 1024
PHOTFLAG_TRIGGER = 2048
PHOTFLAG_DETECTION = 4096

#: LSST bands first (index 0..5), then ZTF-only names mapped onto the same wavelengths where equal.
BANDS = "ugrizY"
BAND_INDEX = {b: i for i, b in enumerate(BANDS)}
BAND_INDEX.update({"y": 5, "R": 2, "G": 1})  # ZTF/ANTARES spell r as R
#: mean wavelength of each band in microns (ORACLE's values)
BAND_WAVELENGTH_UM = (0.36, 0.476, 0.6215, 0.7545, 0.87, 1.015)
#: sentinels SNANA writes for missing HEAD values
HEAD_SENTINELS = (-9.0, -99.0, -999.0, -9999.0, 999.0)


def mag_to_microjansky(mag):
    """AB magnitude -> flux in microjansky."""
    return 10 ** ((UJY_ZEROPOINT - mag) / 2.5)


def njy_to_fluxcal(flux_njy):
    """ELAsTiCC alert flux (nJy) -> SNANA FLUXCAL (zero point 27.5)."""
    return flux_njy * FLUXCAL_PER_NJY
