rule sources:
    """Read records from other sources (RIS) and remove duplicates across all sources."""
    input:
        records=rules.records.output.records,
        ris=lsr_workflow.other_source_paths(config),
    output:
        other_records="results/other_records.tsv",
        unique_records="results/unique_records.tsv",
        duplicates="results/duplicates.tsv",
    params:
        lsr=LSR,
    log:
        "results/logs/sources.log",
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} sources --records {input.records} --ris {input.ris:q} "
        "--other-out {output.other_records} --unique-out {output.unique_records} "
        "--duplicates-out {output.duplicates}"


PUBLISHED += [rules.sources.output.unique_records]
