"""The `lsr` command line: subcommands, and the date option shared by several stages."""
import argparse
import subprocess
import sys

import pytest

from lsr.checks import iso_date
from lsr.cli import SUBCOMMANDS, main


@pytest.mark.parametrize("text", ["2024-02-30", "20240101", "2024-1-05", "yesterday"])
def test_iso_date_refuses_what_is_not_a_yyyy_mm_dd_calendar_date(text):
    with pytest.raises(argparse.ArgumentTypeError, match="expected a date as YYYY-MM-DD"):
        iso_date(text)


def test_iso_date_keeps_a_valid_date():
    assert iso_date("2024-02-29") == "2024-02-29"


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command, capsys):
    # In this process (the entry point's `main`): a subprocess per command costs a second or two in all;
    # the tests below start `python -m lsr` itself.
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0 and "usage: lsr " + command in capsys.readouterr().out


def test_a_stage_refuses_an_option_it_does_not_know():
    result = subprocess.run([sys.executable, "-m", "lsr", "status", "--cores", "2"], capture_output=True, text=True)
    assert result.returncode == 2 and "unrecognized arguments: --cores 2" in result.stderr


@pytest.mark.e2e  # starts Snakemake (about 2 s of imports)
def test_update_passes_what_it_does_not_know_to_snakemake(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lsr", "update", "--data-dir", str(tmp_path), "--version"],
                            capture_output=True, text=True, cwd=tmp_path)
    # Snakemake printed its version and changed nothing: no new review state.
    assert result.returncode == 3 and result.stdout.splitlines()[0][0].isdigit(), result.stdout + result.stderr
