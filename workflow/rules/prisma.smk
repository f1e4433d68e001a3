# The stage tables are named by path: the rules that make them live in other stage files.
rule prisma:
    """PRISMA 2020 flow: counts (checked to add up) and the flow diagram."""
    input:
        records="results/records.tsv",
        other_records="results/other_records.tsv",
        duplicates="results/duplicates.tsv",
        unique_records="results/unique_records.tsv",
        screening="results/screening.tsv",
        eligibility=config["screening"]["eligibility"],
        availability="results/fulltext/availability.tsv",
    output:
        json="results/prisma.json",
        svg=report("results/prisma.svg", caption="../report/prisma.rst", category="2. PRISMA flow"),
    params:
        lsr=LSR,
        # The names the config gives the other sources, shown instead of their file names.
        source_names=lsr_workflow.source_names_option(config),
    log:
        "results/logs/prisma.log",
    conda:
        CONDA_ENV
    shell:
        "{params.lsr} --log {log:q} prisma --records {input.records} --other-records {input.other_records} "
        "--duplicates {input.duplicates} --unique-records {input.unique_records} "
        "--screening {input.screening} --eligibility {input.eligibility:q} "
        "--fulltext-availability {input.availability} "
        "{params.source_names} --json {output.json} --svg {output.svg}"


PUBLISHED += [rules.prisma.output.json, rules.prisma.output.svg]
