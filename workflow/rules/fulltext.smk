rule fulltext:
    """Full texts of the records included at title/abstract (reviewer-supplied papers, PubMed Central
    articles kept under data/fulltext/) and the cases each describes."""
    input:
        records="results/unique_records.tsv",
        screening="results/screening.tsv",
        supplied=lsr_workflow.fulltext_supplied(config),
        papers=lsr_workflow.supplied_papers(config),
    output:
        availability="results/fulltext/availability.tsv",
        cases="results/fulltext/cases.tsv",
    params:
        lsr=LSR,
        store=lsr_workflow.fulltext_store(config),
        pmc=lsr_workflow.pmc_options(config),
        # Rows about records the review saw before but this run lacks are skipped, not errors.
        history=HISTORY,
    log:
        "results/logs/fulltext.log",
    conda:
        CONDA_ENV
    # Fetching from PMC needs the internet: run it on the submitting machine.
    localrule: lsr_workflow.fulltext_pmc(config)
    shell:
        "{params.lsr} --log {log:q} fulltext --records {input.records:q} --screening {input.screening:q} --supplied {input.supplied:q} "
        "--store {params.store:q} {params.pmc} --availability {output.availability} "
        "--cases {output.cases} --history {params.history:q}"


PUBLISHED += [rules.fulltext.output.availability, rules.fulltext.output.cases]
