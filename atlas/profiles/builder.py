"""Building a profile: every table of one area beside the authority and England.

Longer than 450 lines because it is one class whose sections (population, deprivation, indicators, life
expectancy, networks, assets, LSOAs) share the area, the atlas and the figures it has already computed.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pandas as pd

from .. import aggregate, config, similar
from ..analysis.analyses import funnel_summary
from ..carto import (
    boundary_attributions,
)
from ..catchments import practice_set
from ..classify import decile_label, format_value, layer_decimals
from ..errors import AtlasError
from ..estimates import METHOD_LINE
from ..health import pcn_table
from ..model import Atlas
from ..plaintext import display_name
from ..report import vintage_year
from .areas import Area, codes_inside, find_area, lsoa_assignment
from .common import (
    COMPARE_NOTE,
    LE_THEME,
    POPULATION_THEME,
    as_text,
    base_layer,
    count_text,
    decile_share_meta,
    district_life_expectancy_gap,
    england_areas,
    geography_label,
    life_expectancy_geography,
    lsoa_geographies,
    memo,
    point_set_label,
    reference_text,
    share_texts,
    specs_catalogue,
    to_number,
    with_interval,
)
from .figure_map import area_map
from .figures import aggregate_over, england_values, layer_rule
from .networks import nearest_practice
from .profile import Profile, Table


def build_profile(built: Atlas, area: str | list[str] | Area, pcn_lookup: str | os.PathLike | None = None,
                  source_dir: str | os.PathLike | None = None, catalogue=None, footprint: str = "patients") -> Profile:
    """The profile of one area of a built atlas.

    Parameters
    ----------
    built : Atlas
    area : str, list of str or Area
        What :func:`find_area` accepts, or an area it returned.
    pcn_lookup : path-like, optional
        An LSOA-to-PCN lookup defining network footprints (see :func:`find_area`).
    source_dir : path-like, optional
        The source directory, for England's figures (:func:`england_values`) and the
        lookups assigning LSOAs to wards; without one, England's column is blank and
        a note says why.
    catalogue : Catalogue, optional
        The specs (the project's by default).
    footprint : str
        A network's footprint rule without a lookup (see :func:`find_area`).

    Returns
    -------
    Profile

    Raises
    ------
    UnknownAreaError
        If the area is unknown or the selection empty.
    """
    chosen = area if isinstance(area, Area) else find_area(built, area, pcn_lookup, source_dir, catalogue,
                                                           footprint=footprint)
    builder = _ProfileBuilder(built, chosen, specs_catalogue(catalogue), source_dir)
    return builder.run()


def estimate_notes(built: Atlas) -> list[str]:
    """One note per kind of small-area estimate in the atlas: the method, its dates, and why it is not judged."""
    notes = []
    for info in built.report.estimates.values():
        notes.append(f"Small-area estimates ({info.get('title', '')}): {METHOD_LINE} Dates: {info.get('period', '')}. "
                     f"Shown beside {built.la_name}'s estimate (the same method over its LSOAs) and England's "
                     f"QOF total, without Better / Similar / Worse: an apportioned estimate has no sampling "
                     f"interval to judge it by.")
    return notes


class _ProfileBuilder:
    def _spine(self, indicators: "Table | None") -> "Table | None":
        """The spine chart of the indicators (:mod:`atlas.spine`), with its figures as the table alternative."""
        from ..spine import spine_png, spine_shown, spine_table
        if indicators is None:
            return None
        data = spine_table(self.built, indicators.data, self.area.name, self.area.kind, england=self.england)
        if data.empty:
            return None
        png, alt = spine_png(data, self.area.name, self.built.la_name)
        la = self.built.la_name
        shown = spine_shown(data, self.area.name, la)
        return Table("spine", "Spine chart", f"{self.area.name} against the spread of England's and {la}'s areas, "
                     f"with {la} and England", data, shown,
                     intro=(f"Each row places {self.area.name}'s value within the range of England's areas (wide "
                            f"grey bars: lowest to highest, the middle half darker) where the national file covers "
                            f"the row's geography, and of {la}'s areas of the same kind (thin black bar and box; the "
                            f"grey bars when England's spread is not available); England's value is the solid line. "
                            f"Better / Similar / Worse is shown only for indicators with intervals. Each row's "
                            f"Benchmark column says which spreads it uses."),
                     notes=["Spine chart after the Fingertips design. England's spread is over every English area "
                            "of the indicator's own geography in the national file (numpy linear percentiles); "
                            "rows on a geography no national file covers (wards, for one) show the district's spread only."],
                     image=png, image_alt=alt)

    """Assembles the tables of one profile."""

    def __init__(self, built: Atlas, area: Area, catalogue, source_dir):
        self.built, self.area, self.catalogue, self.source_dir = built, area, catalogue, source_dir
        self.lsoa_geographies = lsoa_geographies(built)  # newest first
        self.le_geography = life_expectancy_geography(built)
        self.practices = practice_set(catalogue)  # the GP practices' point set
        self.notes: list[str] = [area.rule, *area.notes]
        self.used: list[dict] = []  # metadata of every layer shown, for the sources
        try:
            self.england = england_values(source_dir, catalogue)
        except AtlasError as exc:
            self.england = {}
            self.notes.append(f"England's figures are not available: {exc}")

    def run(self) -> Profile:
        indicators = self._indicators()
        tables = [self._population(), *self._deprivation_mix(), indicators, self._spine(indicators),
                  *self._life_expectancy(), self._network_indicators(), self._network_funnel(), self._assets(),
                  self._lsoas(), self._similar_authorities()]
        tables = [t for t in tables if t is not None]
        self.notes.append(COMPARE_NOTE)
        self.notes.extend(estimate_notes(self.built))
        png, alt = area_map(self.built, self.area)
        return Profile(self.built.la_code, self.built.la_name, self.area, dt.date.today(), self._summary(tables),
                       tables, png, alt, self._sources(), [n for n in dict.fromkeys(self.notes) if n])

    # -- the figures of one layer ---------------------------------------------------------------------
    def _geographies(self) -> list[str]:
        """Where the area's figures come from: its own geography, or its LSOAs of each vintage."""
        if self.area.is_table_area:
            return [self.area.kind]
        return [g for g in self.lsoa_geographies if self.area.members.get(g)]

    def _figures(self, meta: dict) -> dict:
        """The area's value (with interval and comparisons), the authority's and England's, of one layer."""
        layer, geography = meta["layer"], meta["geography"]
        frame = self.built.table(geography)
        out: dict = {"lower": np.nan, "upper": np.nan, "vs_district": "", "vs_england": "", "shares": None}
        if self.area.is_table_area:
            out["area"] = to_number(frame.at[self.area.code, layer])
            for part in ("lower", "upper", "vs_district", "vs_england"):
                if f"{layer}_{part}" in frame:
                    value = frame.at[self.area.code, f"{layer}_{part}"]
                    out[part] = value if part.startswith("vs") else to_number(value)
        else:
            rule = layer_rule(self.built, layer, geography, self.catalogue)
            out["area"], out["shares"] = aggregate_over(frame, layer, rule, self.area.members[geography])
        base, native = base_layer(self.built, meta)
        district = self.built.benchmark_value(layer, geography, "district")
        out["authority"] = district if district is not None else self._district(base, native)[0]
        england = self.built.benchmark_value(layer, geography, "england")
        found = self.england.get(base, {}) if england_areas(self.catalogue, native) else {}
        out["england"] = england if england is not None else to_number(found.get("value"))
        out["england_entry"] = found
        self.used.append(meta)
        return out

    def _district(self, layer: str, geography: str) -> tuple[float, pd.DataFrame | None]:
        """A layer aggregated over every area of the district (once per atlas)."""
        def compute():
            whole = self.built.table(geography)
            return aggregate_over(whole, layer, layer_rule(self.built, layer, geography, self.catalogue), whole.index)

        return memo(self.built, ("district", layer, geography), compute)

    # -- population --------------------------------------------------------------------------------------
    def _population(self) -> Table | None:
        rows = [m for g in self._geographies() for m in self._layers(g)
                if m["theme"] == POPULATION_THEME and m["kind"] in ("population", "count")]
        if not rows:
            return None
        figures = {m["layer"]: self._figures(m) for m in rows}
        totals = {m["source_title"]: m["layer"] for m in rows if m["kind"] == "population"}
        records = []
        for meta in rows:
            mine, total = figures[meta["layer"]], figures.get(totals.get(meta["source_title"]))

            def share(key, mine=mine, total=total):
                return mine[key] / total[key] * 100 if total and total[key] else np.nan
            england_total = total["england_entry"].get("value") if total else None
            england_mine = mine["england_entry"].get("value")
            records.append({
                "measure": meta["label"], "layer": meta["layer"], "is_total": meta["kind"] == "population",
                "area": mine["area"],
                "area_share": share("area") if meta["kind"] == "count" else np.nan,
                "authority": mine["authority"],
                "authority_share": share("authority") if meta["kind"] == "count" else np.nan,
                "england_share": (england_mine / england_total * 100 if meta["kind"] == "count" and england_total
                                  and england_mine is not None else np.nan),
                "period": meta["period"],
            })
        data = pd.DataFrame(records)
        shown = pd.DataFrame({
            "Measure": data["measure"],
            f"{self.area.name} (people)": [format_value(v, 0) for v in data["area"]],
            f"{self.area.name} (% of residents)": share_texts(data, "area_share"),
            f"{self.built.la_name} (% of residents)": share_texts(data, "authority_share"),
            "England (% of residents)": share_texts(data, "england_share"),
            "Period": data["period"],
        })
        return Table("population", "Population and age", f"Residents of {self.area.name} by age, with the "
                     f"shares of {self.built.la_name} and England", data, shown,
                     notes=["Shares are of the total population from the same source and period."])

    # -- deprivation mix ---------------------------------------------------------------------------------
    def _deprivation_mix(self) -> list[Table]:
        tables = []
        for geography in self.lsoa_geographies:
            for meta in self._layers(geography):
                if meta["kind"] == "decile" and meta["layer"].startswith("imd"):
                    table = self._mix(meta)
                    if table is not None:
                        tables.append(table)
        return tables

    def _mix(self, meta: dict) -> Table | None:
        layer, geography = meta["layer"], meta["geography"]
        frame = self.built.table(geography)
        rule = layer_rule(self.built, layer, geography, self.catalogue)
        if self.area.is_table_area:
            shares = self.built.decile_shares
            shares = shares[(shares["geography"] == self.area.kind) & (shares["code"] == self.area.code)
                            & (shares["layer"] == layer)]
        else:
            shares = aggregate_over(frame, layer, rule, self.area.members.get(geography, []))[1]
        if shares is None or shares.empty:
            return None
        district = self._district(layer, geography)[1].set_index("decile")
        mine = shares.set_index("decile")
        england = self.england.get(layer, {})
        records = []
        for decile in range(1, 11):
            records.append({
                "decile": decile, "area_lsoas": int(mine["areas"].get(decile, 0)),
                "area_residents": float(mine["population"].get(decile, 0.0)),
                "area_share": float(mine["share"].get(decile, 0.0)) * 100,
                "authority_share": float(district["share"].get(decile, 0.0)) * 100,
                "england_share": float(england.get("shares", {}).get(str(decile), np.nan)) * 100,
                "authority_lsoa_share": float(district["areas"].get(decile, 0)) / district["areas"].sum() * 100,
                "england_lsoa_share": float(england.get("area_shares", {}).get(str(decile), np.nan)) * 100,
            })
        self.used.append(meta)
        data = pd.DataFrame(records)
        weight = rule.weight and self.built.layer(rule.weight, geography)["label"]
        shown = pd.DataFrame({
            "National decile": [decile_label(d) for d in data["decile"]],
            f"{self.area.name}: LSOAs": [format_value(v, 0) for v in data["area_lsoas"]],
            f"{self.area.name}: residents": [format_value(v, 0) for v in data["area_residents"]],
            f"{self.area.name} (% of residents)": [format_value(v, 1, "%") for v in data["area_share"]],
            f"{self.built.la_name} (% of residents)": [format_value(v, 1, "%") for v in data["authority_share"]],
            "England (% of residents)": [format_value(v, 1, "%") for v in data["england_share"]],
            f"{self.built.la_name} (% of LSOAs)": [format_value(v, 1, "%") for v in data["authority_lsoa_share"]],
            "England (% of LSOAs)": [format_value(v, 1, "%") for v in data["england_lsoa_share"]],
        })
        most = data.loc[data["decile"] <= 2, ["area_share", "authority_share", "england_share"]].sum(min_count=1)
        most = {key: format_value(value, 1, "%") for key, value in most.items()}  # England: no data without its files
        intro = (f"{most['area_share']} of the residents of {self.area.name} live in LSOAs among the most "
                 f"deprived 20% in England ({self.built.la_name} {most['authority_share']}, England "
                 f"{most['england_share']}).")
        notes = [f"Residents: {weight or 'population'} ({meta['period']}). England has 10% of its LSOAs in each "
                 f"decile by construction; its residents' shares are computed from the national files."]
        return Table(f"deprivation_{layer}", f"Deprivation mix: {meta['label']}", f"People and LSOAs of "
                     f"{self.area.name} in each national decile, beside {self.built.la_name} and England",
                     data, shown, intro, notes)

    # -- every indicator --------------------------------------------------------------------------------
    def _indicators(self) -> Table | None:
        records = []
        for meta in self._indicator_layers():
            shown_meta = decile_share_meta(self.built, meta) if meta["kind"] == "decile" else meta
            figures = self._figures(meta)
            count = shown_meta["kind"] in ("count", "population")
            records.append({
                "theme": meta["theme"], "layer": shown_meta["layer"], "indicator": shown_meta["label"],
                "units": shown_meta["units"], "area": figures["area"], "lower": figures["lower"],
                "upper": figures["upper"], "authority": figures["authority"],
                "england": np.nan if count else figures["england"],
                "vs_authority": as_text(figures["vs_district"]), "vs_england": as_text(figures["vs_england"]),
                "period": meta["period"], "source": meta["source_title"], "decimals": layer_decimals(shown_meta),
                "native_geography": meta.get("native_geography", ""),
            })
        if not records:
            return None
        data = pd.DataFrame(records)
        shown = pd.DataFrame({
            "Indicator": data["indicator"],
            "Units": data["units"].fillna(""),
            self.area.name: [with_interval(r.area, r.lower, r.upper, r.decimals, r.units) for r in data.itertuples()],
            self.built.la_name: [reference_text(r.authority, r.decimals, r.units) for r in data.itertuples()],
            "England": [reference_text(r.england, r.decimals, r.units) for r in data.itertuples()],
            f"Compared with {self.built.la_name}": data["vs_authority"],
            "Compared with England": data["vs_england"],
            "Theme": data["theme"],
            "Period": data["period"],
        })
        how = ("its row of the atlas, as the app shows it" if self.area.is_table_area else
               "aggregated over its LSOAs as the atlas aggregates wards (population-weighted means, summed counts, "
               "summed numerators over summed denominators, residents' shares by decile)")
        notes = [f"{self.area.name}: {how}. {self.built.la_name}: the same aggregation over all its areas (or the "
                 f"build's benchmark for indicators with intervals). England: the same aggregation over every "
                 f"English area of the national source file; blank for counts and where the source is not national.",
                 *self._coverage_notes(data["native_geography"])]
        return Table("indicators", "Indicators", f"Every indicator for {self.area.name} beside "
                     f"{self.built.la_name} and England", data, shown, notes=notes)

    def _coverage_notes(self, natives: pd.Series) -> list[str]:
        """How much of the area's residents the smaller areas its figures came from hold (a ward's LSOAs 2011)."""
        if not self.area.is_table_area:
            return []
        frame = self.built.table(self.area.kind)
        notes = []
        for native in dict.fromkeys(n for n in natives if n and n != self.area.kind):
            found = aggregate.coverage_of(frame.loc[[self.area.code]], native)
            if found is None or pd.isna(found["share"].iloc[0]):
                continue
            row = found.iloc[0]
            label = self.built.geography_labels.get(native, native)
            off = (f"; more than {aggregate.COVERAGE_TOLERANCE:.0%} off, so those figures describe a different "
                   f"population from its residents'." if row.differs else ".")
            notes.append(f"Figures from {label} areas: the {label} areas placed in {self.area.name} hold "
                         f"{row.assigned:,.0f} residents against its own {row.reference:,.0f} "
                         f"({row.share:,.0f}%){off}")
        return notes

    def _indicator_layers(self) -> list[dict]:
        rows = []
        for geography in self._geographies():
            for meta in self._layers(geography):
                if meta["layer"].startswith(aggregate.COVERAGE_PREFIX):
                    continue  # said in the indicators' notes, in words
                if meta["theme"] == POPULATION_THEME and meta["kind"] in ("population", "count"):
                    continue
                if meta["kind"] == "decile" and self.area.is_table_area:
                    continue
                rows.append(meta)
        # a layer converted to the other LSOA vintage (small-area estimates) is shown once, from its own vintage
        native = {m["layer"] for m in rows if m.get("native_geography") in ("", None, m["geography"])}
        rows = [m for m in rows if m["layer"] not in native or m.get("native_geography") in ("", None, m["geography"])]
        order = {theme: i for i, theme in enumerate(dict.fromkeys(self.built.layers["theme"]))}
        return sorted(rows, key=lambda m: order.get(m["theme"], len(order)))

    def _layers(self, geography: str) -> list[dict]:
        return [m for m in self.built.layers_on(geography).to_dict("records") if m["kind"] != "rank"]

    # -- life expectancy and the gap ------------------------------------------------------------------------
    def _life_expectancy(self) -> list[Table]:
        le = self.le_geography
        if le is None:
            return []
        layers = [m for m in self._layers(le) if m["theme"] == LE_THEME and m["has_interval"]]
        if not layers:
            return []
        msoas = self._msoas()
        frame = self.built.table(le)
        gap = district_life_expectancy_gap(self.built)
        quintile = gap.membership["group"] if gap is not None else pd.Series(dtype=float)
        records = []
        for code, lsoas in msoas.items():
            row = {"msoa": code, "name": frame.at[code, "name"], "lsoas_in_area": lsoas,
                   "local_deprivation_group": to_number(quintile.get(code))}
            for meta in layers:
                layer = meta["layer"]
                row.update({layer: to_number(frame.at[code, layer]),
                            f"{layer}_lower": to_number(frame.at[code, f"{layer}_lower"]),
                            f"{layer}_upper": to_number(frame.at[code, f"{layer}_upper"]),
                            f"{layer}_vs_district": as_text(frame.get(f"{layer}_vs_district", pd.Series(dtype=object)).get(code)),
                            f"{layer}_vs_england": as_text(frame.get(f"{layer}_vs_england", pd.Series(dtype=object)).get(code))})
            records.append(row)
        for meta in layers:
            self.used.append(meta)
        data = pd.DataFrame(records)
        shown = pd.DataFrame({"MSOA": [f"{r.name} ({r.msoa})" for r in data.itertuples()]})
        if self.area.kind != le:
            shown[f"LSOAs of {self.area.name} in it"] = data["lsoas_in_area"].astype(str)
        if gap is not None:
            shown["Local deprivation fifth (1 = most deprived)"] = [format_value(v, 0) for v in data["local_deprivation_group"]]
        benchmarks = []
        for meta in layers:
            layer = meta["layer"]
            shown[meta["label"]] = [with_interval(v, lo, hi, 1) for v, lo, hi in
                                    zip(data[layer], data[f"{layer}_lower"], data[f"{layer}_upper"])]
            shown[f"{meta['label']}: compared with {self.built.la_name} / England"] = [
                f"{a or '-'} / {b or '-'}" for a, b in zip(data[f"{layer}_vs_district"], data[f"{layer}_vs_england"])]
            district = self.built.benchmark_value(layer, le, "district")
            england = self.built.benchmark_value(layer, le, "england")
            benchmarks.append(f"{meta['label']}: {self.built.la_name} {format_value(district, 1)}, England "
                              f"{format_value(england, 1)}")
        lsoas = self._lsoas_of(le)
        where = ("" if self.area.kind == le else
                 f" Life expectancy is published by {geography_label(self.built, le)} only: these are the areas "
                 f"holding {self.area.name}'s {geography_label(self.built, lsoas) if lsoas else 'LSOAs'}.")
        tables = [Table("life_expectancy", "Life expectancy", f"Life expectancy at birth in the MSOAs of "
                        f"{self.area.name}, with 95% intervals and comparisons", data, shown,
                        f"Period: {layers[0]['period']}.{where}",
                        ["Benchmarks: " + "; ".join(benchmarks) + ". " + str(layers[0].get("method") or "")])]
        if gap is not None:
            tables.append(self._gap_table(gap))
        return tables

    def _lsoas_of(self, geography: str) -> str | None:
        """The LSOA geography of the same vintage as ``geography`` (the LSOAs its areas are made of)."""
        year = vintage_year(self.built.report.geographies.get(geography, {}).get("vintage"))
        return next((g for g in self.lsoa_geographies
                     if vintage_year(self.built.report.geographies[g].get("vintage")) == year), None)

    def _msoas(self) -> dict[str, int]:
        """The areas life expectancy is published for that hold the area, with how many of its LSOAs each holds."""
        le = self.le_geography
        lsoas = self._lsoas_of(le)
        if self.area.kind == le:
            return {self.area.code: len(self.area.members.get(lsoas, []))}
        if lsoas and self.area.members.get(lsoas):
            parent, _ = lsoa_assignment(self.built, lsoas, le, self.source_dir, self.catalogue)
            counts = parent.reindex(self.area.members[lsoas]).dropna().value_counts()
            return {code: int(n) for code, n in sorted(counts.items())}
        return {code: 0 for code in codes_inside(self.built.table(le), self.area.geometry)}

    def _gap_table(self, gap) -> Table:
        comparison = gap.comparison_table()
        data = comparison.assign(sii_lower=[gap.sii.get(s, {}).get("lower") for s in comparison["sex"]],
                                 sii_upper=[gap.sii.get(s, {}).get("upper") for s in comparison["sex"]])
        shown = pd.DataFrame({
            "Sex": data["sex"].str.capitalize(),
            "Most deprived fifth (years)": [format_value(v, 1) for v in data["ours_most_deprived"]],
            "Least deprived fifth (years)": [format_value(v, 1) for v in data["ours_least_deprived"]],
            "Gap (years)": [format_value(v, 1) for v in data["ours_gap"]],
            "Slope index of inequality (years, 95% interval)": [
                with_interval(s, lo, hi, 1) for s, lo, hi in zip(data["ours_sii"], data["sii_lower"], data["sii_upper"])],
        })
        if "published_gap" in data:
            shown["Published gap (years)"] = [format_value(v, 1) for v in data["published_gap"]]
        return Table("life_expectancy_gap", f"The life-expectancy gap in {self.built.la_name}",
                     f"Life expectancy in {self.built.la_name}'s most and least deprived fifths, the gap and the "
                     f"slope index of inequality", data, shown,
                     f"Across {self.built.la_name} (the district, not {self.area.name}): {gap.grouping}.",
                     [gap.method, gap.note])

    # -- Primary Care Network indicators ----------------------------------------------------------------
    def _similar_authorities(self) -> Table | None:
        """The authority beside its 15 most similar authorities and England (:mod:`atlas.similar`)."""

        try:
            found = similar.similar_authorities(self.built.la_code, self.source_dir)
            compared = similar.comparison(found, self.source_dir)
        except AtlasError as exc:
            self.notes.append(f"No similar authorities: {exc}")
            return None
        data = compared.reset_index()
        shown = data.copy()
        for column in shown.columns[1:]:
            shown[column] = [format_value(v, 0 if v >= 100 else 3) for v in shown[column]]
        names = ", ".join(f"{r.name} ({r.distance:.2f})" for r in found.neighbours.itertuples())
        return Table("similar_authorities", f"{self.built.la_name} beside similar authorities",
                     f"{self.built.la_name}'s inputs to the similarity method beside the average of its 15 most "
                     f"similar authorities and of England's authorities", data, shown,
                     intro=f"The 15 most similar authorities, nearest first (distance in standard deviations): "
                           f"{names}.",
                     notes=[found.method, *found.notes,
                            "Sources: MHCLG English Indices of Deprivation 2025 (district summaries); ONS Census "
                            "2021 and ONS district boundaries; Open Government Licence v3.0."])

    def _network_funnel(self) -> Table | None:
        """A funnel plot of the district's practices on the first QOF register, the network's highlighted."""
        if self.area.kind != "pcn" or self.practices not in self.built.points:
            return None
        from ..funnel_figure import funnel_png

        geography = f"points:{self.practices}"
        practices = self.built.points[self.practices]
        layers = [layer for layer in self.built.layers_on(geography)["layer"] if f"{layer}_numerator" in practices]
        if not layers or "pcn_code" not in practices:
            return None
        entry = funnel_summary(self.built, layers[0], geography, highlight=("pcn_code", self.area.code))
        if not entry["available"]:
            self.notes.append(f"No funnel plot: {entry['message']}")
            return None
        png, alt = funnel_png(entry, f"{entry['label']}: {self.built.la_name}'s practices", self.area.name)
        data = entry["points"].reset_index().rename(columns={"index": "code"})
        data = data[["code", "name", "numerator", "denominator", "value", "position", "highlight"]]
        ours = data[data["highlight"]]
        shown = pd.DataFrame({"Practice": [display_name(n) for n in ours["name"]], "Code": ours["code"],
                              "Register / list": [f"{format_value(n, 0)} / {format_value(d, 0)}"
                                                  for n, d in zip(ours["numerator"], ours["denominator"])],
                              entry["units"] or "Value": [format_value(v, 1) for v in ours["value"]],
                              f"Against {self.built.la_name}": ours["position"]})
        return Table("network_funnel", "Funnel plot of the network's practices",
                     f"{entry['label']}: the practices of {self.area.name} among {self.built.la_name}'s practices",
                     data, shown, intro=entry["reading"], notes=[entry["method"]], image=png, image_alt=alt)

    def _network_indicators(self) -> Table | None:
        if self.area.kind != "pcn":
            return None

        geography = f"points:{self.practices}"
        practices = self.built.points[self.practices]
        records = []
        for meta in self.built.layers_on(geography).to_dict("records"):
            layer = meta["layer"]
            if f"{layer}_numerator" not in practices or f"{layer}_denominator" not in practices:
                continue
            row = memo(self.built, ("pcn_table", layer), lambda: pcn_table(self.built, layer, self.practices)).loc[self.area.code]
            records.append({
                "layer": layer, "indicator": meta["label"], "units": meta["units"], "area": row["value"],
                "lower": row["lower"], "upper": row["upper"], "numerator": row["numerator"],
                "denominator": row["denominator"],
                "authority": self.built.benchmark_value(layer, geography, "district"),
                "england": self.built.benchmark_value(layer, geography, "england"),
                "vs_authority": as_text(row.get("vs_district")), "vs_england": as_text(row.get("vs_england")),
                "period": meta["period"], "decimals": layer_decimals(meta),
            })
            self.used.append(meta)
        if not records:
            return None
        data = pd.DataFrame(records)
        shown = pd.DataFrame({
            "Indicator": data["indicator"],
            self.area.name: [with_interval(r.area, r.lower, r.upper, r.decimals, r.units) for r in data.itertuples()],
            "Register / list": [f"{format_value(n, 0)} / {format_value(d, 0)}"
                                for n, d in zip(data["numerator"], data["denominator"])],
            self.built.la_name: [reference_text(v, d, u) for v, d, u in zip(data["authority"], data["decimals"], data["units"])],
            "England": [reference_text(v, d, u) for v, d, u in zip(data["england"], data["decimals"], data["units"])],
            f"Compared with {self.built.la_name}": data["vs_authority"],
            "Compared with England": data["vs_england"],
            "Period": data["period"],
        })
        return Table("network_indicators", "Practice registers of the network",
                     f"QOF recorded prevalence for the practices of {self.area.name} (summed registers over summed "
                     f"lists), beside {self.built.la_name} and England", data, shown,
                     notes=["Network figures: summed registers over summed list sizes of its practices, with a 95% "
                            "Wilson interval. Benchmarks: every practice of the district and of England."])

    # -- assets ------------------------------------------------------------------------------------------------
    def _assets(self) -> Table | None:
        records = []
        shape = self.area.geometry.buffer(1)
        serving = self._serving_practices()
        for point_set, points in self.built.points.items():
            if point_set == self.practices and self.area.kind == "pcn":
                chosen = {code: "Practice of the network" for code in self.area.practices}
            else:
                chosen = {code: "In the area" for code in points.index[points.within(shape)]}
                if point_set == self.practices:
                    for code, n in serving.items():
                        chosen.setdefault(code, f"Nearest practice of {n} of the area's LSOAs")
            label = self._set_label(point_set)
            for code, relation in chosen.items():
                row = points.loc[code]
                records.append({"type": label, "code": code, "name": row.get("name"), "postcode": row.get("postcode"),
                                "network": row.get("pcn_name", ""), "list_size": to_number(row.get("list_size")),
                                "relation": relation})
        if not records:
            return None
        keys = sorted(self.built.points, key=lambda k: getattr(self.catalogue.points.get(k), "order", 100))
        order = {self._set_label(k): i for i, k in enumerate(keys)}
        data = pd.DataFrame(records)
        data = data.assign(_order=data["type"].map(order)).sort_values(["_order", "name"], kind="stable")
        data = data.drop(columns="_order").reset_index(drop=True)
        shown = pd.DataFrame({"Type": data["type"], "Code": data["code"], "Name": [display_name(n) for n in data["name"]],
                              "Postcode": data["postcode"], "Primary Care Network": [display_name(n) for n in data["network"]],
                              "Registered patients": [format_value(v, 0, missing="") for v in data["list_size"]],
                              "Relation to the area": data["relation"]})
        counts = data.groupby("type").size()
        counts = counts.reindex(list(dict.fromkeys(data["type"])))
        intro = "; ".join(count_text(n, t) for t, n in counts.items()) + "."
        return Table("assets", "GP practices, pharmacies and other assets", f"Health services in or serving "
                     f"{self.area.name}", data, shown, intro,
                     ["In the area: located (by postcode) inside it. Serving it: a practice that is the nearest "
                      "practice (straight line) of at least one of its LSOAs."])

    def _set_label(self, point_set: str) -> str:
        label, meta = point_set_label(self.built, point_set)
        if meta is not None:
            self.used.append(meta)
        return label

    def _serving_practices(self) -> dict[str, int]:
        if self.practices not in self.built.points or self.area.kind == "pcn":
            return {}
        geography = next((g for g in self.lsoa_geographies if self.area.members.get(g)), None)
        if geography is None:
            return {}
        nearest = nearest_practice(self.built, geography).loc[self.area.members[geography]]
        return nearest["practice"].value_counts().to_dict()

    # -- the LSOAs -------------------------------------------------------------------------------------------
    def _lsoas(self) -> Table | None:
        records = []
        for geography in [g for g in reversed(self.lsoa_geographies) if self.area.members.get(g)]:
            frame = self.built.table(geography)
            layers = self.built.layers_on(geography)
            decile = next(iter(layers.loc[(layers["kind"] == "decile") & layers["layer"].str.startswith("imd"), "layer"]), None)
            population = next(iter(layers.loc[layers["kind"] == "population", "layer"]), None)
            for code in self.area.members[geography]:
                records.append({"geography": geography_label(self.built, geography), "code": code,
                                "name": frame.at[code, "name"],
                                "imd_decile": to_number(frame.at[code, decile]) if decile else np.nan,
                                "population": to_number(frame.at[code, population]) if population else np.nan})
        if not records:
            return None
        data = pd.DataFrame(records)
        shown = pd.DataFrame({"Vintage": data["geography"], "LSOA": data["code"], "Name": data["name"],
                              "National IMD decile": [decile_label(int(d)) if not pd.isna(d) else "no data"
                                                      for d in data["imd_decile"]],
                              "Residents": [format_value(v, 0) for v in data["population"]]})
        return Table("lsoas", "The area's LSOAs", f"The LSOAs making up {self.area.name}", data, shown,
                     notes=[self.area.rule])

    # -- summary and sources -------------------------------------------------------------------------------
    def _summary(self, tables: list[Table]) -> list[tuple[str, str]]:
        out = []
        by_key = {t.key: t for t in tables}
        population = by_key.get("population")
        if population is not None:
            totals = population.data[population.data["is_total"]]
            for row in totals.itertuples():
                out.append((row.measure, f"{format_value(row.area, 0)} ({row.period})"))
        for table in tables:
            if table.key.startswith("deprivation_"):
                out.append((table.title.replace("Deprivation mix: ", ""), table.intro))
        if "life_expectancy" in by_key and self.area.kind == self.le_geography:
            data = by_key["life_expectancy"].data
            for meta in [m for m in self._layers(self.le_geography) if m["theme"] == LE_THEME and m["has_interval"]]:
                out.append((meta["label"], format_value(data[meta["layer"]].iloc[0], 1) + " years"))
        if "assets" in by_key:
            out.append(("Health services", by_key["assets"].intro))
        return out

    def _sources(self) -> list[str]:
        lines = []
        for meta in self.used:
            text = (f"{meta.get('source_title') or meta['label']}"
                    + (f", {meta['publisher']}" if meta.get("publisher") else "")
                    + (f" ({meta['period']})" if meta.get("period") else "") + "."
                    + (f" Licence: {meta['licence']}." if meta.get("licence") else "")
                    + (f" {meta['attribution']}" if meta.get("attribution") else ""))
            lines.append(text)
        geographies = [g for g in (self.area.kind, *self.lsoa_geographies, self.le_geography) if g in self.built.geographies]
        lines.extend(boundary_attributions(self.built, list(dict.fromkeys(geographies))))
        licence = config.os_licence_number()
        if licence:
            lines.append(f"{self.built.la_name} OS licence number {licence}.")
        return list(dict.fromkeys(lines))
