"""FGMC: signal and noise counts and p_astro (Farr, Gair, Mandel & Chen 2015; Kapadia et al. 2020).

Triggers above threshold are independent Poisson processes: noise with expected count L_T and
one count L_a per astrophysical class a. For triggers with foreground/background density ratio
K_j = f(x_j) / b(x_j) and template weights w_a(j), w_T(j) the likelihood is

    exp(-(L_T + sum_a L_a)) * prod_j [L_T w_T(j) b(x_j) + sum_a L_a w_a(j) f(x_j)].

Two integration methods (``method=``):

``"p-astro"``, GstLAL's ``p-astro`` 1.0.2 scheme, reproduced to rounding: the counts posterior
is evaluated on a tensor grid of 20-point Gauss rules, one axis per free count:

* each astrophysical count L_a on Gauss-Laguerre nodes, whose weight function exp(-L_a) is the
  Poisson factor exactly (uniform prior; Jeffreys prior: generalised Laguerre, alpha = -1/2);
* the terrestrial count, whose factor exp(-L_T) L_T**N is replaced by a Gaussian of mean N and
  variance N, on Gauss-Hermite nodes L_T = N + sqrt(2N) h.

Its largest Laguerre node is 66.52: an astrophysical count whose posterior lies beyond ~50 is
not resolved, and the "mean" collapses onto that node (SPIIR's O3 triggers under the SNR/FAR
model give exactly 66.5244..., the node, while the posterior mean is several hundred).

``"exact"`` (default where it applies: one astrophysical class, no fixed counts): with total
lam = L_A + L_T and fraction f = L_A / lam the posterior factorises exactly,

    p(lam, f) ∝ exp(-lam) lam**(N+1) * prod_j (1 - f + f K'_j),   K'_j = w_A(j) K_j / w_T(j)

(uniform prior; Jeffreys: lam**N and f**-1/2 (1-f)**-1/2), so lam ~ Gamma(N+2) (Jeffreys
Gamma(N+1)) and f needs one 1-D integral. Its log-density is concave: Newton finds the mode,
the integration window extends until the density has fallen by e**-40, and 96 Gauss-Legendre
nodes in theta (f = sin(theta)**2, smooth for both priors) integrate it to double precision.
Speed (``"p-astro"`` method): in the two-component model the log-likelihood depends on L_A / L_T only, through
S(r) = sum_j log(1 + r K_j). For the many triggers with small r K_j we use the power sums
P_k = sum_j K_j**k once (S = sum_k (-1)**(k+1) r**k P_k / k, truncated below double-precision
rounding) and evaluate the few large terms directly: O(N) work instead of O(N x 400). With up
to three astrophysical classes the same holds with multivariate moments (``_log_sum_1p_multi``).
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

import numpy as np

log = logging.getLogger(__name__)

TERRESTRIAL = "Terrestrial"
N_NODES = 20                 # p-astro's quadrature order
_SERIES_X_MAX = 0.25         # r K_j below this goes through the power-sum series
_SERIES_TERMS = 30           # 0.25**31 / 31 < 1e-20: below double rounding


def snr_far_bayes_factor(far, snr, far_star: float, snr_star: float, snr_cap: float | None = None,
                         far_cap: float | None = None) -> np.ndarray:
    """Foreground/background ratio of the simple SNR/FAR density model (p-astro ``get_f_over_b``).

    f/b = (3 snr_star**3 / snr**4) / (far / far_star): signals fall as snr**-4 above threshold
    (uniform in volume), noise at the pipeline's false-alarm rate ``far`` (Hz, as ``far_star``).
    With ``snr_cap`` and ``far_cap`` (p-astro's ``choose_snr``), triggers with far < far_cap and
    snr > snr_cap use snr_cap.
    """
    far = np.asarray(far, dtype=np.float64)
    snr = np.asarray(snr, dtype=np.float64)
    if snr_cap is not None and far_cap is not None:
        snr = np.where((far < far_cap) & (snr > snr_cap), snr_cap, snr)
    return (3.0 * snr_star ** 3 / snr ** 4) / (far / far_star)


def hard_cut_weights(mass1, mass2) -> dict[str, np.ndarray]:
    """Template weights from component-mass cuts (MBTA, PyCBC, SPIIR in p-astro), 1 or 0 per class.

    BNS: both masses <= 3; BBH: both > 5; NSBH: lighter <= 3 < heavier (Msun). A trigger with
    both masses in (3, 5] has no astrophysical weight.
    """
    m1 = np.asarray(mass1, dtype=np.float64)
    m2 = np.asarray(mass2, dtype=np.float64)
    lo, hi = np.minimum(m1, m2), np.maximum(m1, m2)
    return {"BNS": ((m1 <= 3) & (m2 <= 3)).astype(float),
            "NSBH": ((lo <= 3) & (hi > 3)).astype(float),
            "BBH": ((m1 > 5) & (m2 > 5)).astype(float)}


def p_astro_from_counts(bayes_factor, mean_counts: dict[str, float],
                        weights: dict[str, np.ndarray] | None = None, num_bins: float = 1.0):
    """Per-trigger class probabilities from posterior mean counts (p-astro ``pastro_update``).

    p_a = <L_a> K_a / (<L_T> + sum_b <L_b> K_b) with K_a = num_bins * w_a * bayes_factor and
    p_Terrestrial = <L_T> / (same denominator). ``mean_counts`` holds one entry per class and a
    ``"Terrestrial"`` (or ``"Terr"``) entry; ``counts_`` prefixes (p-astro files) are accepted.
    Without ``weights`` every class has weight 1. Returns a pandas.DataFrame, one column per class.
    """
    import pandas as pd

    bf = np.atleast_1d(np.asarray(bayes_factor, dtype=np.float64))
    counts = {k.removeprefix("counts_"): float(v) for k, v in mean_counts.items()}
    terr_key = TERRESTRIAL if TERRESTRIAL in counts else "Terr"
    if terr_key not in counts:
        raise ValueError(f"mean_counts needs a Terrestrial count, got keys {sorted(mean_counts)}")
    terr = counts.pop(terr_key)
    weights = weights or {}
    missing = [k for k in weights if k not in counts]
    if missing:
        raise ValueError(f"weights for classes {missing} without mean counts")
    terms = {k: c * num_bins * bf * np.asarray(weights.get(k, 1.0), dtype=np.float64)
             for k, c in counts.items()}
    denom = terr + sum(terms.values())
    out = {k: v / denom for k, v in terms.items()}
    out[TERRESTRIAL] = terr / denom
    return pd.DataFrame(out)


def _log_sum_1p(ratios: np.ndarray, k: np.ndarray) -> np.ndarray:
    """S(r) = sum_j log(1 + r K_j) for every r in ``ratios`` (power-sum series + direct tail).

    Terms with |r K_j| <= 1/4 for every r go through the series; requires 1 + r K_j > 0.
    """
    r_max = float(np.max(np.abs(ratios))) if ratios.size else 0.0
    small = np.abs(k) * r_max <= _SERIES_X_MAX
    ks = k[small]
    powers = np.empty(_SERIES_TERMS)
    pw = np.ones_like(ks)
    for i in range(_SERIES_TERMS):
        pw = pw * ks
        powers[i] = pw.sum()
    orders = np.arange(1, _SERIES_TERMS + 1)
    coeff = ((-1.0) ** (orders + 1) / orders) * powers
    out = np.polynomial.polynomial.polyval(ratios, np.concatenate([[0.0], coeff]))
    big = k[~small]
    if big.size:
        out = out + np.log1p(ratios[:, None] * big[None, :]).sum(axis=1)
    return out


_MULTI_X_MAX = 0.1       # multi-class series: |x| <= 0.1 ...
_MULTI_TERMS = 17        # ... and 17 orders: 0.1**18 / 18 < 1e-19


def _log_sum_1p_multi(y: np.ndarray, v: np.ndarray, chunk: int = 4_000_000) -> np.ndarray:
    """sum_j log(1 + sum_a y[g, a] v[a, j]) for every row g of ``y`` (y, v >= 0).

    For up to three classes, triggers with x <= 0.1 at every node use the multivariate series
    sum_k (-1)**(k+1)/k sum_{|alpha|=k} multinomial(k; alpha) y**alpha M_alpha with the
    moments M_alpha = sum_j prod_a v[a, j]**alpha_a (computed once, as matrix products);
    the others are summed directly.
    """
    from math import factorial

    n_g, n_c = y.shape
    out = np.zeros(n_g)
    small = np.zeros(v.shape[1], dtype=bool)
    if 1 <= n_c <= 3:
        small = (y.max(axis=0) @ v) <= _MULTI_X_MAX
    if small.any():
        k = _MULTI_TERMS
        pv = v[:, small][:, None, :] ** np.arange(k + 1)[None, :, None]      # (C, K+1, Ns)
        py = y[:, :, None] ** np.arange(k + 1)[None, None, :]               # (G, C, K+1)
        # moments tensor M[p0, .., p_{C-1}] and the series coefficient of each multi-index
        prod = pv[0]
        for a in range(1, n_c - 1):
            prod = (prod[:, None, :] * pv[a][None, :, :]).reshape(-1, prod.shape[-1])
        moments = prod @ pv[-1].T if n_c > 1 else prod.sum(axis=1)
        grids = np.indices((k + 1,) * n_c).reshape(n_c, -1)
        order = grids.sum(axis=0)
        fact = np.array([factorial(i) for i in range(k + 1)], dtype=np.float64)
        coeff = np.zeros(order.size)
        ok = (order >= 1) & (order <= k)
        coeff[ok] = ((-1.0) ** (order[ok] + 1) / order[ok] * fact[order[ok]]
                     / np.prod(fact[grids[:, ok]], axis=0))
        t = (coeff * moments.reshape(-1)).reshape(k + 1, -1)                 # (K+1, (K+1)**(C-1))
        a = py[:, 0, :] @ t
        b = np.ones((n_g, 1))
        for c in range(1, n_c):
            b = (b[:, :, None] * py[:, c, None, :]).reshape(n_g, -1)
        out += (a * b).sum(axis=1)
    big = v[:, ~small]
    if big.shape[1]:
        step = max(1, chunk // big.shape[1])
        for s in range(0, n_g, step):
            out[s:s + step] += np.log1p(y[s:s + step] @ big).sum(axis=1)
    return out


@dataclass
class CountsPosterior:
    """FGMC posterior on expected counts, evaluated on p-astro's Gauss quadrature grid.

    Build it with :func:`fit_counts`. ``nodes`` holds the counts at each grid node (one column
    per class, then Terrestrial) and ``log_weight`` the normalised log posterior mass of each node.
    """

    classes: list[str]
    nodes: np.ndarray            # (G, n_classes + 1): astrophysical counts, then terrestrial
    log_weight: np.ndarray       # (G,) normalised: logsumexp == 0
    f_over_b: np.ndarray
    weights: np.ndarray          # (n_classes, N) astrophysical template weights
    terr_weight: np.ndarray      # (N,)
    prior: str = "uniform"
    extra: dict = field(default_factory=dict)

    @property
    def mean_counts(self) -> dict[str, float]:
        """Posterior mean of each expected count (classes, then ``"Terrestrial"``)."""
        p = np.exp(self.log_weight)
        means = p @ self.nodes
        return dict(zip([*self.classes, TERRESTRIAL], map(float, means), strict=True))

    def p_astro(self, bayes_factor=None, weights: dict[str, np.ndarray] | None = None):
        """Per-trigger class probabilities from the posterior means (what online pipelines report).

        Defaults to this posterior's own triggers; pass ``bayes_factor`` (and ``weights``) for new ones.
        """
        if bayes_factor is None:
            bayes_factor = self.f_over_b
            weights = dict(zip(self.classes, self.weights, strict=True))
        return p_astro_from_counts(bayes_factor, self.mean_counts, weights)

    def p_astro_marginal(self, index=None, chunk: int = 2_000_000):
        """Per-trigger class probabilities averaged over the counts posterior (p-astro ``pastro``).

        E[L_a w_a(j) K_j / (L_T w_T(j) + K_j sum_b L_b w_b(j))] over the quadrature nodes, for the
        triggers ``index`` (default all).
        """
        import pandas as pd

        idx = np.arange(self.f_over_b.size) if index is None else np.atleast_1d(np.asarray(index))
        fb, w, w_t = self.f_over_b[idx], self.weights[:, idx], self.terr_weight[idx]
        p = np.exp(self.log_weight)
        out = np.zeros((len(self.classes) + 1, idx.size))
        step = max(1, chunk // max(len(p), 1))
        for s in range(0, idx.size, step):
            sl = slice(s, s + step)
            astro = self.nodes[:, :-1, None] * (w[None, :, sl] * fb[sl])   # (G, C, n)
            terr = self.nodes[:, -1, None] * w_t[sl]                        # (G, n)
            denom = terr + astro.sum(axis=1)
            out[:-1, sl] = np.einsum("g,gcn->cn", p, astro / denom[:, None, :])
            out[-1, sl] = p @ (terr / denom)
        return pd.DataFrame(dict(zip([*self.classes, TERRESTRIAL], out, strict=True)), index=idx)


@functools.lru_cache(maxsize=8)
def _rules(n_nodes: int, prior: str):
    """Gauss-(generalised) Laguerre and Gauss-Hermite nodes and log weights."""
    from scipy.special import roots_genlaguerre, roots_hermite

    lag_x, lag_w = roots_genlaguerre(n_nodes, -0.5 if prior == "jeffreys" else 0.0)
    her_x, her_w = roots_hermite(n_nodes)
    return lag_x, np.log(lag_w), her_x, np.log(her_w)


def _grid(free: list[str], prior: str, terr_shift: float, n_nodes: int):
    """Quadrature nodes and log weights per free count (p-astro's Laguerre / Hermite rules)."""
    lag_x, lag_lw, her_x, her_lw = _rules(n_nodes, prior)
    axes = []
    for key in free:
        if key == TERRESTRIAL:
            lam = her_x * np.sqrt(2 * terr_shift) + terr_shift
            logw = her_lw + 0.5 * np.log(2 * terr_shift)
            if prior == "jeffreys":
                logw = logw - 0.5 * np.log(lam)
            axes.append((lam, logw))
        else:
            axes.append((lag_x, lag_lw))
    lams = np.stack([g.ravel() for g in np.meshgrid(*[a[0] for a in axes], indexing="ij")], axis=1)
    logw = sum(g.ravel() for g in np.meshgrid(*[a[1] for a in axes], indexing="ij"))
    return lams, logw


_EXACT_NODES = 48      # Gauss-Legendre nodes per panel, two panels
_WINDOW_DROP = 40.0    # integrate until the log-density has fallen this much


def _log_f_density(f: np.ndarray, d: np.ndarray) -> np.ndarray:
    """sum_j log(1 + f d_j) for each f (d_j = K'_j - 1 >= -1), via the power-sum series."""
    return _log_sum_1p(np.atleast_1d(np.asarray(f, dtype=np.float64)), d)


def _f_mode(d: np.ndarray) -> float:
    """Mode of the concave sum_j log(1 + f d_j) on [0, 1]: safeguarded Newton."""
    def grad(f):
        q = d / (1.0 + f * d)
        return q.sum(), -(q * q).sum()

    g0, _ = grad(0.0)
    if g0 <= 0:
        return 0.0
    g1, _ = grad(1.0 - 1e-15) if np.all(d > -1) else (-np.inf, 0.0)
    if g1 >= 0:
        return 1.0
    lo, hi, f = 0.0, 1.0, 0.5
    for _ in range(100):
        g, h = grad(f)
        if g > 0:
            lo = f
        else:
            hi = f
        step = f - g / h if h < 0 else 0.5 * (lo + hi)
        f_new = step if lo < step < hi else 0.5 * (lo + hi)
        if abs(f_new - f) <= 1e-10 * f or hi - lo <= 1e-12 * hi:  # the mode only centres the window
            return f_new
        f = f_new
    return f


def _f_window(d: np.ndarray, mode: float) -> tuple[float, float]:
    """[lo, hi] in f outside which the likelihood is below e**-40 of its peak."""
    def density(f):  # one point: a direct sum is cheaper than the power sums
        return float(np.log1p(f * d).sum())

    peak = density(mode)
    curv = ((d / (1.0 + mode * d)) ** 2).sum()
    step0 = 1.0 / np.sqrt(curv) if curv > 0 else 1.0
    ends = []
    for sign in (-1.0, 1.0):
        step, edge = step0, mode
        while True:
            trial = min(max(mode + sign * step, 0.0), 1.0)
            if trial in (0.0, 1.0) or peak - density(trial) > _WINDOW_DROP:
                edge = trial
                break
            step *= 2.0
        ends.append(edge)
    return ends[0], ends[1]


def _fit_exact(fb: np.ndarray, w: np.ndarray, w_t: np.ndarray, classes: list[str], prior: str):
    """Two-component posterior by the exact lam/f factorisation (see module docstring)."""
    k_eff = w[0] * fb / w_t
    d = k_eff - 1.0
    n = fb.size
    lo, hi = _f_window(d, _f_mode(d))
    t_lo, t_hi = np.arcsin(np.sqrt(lo)), np.arcsin(np.sqrt(hi))
    x, gw = np.polynomial.legendre.leggauss(_EXACT_NODES)
    edges = np.linspace(t_lo, t_hi, 3)
    theta = np.concatenate([0.5 * (b - a) * x + 0.5 * (b + a) for a, b in zip(edges[:-1], edges[1:], strict=True)])
    wq = np.concatenate([0.5 * (b - a) * gw for a, b in zip(edges[:-1], edges[1:], strict=True)])
    f = np.sin(theta) ** 2
    # df = 2 sin cos dtheta; the Jeffreys factor f**-1/2 (1-f)**-1/2 cancels it up to a constant
    jac = np.zeros_like(theta) if prior == "jeffreys" else np.log(np.sin(2.0 * theta))
    logp = _log_f_density(f, d) + jac + np.log(wq)
    logp -= logp.max()
    logp -= np.log(np.exp(logp).sum())
    lam = n + (1.0 if prior == "jeffreys" else 2.0)     # mean of the Gamma posterior of the total
    nodes = np.column_stack([lam * f, lam * (1.0 - f)])
    return CountsPosterior(classes, nodes, logp, fb, w, w_t, prior, {"method": "exact", "f_window": (lo, hi)})


def _outer_node_mass(post: CountsPosterior, free: list[str], n_nodes: int) -> float:
    """Posterior mass on the largest Laguerre node of any free astrophysical count."""
    top = _rules(n_nodes, post.prior)[0].max()
    p = np.exp(post.log_weight)
    cols = [i for i, c in enumerate(post.classes) if c in free]
    return max((float(p[post.nodes[:, i] == top].sum()) for i in cols), default=0.0)


def fit_counts(f_over_b, weights: dict[str, np.ndarray] | None = None, terr_weight=None, *,
               prior: str = "uniform", fixed: dict[str, float] | None = None,
               method: str = "auto", n_nodes: int = N_NODES, chunk: int = 4_000_000) -> CountsPosterior:
    """Posterior on the expected counts of noise and of each astrophysical class.

    Parameters
    ----------
    f_over_b : array (N,)
        foreground/background density ratio of each trigger's ranking statistic.
    weights : dict class -> array (N,), optional
        template (or SVD-bin) weights w_a(j) = p(template | class); default one class ``"Astro"``
        with weight 1 (the two-component model).
    terr_weight : array (N,), optional
        noise template weights w_T(j); default 1.
    prior : ``"uniform"`` or ``"jeffreys"`` (1 / sqrt(L) per count).
    fixed : dict, optional
        counts held fixed (e.g. ``{"Terrestrial": N}``, as in p-astro's multi-class test).
    method : ``"auto"``, ``"exact"`` or ``"p-astro"``
        ``"auto"``: exact for one astrophysical class without fixed counts, else p-astro's grid.

    See the module docstring for how the posterior is integrated.
    """
    fb, w, w_t, classes, fixed, prior = _checked_inputs(f_over_b, weights, terr_weight, fixed, prior)
    method = method.lower()
    exact_ok = len(classes) == 1 and not fixed
    if method not in ("auto", "exact", "p-astro"):
        raise ValueError(f"method must be 'auto', 'exact' or 'p-astro', got {method!r}")
    if method == "exact" and not exact_ok:
        raise ValueError("method='exact' needs one astrophysical class and no fixed counts; use 'p-astro'")
    if method in ("auto", "exact") and exact_ok:
        post = _fit_exact(fb, w, w_t, classes, prior)
        log.info("FGMC fit (exact) on %d triggers: mean counts %s", fb.size,
                 {k: round(v, 4) for k, v in post.mean_counts.items()})
        return post
    return _fit_grid(fb, w, w_t, classes, fixed, prior, n_nodes, chunk)


def _checked_inputs(f_over_b, weights, terr_weight, fixed, prior):
    """(f/b (N,), class weights (C, N), noise weights (N,), class names, fixed counts, prior),
    checked: finite non-negative f/b, known prior and fixed classes."""
    fb = np.asarray(f_over_b, dtype=np.float64).ravel()
    n = fb.size
    if n == 0:
        raise ValueError("fit_counts needs at least one trigger")
    if not np.all(np.isfinite(fb)) or np.any(fb < 0):
        bad = np.flatnonzero(~np.isfinite(fb) | (fb < 0))[:5]
        raise ValueError(f"f_over_b must be finite and >= 0; bad values at indices {bad.tolist()}")
    prior = prior.lower()
    if prior not in ("uniform", "jeffreys"):
        raise ValueError(f"prior must be 'uniform' or 'jeffreys', got {prior!r}")
    weights = {"Astro": np.ones(n)} if not weights else weights
    classes = list(weights)
    w = np.stack([np.broadcast_to(np.asarray(weights[c], dtype=np.float64), (n,)) for c in classes])
    w_t = np.ones(n) if terr_weight is None else np.broadcast_to(np.asarray(terr_weight, np.float64), (n,))
    fixed = dict(fixed or {})
    unknown = set(fixed) - {*classes, TERRESTRIAL}
    if unknown:
        raise ValueError(f"fixed counts for unknown classes {sorted(unknown)}")
    return fb, w, np.asarray(w_t, dtype=np.float64), classes, fixed, prior


def _fit_grid(fb, w, w_t, classes, fixed, prior, n_nodes, chunk) -> CountsPosterior:
    """p-astro's method: the posterior on a Gauss-Laguerre/Hermite grid of the free counts."""
    n = fb.size
    keys = [*classes, TERRESTRIAL]
    free = [k for k in keys if k not in fixed]
    if not free:
        raise ValueError("every count is fixed: nothing to fit")
    lams, logw = _grid(free, prior, float(n), n_nodes)
    nodes = np.empty((len(lams), len(keys)))
    for i, k in enumerate(keys):
        nodes[:, i] = lams[:, free.index(k)] if k in free else fixed[k]
    lam_t = nodes[:, -1]
    if len(classes) == 1 and np.all(w_t == 1) and np.all(w[0] == 1):
        ll = _log_sum_1p(nodes[:, 0] / lam_t, fb)          # two-component fast path
    else:
        v = w * (fb / w_t)                                   # (C, N)
        ll = _log_sum_1p_multi(nodes[:, :-1] / lam_t[:, None], v, chunk) + np.log(w_t).sum()
    # A fixed L_T contributes a constant Poisson factor; a free one sits in the Hermite weight.
    # With the Jeffreys prior, Laguerre(alpha=-1/2) carries L_a**-1/2 of free astrophysical counts.
    logp = ll + logw
    logp -= logp.max()
    logp -= np.log(np.exp(logp).sum())
    post = CountsPosterior(classes, nodes, logp, fb, w, w_t, prior, {"method": "p-astro"})
    edge = _outer_node_mass(post, free, n_nodes)
    if edge > 1e-3:
        log.warning("FGMC p-astro quadrature: %.1f%% of the posterior sits on the outermost Laguerre node; "
                    "the astrophysical counts exceed what 20 nodes resolve (use method='exact')", 100 * edge)
    log.info("FGMC fit on %d triggers: mean counts %s", n,
             {k: round(v, 4) for k, v in post.mean_counts.items()})
    return post
