# Living systematic review: systemic tacrolimus in juvenile dermatomyositis.
# Rules are thin glue around the `lsr` package (src/lsr/); see README.md.
import sys

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


# The API key is a secret: Snakemake writes the config and its command line to .snakemake/log/.
if "api_key" in (config.get("ncbi") or {}):
    sys.exit("error: ncbi.api_key is not accepted in the config (file or --config): Snakemake writes the "
             "config and its command line to .snakemake/log/. Remove it and export NCBI_API_KEY instead.")


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/retrieval.smk"
include: "workflow/rules/records.smk"
include: "workflow/rules/sources.smk"
include: "workflow/rules/screening.smk"
include: "workflow/rules/prisma.smk"
include: "workflow/rules/fulltext.smk"
include: "workflow/rules/extraction.smk"
include: "workflow/rules/table1.smk"
include: "workflow/rules/changes.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        PUBLISHED,
