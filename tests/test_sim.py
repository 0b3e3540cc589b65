"""The built-in simulator: files read back with astropy (independently of our reader) have the
ELAsTiCC2 layout, columns and types; pointers, separators and flags are consistent; every class
appears; per-class statistics are plausible (bounds justified against the real sample)."""
from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from elasticc_fast.sim import CLASS_NAMES, CLASSES, MODEL_TO_CLASS, get_class, simulate
from elasticc_fast.sim.writer import PHOT_COLUMNS, head_columns

N_PER_CLASS = 40
PREFIX = "ELASTICC2_TRAIN_02"


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    summary = simulate(out, objects_per_class=N_PER_CLASS, seed=3, files_per_model=2)
    assert summary["n_objects"] == N_PER_CLASS * len(CLASSES)
    return out


def _read_model(folder: Path):
    """(HEAD rows, list of per-object PHOT row arrays, raw PHOT tables) of a model folder, via astropy."""
    heads, objects, phots = [], [], []
    for head_file in sorted(folder.glob("*_HEAD.FITS.gz")):
        with fits.open(head_file) as hh, fits.open(str(head_file).replace("_HEAD", "_PHOT")) as ph:
            h, p = hh[1].data, ph[1].data
            heads.append(h)
            phots.append((h, p))
            for row in h:
                objects.append(p[row["PTROBS_MIN"] - 1:row["PTROBS_MAX"]])
    return heads, objects, phots


@pytest.fixture(scope="module")
def models(sim_dir):
    return {c.model: _read_model(sim_dir / f"{PREFIX}_{c.model}") for c in CLASSES}


def _tform(fmt: str) -> str:
    """'1D' -> 'D' (a repeat count of 1 is optional in TFORM); '12A' stays."""
    return fmt[1:] if fmt.startswith("1") and fmt[1:2].isalpha() else fmt


def _formats(hdu):
    return [(c.name, c.format.recformat) for c in hdu.columns]


def test_class_table_is_the_oracle_leaves():
    assert len(CLASSES) == 19 and len(set(CLASS_NAMES)) == 19
    assert {"SNIa", "SNIb/c", "SNIax", "SNI91bg", "SNII", "KN", "M-dwarf Flare", "Dwarf Novae", "uLens", "SLSN",
            "TDE", "ILOT", "CART", "PISN", "AGN", "Cepheid", "RR Lyrae", "Delta Scuti", "EB"} == set(CLASS_NAMES)
    assert MODEL_TO_CLASS["KN_K17"] == "KN" and MODEL_TO_CLASS["CLAGN"] == "AGN"
    assert get_class("snia-salt3").gentype == 10 and get_class("RR Lyrae").model == "RRL"
    with pytest.raises(ValueError, match="unknown class"):
        get_class("SN Ib")


def test_layout_and_every_class(sim_dir, models):
    for c in CLASSES:
        folder = sim_dir / f"{PREFIX}_{c.model}"
        stem = f"{PREFIX}_NONIaMODEL0"
        assert sorted(p.name for p in folder.glob("*.FITS.gz")) == [
            f"{stem}-{k:04d}_{kind}.FITS.gz" for k in (1, 2) for kind in ("HEAD", "PHOT")]
        for ext in ("DUMP", "LIST", "README"):
            assert (folder / f"{PREFIX}_{c.model}.{ext}").is_file()
        heads, objects, _ = models[c.model]
        gentype = np.concatenate([h["SIM_TYPE_INDEX"] for h in heads])
        assert len(gentype) == N_PER_CLASS and set(gentype) == {c.gentype}
        sntype = np.concatenate([h["SNTYPE"] for h in heads])
        assert set(sntype) <= {c.gentype, c.gentype + 100}
    assert not list(sim_dir.glob("**/.*tmp"))  # no temporary files left behind


def test_snids_unique_and_dump_matches(sim_dir, models):
    all_ids = []
    for c in CLASSES:
        heads, _, _ = models[c.model]
        ids = [int(s) for h in heads for s in h["SNID"]]
        all_ids += ids
        lines = (sim_dir / f"{PREFIX}_{c.model}" / f"{PREFIX}_{c.model}.DUMP").read_text().splitlines()
        varnames = next(line for line in lines if line.startswith("VARNAMES:")).split()[1:]
        rows = [line.split()[1:] for line in lines if line.startswith("SN:")]
        assert len(rows) == N_PER_CLASS and all(len(r) == len(varnames) for r in rows)
        assert sorted(int(r[varnames.index("CID")]) for r in rows) == sorted(ids)
        assert {int(r[varnames.index("GENTYPE")]) for r in rows} == {c.gentype}
    assert len(set(all_ids)) == len(all_ids)


