# Shared by every stage file. Rule files hold rules only; what they compute from the config is in
# the package (src/lsr/workflow.py). Every rule follows one pattern (`snakemake --lint` is clean):
#
#     rule <name>:
#         input: ...            files it reads        output: ...   files it writes
#         params:
#             lsr=LSR,          # the command, passed as a parameter (never a global in the shell)
#             ...               # every other non-file value the shell uses
#         log: "results/logs/<name>.log"
#         conda: CONDA_ENV      # the project's environment, for `--use-conda`
#         shell: "{params.lsr} --log {log:q} <subcommand> ..."   # output to the log, errors also to the terminal
import os

from lsr import workflow as lsr_workflow

# Each stage file adds the results it publishes; `rule all` (the default target) asks for them.
PUBLISHED = []

# The stages run as `python -m lsr --log <log> <stage>` with the interpreter running Snakemake: the
# stage writes its output to the rule's log, and an error message also to the terminal.
LSR = lsr_workflow.LSR

# One environment for every rule (relative to the rule files): the same one `make` builds with pip.
CONDA_ENV = "../../environment.yml"

lsr_workflow.export_ncbi_email(config)

# `as_of` rebuilds the review as it stood that day (stored snapshots, decisions dated up to then).
AS_OF_OPTION = lsr_workflow.as_of_option(config)

# The review's durable state (committed): PubMed snapshots, table versions, history of states.
HISTORY = lsr_workflow.history_dir(config)
TABLE_VERSIONS = lsr_workflow.table_versions(config)

# The words screening and extraction read (drugs, routes, populations, modifier cues) and their
# schema: inputs of both stages, so a change to them reruns both.
VOCABULARIES = lsr_workflow.vocabulary_files()
