"""The simulator's light-curve families as a registry: one small class per family.

A family says how to draw an object's parameters (:mod:`.params`), how to place it in time inside
the survey (``schedule``), which observer-frame window the survey looks at, and what the true
difference and source fluxes are at the observed epochs (``light``, from :mod:`.lightcurves`).
Classes (:mod:`.classes`) name their family; :func:`get_family` looks it up in :data:`FAMILIES`.

Three kinds: extragalactic **transients** (a rest-frame shape times a cooling blackbody, placed by
their peak time), the **AGN** damped random walk (the whole survey), and **Galactic** variables
(difference flux against a template of the quiescent star or of a random epoch).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from . import lightcurves as lc
from . import params
from .ragged import argmax_per_object


@dataclass(frozen=True)
class Span:
    """Survey time span (MJD): observed from ``start`` to ``end``; transients peak inside ``peak``;
    the survey's passbands (effective wavelengths, Milky-Way extinction)."""

    start: float
    end: float
    peak: tuple[float, float]
    passbands: lc.Passbands = lc.LSST_PASSBANDS


@dataclass
class Light:
    """True fluxes of a batch (FLUXCAL or the survey's flux unit): per observation and per object."""

    diff: np.ndarray                    #: difference flux at each observation
    source: np.ndarray                  #: whole point-source flux (noise, saturation)
    peak_mags: np.ndarray               #: (n, 6) true magnitude at peak (or of the template)
    template_mags: np.ndarray | None    #: (n, 6) template magnitudes (Galactic), else None


