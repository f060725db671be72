"""Health Equity Atlas: health inequalities for English local authorities.

The public API:

>>> import atlas
>>> luton = atlas.build("E06000032")            # doctest: +SKIP
>>> luton.table("lsoa11")["income19_score"]     # doctest: +SKIP
>>> same = atlas.load("output/atlas/E06000032.gpkg")  # doctest: +SKIP
"""

from .build import build
from .districts import list_districts
from .errors import AtlasError
from .model import Atlas
from .specs import Catalogue
from .store import load

__all__ = ["Atlas", "AtlasError", "Catalogue", "build", "list_districts", "load"]
__version__ = "0.1.0"
