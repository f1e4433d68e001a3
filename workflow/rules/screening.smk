rule screen:
    """Screen every record against the eligibility criteria; reviewer decisions override the rules."""
    input:
        # Written by the sources stage (rule `sources`).
        records="results/unique_records.tsv",
        eligibility=config["screening"]["eligibility"],
        schema="workflow/schemas/eligibility.schema.yaml",
        # Every reviewer's file (config/screening/decisions/<reviewer>.tsv): a new file reruns the rule.
        decisions=lsr_workflow.reviewer_files(config["screening"]["decisions"]),
        vocabularies=VOCABULARIES,
    output:
        screening="results/screening.tsv",
        to_review="results/to_review.tsv",
        summary="results/screening_summary.md",
    params:
        lsr=LSR,
        # The folder of the reviewers' files (the rule reads all of them; an empty folder is no decisions).
        decisions=lambda wildcards: config["screening"]["decisions"],
        as_of=AS_OF_OPTION,
        # Reviewer rows about records the review saw before but this run lacks are skipped, not errors.
        history=HISTORY,
    # Records are screened in chunks by this many processes; the output is the same whatever the number.
    threads: lsr_workflow.CHUNK_THREADS
    log:
        "results/logs/screen.log",
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} screen --jobs {threads} --records {input.records:q} --eligibility {input.eligibility:q} "
        "--schema {input.schema:q} --decisions {params.decisions:q} --out {output.screening} "
        "--to-review {output.to_review} --summary {output.summary} {params.as_of} --history {params.history:q}"


PUBLISHED += [rules.screen.output.screening, rules.screen.output.to_review, rules.screen.output.summary]
