"""Errors the atlas raises for bad input.

Every error says what is wrong, where (file, column, code or setting) and what
was expected, so the command line and the app can show it as it is, without a
traceback.
"""


class AtlasError(Exception):
    """Base class for every error the atlas reports to its users."""


class SourceDirError(AtlasError):
    """The source directory of official files is not set or does not exist."""


class SpecError(AtlasError):
    """A boundary or layer spec is malformed or inconsistent."""


class SourceFileError(AtlasError):
    """A source file named by a spec is missing, unreadable or not as expected."""


class UnknownAreaError(AtlasError):
    """An area or district code is not known, or is not the kind of code expected."""


class BuildError(AtlasError):
    """A build could not complete; nothing was written."""


class StatisticError(AtlasError):
    """A statistic cannot be computed for these areas (too few, constant or missing values)."""
