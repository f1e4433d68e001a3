rule retrieve:
    """Run the search; list the PubMed XML files it gives in a manifest; log the search.

    pubmed source: no file input; the live search reruns at most once a day (the `day` param
    changes at midnight UTC and Snakemake reruns a job whose params changed). Force a new search
    the same day with `--forcerun retrieve`. With as_of set, no search runs (stored files only).
    """
    input:
        lsr_workflow.retrieve_inputs(config),
    output:
        manifest="results/retrieval/manifest.tsv",
    params:
        lsr=LSR,
        source=config["search"]["source"],
        snapshot=lambda wildcards, input: lsr_workflow.snapshot_option(input),
        query=config["search"]["query"],
        options=lsr_workflow.retrieve_options(config),
        day=lsr_workflow.search_day(config),
    log:
        "results/logs/retrieve.log",
    # Compute nodes often have no internet: the search always runs on the submitting machine.
    localrule: True
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} retrieve --source {params.source} {params.snapshot} {params.options} "
        "--query {params.query:q} --manifest {output.manifest} "
        "--search-log results/search_log.tsv"


# Asked for by `rule all`: a search that failed leaves no manifest, so the next run searches again
# (otherwise Snakemake would see the older tables downstream as up to date: "Nothing to be done").
PUBLISHED += [rules.retrieve.output.manifest]
