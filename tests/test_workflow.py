"""End-to-end: the Snakemake workflow on a temporary copy, as `make run` runs it."""
from conftest import run_snakemake


def test_second_run_is_a_noop_and_records_are_byte_identical(workflow_copy):
    run_snakemake(workflow_copy)
    records = (workflow_copy / "results/records.tsv").read_bytes()
    again = run_snakemake(workflow_copy)
    assert "Nothing to be done" in again.stdout + again.stderr
    (workflow_copy / "results/records.tsv").unlink()
    run_snakemake(workflow_copy)
    assert (workflow_copy / "results/records.tsv").read_bytes() == records
    assert records.count(b"\n") == 42  # header + the 41 bundled records


def test_bad_config_key_stops_the_run_naming_the_key(workflow_copy):
    config = workflow_copy / "config/config.yaml"
    config.write_text(config.read_text().replace("  batch_size: 500", "  batch_size: 500\n  batchsize: 7"))
    result = run_snakemake(workflow_copy, "-n", check=False)
    assert result.returncode != 0
    assert "batchsize" in result.stdout + result.stderr


def test_bad_config_type_stops_the_run_naming_the_key(workflow_copy):
    result = run_snakemake(workflow_copy, "-n", "--config", "ncbi={'batch_size': 'many'}", check=False)
    assert result.returncode != 0
    assert "batch_size" in result.stdout + result.stderr
