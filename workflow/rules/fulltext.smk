FULLTEXT = config.get("fulltext") or {}
FULLTEXT_SUPPLIED = FULLTEXT.get("supplied", "config/fulltext/fulltexts.tsv")
FULLTEXT_STORE = os.path.join(DATA_DIR, "fulltext")


def supplied_papers(wildcards):
    """The files fulltexts.tsv names (so an edited paper reruns the stage); `lsr fulltext` checks them."""
    from lsr.tsv import InputError, read_tsv

    try:
        rows = read_tsv(FULLTEXT_SUPPLIED, allow_comments=True)
    except InputError:
        return []  # the stage itself reports what is wrong with the file (file, line, field)
    folder = os.path.dirname(FULLTEXT_SUPPLIED)
    return [p for p in (os.path.join(folder, row.get("file", "")) for row in rows) if os.path.isfile(p)]


def pmc_options():
    """`--pmc` and the E-utilities settings when fulltext.pmc is on (the e-mail and key come from the
    environment, see common.smk)."""
    if not FULLTEXT.get("pmc") or config.get("as_of"):
        return ""  # a rebuild of a past day (as_of) reads only the stored articles
    ncbi = config.get("ncbi", {})
    options = {"--eutils-url": ncbi.get("eutils_url"), "--max-tries": ncbi.get("max_tries"),
               "--backoff-seconds": ncbi.get("backoff_seconds"), "--timeout-seconds": ncbi.get("timeout_seconds")}
    return "--pmc " + " ".join(f"{name} {shlex.quote(str(value))}" for name, value in options.items()
                               if value not in (None, ""))


rule fulltext:
    """Full texts of the records included at title/abstract (reviewer-supplied papers, PubMed Central
    articles kept under data/fulltext/) and the Table 1 values read from them, case by case."""
    input:
        records="results/unique_records.tsv",
        screening="results/screening.tsv",
        supplied=FULLTEXT_SUPPLIED,
        papers=supplied_papers,
    output:
        availability="results/fulltext/availability.tsv",
        values="results/fulltext/values.tsv",
        cases="results/fulltext/cases.tsv",
    params:
        store=FULLTEXT_STORE,
        pmc=pmc_options(),
        # Rows about records the review saw before but this run lacks are skipped, not errors.
        history=HISTORY,
    log:
        "results/logs/fulltext.log",
    # Fetching from PMC needs the internet: run it on the submitting machine.
    localrule: bool(FULLTEXT.get("pmc"))
    shell:
        "{LSR} --log {log:q} fulltext --records {input.records:q} --screening {input.screening:q} --supplied {input.supplied:q} "
        "--store {params.store:q} {params.pmc} --availability {output.availability} --values {output.values} "
        "--cases {output.cases} --history {params.history:q}"


PUBLISHED += [rules.fulltext.output.availability, rules.fulltext.output.values, rules.fulltext.output.cases]
