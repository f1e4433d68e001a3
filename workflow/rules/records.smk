rule records:
    """Parse the retrieved PubMed XML into one row per PMID (latest version)."""
    input:
        manifest=rules.retrieve.output.manifest,
    output:
        records="results/records.tsv",
    params:
        lsr=LSR,
    log:
        "results/logs/records.log",
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} records --manifest {input.manifest} --out {output.records}"
PUBLISHED += [rules.records.output.records]
