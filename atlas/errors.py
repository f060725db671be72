"""Errors the atlas raises for bad input.

Every error says what is wrong, where (file, column, code or setting) and what
was expected, so the command line and the app can show it as it is, without a
traceback.
"""

import contextlib


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


class FileSystemError(AtlasError):
    """A file or folder the atlas reads or writes is not as expected (missing, not writable, of the wrong kind)."""


#: What the atlas expected, by the operating system's error number.
_EXPECTED = {
    "EACCES": "permission denied: choose a file or folder you can read and write",
    "EPERM": "not permitted: choose a file or folder you can read and write",
    "EROFS": "the file system is read-only: choose a folder you can write to",
    "ENOTDIR": "a file is where a folder was expected: choose a folder, or move the file",
    "EISDIR": "a folder is where a file was expected: give a file's path",
    "ENOENT": "no such file or folder",
    "ENOSPC": "the disk is full",
    "EDQUOT": "the disk quota is exceeded",
    "ENAMETOOLONG": "the name is too long",
    "EEXIST": "it already exists",
}


def as_atlas_error(exc: BaseException) -> AtlasError | None:
    """The atlas's own error for ``exc``: itself, or an operating-system or parser error in one line.

    This is the one mapping used at the boundaries (the command line's
    ``main`` and each page of the app), so no traceback reaches a user.

    Parameters
    ----------
    exc : BaseException

    Returns
    -------
    AtlasError or None
        None for anything else (a bug, which should show as one).
    """
    import errno

    if isinstance(exc, AtlasError):
        return exc
    if isinstance(exc, OSError) and (exc.errno is not None or exc.filename is not None):
        name = errno.errorcode.get(exc.errno or 0, "")
        where = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None) or "a file"
        expected = _EXPECTED.get(name, exc.strerror or str(exc))
        return FileSystemError(f"Cannot use {where}: {expected} ({exc.strerror or name}).")
    if _is_parser_error(exc):
        first = (str(exc).splitlines() or [""])[0]
        return SourceFileError(f"A file could not be read ({type(exc).__name__}: {first}); expected a well-formed "
                               f"file of its kind.")
    return None


def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line (a parser's message may span several)."""
    return " ".join(part.strip() for part in str(error).splitlines() if part.strip())


@contextlib.contextmanager
def naming(path, error: type = None, expected: str = "a well-formed file of its kind"):
    """A context in which a file that cannot be parsed is an error of the atlas's naming it.

    A parser error (a damaged zip or XML, bad text encoding, a broken
    GeoPackage ...) or an operating-system error without a file name, raised
    while ``path`` is read, becomes one line naming ``path`` and what was
    expected; errors of the atlas's pass as they are, and anything else (a bug)
    is not dressed up.

    Parameters
    ----------
    path : str or path-like
        The file being read, as the user knows it.
    error : type, optional
        The :class:`AtlasError` subclass to raise (default :class:`SourceFileError`).
    expected : str
        What the file should have been, in words.
    """
    try:
        yield
    except AtlasError:
        raise
    except Exception as exc:
        if not (_is_parser_error(exc) or (isinstance(exc, OSError) and exc.filename is None)):
            raise
        first = (str(exc).splitlines() or [""])[0]
        raise (error or SourceFileError)(f"{path} could not be read ({type(exc).__name__}: {first}); expected "
                                         f"{expected}.") from exc


def _is_parser_error(exc: BaseException) -> bool:
    import csv
    import json
    import sqlite3
    import zipfile
    from xml.etree.ElementTree import ParseError

    known = (zipfile.BadZipFile, zipfile.LargeZipFile, ParseError, csv.Error, UnicodeError, json.JSONDecodeError,
             sqlite3.DatabaseError, EOFError)
    module = type(exc).__module__ or ""
    return isinstance(exc, known) or module.startswith(("pyogrio", "pandas.errors", "openpyxl", "lxml"))
