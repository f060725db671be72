"""atlas.caching.fingerprint: one name for a cached thing, from what it was made of."""

from __future__ import annotations

import hashlib
import os

import pytest

from atlas.caching import fingerprint


def sha256_of(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def test_parts_are_hashed_in_order_each_followed_by_a_unit_separator():
    expected = sha256_of(b"lsoa11", b"\x1f", b"\x00\x01", b"\x1f")
    assert fingerprint("lsoa11", b"\x00\x01") == expected[:16]
    assert fingerprint("lsoa11", b"\x00\x01", length=40) == expected[:40]


def test_text_is_hashed_as_utf8_and_other_values_as_their_text():
    assert fingerprint("Ynys Môn") == fingerprint("Ynys Môn".encode("utf-8"))
    assert fingerprint(12, 1.5) == fingerprint("12", "1.5")


def test_order_and_boundaries_of_the_parts_matter():
    assert fingerprint("a", "b") != fingerprint("b", "a")
    assert fingerprint("ab", "c") != fingerprint("a", "bc")
    assert fingerprint("ab") != fingerprint("a", "b")
    assert fingerprint() == sha256_of()[:16]


@pytest.mark.parametrize("length", [1, 8, 16, 64])
def test_length_is_the_number_of_hex_digits(length):
    text = fingerprint("x", length=length)
    assert len(text) == length
    assert int(text, 16) >= 0


def test_a_file_counts_by_name_size_and_modification_time(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("code,value\n")
    stat = table.stat()
    expected = sha256_of(b"p", b"\x1f", f"{table}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    assert fingerprint("p", files=[table]) == expected[:16]


def test_a_changed_file_changes_the_fingerprint(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("code,value\nA,1\n")
    os.utime(table, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    before = fingerprint("p", files=[table])
    assert fingerprint("p", files=[table]) == before  # same state, same name
    table.write_text("code,value\nA,12\n")  # one byte longer
    os.utime(table, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    resized = fingerprint("p", files=[table])
    assert resized != before
    os.utime(table, ns=(1_700_000_000_000_000_001, 1_700_000_000_000_000_001))  # touched only
    assert fingerprint("p", files=[table]) not in (before, resized)


def test_a_missing_file_counts_as_size_zero(tmp_path):
    missing = tmp_path / "not-there.csv"
    expected = sha256_of(f"{missing}|0|0\n".encode())
    assert fingerprint(files=[missing]) == expected[:16]
    missing.write_text("")  # an empty file has a modification time, so it differs from a missing one
    assert fingerprint(files=[missing]) != expected[:16]


def test_names_relative_to_a_root_are_hashed_as_given(tmp_path):
    """The same files in another folder give the same fingerprint when named relative to their root."""
    stamp = (1_600_000_000_000_000_000, 1_600_000_000_000_000_000)
    for folder in ("one", "two"):
        (tmp_path / folder / "sub").mkdir(parents=True)
        path = tmp_path / folder / "sub" / "t.csv"
        path.write_text("a,b\n")
        os.utime(path, ns=stamp)
    relative = os.path.join("sub", "t.csv")
    one = fingerprint("x", files=[relative], root=tmp_path / "one")
    assert one == fingerprint("x", files=[relative], root=tmp_path / "two")
    assert one == sha256_of(b"x", b"\x1f", f"{relative}|4|{stamp[1]}\n".encode())[:16]
    assert one != fingerprint("x", files=[tmp_path / "one" / relative])  # absolute names differ
    assert one != fingerprint("x", files=[relative], root=tmp_path / "three")  # absent there: size 0


def test_files_and_parts_are_kept_apart(tmp_path):
    path = tmp_path / "f"
    path.write_text("1")
    assert fingerprint("a", files=[path]) != fingerprint("a")
    assert fingerprint("a", files=[path, path]) != fingerprint("a", files=[path])
