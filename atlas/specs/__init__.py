"""The catalogue of declarative specs: boundary sets and indicator layers.

``boundaries/*.toml`` holds one spec per boundary set (a geography and vintage:
where its files are, which columns hold the code and the name, the CRS the files
are in, how its areas belong to a district, and how finer areas aggregate into
it). ``layers/*.toml`` holds one spec per source dataset: a ``[source]`` table
(the file, how to read it, its key column and geography, period, publisher,
licence) and one ``[[indicator]]`` table per indicator taken from that file
(column, units, polarity, description, palette). A new indicator is a new
``[[indicator]]`` entry; a new dataset is a new file.

Besides ``[source]`` + ``[[indicator]]`` files, ``layers/`` holds three other
kinds of spec, each recognised by its top-level table:

* ``[points]``: a **point set** (GP practices, pharmacies ...): a table of
  organisations with a postcode, which rows are active (``where``, ``status``,
  ``close_date``), the postcode lookup that places them (``locate``), extra
  attributes and ``[[points.join]]`` tables keyed by the same code (e.g. the
  practice's Primary Care Network). Indicators whose ``[source]`` has
  ``geography = "points:<set>"`` become attributes of the points (e.g. QOF
  prevalence per practice).
* ``[postcodes]``: a **postcode lookup** (OS Code-Point Open): files, the
  postcode, easting/northing columns and CRS, and the district column.
* ``[[series]]``: **district-level series** (OHID Fingertips): one value per
  district and period, shown as trend charts, never as a small-area map.
* ``[estimate]``: **small-area estimates** of practice registers: the registers
  of a points-keyed ``[source]`` (QOF) apportioned to the areas where each
  practice's patients live (a patients-by-LSOA file), see :mod:`atlas.estimates`.
  Every ratio indicator of that source becomes an indicator ``<id><suffix>`` on
  the spec's geography (computed ``small_area_estimate``), aggregated like any
  other ratio (summed registers over summed lists).

A ``[source]`` with ``computed = "<method>"`` has no file: its table is computed
from the atlas's point sets (``nearest_point``: straight-line distance from each
area's centroid to the nearest point and the population within ``radius_km``;
``count_points``: points in each area and its population, see
:mod:`atlas.points`; ``registered_patients``: each area's registered patients
from an ``[estimate]`` spec's patients file beside its census residents, see
:mod:`atlas.registered`). Its indicators are ordinary indicators of that table, so
they are reported, classified and aggregated like any other.

Indicator options added for health data: ``interval = "wilson"`` computes a
95% Wilson score interval from the numerator and denominator; ``compare = true``
classifies each area Better/Similar/Worse than the district and (with the
source's ``coverage``, e.g. ``"England"``) the whole file, against benchmarks
computed from the file (ratio of summed numerators and denominators, or the
mean weighted by ``benchmark_weight``); see :mod:`atlas.comparators`.

Any table naming a ``file`` (or ``files``) may carry a ``download`` table: the
file's official address and how to turn the published product into the file
the spec reads. Only :mod:`atlas.fetch` reads those; the engine drops them.

The engine (:mod:`atlas.build`) reads only these objects; nothing about a
particular file or authority is written in code.
"""

from .boundary import AggregationRule, BoundarySpec, Members, Variant
from .catalogue import Catalogue, as_dict
from .downloads import FileDownload
from .estimate import EstimateSpec
from .layer import KIND_AGGREGATION, POLARITIES, IndicatorSpec, SourceSpec, load_layer_file
from .points import POINTS_PREFIX, PointJoin, PointSetSpec, PostcodeSpec
from .reading import SPEC_ROOT, spec_files
from .series import SeriesSpec

__all__ = [
    "KIND_AGGREGATION", "POINTS_PREFIX", "POLARITIES", "SPEC_ROOT", "AggregationRule", "BoundarySpec", "Catalogue",
    "EstimateSpec", "FileDownload", "IndicatorSpec", "Members", "PointJoin", "PointSetSpec", "PostcodeSpec",
    "SeriesSpec", "SourceSpec", "Variant", "as_dict", "load_layer_file", "spec_files",
]