def test_columns_and_types_as_specified(sim_dir):
    for c in CLASSES:
        head_file = next((sim_dir / f"{PREFIX}_{c.model}").glob("*_HEAD.FITS.gz"))
        with fits.open(head_file) as h, fits.open(str(head_file).replace("_HEAD", "_PHOT")) as p:
            assert h[1].header["EXTNAME"] == "Header" and p[1].header["EXTNAME"] == "Photometry"
            assert [x.name for x in h[1].columns] == [n for n, _ in head_columns(c.galactic, c.hostlib)]
            assert [(x.name, _tform(x.format)) for x in p[1].columns] == PHOT_COLUMNS
            assert [(x.name, _tform(x.format)) for x in h[1].columns] == head_columns(c.galactic, c.hostlib)
            assert h[1].columns["SNID"].format == "16A" and p[1].columns["BAND"].format == "2A"
            assert len(h[1].columns) == (146 if c.galactic else (170 if c.hostlib == "mass" else 171))


def test_columns_and_types_match_the_real_sample(sim_dir, elasticc_sample):
    """Same names, order and FITS types as the real ELAsTiCC2 files of the same kind."""
    pairs = {"KN_K17": "KN_K17", "Mdwarf-flare": "Mdwarf-flare", "SNIb-Templates": "SNIb-Templates"}
    for ours, real in pairs.items():
        real_head = sorted(glob.glob(str(elasticc_sample / f"*_{real}" / "*0001_HEAD.FITS.gz")))[0]
        our_head = next((sim_dir / f"{PREFIX}_{ours}").glob("*0001_HEAD.FITS.gz"))
        for kind in ("HEAD", "PHOT"):
            with fits.open(real_head.replace("HEAD", kind)) as r, fits.open(str(our_head).replace("HEAD", kind)) as o:
                assert _formats(o[1]) == _formats(r[1]), (ours, kind)
    # the other models use one of those three schemas
    for c in CLASSES:
        expected = "Mdwarf-flare" if c.galactic else ("SNIb-Templates" if c.hostlib == "mass" else "KN_K17")
        a = next((sim_dir / f"{PREFIX}_{c.model}").glob("*0001_HEAD.FITS.gz"))
        b = next((sim_dir / f"{PREFIX}_{expected}").glob("*0001_HEAD.FITS.gz"))
        with fits.open(a) as x, fits.open(b) as y:
            assert _formats(x[1]) == _formats(y[1]), c.model


def test_pointers_and_separators(models):
    for model, (_, _, phots) in models.items():
        for h, p in phots:
            lo, hi, nobs = h["PTROBS_MIN"], h["PTROBS_MAX"], h["NOBS"]
            assert lo[0] == 1 and np.all(hi - lo + 1 == nobs), model
            assert np.all(lo[1:] == hi[:-1] + 2), model  # exactly one separator row in between
            assert len(p) == hi[-1] + 1 == int(np.sum(nobs + 1))
            sep = p[hi]  # the row after each object (0-based index hi = 1-based hi + 1)
            assert np.all(sep["MJD"] == -777.0) and np.all(sep["FLUXCAL"] == -777.0)
            assert set(np.char.strip(sep["BAND"].astype(str))) == {"-"}
            assert np.sum(p["MJD"] == -777.0) == len(h)
            for a, b in zip(lo, hi, strict=True):
                assert np.all(np.diff(p["MJD"][a - 1:b]) >= 0), model
            assert set(p["BAND"][p["MJD"] > 0]) <= set("ugrizY")


