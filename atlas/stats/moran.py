"""Global Moran's I and local Moran (LISA) clusters, repeatable from run to run.

Both use esda on the weights of :mod:`atlas.stats.weights`. Inference is by
permutation with a fixed seed, without touching anyone else's random state:

* **Global Moran's I**: esda gives I, its expectation and the analytical
  moments. The permutation test is esda's (the same replicates statistic and
  pseudo p-value, ``(min(#I_sim >= I, #I_sim < I) + 1) / (permutations + 1)``),
  but vectorised: the permutations come from a private
  ``numpy.random.default_rng(seed)`` in one call and are evaluated in one
  sparse product, where esda loops in Python over NumPy's global generator.
  The areas are permuted in code order, so the result does not depend on the
  order of the rows. The p-values agree with esda's up to Monte Carlo error
  (tested), and are identical from run to run.
* **Local Moran**: esda's ``Moran_Local(seed=...)`` reseeds NumPy's global
  generator; the call runs under a lock and the global state is restored.

Areas without a value are left out (and listed); an area with no neighbour is
never a cluster or outlier: it is labelled "No neighbours" (esda 2.9 reports
such islands as significant).
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import StatisticError
from .weights import SpatialWeights

DEFAULT_PERMUTATIONS = 999
DEFAULT_SEED = 12345
DEFAULT_ALPHA = 0.05
#: Fewest areas with values any area statistic is computed for.
MIN_AREAS = 3
#: Replicates of Moran's I within this (relative) distance of the observed I count as ties in the pseudo p-value.
TIE_TOLERANCE = 1e-10
#: LISA categories, in legend order (colours: ``atlas.classify.LISA_COLOURS``).
HIGH_HIGH, LOW_LOW, HIGH_LOW, LOW_HIGH = "High-High", "Low-Low", "High-Low", "Low-High"
NOT_SIGNIFICANT, NO_NEIGHBOURS, NO_DATA = "Not significant", "No neighbours", "No data"
CLUSTERS = (HIGH_HIGH, LOW_LOW, HIGH_LOW, LOW_HIGH, NOT_SIGNIFICANT, NO_NEIGHBOURS, NO_DATA)
#: esda quadrant numbers: 1 HH, 2 LH, 3 LL, 4 HL.
QUADRANTS = {1: HIGH_HIGH, 2: LOW_HIGH, 3: LOW_LOW, 4: HIGH_LOW}
_GLOBAL_RNG_LOCK = threading.Lock()


@dataclass
class MoranResult:
    """Global Moran's I of one indicator over a set of areas.

    Attributes
    ----------
    I : float
        Moran's I.
    expected_I : float
        Its expectation under no spatial autocorrelation, -1 / (n - 1).
    z : float
        Standardised I against the permutation distribution.
    p_sim : float
        Pseudo p-value from the permutations (esda's: the smaller tail, so
        one-sided in the direction of the observed I).
    permutations, seed : int
        Number of permutations and the seed they were drawn with.
    n : int
        Areas with a value (the areas the statistic is over).
    islands : list of str
        Areas with no neighbour among them (kept, with no spatial lag, as esda does).
    snap_tolerance_m : float
        Snapping tolerance of the weights, in metres.
    left_out : list of str
        Areas left out because their value is missing.
    mean_neighbours : float
        Mean number of neighbours per area.
    p_norm : float
        Two-sided p-value under the normality assumption (for reference).
    """

    I: float  # noqa: E741 (the statistic's name)
    expected_I: float
    z: float
    p_sim: float
    permutations: int
    n: int
    islands: list[str]
    snap_tolerance_m: float
    seed: int
    left_out: list[str] = field(default_factory=list)
    mean_neighbours: float = float("nan")
    p_norm: float = float("nan")

    def as_dict(self) -> dict:
        """Plain values (JSON-ready)."""
        return asdict(self)


@dataclass
class PermutationTest:
    """The permutation distribution of a global Moran's I."""

    p_sim: float
    mean: float
    sd: float
    z: float


