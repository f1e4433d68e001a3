import datetime

LIVE_SEARCH = config["search"]["source"] == "pubmed"
AS_OF = config.get("as_of") or ""


def retrieve_options():
    """Command-line options of `lsr retrieve` for the configured source (never the e-mail or key:
    those reach it through NCBI_EMAIL / NCBI_API_KEY, see common.smk)."""
    if not LIVE_SEARCH:
        return f"--as-of {shlex.quote(AS_OF)}" if AS_OF else ""  # only to note in the log that it does not apply
    search, ncbi = config["search"], config.get("ncbi", {})
    options = {
        "--data-dir": DATA_DIR,
        "--as-of": AS_OF,
        "--mindate": search.get("mindate"),
        "--maxdate": search.get("maxdate"),
        "--eutils-url": ncbi.get("eutils_url"),
        "--batch-size": ncbi.get("batch_size"),
        "--max-tries": ncbi.get("max_tries"),
        "--backoff-seconds": ncbi.get("backoff_seconds"),
        "--timeout-seconds": ncbi.get("timeout_seconds"),
    }
    return " ".join(f"{name} {shlex.quote(str(value))}" for name, value in options.items()
                    if value not in (None, ""))


rule retrieve:
    """Run the search; list the PubMed XML files it gives in a manifest; log the search.

    pubmed source: no file input; the live search reruns at most once a day (the `day` param
    changes at midnight UTC and Snakemake reruns a job whose params changed). Force a new search
    the same day with `--forcerun retrieve`. With as_of set, no search runs (stored files only).
    """
    input:
        [] if LIVE_SEARCH else snapshot_files(),
    output:
        manifest="results/retrieval/manifest.tsv",
    params:
        source=config["search"]["source"],
        snapshot=lambda wildcards, input: " ".join(["--snapshot"] + [shlex.quote(p) for p in input]) if input else "",
        query=config["search"]["query"],
        options=retrieve_options(),
        day=datetime.datetime.now(datetime.timezone.utc).date().isoformat() if LIVE_SEARCH and not AS_OF else "",
    log:
        "results/logs/retrieve.log",
    # Compute nodes often have no internet: the search always runs on the submitting machine.
    localrule: True
    shell:
        "{LSR} --log {log:q} retrieve --source {params.source} {params.snapshot} {params.options} "
        "--query {params.query:q} --manifest {output.manifest} "
        "--search-log results/search_log.tsv"


# Asked for by `rule all`: a search that failed leaves no manifest, so the next run searches again
# (otherwise Snakemake would see the older tables downstream as up to date: "Nothing to be done").
PUBLISHED += [rules.retrieve.output.manifest]