def test_photflags_and_trigger(models):
    seen = 0
    for model, (heads, objects, _) in models.items():
        h = np.concatenate(heads)
        for row, obs in zip(h, objects, strict=True):
            flag = obs["PHOTFLAG"]
            det = (flag & 4096) > 0
            trig = np.flatnonzero(flag & 2048)
            assert len(trig) == 1 and det[trig[0]], model
            first = np.flatnonzero(det)[0]
            # pair rule: the trigger is a later detection at least 30 minutes after the first one
            assert obs["MJD"][trig[0]] - obs["MJD"][first] >= 0.021 - 1e-6
            assert np.isclose(row["MJD_TRIGGER"], obs["MJD"][trig[0]], atol=0.01)
            assert np.isclose(row["MJD_DETECT_FIRST"], obs["MJD"][first], atol=0.01)
            assert not np.any(det & ((flag & 1024) > 0))  # saturated points are not detections
        seen |= int(np.bitwise_or.reduce(np.concatenate([o["PHOTFLAG"] for o in objects])))
    assert seen & 1024 and seen & 2048 and seen & 4096


def test_forced_photometry_before_first_detection(models):
    """As in the real sample, most transients have non-detections before their first detection."""
    for c in CLASSES:
        if c.trest is None:
            continue
        _, objects, _ = models[c.model]
        first = np.array([np.flatnonzero(o["PHOTFLAG"] & 4096)[0] for o in objects])
        assert np.mean(first > 0) > 0.6, c.model


def test_host_and_sentinel_columns(models):
    for c in CLASSES:
        h = np.concatenate(models[c.model][0])
        assert np.all(h["MWEBV"] > 0) and np.all(h["MWEBV"] <= 3.5)
        if c.galactic:
            for col, value in (("REDSHIFT_HELIO", -9), ("HOSTGAL_PHOTOZ", -9), ("HOSTGAL_OBJID", 0),
                               ("HOSTGAL_MAG_r", 999), ("HOSTGAL_RA", -999), ("HOSTGAL_SB_FLUXCAL_g", -999),
                               ("HOSTGAL_LOGMASS", -9999), ("HOSTGAL_NMATCH", 0)):
                assert np.all(h[col] == value), (c.model, col)
        else:
            z = h["SIM_REDSHIFT_HELIO"]
            assert np.all((z >= c.z_range[0]) & (z <= c.z_range[1])), c.model
            h = h[h["HOSTGAL_NMATCH"] == 1]  # unmatched hosts: test_unmatched_hosts
            q = np.stack([h[f"HOSTGAL_ZPHOT_Q{k:03d}"] for k in range(0, 101, 10)], axis=1)
            assert np.all(np.diff(q, axis=1) >= 0) and np.all(q[:, 5] == h["HOSTGAL_PHOTOZ"])
            spec = h["HOSTGAL_SPECZ"] > 0
            assert np.all(h["SNTYPE"][spec] == c.gentype) and np.all(h["SNTYPE"][~spec] == c.gentype + 100)
            assert np.allclose(h["REDSHIFT_HELIO"][spec], h["HOSTGAL_SPECZ"][spec])
            assert np.all(h["HOSTGAL_SNSEP"] > 0) and np.all(h["HOSTGAL_MAG_r"] < 35)
            assert np.all(h["SIM_DLMU"] > 30)
            if c.leaf in ("TDE", "AGN"):  # nuclear: much closer to the host centre than SNe
                assert np.median(h["HOSTGAL_DDLR"]) < 0.1
            else:
                assert np.median(h["HOSTGAL_DDLR"]) > 0.3


def test_unmatched_hosts(tmp_path):
    """About UNMATCHED_SHARE of the extragalactic objects of every class have no matched host:
    HOSTGAL_NMATCH 0, every host column missing, and an unrelated photo-z as their redshift."""
    from elasticc_fast.sim.hosts import UNMATCHED_SHARE, UNMATCHED_Z

    simulate(tmp_path, objects_per_class=500, seed=4, classes=["SNIa", "SLSN", "AGN"], trigger_rule="first")
    for model in ("SNIa-SALT3", "SLSN-I+host", "CLAGN"):
        h = np.concatenate(_read_model(tmp_path / f"{PREFIX}_{model}")[0])
        lost = h["HOSTGAL_NMATCH"] == 0
        assert 0.3 * UNMATCHED_SHARE < lost.mean() < 2.5 * UNMATCHED_SHARE, model
        for col, value in (("HOSTGAL_PHOTOZ", -9), ("HOSTGAL_SPECZ", -9), ("HOSTGAL_MAG_r", 999),
                           ("HOSTGAL_SNSEP", -9), ("HOSTGAL_LOGMASS", -9999), ("HOSTGAL_ZPHOT_Q050", -9)):
            assert np.all(h[col][lost] == value), (model, col)
        z = h["REDSHIFT_HELIO"][lost]
        assert np.all((z >= UNMATCHED_Z[0] * 0.999) & (z <= UNMATCHED_Z[1] * 1.001)), model
        assert np.all(h["HOSTGAL_PHOTOZ"][~lost] > 0) and np.all(h["SIM_HOSTLIB_GALID"][~lost] > 0), model


