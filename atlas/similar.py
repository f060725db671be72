"""Similar authorities: each district's nearest districts by an open, stated method.

Not CIPFA's nearest neighbours (a licensed model with other inputs): this is the
atlas's own open method, computed from files in the source directory, so anyone
can repeat it.

Inputs, for every lower-tier authority in England (the IoD2025 district summaries):

* the **average score of each of the seven IoD2025 domains** (income, employment,
  education, health, crime, barriers to housing and services, living environment);
* **population size**: Census 2021 usual residents, log10 (so a city twice the size
  is as far away as one half the size);
* **age structure**: the share of residents aged 15 and under, and aged 65 and over
  (Census 2021);
* **density**: usual residents per square kilometre of the district's boundary
  (ONS generalised clipped boundaries), log10.

Each input is standardised across England's authorities (mean 0, standard
deviation 1), all weigh the same, and the distance between two authorities is
the Euclidean distance of their standardised inputs. The 15 nearest are listed,
nearest first (ties broken by code); an authority is never its own neighbour.
Census populations are summed from LSOA 2021 through the ONS best-fit lookup of
LSOA 2021 to LAD 2023 (the codes IoD2025 uses). A district whose boundary code
changed since (Barnsley and Sheffield took new codes in 2024) is matched to its
boundary by name, and the match is reported.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import config
from .errors import SourceFileError, UnknownAreaError

IOD2025_DISTRICTS = "deprivation/iod2025_lsoa21/humaniverse_IMD/imd2025_england_ltla24.csv.gz"
CENSUS_AGES = "population/census21_pop_lsoa21_age6.csv.gz"
LSOA_TO_DISTRICT = "boundaries/LSOA_(2021)_to_Electoral_Ward_(2023)_to_LAD_(2023)_Best_Fit_Lookup_in_EW.csv.gz"
DISTRICT_BOUNDARIES = ("boundaries/LAD_MAY_2025_UK_BSC_V2/"
                       "Local_Authority_Districts_(May_2025)_Boundaries_UK_BSC_(V2).shp")
#: IoD2025 domain average-score columns -> the input's label.
DOMAIN_SCORES = {
    "income_average_score": "Income (IoD2025 average score)",
    "employment_average_score": "Employment (IoD2025 average score)",
    "education_skills_and_training_average_score": "Education, skills and training (IoD2025 average score)",
    "health_deprivation_and_disability_average_score": "Health and disability (IoD2025 average score)",
    "crime_average_score": "Crime (IoD2025 average score)",
    "barriers_to_housing_and_services_average_score": "Barriers to housing and services (IoD2025 average score)",
    "living_environment_average_score": "Living environment (IoD2025 average score)",
}
CENSUS_INPUTS = {
    "log10_population": "Population, Census 2021 (log10 of usual residents)",
    "share_under_16": "Share aged 15 and under, Census 2021",
    "share_65_plus": "Share aged 65 and over, Census 2021",
    "log10_density": "Density, Census 2021 (log10 of residents per km²)",
}
YOUNG, OLD = "Aged 15 years and under", "Aged 65 years and over"
NEIGHBOURS = 15
METHOD = ("Open method (not CIPFA's nearest neighbours): the seven IoD2025 domain average scores, Census 2021 "
          "population (log10), shares aged 15 and under and 65 and over, and residents per km² (log10), each "
          "standardised across England's authorities (mean 0, sd 1) with equal weight; Euclidean distance; the "
          "15 nearest, ties broken by code; never the authority itself.")


@dataclass
class SimilarAuthorities:
    """An authority's most similar authorities.

    Attributes
    ----------
    la_code, la_name : str
    neighbours : pandas.DataFrame
        ``rank``, ``code``, ``name``, ``distance`` (Euclidean, in standard deviations), nearest first.
    inputs : pandas.DataFrame
        The raw inputs of the authority and its neighbours (rows by code, columns by input label).
    standardised : pandas.DataFrame
        The same, standardised across England.
    method : str
    notes : list of str
        Matches made by name, authorities without every input (left out).
    """

    la_code: str
    la_name: str
    neighbours: pd.DataFrame
    inputs: pd.DataFrame
    standardised: pd.DataFrame
    method: str = METHOD
    notes: list[str] = field(default_factory=list)

    def reading(self) -> str:
        """A sentence naming the nearest few and how they were found."""
        first = ", ".join(f"{r.name} ({r.distance:.2f})" for r in self.neighbours.head(5).itertuples())
        return (f"The authorities most like {self.la_name} on deprivation, size, age structure and density are "
                f"{first} ... (distance in standard deviations; 0 would be identical). {self.method}")


def similar_authorities(la_code: str, source_dir: str | Path | None = None, n: int = NEIGHBOURS) -> SimilarAuthorities:
    """The ``n`` authorities most similar to ``la_code`` (see the module notes for the method).

    Parameters
    ----------
    la_code : str
        A lower-tier authority in England (IoD2025 codes).
    source_dir : str or Path, optional
    n : int
        How many (15 by default).

    Returns
    -------
    SimilarAuthorities

    Raises
    ------
    UnknownAreaError
        If the authority is not among England's IoD2025 authorities or lacks an input.
    SourceFileError
        If an input file is missing or lacks a column.
    """
    source = Path(source_dir) if source_dir is not None else config.source_dir()
    inputs, names, notes = national_inputs(str(source))
    if la_code not in names.index:
        raise UnknownAreaError(f"{la_code} is not one of England's {len(names)} lower-tier authorities in the "
                               f"IoD2025 district summaries ({IOD2025_DISTRICTS}).")
    if la_code not in inputs.index:
        raise UnknownAreaError(f"{names[la_code]} ({la_code}) lacks one of the inputs of the similarity method.")
    standardised = (inputs - inputs.mean()) / inputs.std(ddof=0)
    distance = np.sqrt(((standardised - standardised.loc[la_code]) ** 2).sum(axis=1)).drop(la_code)
    order = pd.DataFrame({"code": distance.index, "distance": distance.to_numpy()}).sort_values(
        ["distance", "code"], kind="mergesort").head(n).reset_index(drop=True)
    order.insert(0, "rank", range(1, len(order) + 1))
    order["name"] = names.reindex(order["code"]).to_numpy()
    rows = [la_code, *order["code"]]
    return SimilarAuthorities(la_code, str(names[la_code]), order[["rank", "code", "name", "distance"]],
                              inputs.loc[rows], standardised.loc[rows], METHOD, list(notes))


def comparison(result: SimilarAuthorities, source_dir: str | Path | None = None) -> pd.DataFrame:
    """Each input of the authority beside the average of its similar authorities and of England's authorities.

    Returns
    -------
    pandas.DataFrame
        Rows by input label; columns: the authority's name, ``Similar authorities (average)``,
        ``England (average of authorities)``. Log inputs are shown back on their own scale
        (residents, residents per km²).
    """
    source = Path(source_dir) if source_dir is not None else config.source_dir()
    inputs, _, _ = national_inputs(str(source))
    natural = inputs.copy()
    for key, label in (("log10_population", "Population, Census 2021 (usual residents)"),
                       ("log10_density", "Density, Census 2021 (residents per km²)")):
        natural[label] = 10 ** natural.pop(CENSUS_INPUTS[key])
    table = pd.DataFrame({
        result.la_name: natural.loc[result.la_code],
        "Similar authorities (average)": natural.loc[result.neighbours["code"]].mean(),
        "England (average of authorities)": natural.mean(),
    })
    table.index.name = "Input"
    return table


@functools.lru_cache(maxsize=2)
def national_inputs(source: str) -> tuple[pd.DataFrame, pd.Series, tuple[str, ...]]:
    """The similarity inputs of every authority (raw, labelled columns), their names, and notes."""
    import geopandas as gpd

    root = Path(source)
    iod = _read(root, IOD2025_DISTRICTS, ["ltla24_code", "ltla24_name", *DOMAIN_SCORES]).set_index("ltla24_code")
    names = iod["ltla24_name"]
    ages = _read(root, CENSUS_AGES, ["lsoa21_code", "age_group", "usual_residents"])
    lookup = _read(root, LSOA_TO_DISTRICT, ["LSOA21CD", "LAD23CD"], encoding="utf-8-sig")
    ages["district"] = ages["lsoa21_code"].map(lookup.drop_duplicates("LSOA21CD").set_index("LSOA21CD")["LAD23CD"])
    people = ages.pivot_table(index="district", columns="age_group", values="usual_residents", aggfunc="sum")
    total = people.sum(axis=1)
    path = root / DISTRICT_BOUNDARIES
    if not path.exists():
        raise SourceFileError(f"The district boundaries {DISTRICT_BOUNDARIES} are not in {root}.")
    bounds = gpd.read_file(path, columns=["LAD25CD", "LAD25NM"]).to_crs(27700)
    bounds["km2"] = bounds.geometry.area / 1e6
    area = bounds.set_index("LAD25CD")["km2"]
    notes = []
    for code in names.index.difference(area.index):
        match = bounds[bounds["LAD25NM"] == names[code]]
        if len(match) == 1:
            area[code] = float(match["km2"].iloc[0])
            notes.append(f"{names[code]} ({code}) matched to its boundary {match['LAD25CD'].iloc[0]} by name")
    table = iod[list(DOMAIN_SCORES)].rename(columns=DOMAIN_SCORES)
    census = pd.DataFrame({"log10_population": np.log10(total), "share_under_16": people[YOUNG] / total,
                           "share_65_plus": people[OLD] / total, "log10_density": np.log10(total / area.reindex(total.index))})
    table = table.join(census.rename(columns=CENSUS_INPUTS))
    incomplete = table.index[table.isna().any(axis=1)]
    if len(incomplete):
        notes.append(f"{len(incomplete)} authority(ies) lack an input and are left out: {', '.join(incomplete[:10])}")
    return table.dropna(), names, tuple(notes)


def _read(root: Path, relative: str, columns: list[str], **kwargs) -> pd.DataFrame:
    path = root / relative
    if not path.exists():
        raise SourceFileError(f"{relative} is not in the source directory {root}; the similar-authorities method "
                              f"needs it.")
    table = pd.read_csv(path, **kwargs)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SourceFileError(f"{relative} has no column(s) {', '.join(missing)}.")
    return table[columns]
