"""atlas.cli: the parser (every command, the shared options) and how main reports the atlas's errors."""

from __future__ import annotations

import argparse

import pytest

from atlas import cli
from atlas.cli import COMMANDS, main, make_parser
from atlas.errors import UnknownAreaError

SHARED = ("--la", "--source", "--atlas-dir", "--out")


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = make_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def option(parser: argparse.ArgumentParser, flag: str) -> argparse.Action | None:
    return next((a for a in parser._actions if flag in a.option_strings), None)


def run_main(argv, capsys) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- the parser ----------------------------------------------------------------------------------------------

def test_the_commands_in_help_order():
    assert list(subparsers()) == list(COMMANDS) == ["build", "districts", "app", "stats", "export", "profile",
                                                    "import", "areas", "fetch"]


def test_atlas_help_lists_every_command_with_its_one_line_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: atlas")
    for name, module in COMMANDS.items():
        assert name in out
        assert module.HELP.split()[0] in out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_help(name, capsys):
    module = COMMANDS[name]
    assert isinstance(module.HELP, str) and "\n" not in module.HELP and module.HELP
    assert callable(module.add_arguments) and callable(module.run)
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"usage: atlas {name}")
    assert " ".join(module.HELP.split()) in " ".join(captured.out.split())
    assert captured.err == ""


@pytest.mark.parametrize("flag", ["--source", "--atlas-dir"])
def test_source_and_atlas_dir_are_the_same_option_wherever_they_appear(flag):
    found = {name: option(parser, flag) for name, parser in subparsers().items()}
    found = {name: action for name, action in found.items() if action is not None}
    assert len(found) >= 4, found
    meanings = {(a.dest, a.metavar, a.help, a.default, a.required, type(a)) for a in found.values()}
    assert len(meanings) == 1, meanings
    dest, metavar, help_text, default, required, _ = meanings.pop()
    assert (metavar, default, required) == ("DIR", None, False)
    assert dest == flag.lstrip("-").replace("-", "_")
    assert ("ATLAS_SOURCE_DIR" if flag == "--source" else "ATLAS_OUT_DIR") in help_text


def test_la_is_always_a_district_code():
    for name, parser in subparsers().items():
        action = option(parser, "--la")
        if action is None:
            continue
        assert action.option_strings == ["--la"], name
        assert (action.dest, action.metavar, action.default) == ("la", "CODE", None), name
        assert "E06000032" in action.help, name


def test_out_is_what_the_command_writes():
    """``--out`` is the command's output (file or folder), or, where it writes atlases, the atlas folder."""
    for name, parser in subparsers().items():
        action = option(parser, "--out")
        if action is None:
            continue
        if action.dest == "atlas_dir":  # build and import write into the folder of atlases
            assert action.option_strings == ["--atlas-dir", "--out"], name
        else:
            assert action.dest == "out" and action.metavar, name


def test_the_older_out_spelling_fills_the_atlas_folder(tmp_path):
    parser = make_parser()
    for flag in ("--out", "--atlas-dir"):
        args = parser.parse_args(["build", "--la", "E06000032", flag, str(tmp_path)])
        assert args.atlas_dir == str(tmp_path) and args.source is None


def test_argparse_refuses_a_missing_command_or_required_option(capsys):
    for argv in ([], ["build"], ["stats", "--all-districts", "--areas", "x"], ["no-such-command"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert "usage: atlas" in capsys.readouterr().err


# -- errors of the atlas: one line, status 2 -----------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["stats", "--la", "Luton"], "'Luton' is not an ONS area code; district codes start E06"),
    (["stats", "--la", "E01015693"], "E01015693 is the code of a"),
    (["stats", "--la", "E06000032", "--all-districts"], "--all-districts covers every district; leave out --la."),
    (["stats", "--la", "E06000032", "--permutations", "-1"], "--permutations must be 0 or more (got -1)."),
    (["app", "--la", "E05015000"], "electoral ward, not of an English district"),
    (["export", "--la", "E06000032", "--out", "map.png"], "Give --layer and --geography for one map"),
    (["build", "--la", "E06000032"], "(set by the environment variable ATLAS_SOURCE_DIR) does not exist"),
])
def test_an_atlas_error_is_one_line_on_standard_error_and_status_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_main(argv, capsys)
    assert status == 2
    assert out == ""
    assert err.startswith(f"atlas {argv[0]}: error: ")
    assert message in err
    assert err.count("\n") == 1 and err.endswith("\n")
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_missing_source_folder_given_on_the_command_line_is_named(capsys, tmp_path):
    missing = tmp_path / "not-here"
    status, _, err = run_main(["districts", "--source", str(missing)], capsys)
    assert status == 2
    assert err == (f"atlas districts: error: The source directory {missing} (set by --source) does not exist "
                   "or is not a folder.\n")


def test_an_interruption_is_status_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.districts, "run", interrupted)
    status, _, err = run_main(["districts"], capsys)
    assert status == 130
    assert err == "interrupted; nothing half-written was left behind\n"


def test_a_bug_is_not_hidden_as_an_atlas_error(monkeypatch):
    def broken(args):
        raise ValueError("a bug")

    monkeypatch.setattr(cli.districts, "run", broken)
    with pytest.raises(ValueError, match="a bug"):
        main(["districts"])


def test_each_command_gets_its_parsed_arguments(monkeypatch):
    seen = {}

    def record(args):
        seen.update(vars(args))
        raise UnknownAreaError("stop here")

    monkeypatch.setattr(cli.profile, "run", record)
    assert main(["profile", "--la", "E06000032", "--area", "Dallow", "--out", "p.html"]) == 2
    assert seen["command"] == "profile" and seen["la"] == "E06000032" and seen["area"] == "Dallow"
    assert seen["out"] == "p.html" and seen["atlas_dir"] is None and seen["source"] is None
