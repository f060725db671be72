"""What the steps of an import share: the lookup and kinds they know, the error they raise, and how lists are written."""

from __future__ import annotations

from ..errors import AtlasError
from ..specs import KIND_AGGREGATION

#: The ONS LSOA 2011 to LSOA 2021 lookup, relative to the source directory.
LSOA_LOOKUP = ("deprivation/lookups/LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_"
               "Lookup_for_England_and_Wales_(Version_2).csv.gz")
LOOKUP_OLD, LOOKUP_NEW = "LSOA11CD", "LSOA21CD"
#: The conversion rule, as stated to users in the match report and the layer's method.
CONVERSION_RULE = (
    "Unchanged LSOAs carry their value over. Where several LSOAs make one (2011 LSOAs merged into a 2021 LSOA; "
    "or, converting back, the 2021 parts of a split 2011 LSOA), rates take their population-weighted mean and "
    "counts are summed. Where one LSOA makes several (a split 2011 LSOA; or, converting back, a merged 2021 "
    "LSOA), each part inherits the rate, or takes a share of the count in proportion to its population. Areas "
    "changed in more complex ways, or without a link, are not converted and are listed; an area whose source "
    "areas have no value has no data."
)
#: Kinds of indicator an import may be; how each converts and aggregates follows the engine's kinds.
IMPORT_KINDS = ("value", "rate", "percentage", "score", "count", "decile", "rank")
#: Kinds the engine sums (:data:`atlas.specs.KIND_AGGREGATION`); the others it averages, or neither.
COUNT_KINDS = tuple(kind for kind, how in KIND_AGGREGATION.items() if how == "sum")
SINGLE_VALUE_KINDS = tuple(kind for kind, how in KIND_AGGREGATION.items()
                           if how not in ("sum", "weighted_mean"))  # never averaged or summed
MANIFEST = "imports.json"
LAYER_PREFIX = "import_"
LAYER_SUFFIXES = ("note", "lower", "upper", "numerator", "denominator")
_LIST = 20  # codes listed in full in one line of text before "and N more"


class ImportFileError(AtlasError):
    """An uploaded or imported indicator file cannot be used as it is."""


# --- helpers ------------------------------------------------------------------------------------

def quoted_names(names) -> str:
    names = [str(n) for n in names]
    text = ", ".join(repr(n) for n in names[:30])
    return text + (f" ... ({len(names)} columns)" if len(names) > 30 else "")


def labelled_pairs(mapping: dict) -> list[str]:
    return [f"{k} ({v})" for k, v in mapping.items()]


def short_text(items: list) -> str:
    items = [str(i) for i in items]
    more = f" ... and {len(items) - _LIST} more" if len(items) > _LIST else ""
    return ", ".join(items[:_LIST]) + more
