rule changes:
    """Record the review state in data/history/ and report what changed since the previous distinct state."""
    input:
        unique_records="results/unique_records.tsv",
        screening="results/screening.tsv",
        table1="results/table1_marked.csv",
        # Studies proposed for Table 1 (included at title/abstract, no full-text include yet) with their values.
        extraction="results/extraction.tsv",
    output:
        changes="results/changes.md",
        # Every record new in each state the report covers (changes.md lists them only when few).
        records="results/changes_records.tsv",
    params:
        lsr=LSR,
        # Durable state, not outputs (Snakemake deletes outputs before a job and would rerun
        # the rule whenever the history changed): data/history/ and the table version registry.
        history=HISTORY,
        table_versions=TABLE_VERSIONS,
        # `as_of` reproduces an earlier review date: compare with the state before it, record nothing.
        as_of=AS_OF_OPTION,
    log:
        "results/logs/changes.log",
    # Seconds of work that writes the committed history: never worth a cluster job.
    localrule: True
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} changes --unique-records {input.unique_records} --screening {input.screening} "
        "--table1 {input.table1} --extraction {input.extraction} --history {params.history:q} "
        "--table-versions {params.table_versions:q} {params.as_of} --out {output.changes} "
        "--records-out {output.records}"


PUBLISHED += [rules.changes.output.changes, rules.changes.output.records]