def test_snia_peak_brightness_matches_elasticc(tmp_path):
    """Simulated SN Ia at z < 0.3 peak at M_r (SIM_PEAKMAG_r minus the distance modulus) -19.25 in
    the median with a 10-90 % spread of 0.6 mag in the real ELAsTiCC SN Ia (Fink alerts' truth)."""
    from elasticc_fast.sim.lightcurves import distance_modulus

    simulate(tmp_path, objects_per_class=600, seed=5, classes=["SNIa"], trigger_rule="first")
    h = np.concatenate(_read_model(tmp_path / f"{PREFIX}_SNIa-SALT3")[0])
    z = h["SIM_REDSHIFT_CMB"].astype(float)
    low = (z > 0.1) & (z < 0.3)
    m_r = h["SIM_PEAKMAG_r"][low] - distance_modulus(z[low])
    assert low.sum() > 60 and -19.5 < np.median(m_r) < -19.0
    assert np.subtract(*np.quantile(m_r, [0.9, 0.1])) < 0.9


def _stats(objects):
    nobs = np.array([len(o) for o in objects])
    ndet, span = [], []
    for o in objects:
        t = o["MJD"][(o["PHOTFLAG"] & 4096) > 0]
        ndet.append(len(t))
        span.append(t[-1] - t[0])
    return nobs, np.array(ndet), np.array(span)


def test_per_class_statistics_are_plausible(models):
    """Bounds from the real sample and survey design (docs/simulator.md lists the measured values).

    - Number of observations: transients are observed for (-100, +400) rest-frame days (the ELAsTiCC2
      GENRANGE_TREST), about 1.5 seasons of ~80 WFD visits: real medians 152-155; we accept 60-400.
      Galactic sources and AGN are observed for the whole 3-year survey: real M-dwarf median 255; 150-600.
    - Fast transients (KN, M-dwarf flares) are detected only briefly: real median detection span
      0.02 d (KN) and 0 d (flares); we require a median under 10 d (KN) and 1 d (flares).
    - Supernova-like transients: real SNIb median span 5 d, 95 % under 66 d: median within 1-120 d.
    - Long transients (SLSN, PISN, TDE) last longer than SN Ia; periodic variables and AGN are detected
      across the whole survey (median span > 200 d).
    """
    med = {}
    for c in CLASSES:
        nobs, ndet, span = _stats(models[c.model][1])
        med[c.leaf] = float(np.median(span))
        assert np.all(ndet >= 2), c.leaf  # pair trigger
        lo, hi = (60, 400) if c.trest is not None else (150, 600)
        assert lo <= np.median(nobs) <= hi, (c.leaf, np.median(nobs))
        if c.family in ("pulsator", "eclipsing", "drw"):
            assert med[c.leaf] > 200, c.leaf
            assert np.median(ndet) >= 20, c.leaf
    assert med["KN"] < 10 and med["M-dwarf Flare"] < 1
    for leaf in ("SNIa", "SNIb/c", "SNII", "SNIax", "SNI91bg"):
        assert 1 <= med[leaf] <= 120, (leaf, med[leaf])
    for leaf in ("SLSN", "PISN", "TDE"):
        assert med[leaf] > med["SNIa"], leaf
    assert med["SNIa"] > med["KN"]


