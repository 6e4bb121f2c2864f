"""Where `spinscope analyze` writes its analyses: one stream (a file or stdout) or one file per
article in a folder, in any output format (`spinscope.output`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TextIO

from spinscope.document import Analysis
from spinscope.errors import UsageError
from spinscope.output import FORMAT_SUFFIXES, Format, render

#: Output format by file suffix, for `--out FILE` without `--format`.
SUFFIX_FORMATS: dict[str, Format] = {suffix: fmt for fmt, suffix in FORMAT_SUFFIXES.items()}


class StreamSink:
    """All analyses into one file or stdout. JSON: one article is pretty JSON, several are JSON
    Lines; text: summaries one after another; HTML: one article only."""

    def __init__(self, fmt: Format, path: Path | None) -> None:
        self.fmt, self.path = fmt, path
        self._held: Analysis | None = None  # the first article, until we know if a second comes
        self._count = 0
        self._file: TextIO | None = None

    def write(self, analysis: Analysis) -> None:
        self._count += 1
        if self._count == 1:
            self._held = analysis
            return
        if self.fmt == "html":
            raise UsageError(
                "several articles cannot go into one HTML report; "
                "use --out-dir DIR for one report per article"
            )
        if self._held is not None:
            self._emit(self._held, first=True)
            self._held = None
        self._emit(analysis, first=False)

    def close(self) -> None:
        if self._held is not None:
            self._put(render(self._held, self.fmt))
        if self._file is not None and self._file is not sys.stdout:
            self._file.close()

    def _emit(self, analysis: Analysis, first: bool) -> None:
        if self.fmt == "json":
            self._put(analysis.to_json(indent=None) + "\n")
        elif self.fmt == "semeval":  # one TSV: no separator between articles
            self._put(render(analysis, self.fmt))
        else:
            self._put(("" if first else "\n") + render(analysis, self.fmt))

    def _put(self, text: str) -> None:
        if self._file is None:
            self._file = sys.stdout if self.path is None else self.path.open("w", encoding="utf-8")
        self._file.write(text)


class DirSink:
    """One file per analysis in a directory, named after its article id: the input file's stem,
    a record's id, or a hash of the text for a URL or stdin. Names are made safe and unique in
    the run (`x.json`, `x-2.json`, …), and never those of the files in `keep` (the inputs)."""

    def __init__(self, fmt: Format, directory: Path, keep: set[Path] | None = None) -> None:
        self.fmt, self.directory = fmt, directory
        self._keep = keep or set()
        self._used: set[str] = set()

    def write(self, analysis: Analysis) -> None:
        self._path(analysis.article.id).write_text(render(analysis, self.fmt), "utf-8")

    def close(self) -> None:
        pass

    def _path(self, article_id: str) -> Path:
        stem = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "_", article_id).strip(" ._")[:120]
        stem = stem or "article"
        suffix = FORMAT_SUFFIXES[self.fmt]
        name, n = stem, 1
        while (name + suffix).casefold() in self._used or (
            (self.directory / (name + suffix)).resolve() in self._keep
        ):
            n += 1
            name = f"{stem}-{n}"
        self._used.add((name + suffix).casefold())
        return self.directory / (name + suffix)


Sink = StreamSink | DirSink


def choose_format(fmt: Format | None, out: Path | None) -> Format:
    if fmt is not None:
        return fmt
    if out is None:
        return "text"
    try:
        return SUFFIX_FORMATS[out.suffix.lower()]
    except KeyError:
        raise UsageError(
            f"cannot tell the output format from the name {out}: "
            f"end it in .json, .html, .txt or .tsv, or give --format"
        ) from None


def input_files(sources: list[str]) -> set[Path]:
    """The inputs that are files, resolved: outputs must never overwrite them."""
    return {Path(s).resolve() for s in sources if s != "-" and "://" not in s}


def check_outputs(
    sources: list[str], count: int, fmt: Format, out: Path | None, out_dir: Path | None
) -> None:
    if fmt == "html" and out_dir is None and count > 1:
        raise UsageError(
            "several inputs cannot go into one HTML report; "
            "use --out-dir DIR for one report per article"
        )
    if out is not None and out.resolve() in input_files(sources):
        raise UsageError(f"--out {out} is one of the inputs; it would be overwritten")
    if out is not None and not out.parent.is_dir():
        raise UsageError(f"--out {out}: there is no folder {out.parent}")


def sink(fmt: Format, out: Path | None, out_dir: Path | None, sources: list[str]) -> Sink | None:
    """Where analyses go; None for text on stdout, where the terminal summary is the output."""
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)  # fail before analysing, not after
        return DirSink(fmt, out_dir, keep=input_files(sources))
    if out is not None or fmt != "text":
        return StreamSink(fmt, out)
    return None
