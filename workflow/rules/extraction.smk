rule paper_values:
    """Table 1 values read from the full texts the fulltext rule found, case by case."""
    input:
        records="results/unique_records.tsv",
        availability="results/fulltext/availability.tsv",
        papers=lsr_workflow.supplied_papers(config),
        vocabularies=VOCABULARIES,
    output:
        values="results/fulltext/values.tsv",
    params:
        lsr=LSR,
    log:
        "results/logs/paper_values.log",
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} paper-values --records {input.records} --availability {input.availability} "
        "--out {output.values}"


PUBLISHED += [rules.paper_values.output.values]


rule extract:
    """Table 1 fields of the included records from the full text (else title and abstract), replaced by
    reviewer values."""
    input:
        records="results/unique_records.tsv",
        screening="results/screening.tsv",
        # Every reviewer's file (config/extraction/values/<reviewer>.tsv): a new file reruns the rule.
        reviewer_values=lsr_workflow.reviewer_files(config["extraction"]["reviewer_values"]),
        fulltext_values="results/fulltext/values.tsv",
        vocabularies=VOCABULARIES,
    output:
        extraction="results/extraction.tsv",
    params:
        lsr=LSR,
        # The folder of the reviewers' files (the rule reads all of them; an empty folder is no decisions).
        reviewer_values=lambda wildcards: config["extraction"]["reviewer_values"],
        as_of=AS_OF_OPTION,
        # Reviewer rows about records the review saw before but this run lacks are skipped, not errors.
        history=HISTORY,
    # Records are read in chunks by this many processes; the output is the same whatever the number.
    threads: lsr_workflow.CHUNK_THREADS
    log:
        "results/logs/extract.log",
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} extract --jobs {threads} --records {input.records} --screening {input.screening} "
        "--reviewer-values {params.reviewer_values:q} --fulltext-values {input.fulltext_values} "
        "--out {output.extraction} {params.as_of} --history {params.history:q}"


PUBLISHED += [rules.extract.output.extraction]
