"""What the atlas asks of the statistics: the app's panel of readings and the all-districts table.

:mod:`atlas.stats` holds the statistics themselves, pure as esda's (values and
weights in, result objects out); this package applies them to built atlases
and to every district of England:

* :func:`summarise` (:mod:`atlas.analysis.summary`): the statistics of one
  layer of an atlas, each with a sentence saying what it means;
* :mod:`atlas.analysis.national`: the 20:20 index and Moran's I of every
  district at once (``atlas stats --all-districts``).
"""

from .summary import summarise

__all__ = ["summarise"]
