"""`--engine ray` on a real local Ray runtime (127.0.0.1, a capped object store): the same
findings and the same files as the local engine, bad records included."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spinscope.batch import BatchOptions, run_batch
from spinscope.cli import app


@pytest.fixture(scope="module")
def ray_runtime(ray_module: Any) -> Iterator[Any]:
    ray_module.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=512 * 1024**2,
        log_to_driver=False,
        runtime_env={"env_vars": {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}},
    )
    try:
        yield ray_module
    finally:
        ray_module.shutdown()


def files_of(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_ray_and_local_engines_write_the_same_output(
    shared_data: Path, ray_runtime: Any, tmp_path: Path
) -> None:
    assert {node["NodeManagerAddress"] for node in ray_runtime.nodes()} == {"127.0.0.1"}
    source = shared_data / "polnear" / "train" / "text"
    chosen = [p for p in sorted(source.glob("*.txt")) if 1500 <= p.stat().st_size <= 3000][:4]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in chosen:
        shutil.copy(path, corpus / path.name)
    (corpus / "empty.txt").write_bytes(b"")
    records = [{"id": f"r{i}", "text": p.read_text("utf-8")} for i, p in enumerate(chosen[:2])]
    (corpus / "feed.jsonl").write_text(
        "\n".join([json.dumps(records[0]), "{not json", json.dumps(records[1])]) + "\n", "utf-8"
    )
    layers = ("quotes", "claims")
    for fmt in ("parquet", "jsonl"):
        local = tmp_path / f"local.{fmt}"
        on_ray = tmp_path / f"ray.{fmt}"
        run_batch([str(corpus)], str(local), BatchOptions(layers=layers, chunk_size=3))
        if fmt == "parquet":
            summary = run_batch(
                [str(corpus)], str(on_ray), BatchOptions(layers=layers, chunk_size=3, engine="ray")
            )
            assert (summary.read, summary.analysed, summary.failed) == (8, 6, 2)
        else:  # through the command
            command = ["batch", str(corpus), "--out", str(on_ray), "--engine", "ray"]
            command += ["--chunk-size", "3"]
            result = CliRunner().invoke(app, [*command, "--layers", ",".join(layers), "-q"])
            assert result.exit_code == 1, result.output  # two bad records
        assert files_of(on_ray) == files_of(local)
    again = run_batch(
        [str(corpus)], str(tmp_path / "ray.jsonl"), BatchOptions(layers=layers, engine="ray")
    )
    assert (again.read, again.skipped, again.analysed) == (8, 8, 0)
