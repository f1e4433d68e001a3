import os
import shlex
import sys

# Each stage file adds the results it publishes; `rule all` (the default target) asks for them.
PUBLISHED = []

# The stages run as `python -m lsr --log <log> <stage>` with the interpreter running Snakemake: the
# stage writes its output to the rule's log, and an error message also to the terminal.
LSR = f'"{sys.executable}" -m lsr'

# The e-mail reaches the live search through the environment, never through a logged command line;
# the API key only ever comes from NCBI_API_KEY (the Snakefile refuses it in the config).
if config.get("ncbi", {}).get("email"):
    os.environ.setdefault("NCBI_EMAIL", config["ncbi"]["email"])


# `as_of` rebuilds the review as it stood that day (stored snapshots, decisions dated up to then).
AS_OF_OPTION = f"--as-of {config['as_of']}" if config.get("as_of") else ""

# The review's durable state (committed): PubMed snapshots, table versions, history of states.
DATA_DIR = config.get("data_dir", "data")
HISTORY = os.path.join(DATA_DIR, "history")


def snapshot_patterns():
    snapshot = config["search"]["snapshot"]
    return [snapshot] if isinstance(snapshot, str) else list(snapshot)


def snapshot_files():
    """The snapshot XML files, resolved when the workflow is parsed (an input of `retrieve`)."""
    from lsr.records import resolve_inputs
    from lsr.tsv import InputError

    try:
        return [str(path) for path in resolve_inputs(snapshot_patterns())]
    except InputError as error:
        sys.exit(f"error: {error}")  # a user error: the message, without Snakemake's traceback


def reviewer_files(folder):
    """The per-reviewer files of a folder (`<reviewer>.tsv`), as inputs: an edit or a new file reruns the rule."""
    from lsr.reviewers import reviewer_files as files

    return [str(path) for path in files(folder)]