def moran(values, weights: SpatialWeights, permutations: int = DEFAULT_PERMUTATIONS,
          seed: int = DEFAULT_SEED, name: str | None = None) -> MoranResult:
    """Global Moran's I with a permutation test.

    Parameters
    ----------
    values : pandas.Series or array-like
        Indicator values by area code (a Series is aligned on ``weights.ids``;
        an array must be in that order). Missing values are left out.
    weights : SpatialWeights
        From :func:`atlas.stats.spatial_weights`.
    permutations : int
        Random permutations for the pseudo p-value (default 999; 0 for none).
    seed : int
        Seed of the permutations: the same seed gives the same result.
    name : str, optional
        What the areas are, for messages (e.g. "Luton (E06000032), LSOA (2011)").

    Returns
    -------
    MoranResult

    Raises
    ------
    StatisticError
        Fewer than 3 areas with values, the same value everywhere, or no area
        with a neighbour.
    """
    import esda  # imported when needed: slow to import

    y, present, left_out = aligned_values(values, weights, name)
    w = weights if not left_out else weights.subset(present)
    check_computable(y, len(w.islands), w.snap_tolerance_m, name, "Moran's I")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # islands: 0/0 in esda's standardisation
        result = esda.Moran(y, w.w, transformation="r", permutations=0, two_tailed=True)
    order = np.argsort(np.asarray(w.ids))  # permute in code order: the same p whatever the row order
    matrix = w.w.sparse.tocsr()[order][:, order]
    test = permutation_test(y[order], matrix, float(result.I), permutations, seed)
    return MoranResult(
        I=float(result.I), expected_I=float(result.EI), z=test.z, p_sim=test.p_sim,
        permutations=int(permutations), n=len(y), islands=list(w.islands),
        snap_tolerance_m=w.snap_tolerance_m, seed=int(seed), left_out=left_out,
        mean_neighbours=w.mean_neighbours, p_norm=float(result.p_norm),
    )


def moran_i(y: np.ndarray, matrix: sparse.csr_matrix) -> float:
    """Moran's I of values ``y`` with a row-standardised sparse weights matrix (esda's formula)."""
    z = y - y.mean()
    return float(len(y) / matrix.sum() * (z @ (matrix @ z)) / (z @ z))


def permutation_test(y: np.ndarray, matrix: sparse.csr_matrix, observed: float, permutations: int,
                     seed: int) -> PermutationTest:
    """Pseudo p-value of a global Moran's I by random permutation of the values.

    Each replicate is a random permutation of the values (esda's statistic
    and pseudo p-value), drawn from a private ``numpy.random.default_rng(seed)``
    and evaluated with the others in one matrix product. A replicate within
    ``TIE_TOLERANCE`` (relative) of the observed I counts as equal to it: with
    few areas many permutations give the same I, and whether rounding puts
    such a tie above or below the observed I must not depend on how the
    weights matrix was built (esda compares exactly).

    Parameters
    ----------
    y : numpy.ndarray
        Values, in the order of the matrix rows.
    matrix : scipy.sparse matrix
        Row-standardised weights.
    observed : float
        The observed I.
    permutations : int
        Number of replicates; 0 gives NaNs.
    seed : int

    Returns
    -------
    PermutationTest
    """
    if not permutations:
        nan = float("nan")
        return PermutationTest(nan, nan, nan, nan)
    n = len(y)
    z = y - y.mean()
    rng = np.random.default_rng(seed)
    order = rng.permuted(np.tile(np.arange(n, dtype=np.intp), (permutations, 1)), axis=1)
    shuffled = z[order]                                  # (permutations, n)
    lags = np.asarray(matrix @ shuffled.T).T             # (permutations, n)
    sims = len(z) / matrix.sum() * np.einsum("ij,ij->i", shuffled, lags) / (z @ z)
    # Replicates that equal the observed I mathematically (with few areas many permutations give the same
    # I) differ from it only by rounding, which depends on the order of the sums: count them as equal.
    tie = TIE_TOLERANCE * max(1.0, abs(observed))
    larger = int((sims >= observed - tie).sum())
    larger = min(larger, permutations - larger)
    mean, sd = float(sims.mean()), float(sims.std())
    zval = (observed - mean) / sd if sd > 0 else float("nan")  # every replicate the same I: no z-value
    return PermutationTest((larger + 1.0) / (permutations + 1.0), mean, sd, float(zval))


