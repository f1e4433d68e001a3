rule retrieve:
    """Run the search; list the PubMed XML files it gives in a manifest; log the search."""
    input:
        snapshot_files() if config["search"]["source"] == "snapshot" else [],
    output:
        manifest="results/retrieval/manifest.tsv",
    params:
        source=config["search"]["source"],
        snapshot=lambda wildcards, input: " ".join(["--snapshot"] + [shlex.quote(p) for p in input]) if input else "",
        query=config["search"]["query"],
    log:
        "results/logs/retrieve.log",
    shell:
        "{LSR} retrieve --source {params.source} {params.snapshot} "
        "--query {params.query:q} --manifest {output.manifest} "
        "--search-log results/search_log.tsv > {log} 2>&1"
