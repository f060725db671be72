"""Small-area estimates from practice figures, and the catchments of practices.

A GP practice publishes its disease registers (QOF) but not where the patients on
them live; NHS Digital publishes how many of each practice's registered patients
live in each LSOA. Apportioning every practice's register and list to the LSOAs
by those shares gives a small-area estimate of each register, the method of the
House of Commons Library's "local health data from QOF":

* for practice p, ``s(p, l)`` is the share of its registered patients who live in
  LSOA l: its patients in l over its patients in every LSOA (rows whose area is
  unknown, e.g. ``NO2011``, are left out of both and counted);
* the register estimated in l is ``R(l) = sum_p REGISTER(p) s(p, l)``, the list
  ``L(l) = sum_p LIST(p) s(p, l)`` (with the register's own list: aged 18+ for
  obesity), and the estimated prevalence is ``R(l) / L(l)``.

R and L are counts, so larger areas (wards, MSOAs, LSOA 2021) get theirs by
summing, never by averaging prevalences. The estimate assumes a practice's
prevalence is the same wherever its patients live; it has no sampling interval,
so areas are not judged Better/Similar/Worse.

Everything here is a pure function of DataFrames; :mod:`atlas.build` reads the
files a ``[estimate]`` spec names and calls these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from .readers import member_of, normalise_codes, to_number

#: The method in one line, shown with every estimate layer.
METHOD_LINE = ("Estimated: each practice's QOF register and list shared among the LSOAs its registered "
               "patients live in, in proportion to its patients there; prevalence = summed register / summed list.")
#: How many practices a report lists in full.
LIST_LIMIT = 250


@dataclass
class PatientShares:
    """Where each practice's registered patients live.

    Attributes
    ----------
    rows : pandas.DataFrame
        One row per practice and area with a count (as in the file; a repeated pair
        adds up): ``practice``, ``area``, ``patients``, ``share`` (of the practice's
        patients in known areas; each practice's shares sum to 1) and ``practice_id``
        (the practice's position in ``totals``).
    totals : pandas.Series
        Patients of each practice in known areas (the share denominators), by
        practice; only practices with some.
    report : dict
        ``unknown_area_rows`` / ``unknown_area_patients`` (rows such as ``NO2011``,
        left out), ``suppressed_rows`` and ``suppressed_practices`` (counts that are
        not numbers, left out), ``zero_practices`` (practices with no patient in a
        known area: no share, nothing apportioned).
    """

    rows: pd.DataFrame
    totals: pd.Series
    report: dict = field(default_factory=dict)


def patient_shares(table: pd.DataFrame, practice: str, area: str, patients: str,
                   unknown_areas=()) -> PatientShares:
    """Each practice's share of its registered patients living in each area.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per practice and area of residence (NHS Digital's patients by LSOA).
    practice, area, patients : str
        Columns holding the practice code, the area code and the number of patients.
    unknown_areas : iterable of str
        Area codes meaning "no area" (``NO2011``): left out of the shares and counted.

    Returns
    -------
    PatientShares
        Suppressed or non-numeric counts (``*``) and negative counts are left out and
        counted; a practice with no patient in a known area gets no share (listed),
        never a division by zero.
    """
    codes = normalise_codes(table[practice])
    areas = normalise_codes(table[area])
    counts = to_number(table[patients]).to_numpy(dtype=float)
    unknown = member_of(areas, [str(a).upper() for a in unknown_areas]) | areas.isna().to_numpy()
    with np.errstate(invalid="ignore"):
        suppressed = (np.isnan(counts) | (counts < 0)) & ~unknown
    known = ~unknown & ~suppressed & codes.notna().to_numpy()
    practice_id, practices = pd.factorize(codes[known])
    totals = np.bincount(practice_id, weights=counts[known], minlength=len(practices))
    positive = totals > 0
    # practices renumbered so that only those with patients keep an id (the order of ``totals``)
    new_id = np.cumsum(positive) - 1
    keep = positive[practice_id]
    rows = pd.DataFrame({"practice": codes[known][keep].to_numpy(), "area": areas[known][keep].to_numpy(),
                         "patients": counts[known][keep]})
    rows["practice_id"] = new_id[practice_id[keep]]
    rows["share"] = rows["patients"].to_numpy() / totals[practice_id[keep]]
    all_codes = set(codes.dropna().unique())
    zero = sorted(all_codes - set(practices[positive]))
    totals = pd.Series(totals[positive], index=pd.Index(practices[positive], dtype=object), name="patients")
    report = {
        "rows": int(len(table)), "practices": len(all_codes),
        "unknown_area_rows": int(unknown.sum()),
        "unknown_area_patients": float(np.nansum(counts[unknown])),
        "suppressed_rows": int(suppressed.sum()),
        "suppressed_practices": _short(sorted(set(codes[suppressed].dropna()))),
        "zero_practices": _short(zero), "n_zero_practices": len(zero),
    }
    return PatientShares(rows, totals, report)


def practices_in(shares: PatientShares, areas) -> PatientShares:
    """The shares of the practices with patients living in ``areas`` (a district's), with all their rows.

    Each practice keeps every row, so its shares are still those of its whole
    list and its catchment reaches beyond the areas; ``totals`` and ``report``
    stay those of the whole file (so the practices of one file missing from the
    other are reported as for the whole file).

    Parameters
    ----------
    shares : PatientShares
    areas : iterable of str

    Returns
    -------
    PatientShares
    """
    ids = shares.rows["practice_id"].to_numpy()
    wanted = np.zeros(len(shares.totals), dtype=bool)
    wanted[ids[member_of(shares.rows["area"], pd.Index(list(areas)))]] = True
    rows = shares.rows[wanted[ids]].reset_index(drop=True)
    report = {**shares.report, "practices_with_patients_in_areas": int(wanted.sum())}
    return PatientShares(rows, shares.totals, report)


def practice_registers(values: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """A practice register and list table checked for apportioning.

    Parameters
    ----------
    values : pandas.DataFrame
        Indexed by practice code, with ``numerator`` (the register) and
        ``denominator`` (its list), as :func:`atlas.readers.indicator_frame` gives.

    Returns
    -------
    (pandas.DataFrame, list of dict)
        The usable practices (``register``, ``list``), and the practices left out:
        code, register, list and why (missing value, an empty list, or a register
        larger than its list).
    """
    codes = normalise_codes(values.index.to_series()).to_numpy(dtype=object)
    register = pd.to_numeric(values["numerator"], errors="coerce").to_numpy(dtype=float)
    size = pd.to_numeric(values["denominator"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        why = np.select([np.isnan(register) | np.isnan(size), size <= 0, register < 0, register > size],
                        ["register or list missing", "list is zero", "negative register",
                         "register larger than its list"], "")
    bad = why != ""
    left_out = [{"code": str(c), "register": _plain(r), "list": _plain(n), "why": str(w)}
                for c, r, n, w in zip(codes[bad], register[bad], size[bad], why[bad])]
    good = pd.DataFrame({"register": register[~bad], "list": size[~bad]}, index=pd.Index(codes[~bad], dtype=object))
    return good[~good.index.duplicated()], left_out


@dataclass
class Estimates:
    """Registers and lists estimated by area.

    Attributes
    ----------
    register, list : pandas.DataFrame
        Indexed by area code, one column per register id: R(l) and L(l).
    report : dict
        Per register: practices used, practices left out (and why), the register
        and list totals apportioned; and the practices of one file missing from the other.
    """

    register: pd.DataFrame
    list: pd.DataFrame
    report: dict

    def prevalence(self, scale: float = 100.0) -> pd.DataFrame:
        """R(l) / L(l) x ``scale`` by area and register; no value where L(l) is 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.register / self.list.where(self.list > 0)) * scale


@dataclass
class Apportioning:
    """Every practice's checked registers and lists, ready to apportion (independent of the areas asked for).

    Attributes
    ----------
    practices : pandas.Index
        Practice codes with patients in known areas (the columns of the share matrix).
    register, list : numpy.ndarray
        Practices x registers: the register and list apportioned (0 where a practice is left out).
    registers : list of str
        Register ids, in column order.
    report : dict
        As :attr:`Estimates.report`.
    """

    practices: pd.Index
    register: np.ndarray
    list: np.ndarray
    registers: list
    report: dict


def prepare(shares: PatientShares, registers: dict[str, pd.DataFrame]) -> Apportioning:
    """Check every practice's registers (:func:`practice_registers`) and line them up with the patient file.

    Parameters
    ----------
    shares : PatientShares
    registers : dict
        Register id -> practice table indexed by practice code with ``numerator``
        (register) and ``denominator`` (the register's list).

    Returns
    -------
    Apportioning
    """
    practices = pd.Index(shares.totals.index.to_numpy(dtype=object), dtype=object)  # the order of practice_id
    register_m = np.zeros((len(practices), len(registers)))
    list_m = np.zeros_like(register_m)
    report: dict = {"registers": {}}
    for j, (rid, values) in enumerate(registers.items()):
        good, left_out = practice_registers(values)
        used = good.reindex(practices)
        register_m[:, j] = used["register"].fillna(0.0).to_numpy()
        list_m[:, j] = used["list"].fillna(0.0).to_numpy()
        report["registers"][rid] = {
            "practices_used": int(used["register"].notna().sum()), "register_apportioned": float(register_m[:, j].sum()),
            "list_apportioned": float(list_m[:, j].sum()), "left_out": _short(left_out),
            "n_left_out": len(left_out),
        }
    report.update(_unmatched(registers, shares))
    return Apportioning(practices, register_m, list_m, list(registers), report)


def estimate(shares: PatientShares, registers: "dict[str, pd.DataFrame] | Apportioning", areas=None) -> Estimates:
    """Apportion every practice's registers and lists to the areas its patients live in.

    Parameters
    ----------
    shares : PatientShares
        From :func:`patient_shares`.
    registers : dict or Apportioning
        Register id -> practice table indexed by practice code with ``numerator``
        (register) and ``denominator`` (the register's list); or those tables
        already checked by :func:`prepare` (to estimate many districts from one file).
    areas : iterable of str, optional
        Only these areas (a district's LSOAs); every area of the file by default.
        Shares are always those of the practice's whole list, so a district also
        gets its share of practices across its border.

    Returns
    -------
    Estimates
        Areas without any registered patient are absent (no data, not zero).
    """
    ready = registers if isinstance(registers, Apportioning) else prepare(shares, registers)
    rows = shares.rows
    if areas is not None:
        rows = rows[member_of(rows["area"], pd.Index(list(areas)))]
    area_codes, area_index = _factorize(rows["area"])
    practice_index = rows["practice_id"].to_numpy()
    matrix = sparse.csr_matrix((rows["share"].to_numpy(float), (area_index, practice_index)),
                               shape=(len(area_codes), len(ready.practices)))
    out_register = pd.DataFrame(matrix @ ready.register, index=area_codes, columns=ready.registers)
    out_list = pd.DataFrame(matrix @ ready.list, index=area_codes, columns=ready.registers)
    return Estimates(out_register, out_list, ready.report)


def _unmatched(registers: dict[str, pd.DataFrame], shares: PatientShares) -> dict:
    """Practices with registers but no patients in known areas, and practices with patients but no register."""
    counts = {}
    for rid, values in registers.items():  # plain dicts: iterating Arrow-backed indexes is slow
        codes = normalise_codes(values.index.to_series()).to_numpy(dtype=object)
        numbers = pd.to_numeric(values["numerator"], errors="coerce").to_numpy(dtype=float)
        counts[rid] = dict(zip(codes[::-1].tolist(), numbers[::-1].tolist()))  # the first row of a code wins
    with_registers = sorted(set().union(*counts.values())) if counts else []
    in_shares = set(shares.totals.index.to_numpy(dtype=object).tolist())
    listed = [{"code": code, "registers": {rid: _plain(c[code]) for rid, c in counts.items() if code in c}}
              for code in with_registers if code not in in_shares]
    no_registers = shares.totals[~member_of(shares.totals.index.to_series(), with_registers)]
    return {
        "registers_without_patients": _short(listed), "n_registers_without_patients": len(listed),
        "patients_without_registers": _short([{"code": c, "patients": float(p)} for c, p in no_registers.items()]),
        "n_patients_without_registers": int(len(no_registers)),
        "patients_without_registers_total": float(no_registers.sum()),
    }


def national_totals(registers: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """England's value of each register: register over list summed over every practice of the file.

    Returns
    -------
    pandas.DataFrame
        Indexed by register id: ``register``, ``list``, ``practices``.
    """
    rows = {}
    for rid, values in registers.items():
        register = pd.to_numeric(values["numerator"], errors="coerce")
        size = pd.to_numeric(values["denominator"], errors="coerce")
        rows[rid] = {"register": float(register.sum()), "list": float(size.sum()), "practices": int(len(values))}
    return pd.DataFrame.from_dict(rows, orient="index")


def area_totals(estimates: Estimates, areas) -> pd.DataFrame:
    """Summed R and L of each register over ``areas`` (a district's LSOAs).

    Returns
    -------
    pandas.DataFrame
        Indexed by register id: ``register``, ``list``, ``areas`` (how many had patients).
    """
    keep = member_of(estimates.register.index.to_series(), list(areas))
    return pd.DataFrame({"register": estimates.register[keep].sum(), "list": estimates.list[keep].sum(),
                         "areas": int(keep.sum())})


def convert_counts(values: pd.DataFrame, links: pd.DataFrame, weights: pd.Series | None = None
                   ) -> tuple[pd.DataFrame, list[str]]:
    """Counts on one set of areas moved to another through a lookup of links, conserving totals.

    Each source area's count is shared among the target areas it is linked to, in
    proportion to ``weights`` (their population), or wholly when it has one link;
    each target sums what it receives. So merges add up and splits divide.

    Parameters
    ----------
    values : pandas.DataFrame
        Counts indexed by source area code (one column per quantity).
    links : pandas.DataFrame
        Columns ``old`` (source code) and ``new`` (target code).
    weights : pandas.Series, optional
        Target-area weights (population) for sharing a split source area.

    Returns
    -------
    (pandas.DataFrame, list of str)
        Counts by target area, and the source areas that could not be shared
        (split among targets without a positive weight: shared equally instead).
    """
    links = links[["old", "new"]].drop_duplicates()
    links = links[links["old"].isin(values.index)]
    parts = links.groupby("old")["new"].transform("size")
    weight = (weights.reindex(links["new"]).to_numpy(dtype=float) if weights is not None
              else np.full(len(links), np.nan))
    weight = pd.Series(weight, index=links.index)
    split = parts > 1
    bad_old = links.loc[split & ~(weight > 0), "old"]
    equal = links["old"].isin(set(bad_old))
    weight = weight.where(~equal & split, 1.0)
    share = weight / weight.groupby(links["old"]).transform("sum")
    moved = values.reindex(links["old"]).to_numpy(dtype=float) * share.to_numpy()[:, None]
    out = pd.DataFrame(moved, columns=values.columns).groupby(links["new"].to_numpy()).sum()
    return out, sorted(set(bad_old))


def catchment(shares: PatientShares, practices) -> pd.DataFrame:
    """Where the patients of one practice, or of a group (a Primary Care Network), live.

    Parameters
    ----------
    shares : PatientShares
    practices : iterable of str
        Practice codes.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code, sorted by patients (most first): ``patients`` and
        ``share`` of the practices' patients in known areas (summing to 1).
        Empty when none of the practices has patients in the file.
    """
    wanted = set(str(p).upper() for p in practices)
    rows = shares.rows[member_of(shares.rows["practice"], wanted)]
    patients = rows.groupby("area")["patients"].sum().sort_values(ascending=False)
    total = patients.sum()
    return pd.DataFrame({"patients": patients, "share": patients / total if total > 0 else patients * np.nan})


def main_group(shares: PatientShares, groups: pd.Series, areas=None) -> pd.DataFrame:
    """The group of practices (Primary Care Network) registering most of each area's registered residents.

    Parameters
    ----------
    shares : PatientShares
    groups : pandas.Series
        Group code of each practice, indexed by practice code; practices without
        a group are left out.
    areas : iterable of str, optional
        Only these areas (a district's LSOAs).

    Returns
    -------
    pandas.DataFrame
        Indexed by area code: ``group`` (the one with most patients living there;
        ties go to the first code), ``patients`` (its patients there), ``registered``
        (every practice's patients there) and ``share`` (patients / registered).
    """
    rows = shares.rows if areas is None else shares.rows[member_of(shares.rows["area"], list(areas))]
    registered = rows.groupby("area")["patients"].sum()
    rows = rows.assign(group=rows["practice"].map(groups)).dropna(subset=["group"])
    by_group = rows.groupby(["area", "group"])["patients"].sum().reset_index()
    by_group = by_group.sort_values(["area", "patients", "group"], ascending=[True, False, True])
    top = by_group.drop_duplicates("area").set_index("area")
    top["registered"] = registered.reindex(top.index)
    top["share"] = top["patients"] / top["registered"]
    return top[["group", "patients", "registered", "share"]]


def registered_patients(shares: PatientShares, areas=None) -> pd.Series:
    """Registered patients living in each area (every practice's), for comparison with residents."""
    rows = shares.rows if areas is None else shares.rows[member_of(shares.rows["area"], list(areas))]
    return rows.groupby("area")["patients"].sum()


def _factorize(values: pd.Series) -> tuple[pd.Index, np.ndarray]:
    index, uniques = pd.factorize(values.to_numpy(dtype=object), sort=True)
    return pd.Index(uniques, dtype=object), index


def _plain(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(value) else value


def _short(items: list) -> list:
    items = list(items)
    return items if len(items) <= LIST_LIMIT else items[:LIST_LIMIT] + [f"... and {len(items) - LIST_LIMIT} more"]
