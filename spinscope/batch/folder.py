"""Where a batch run writes: a directory of chunks, each committed atomically.

    OUT/
      _spinscope.json           what the run is: output format, layers (written once)
      _chunks/000000.json       the commit record of chunk 0: its files, article ids, errors'
                                locations, the spinscope and model versions
      articles/part-000000.parquet   (Parquet) one row per article
      <table>/part-000000.parquet    (Parquet) one row per finding, a folder per layer
                                     table (`spinscope.tables.finding_tables`)
      analyses/part-000000.jsonl     (JSONL) one `Analysis` per line, instead of the tables
      errors/part-000000.jsonl       one JSON object per bad record: where, article_id,
                                     stage (read or analyse), reason

A chunk's files are written in `_tmp/`, fsynced, and renamed into their folders; then its commit
record is written the same way. The commit record is the commit: a chunk without one does not
exist, and the next run deletes whatever files of it were left (a SIGKILL between the renames),
then analyses its articles again. So at any moment the committed chunks are whole, and a rerun
writes nothing twice. Readers should read the parts a commit record lists (`committed_parts`,
`read_table`), not a glob of the folders, to never see a half-moved chunk of a running job.

The tables are partitioned by chunk, the unit of commit: a chunk of a few hundred articles makes
Parquet files of a useful size, and outlets or dates are columns to filter on, not folders (a
corpus of thousands of outlets would make thousands of tiny files per chunk).

`spinscope.batch.run.open_output` picks the output by the form of `--out`; a database URL (the
store of the workbench, `sqlite:///…`, `postgresql://…`) gives
`spinscope.batch.store_output.StoreOutput`, which keeps the same guarantees with the same verbs
(`spinscope.batch.chunks.Output`) by committing each chunk's analyses, commit record and bad
records in one database transaction.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from spinscope.batch.chunks import Chunk, Done, model_version
from spinscope.document import Analysis
from spinscope.errors import OutputError, require
from spinscope.tables import Row, article_row, finding_rows, finding_tables, to_arrow
from spinscope.version import __version__

Format = Literal["parquet", "jsonl"]

_META = "_spinscope.json"
_CHUNKS = "_chunks"
_TMP = "_tmp"
_DIGITS = 6


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _replace_durably(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: a temporary file, fsynced, renamed over it."""
    temporary = path.with_name(path.name + ".tmp")
    _write_durably(temporary, data)
    os.replace(temporary, path)
    _fsync_dir(path.parent)