def lisa(values, weights: SpatialWeights, permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED,
         alpha: float = DEFAULT_ALPHA, fdr: bool = False, name: str | None = None) -> pd.DataFrame:
    """Local Moran (LISA) clusters and outliers.

    Parameters
    ----------
    values : pandas.Series or array-like
        As for :func:`moran`.
    weights : SpatialWeights
    permutations : int
        Conditional permutations per area (default 999).
    seed : int
        Seed: the same seed gives the same labels.
    alpha : float
        Significance level (default 0.05): significant when the pseudo p-value is below it.
    fdr : bool
        Use the false-discovery-rate cut-off (Benjamini-Hochberg, ``esda.fdr``)
        at ``alpha`` instead of ``alpha`` itself.
    name : str, optional
        What the areas are, for messages.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code (every area of ``weights``): ``cluster`` (one of
        ``CLUSTERS``), ``local_i``, ``p_sim`` (NaN for areas with no data or no
        neighbours), ``quadrant`` (the Moran-scatterplot quadrant whether or
        not significant) and ``significant``. ``attrs`` holds the method:
        ``alpha``, ``fdr``, ``p_threshold``, ``permutations``, ``seed``,
        ``snap_tolerance_m``.

    Raises
    ------
    StatisticError
        As for :func:`moran`.
    """
    import esda  # imported when needed: slow to import

    if not 0 < alpha < 1:
        raise StatisticError(f"The significance level must be between 0 and 1 (got {alpha}).")
    if permutations < 1:
        raise StatisticError("LISA clusters need a permutation test: give 1 or more permutations (999 by default).")
    y, present, left_out = aligned_values(values, weights, name)
    w = weights.subset(sorted(present))  # in code order: the same labels whatever the row order
    y = pd.Series(y, index=present).reindex(w.ids).to_numpy()
    check_computable(y, len(w.islands), w.snap_tolerance_m, name, "Local Moran's I (LISA)")
    with seeded_global_rng(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # islands: 0/0 in esda's standardisation
        local = esda.Moran_Local(y, w.w, transformation="r", permutations=permutations, seed=seed)
    table = cluster_table(local, w, weights.ids, alpha, fdr)
    table.attrs.update(permutations=int(permutations), seed=int(seed), snap_tolerance_m=w.snap_tolerance_m,
                       left_out=left_out)
    return table


def cluster_table(local, w: SpatialWeights, ids: list[str], alpha: float = DEFAULT_ALPHA,
                  fdr: bool = False) -> pd.DataFrame:
    """The cluster table of an esda local Moran statistic (``Moran_Local``, ``Moran_Local_BV``, ``Moran_Local_Rate``).

    Parameters
    ----------
    local : esda local statistic
        Computed on ``w`` (its ``p_sim``, ``q`` and ``Is`` in the order of ``w.ids``).
    w : SpatialWeights
        The weights of the areas with values.
    ids : list of str
        Every area to list (those not in ``w`` get ``No data``).
    alpha : float
        Significance level.
    fdr : bool
        Use the false-discovery-rate cut-off (``esda.fdr``) at ``alpha`` instead of ``alpha`` itself.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code: ``cluster`` (one of ``CLUSTERS``; an island is ``No neighbours``, never
        significant), ``local_i``, ``p_sim``, ``quadrant``, ``significant``; ``attrs``: ``alpha``, ``fdr``,
        ``p_threshold``.
    """
    import esda

    island = np.isin(np.asarray(w.ids), w.islands)
    p = np.where(island, np.nan, np.asarray(local.p_sim, dtype=float))
    threshold = float(esda.fdr(p[~island], alpha)) if fdr and (~island).any() else alpha
    quadrant = pd.Series(local.q, index=w.ids).map(QUADRANTS).to_numpy()
    significant = ~island & (p < threshold)
    table = pd.DataFrame({
        "cluster": np.where(island, NO_NEIGHBOURS, np.where(significant, quadrant, NOT_SIGNIFICANT)),
        "local_i": np.where(island, np.nan, np.asarray(local.Is, dtype=float)),
        "p_sim": p,
        "quadrant": np.where(island, None, quadrant),
        "significant": significant,
    }, index=pd.Index(w.ids, name="code")).reindex(ids)
    table.index.name = "code"
    table["cluster"] = table["cluster"].fillna(NO_DATA)
    table["significant"] = table["significant"].fillna(False).astype(bool)
    table.attrs.update(alpha=alpha, fdr=bool(fdr), p_threshold=threshold)
    return table


@contextlib.contextmanager
def seeded_global_rng(seed: int | None = None):
    """Run esda code that reseeds NumPy's global generator under a lock, restoring the global state after.

    esda's local statistics (``Moran_Local``, ``G_Local``, ``Moran_Local_BV`` ...) take ``seed=`` and call
    ``numpy.random.seed``; its global ``Moran_BV`` and ``Moran_Rate`` draw from the global generator without
    a seed. With ``seed`` given, the global generator is seeded with it inside the block. Either way nobody
    else's random state changes, and two threads never interleave their draws.
    """
    with _GLOBAL_RNG_LOCK:
        state = np.random.get_state()
        try:
            if seed is not None:
                np.random.seed(seed)
            yield
        finally:
            np.random.set_state(state)


def lisa_counts(table: pd.DataFrame) -> dict[str, int]:
    """Number of areas in each LISA category, every category listed (zeros included)."""
    counts = table["cluster"].value_counts()
    return {label: int(counts.get(label, 0)) for label in CLUSTERS}


def aligned_values(values, weights: SpatialWeights, name: str | None):
    """Values in the order of ``weights.ids``; the codes with a value; the codes without."""
    if isinstance(values, pd.Series):
        index = values.index.astype(str)
        if index.has_duplicates:
            repeated = sorted(set(index[index.duplicated()]))
            raise StatisticError(f"Values repeat for {len(repeated)} area(s) of {name or 'these areas'}: "
                                 f"{', '.join(repeated[:10])}; give one value per area.")
        unknown = sorted(set(index) - set(weights.ids))
        if unknown:
            raise StatisticError(
                f"{len(unknown)} value(s) are for areas not in the weights of {name or 'these areas'}: "
                f"{', '.join(unknown[:10])}.")
        series = pd.Series(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float), index=index)
        series = series.reindex(weights.ids)
    else:
        array = np.asarray(values, dtype=float).ravel()
        if len(array) != weights.n:
            raise StatisticError(f"{len(array)} values were given for the {weights.n} areas of "
                                 f"{name or 'these areas'}; give one per area, in the weights' order.")
        series = pd.Series(array, index=weights.ids)
    missing = series.isna() | ~np.isfinite(series.fillna(0).to_numpy())
    present = series.index[~missing].tolist()
    return series[~missing].to_numpy(dtype=float), present, series.index[missing].tolist()


def check_computable(y: np.ndarray, islands: int, snap_tolerance_m: float, name: str | None,
                     statistic: str) -> None:
    """Raise a :class:`StatisticError` saying why ``statistic`` cannot be computed, if it cannot.

    ``y`` holds the values of the areas it is over, ``islands`` how many of
    those areas have no neighbour among them. Shared by :func:`moran`,
    :func:`lisa` and the all-districts path, so each gives the same reason.
    """
    what = name or "these areas"
    if len(y) < MIN_AREAS:
        raise StatisticError(f"{statistic} cannot be computed for {what}: it needs at least {MIN_AREAS} areas "
                             f"with a value, and there {'is' if len(y) == 1 else 'are'} {len(y)}.")
    if np.ptp(y) == 0:
        raise StatisticError(f"{statistic} cannot be computed for {what}: every area has the same value "
                             f"({y[0]:g}), so there is no variation to relate to neighbours.")
    if islands == len(y):
        raise StatisticError(f"{statistic} cannot be computed for {what}: no area has a neighbour within the "
                             f"{snap_tolerance_m:g} m snapping tolerance.")