class Family:
    """Base class; subclasses set ``name`` and implement the methods below."""

    name: ClassVar[str] = ""
    #: sources concentrated to the Galactic bulge (microlensing)
    bulge: ClassVar[bool] = False
    #: scale (degrees) of the Laplace law of Galactic latitude of Galactic sources: 10 for distant
    #: disc stars; nearby M dwarfs (hundreds of pc, a 300-pc thin disc) are spread far wider
    latitude_scale: ClassVar[float] = 10.0

    def sample(self, spec, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def schedule(self, spec, p: dict, rng: np.random.Generator, n: int, span: Span) -> None:
        """Add the timing parameters (``t_peak`` and what the family needs) to ``p``."""
        raise NotImplementedError

    def window(self, spec, p: dict, n: int, span: Span) -> tuple[np.ndarray, np.ndarray]:
        """Observer-frame (start, end) MJD of each object's observed window."""
        if spec.trest is None:
            return np.full(n, span.start), np.full(n, span.end)
        z1 = 1.0 + p["z"]
        return p["t_peak"] + spec.trest[0] * z1, p["t_peak"] + spec.trest[1] * z1

    def light(self, p: dict, obs, rng: np.random.Generator, span: Span) -> Light:
        raise NotImplementedError

    def sim_peak(self, p: dict, obs, light: Light, span: Span) -> np.ndarray:
        """MJD of the simulated peak: by default the epoch of the largest true |difference flux|."""
        best = argmax_per_object(np.abs(light.diff), obs.offsets)
        return np.where(best >= 0, obs.mjd[np.maximum(best, 0)], span.start)


# ----------------------------------------------------------------------------- transients
class Transient(Family):
    """Extragalactic transient with a rest-frame ``shape``; peak time uniform in the survey's range."""

    @staticmethod
    def shape(x, g):
        raise NotImplementedError

    def sample(self, spec, rng, n):
        return params.sample_transient(spec, rng, n)

    def find_peak(self, p: dict) -> None:
        lc.grid_peak(self.shape, p)

    def schedule(self, spec, p, rng, n, span):
        self.find_peak(p)
        p["t_peak"] = rng.uniform(*span.peak, n)
        p["t_expl"] = p["t_peak"] - p["tau_peak"] * (1.0 + p["z"])

    def light(self, p, obs, rng, span):
        flux = lc.transient_flux(self.shape, p, obs.obj, obs.mjd, obs.band.astype(np.int64), span.passbands)
        return Light(flux, flux, lc.transient_peak_mags(self.shape, p, span.passbands), None)

    def sim_peak(self, p, obs, light, span):
        return p["t_peak"]


class Bazin(Transient):
    name = "bazin"
    shape = staticmethod(lc.bazin_shape)

    def find_peak(self, p):
        lc.bazin_peak(p)  # closed form


class PoweredBazin(Transient):
    """Bazin with a slower rise ``(1 - e^(-x/tr))^k`` (the ZTF classes, calibrated on BTS rise times)."""

    name = "bazin_k"
    shape = staticmethod(lc.powered_bazin_shape)

    def sample(self, spec, rng, n):
        return params.sample_transient(spec, rng, n, extra=params.rise_and_tail)

    def find_peak(self, p):
        lc.powered_bazin_peak(p)


class Plateau(Transient):
    name = "plateau"
    shape = staticmethod(lc.plateau_shape)

    def sample(self, spec, rng, n):
        return params.sample_transient(spec, rng, n, extra=params.plateau_params)


class TidalDisruption(Transient):
    name = "tde"
    shape = staticmethod(lc.tde_shape)


# ----------------------------------------------------------------------------- AGN
class DampedRandomWalk(Family):
    """AGN: a damped random walk (and changing-look steps) over the whole survey."""

    name = "drw"

    def sample(self, spec, rng, n):
        return params.sample_agn(spec, rng, n)

    def schedule(self, spec, p, rng, n, span):
        p["t_peak"] = np.full(n, np.nan)
        p["survey_start"], p["survey_len"] = np.full(n, span.start), np.full(n, span.end - span.start)

    def light(self, p, obs, rng, span):
        diff, source = lc.agn_flux(p, obs.obj, obs.mjd, obs.band.astype(np.int64), obs.offsets, rng)
        return Light(diff, source, lc.fluxcal_to_mag(lc.agn_mean_flux(p)), None)


# ----------------------------------------------------------------------------- Galactic variables
class Galactic(Family):
    """A Galactic variable: ``flux(p, obj, t, band)`` of the source, imaged against a template."""

    #: template of the quiescent star (True) or of a random epoch in the year before the survey
    quiescent_template: ClassVar[bool] = False

    @staticmethod
    def flux(p, obj, t, band):
        raise NotImplementedError

    def place(self, p: dict, rng: np.random.Generator, n: int, span: Span) -> np.ndarray:
        """Reference epoch ``t_peak``: by default a random phase of the first period."""
        return span.start + rng.uniform(0.0, 1.0, n) * p.get("period", np.ones(n))

    def schedule(self, spec, p, rng, n, span):
        p["colour_scale"] = rng.uniform(0.7, 1.4, n)
        p["seed"] = rng.uniform(0.0, 1000.0, n)
        p["t_peak"] = self.place(p, rng, n, span)

    def before_light(self, p: dict, obs, rng: np.random.Generator, span: Span) -> None:
        """Hook for parameters that depend on the observed epochs (flares)."""

    def template(self, p: dict, rng: np.random.Generator, span: Span) -> np.ndarray:
        """Template flux per band, shape (n, 6)."""
        if self.quiescent_template:
            return lc.quiescent_flux(p)
        n = len(p["mag_r"])
        t_tmpl = span.start - rng.uniform(0.0, 365.0, n)
        obj, band = np.repeat(np.arange(n), 6), np.tile(np.arange(6), n)
        return self.flux(p, obj, t_tmpl[obj], band).reshape(n, 6)

    def light(self, p, obs, rng, span):
        self.before_light(p, obs, rng, span)
        band = obs.band.astype(np.int64)
        source = self.flux(p, obs.obj, obs.mjd, band)
        template = self.template(p, rng, span)
        mags = lc.fluxcal_to_mag(template)
        return Light(source - template[obs.obj, band], source, mags, mags)


class Flare(Galactic):
    name = "flare"
    latitude_scale = 30.0  # real ELAsTiCC flares: median |b| 20 deg, a third below 15 (ours were 7, 80 %)
    quiescent_template = True
    flux = staticmethod(lc.flare_flux)

    def sample(self, spec, rng, n):
        return params.sample_flare(spec, rng, n)

    def before_light(self, p, obs, rng, span, slots: int = 6):
        """Flare times: the first at an observed epoch (the survey only keeps flares it caught), the
        rest Poisson in time at the star's flare rate; later flares have smaller amplitudes."""
        n = len(p["mag_r"])
        counts = np.diff(obs.offsets)
        pick = obs.offsets[:-1] + np.floor(rng.random(n) * np.maximum(counts, 1)).astype(np.int64)
        t_obs = np.where(counts > 0, obs.mjd[np.minimum(pick, max(obs.mjd.size - 1, 0))]
                         if obs.mjd.size else 0.0, 0.0)
        times = rng.uniform(span.start, span.end, (n, slots))
        times[:, 0] = t_obs - p["t_rise"] - rng.uniform(0.0, 0.5, n) * p["t_decay"]
        amp = p["amp"][:, None] * np.exp(rng.uniform(np.log(0.05), 0.0, (n, slots)))
        amp[:, 0] = p["amp"]
        active = np.arange(slots)[None, :] <= rng.poisson(p["rate"] * 300.0, n)[:, None]
        p["flare_t"], p["flare_amp"] = times, np.where(active, amp, 0.0)


class DwarfNova(Galactic):
    name = "dwarf_nova"
    quiescent_template = True
    flux = staticmethod(lc.dwarf_nova_flux)

    def sample(self, spec, rng, n):
        return params.sample_dwarf_nova(spec, rng, n)

    def place(self, p, rng, n, span):
        return span.start - rng.uniform(0.0, 1.0, n) * p["period"]


class Microlensing(Galactic):
    name = "paczynski"
    quiescent_template = True
    bulge = True
    flux = staticmethod(lc.paczynski_flux)

    def sample(self, spec, rng, n):
        return params.sample_ulens(spec, rng, n)

    def place(self, p, rng, n, span):
        return rng.uniform(span.start - 30.0, span.end + 30.0, n)


class Pulsator(Galactic):
    name = "pulsator"
    flux = staticmethod(lc.pulsator_flux)

    def sample(self, spec, rng, n):
        return params.sample_pulsator(spec, rng, n)


class Eclipsing(Galactic):
    name = "eclipsing"
    flux = staticmethod(lc.eclipsing_flux)

    def sample(self, spec, rng, n):
        return params.sample_eclipsing(spec, rng, n)


#: family name -> family (one instance each; families hold no state)
FAMILIES: dict[str, Family] = {f.name: f() for f in (
    Bazin, PoweredBazin, Plateau, TidalDisruption, DampedRandomWalk, Flare, DwarfNova, Microlensing, Pulsator, Eclipsing)}


def get_family(name: str) -> Family:
    """The family called ``name`` (see :data:`FAMILIES`)."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown light-curve family {name!r}; known: {', '.join(FAMILIES)}") from None