def test_statistics_close_to_the_real_sample(tmp_path, elasticc_sample):
    """For the 3 classes of the real sample, simulated with the real files' trigger convention
    (first detection): median numbers of observations within 35 %, median detections within 3,
    and the same regime of detection span (hours for KN and flares, days to weeks for SN Ib/c)."""
    import csv

    simulate(tmp_path, objects_per_class=60, seed=3, classes=["KN_K17", "Mdwarf-flare", "SNIb-Templates"],
             trigger_rule="first")
    models = {c: _read_model(tmp_path / f"{PREFIX}_{c}") for c in ("KN_K17", "Mdwarf-flare", "SNIb-Templates")}

    with open(elasticc_sample / "reference_per_object_summary.csv") as f:
        real = list(csv.DictReader(f))
    for cls in ("KN_K17", "Mdwarf-flare", "SNIb-Templates"):
        rows = [r for r in real if r["cls"] == cls]
        real_nobs = np.median([float(r["nobs"]) for r in rows])
        real_ndet = np.median([float(r["ndet"]) for r in rows])
        nobs, ndet, span = _stats(models[cls][1])
        assert abs(np.median(nobs) / real_nobs - 1) < 0.35, (cls, np.median(nobs), real_nobs)
        assert abs(np.median(ndet) - real_ndet) <= 3, (cls, np.median(ndet), real_ndet)
        real_span = np.median([float(r["det_span_days"]) for r in rows])
        if cls == "SNIb-Templates":
            # a third of the real SN Ib/c (and of ours) have one detection (span 0), so their median
            # span sits at the edge of 0 with 60 objects; the upper quartile is days to weeks (real 22)
            real_q3 = np.quantile([float(r["det_span_days"]) for r in rows], 0.75)
            assert 1 < real_span < 30 and 5 < real_q3 < 60 and 5 < np.quantile(span, 0.75) < 60
        else:
            assert real_span < 0.5 and np.median(span) < 0.5


def test_deterministic_and_seed_dependent(tmp_path):
    """Same seed: byte-identical files, in one process or two; another seed: other files."""
    a = simulate(tmp_path / "a", objects_per_class=5, seed=11, classes=["KN", "EB"])
    b = simulate(tmp_path / "b", objects_per_class=5, seed=11, classes=["KN", "EB"], workers=2)
    c = simulate(tmp_path / "c", objects_per_class=5, seed=12, classes=["KN", "EB"])
    assert a["n_obs"] == b["n_obs"]
    for f in sorted((tmp_path / "a").glob("*/*")):
        twin = tmp_path / "b" / f.relative_to(tmp_path / "a")
        assert f.read_bytes() == twin.read_bytes(), f.name
    phot = "ELASTICC2_TRAIN_02_KN_K17/ELASTICC2_TRAIN_02_NONIaMODEL0-0001_PHOT.FITS.gz"
    assert (tmp_path / "a" / phot).read_bytes() != (tmp_path / "c" / phot).read_bytes()
    assert c["n_objects"] == 10


def test_rerun_replaces_the_model_folder(tmp_path):
    simulate(tmp_path, objects_per_class=6, seed=1, classes=["SNIa"], files_per_model=3)
    simulate(tmp_path, objects_per_class=4, seed=2, classes=["SNIa"], files_per_model=1)
    folder = tmp_path / f"{PREFIX}_SNIa-SALT3"
    assert sorted(p.name for p in folder.glob("*.FITS.gz")) == [
        f"{PREFIX}_NONIaMODEL0-0001_HEAD.FITS.gz", f"{PREFIX}_NONIaMODEL0-0001_PHOT.FITS.gz"]
    assert len(_read_model(folder)[1]) == 4
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no temporary folder left


def test_trigger_rule_first(tmp_path):
    simulate(tmp_path, objects_per_class=8, seed=2, classes=["Mdwarf-flare"], trigger_rule="first")
    _, objects, _ = _read_model(tmp_path / f"{PREFIX}_Mdwarf-flare")
    for o in objects:
        det = np.flatnonzero(o["PHOTFLAG"] & 4096)
        assert np.flatnonzero(o["PHOTFLAG"] & 2048).tolist() == [det[0]]
    with pytest.raises(ValueError, match="trigger_rule"):
        simulate(tmp_path / "x", objects_per_class=2, classes=["KN"], trigger_rule="third")


def test_cli(tmp_path, capsys):
    from elasticc_fast.cli import main

    assert main(["simulate", str(tmp_path), "--objects-per-class", "3", "--classes", "KN", "Cepheid",
                 "--seed", "4"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{PREFIX}_Cepheid", f"{PREFIX}_KN_K17"]
    printed = capsys.readouterr().out
    assert printed.splitlines()[-1].startswith("6 objects, ") and "KN_K17 " in printed
    assert main(["simulate", str(tmp_path / "y"), "--classes", "nonsense"]) == 1
    assert main(["simulate", "unused", "--list-classes"]) == 0
    assert "CLAGN" in capsys.readouterr().out