class ChunkDir:
    """A Parquet dataset or a JSONL folder, committed chunk by chunk (see the module doc)."""

    def __init__(
        self, root: Path, fmt: Format, layers: tuple[str, ...], llm: str | None = None
    ) -> None:
        if fmt == "parquet":
            require("pyarrow", "writing Parquet", "batch")
        self.root, self.fmt, self.layers = root, fmt, layers
        self.model_version = model_version(layers, llm)
        self._records = self._open()
        self._next = max(self._records, default=-1) + 1

    # --- opening: check, clean up what was never committed, read the commit records ---------

    def _open(self) -> dict[int, dict[str, Any]]:
        meta = {"format": self.fmt, "layers": list(self.layers)}
        meta_path = self.root / _META
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"{self.root} is a file; --out names a folder for a batch output")
        if meta_path.is_file():
            found = json.loads(meta_path.read_text("utf-8"))
            if found.get("format") != self.fmt or found.get("layers") != list(self.layers):
                raise OutputError(
                    f"{self.root} holds a {found.get('format')} output of the layers "
                    f"{','.join(found.get('layers', []))}; this run writes {self.fmt} with "
                    f"{','.join(self.layers)}: give another --out"
                )
        elif self.root.is_dir() and any(not p.name.startswith("_") for p in self.root.iterdir()):
            raise OutputError(
                f"{self.root} is a folder that is not a spinscope batch output; "
                f"give a new or empty folder as --out"
            )
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            _replace_durably(meta_path, json.dumps(meta, indent=2).encode() + b"\n")
        shutil.rmtree(self.root / _TMP, ignore_errors=True)
        (self.root / _CHUNKS).mkdir(exist_ok=True)
        records: dict[int, dict[str, Any]] = {}
        for path in sorted((self.root / _CHUNKS).iterdir()):
            if path.suffix == ".json" and path.stem.isdigit():
                records[int(path.stem)] = json.loads(path.read_text("utf-8"))
            else:  # a commit record's temporary file
                path.unlink()
        committed = {name for record in records.values() for name in record["files"]}
        for folder in self.root.iterdir():
            if folder.is_dir() and not folder.name.startswith("_"):
                for part in folder.iterdir():
                    if f"{folder.name}/{part.name}" not in committed:
                        part.unlink()  # left by a run killed before its commit
        return records

    def done(self) -> Done:
        ids: set[str] = set()
        wheres: set[str] = set()
        for record in self._records.values():
            if record["model_version"] == self.model_version:
                ids.update(record["articles"])
                ids.update(record["failed_ids"])
                wheres.update(record["failed_wheres"])
        return Done(frozenset(ids), frozenset(wheres))

    # --- committing ---------------------------------------------------------------------------

    def refuse(self, analysis: Analysis) -> str | None:
        return None  # files hold anything

    def commit(self, chunk: Chunk) -> None:
        number = self._next
        name = f"part-{number:0{_DIGITS}d}"
        tmp = self.root / _TMP / name
        tmp.mkdir(parents=True, exist_ok=True)
        files: dict[str, Path] = {}  # "table/part-N.ext" -> the temporary file
        for table, write in self._files(chunk):
            suffix = ".jsonl" if table in ("analyses", "errors") else ".parquet"
            path = tmp / f"{table}{suffix}"
            write(path)
            files[f"{table}/{name}{suffix}"] = path
        for final, path in files.items():
            target = self.root / final
            target.parent.mkdir(exist_ok=True)
            os.replace(path, target)
        for folder in {final.partition("/")[0] for final in files}:
            _fsync_dir(self.root / folder)
        record = {
            "chunk": number,
            "files": sorted(files),
            "spinscope_version": __version__,
            "model_version": self.model_version,
            "articles": [analysis.article.id for analysis, _ in chunk.analyses],
            "failed_ids": [e["article_id"] for e in chunk.errors if e["article_id"] is not None],
            "failed_wheres": [e["where"] for e in chunk.errors if e["article_id"] is None],
        }
        final_record = self.root / _CHUNKS / f"{number:0{_DIGITS}d}.json"
        data = json.dumps(record, ensure_ascii=False).encode() + b"\n"
        _replace_durably(final_record, data)  # the commit
        tmp.rmdir()
        self._records[number] = record
        self._next += 1

    def _files(self, chunk: Chunk) -> Iterator[tuple[str, Any]]:
        """(table, writer of its file) for each file of the chunk."""
        if self.fmt == "jsonl":
            lines = "".join(a.to_json(indent=None) + "\n" for a, _ in chunk.analyses)
            yield "analyses", lambda path: _write_durably(path, lines.encode("utf-8"))
        else:
            rows = [article_row(a, where, self.model_version) for a, where in chunk.analyses]
            yield "articles", _parquet_writer("articles", rows)
            found: dict[str, list[Row]] = {name: [] for name in finding_tables()}
            for analysis, _ in chunk.analyses:
                for table, table_rows in finding_rows(analysis).items():
                    found[table].extend(table_rows)
            for table in found:
                yield table, _parquet_writer(table, found[table])
        if chunk.errors:
            text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in chunk.errors)
            yield "errors", lambda path: _write_durably(path, text.encode("utf-8"))

    def close(self) -> None:
        shutil.rmtree(self.root / _TMP, ignore_errors=True)


def _parquet_writer(table: str, rows: list[Row]) -> Any:
    def write(path: Path) -> None:
        import pyarrow.parquet as pq

        with path.open("wb") as f:
            pq.write_table(to_arrow(table, rows), f, compression="zstd")
            f.flush()
            os.fsync(f.fileno())

    return write


def output_format(out: str) -> Format:
    """The format `--out` asks for: `.jsonl` (or `.ndjson`) for JSONL, else Parquet."""
    return "jsonl" if out.lower().rstrip("/").endswith((".jsonl", ".ndjson")) else "parquet"


def committed_parts(root: Path, table: str) -> list[Path]:
    """The committed files of `table` (`spinscope.tables.tables()`, or "analyses") in an
    output folder, in chunk order."""
    if not (root / _META).is_file():
        raise OutputError(f"{root} is not a spinscope batch output (it has no {_META})")
    parts = []
    for path in sorted((root / _CHUNKS).glob("*.json")):
        if path.stem.isdigit():
            record = json.loads(path.read_text("utf-8"))
            parts += [root / f for f in record["files"] if f.partition("/")[0] == table]
    return parts


def output_meta(root: Path) -> dict[str, Any]:
    """What `_spinscope.json` says about an output folder (format, layers)."""
    if not (root / _META).is_file():
        raise OutputError(f"{root} is not a spinscope batch output (it has no {_META})")
    meta: dict[str, Any] = json.loads((root / _META).read_text("utf-8"))
    return meta
