rule table1:
    """Table 1 in every published format, captioned with its version (date from the version registry)."""
    input:
        extraction="results/extraction.tsv",
        # The human gate: only studies a reviewer included at full text enter the table.
        screening="results/screening.tsv",
        records="results/unique_records.tsv",
    output:
        csv=report("results/table1.csv", caption="../report/table1_files.rst", category="1. Table 1"),
        marked="results/table1_marked.csv",
        md=report("results/table1.md", caption="../report/table1_files.rst", category="1. Table 1"),
        html=report("results/table1.html", caption="../report/table1.rst", category="1. Table 1"),
        tex=report("results/table1.tex", caption="../report/table1_files.rst", category="1. Table 1"),
        docx=report("results/table1.docx", caption="../report/table1_files.rst", category="1. Table 1"),
        ris="results/references.ris",
        bib="results/references.bib",
        figure=report("results/evidence_over_time.svg", caption="../report/evidence_over_time.rst",
                      category="4. Evidence over time"),
    params:
        lsr=LSR,
        # The registry is durable state the rule appends to the first time it sees a table content.
        # It is a parameter, not an output: Snakemake deletes outputs before a job runs and would
        # rerun the rule whenever the registry changed, breaking the no-op second run.
        registry=TABLE_VERSIONS,
        as_of=AS_OF_OPTION,
        # What the config calls the review and its Table 1.
        topic=config["review"]["topic"],
        caption=config["review"]["table1_caption"],
        outdir=lambda wildcards, output: os.path.dirname(output.csv),
    log:
        "results/logs/table1.log",
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} table1 --extraction {input.extraction:q} --screening {input.screening:q} "
        "--records {input.records:q} --registry {params.registry:q} --outdir {params.outdir:q} "
        "--topic {params.topic:q} --caption {params.caption:q} {params.as_of}"


PUBLISHED += [*rules.table1.output]
