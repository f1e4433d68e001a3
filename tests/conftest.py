"""Shared fixtures: paths to the repository and ../shared, a Snakemake runner on a copy, and `lsr` run
through its entry point in this process."""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LSR_SHARED", REPO.parent / "shared"))
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
WORKFLOW_FILES = ("Snakefile", "workflow", "config", "resources", "profiles", "environment.yml")
# The reviewers' files as they stood when the tests were written (decisions, values, added studies):
# tests run on these frozen copies, so they pass whatever the living review's config/ and data/ hold.
REVIEW_FIXTURE = REPO / "tests/fixtures/review"


def review_file(repo: Path, path: str | Path) -> Path:
    """A review file (relative to the repository) for the tests: the frozen copy when there is one."""
    frozen = REVIEW_FIXTURE / path
    return frozen if frozen.exists() else repo / path


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} not found: the shared/ folder must stand beside the repository")
    return SHARED


def copy_workflow(destination: Path, shipped: bool = False) -> Path:
    """Copy what a user's clone holds (workflow, config, bundled data) into `destination`, with the
    frozen reviewer files of tests/fixtures/review (`shipped`: the review's own files and data/)."""
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", ".snakemake")
    for name in WORKFLOW_FILES + (("data",) if shipped else ()):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, destination / name)
    if not shipped:
        shutil.copytree(REVIEW_FIXTURE, destination, ignore=ignore, dirs_exist_ok=True)
    return destination


def run_snakemake(workdir: Path, *args: str, check: bool = True, env: dict | None = None,
                  timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the Snakemake of this environment in `workdir`, as `make run` does."""
    command = [str(SNAKEMAKE), "--cores", "2", *args]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
    return result


# Stages that configure logging or start other programs: their commands are run as subprocesses.
NOT_IN_PROCESS = {"retrieve", "fulltext", "update", "review"}


def lsr_in_process(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`lsr ARGS` through the entry point's `main` in this process, in `cwd`, as test_cli.py runs the
    subcommands' help: the same parsing, stage, messages and exit status as `python -m lsr ARGS`, without
    a new interpreter importing the stage's libraries again (0.1-0.9 s a command). A test of byte-identical
    outputs across runs keeps one of its runs in a new process (another hash seed)."""
    from lsr.cli import _command, main

    argv = [str(arg) for arg in args]
    assert _command(argv) not in NOT_IN_PROCESS, f"run `lsr {_command(argv)}` as a subprocess"
    stdout, stderr = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = main(argv)
            except SystemExit as stop:  # argparse's usage errors and --help
                code = stop.code
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(["lsr", *argv], code, stdout.getvalue(), stderr.getvalue())


@pytest.fixture
def workflow_copy(tmp_path: Path) -> Path:
    """A fresh copy of the workflow in a temporary folder."""
    return copy_workflow(tmp_path / "review")


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory) -> Path:
    """One complete pipeline run on the bundled snapshot and the frozen reviewer files, shared by the
    tests that read its outputs."""
    workdir = copy_workflow(tmp_path_factory.mktemp("bundled") / "review")
    run_snakemake(workdir)
    return workdir


@pytest.fixture
def built_review(bundled_run: Path, tmp_path: Path) -> Path:
    """A private copy of the bundled run (workflow, config, results): reviewers may write in it."""
    return Path(shutil.copytree(bundled_run, tmp_path / "review", symlinks=True,
                                ignore=shutil.ignore_patterns("locks", "incomplete", "__pycache__")))


E2E_FIXTURES = {"workflow_copy", "bundled_run", "built_review"}


def pytest_collection_modifyitems(items) -> None:
    """Mark as `e2e` every test that runs the workflow (it uses a workflow copy), so that
    `pytest -m "not e2e"` is the fast lane; `make test` runs both."""
    for item in items:
        if E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def entrez_unthrottled(monkeypatch):
    """Bio.Entrez without its rate-limit pauses (NCBI's 3 or 10 requests/s) for tests against the
    fake NCBI server that check what is asked and stored, not when: each request would otherwise
    wait 0.1-0.37 s. test_retrieval.py::test_requests_keep_to_ncbi_rate_limits checks the pauses."""
    import time
    import types

    from Bio import Entrez

    monkeypatch.setattr(Entrez, "time", types.SimpleNamespace(time=time.time, sleep=lambda seconds: None))
    # Entrez books each skipped pause ahead in `_open.previous`; restored after the test, so a later
    # test with the pauses does not wait for them.
    monkeypatch.setattr(Entrez._open, "previous", Entrez._open.previous)

