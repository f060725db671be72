"""Reading spec files: the spec folder, TOML without its download tables, and key checks."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

from ..errors import SpecError

#: The folder of the packaged specs: ``boundaries/`` (one TOML per boundary set) and ``layers/``
#: (one TOML per dataset). The checkout's top-level ``boundaries`` and ``layers`` point here.
SPEC_ROOT = Path(__file__).resolve().parent
#: The file (in the spec folder) saying which layer or point set plays each role of the fixed analyses.
ROLES_FILE = "roles.toml"


def check_keys(where: str, table: dict, allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpecError(
            f"{where}: unknown key(s) {', '.join(unknown)}; expected some of: {', '.join(sorted(allowed))}"
        )
    missing = sorted(required - set(table))
    if missing:
        raise SpecError(f"{where}: missing required key(s) {', '.join(missing)}")


def check_table(where: str, table: dict, cls, filled: tuple[str, ...] = (), extra: tuple[str, ...] = (),
                 required: set[str] | None = None) -> None:
    """Check a spec table's keys against the fields of the dataclass ``cls`` it becomes.

    Every field is an allowed key, and those without a default are required,
    except ``spec_file`` and the ``filled`` fields the loader sets itself;
    ``extra`` keys are allowed too, and ``required`` replaces the required set.
    """
    allowed, needed = set(extra), set()
    for f in dataclasses.fields(cls):
        if f.name == "spec_file" or f.name in filled:
            continue
        allowed.add(f.name)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            needed.add(f.name)
    check_keys(where, table, allowed, needed if required is None else required)


def load_toml(path: Path) -> dict:
    return without_downloads(read_toml(path))


def read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{relative_name(path)} is not valid TOML: {exc}") from exc


def without_downloads(value):
    """A spec without its ``download`` tables: they say where :mod:`atlas.fetch` gets a file, not how to read it."""
    if isinstance(value, dict):
        return {k: without_downloads(v) for k, v in value.items() if not (k == "download" and isinstance(v, dict))}
    if isinstance(value, list):
        return [without_downloads(v) for v in value]
    return value


def relative_name(path: Path, root: Path | None = None) -> str:
    """A spec file's name as messages give it: relative to its spec folder."""
    try:
        return str(Path(path).resolve().relative_to(Path(root or SPEC_ROOT).resolve()))
    except ValueError:
        return str(path)


def spec_files(root: str | Path | None = None) -> list[Path]:
    """Every spec file under ``root`` (default ``SPEC_ROOT``): ``boundaries/*.toml``, ``layers/**/*.toml``, ``roles.toml``.

    Parameters
    ----------
    root : path-like, optional

    Returns
    -------
    list of pathlib.Path
    """
    root = Path(root) if root else SPEC_ROOT
    roles = [root / ROLES_FILE] if (root / ROLES_FILE).is_file() else []
    return sorted((root / "boundaries").glob("*.toml")) + sorted((root / "layers").rglob("*.toml")) + roles
