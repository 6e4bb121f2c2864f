"""The optional LLM backend, against a small OpenAI-compatible server run by the tests on
127.0.0.1: grounding, label checks, merging, caching, retries, timeouts and errors, and the
`analyze --llm` command line."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from spinscope import Pipeline
from spinscope.cli import app
from spinscope.document import Analysis, Entity, Narrative, Role, Span
from spinscope.errors import LLMAnswerError, LLMError
from spinscope.layers import Findings, Refinement, register, unregister
from spinscope.llm import (
    Grounder,
    LLMClient,
    LLMOptions,
    Reader,
    build_messages,
    default_cache_dir,
    refine,
    refine_analysis,
)
from spinscope.parse import Parsed
from spinscope.taxonomy import FINE_ROLES, NARRATIVES, ROLE_DEFINITIONS, ROLES

MODEL = "test-model"

TEXT = (
    "Alliance blamed for border clashes\n"
    "Officials in Veridia said the Northern Alliance provoked the clashes near the border.\n"
    "“The alliance wants  this war,” said minister Anna Berg.\n"
    "Thousands of villagers have fled their homes since Monday, and the Northern Alliance "
    "has not answered.\n"
)
PROVOKED = "Officials in Veridia said the Northern Alliance provoked the clashes near the border."
FLED = "Thousands of villagers have fled their homes since Monday"
BLAME = "URW: Blaming the war on others rather than the invader"


# --- the fake server ----------------------------------------------------------------------


@dataclass
class Reply:
    """One canned reply: an HTTP status and a body (a dict is sent as JSON), after `delay` s."""

    body: dict[str, Any] | str
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def chat(answer: dict[str, Any] | str) -> Reply:
    """A chat completion whose message is `answer` (a dict as JSON text)."""
    content = answer if isinstance(answer, str) else json.dumps(answer)
    return Reply({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silent: the client of the timeout test hangs up before its late reply."""


class FakeLLM:
    """Answers POST /v1/chat/completions with the queued replies, in order, and records the
    requests (their JSON bodies and headers)."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.requests.append(json.loads(body))
                fake.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    reply = Reply("no such route", status=404)
                elif fake.replies:
                    reply = fake.replies.pop(0)
                else:
                    reply = Reply("no canned reply left", status=418)
                time.sleep(reply.delay)
                data = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data.encode())))
                self.end_headers()
                self.wfile.write(data.encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def client(self, cache_dir: Path | None = None, **options: Any) -> LLMClient:
        defaults: dict[str, Any] = {"timeout": 5.0, "retries": 2, "backoff": 0.01}
        return LLMClient(
            LLMOptions(url=self.url, model=MODEL, cache_dir=cache_dir, **(defaults | options))
        )


@pytest.fixture
def server() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join()


ANSWER: dict[str, Any] = {
    "entities": [
        {
            "name": "Northern Alliance",
            "mentions": ["Northern Alliance", "The alliance"],
            "main_role": "Antagonist",
            "fine_roles": ["Instigator", "Victim", "Warmonger"],  # wrong main, unknown
            "evidence": [PROVOKED, "The Alliance started it all."],  # the second is invented
        },
        {
            "name": "villagers",
            "mentions": ["villagers"],
            "main_role": "Innocent",
            "fine_roles": ["Victim"],
            "evidence": [FLED],
        },
        {"name": "Ghost Army", "mentions": ["Ghost Army"], "main_role": "Antagonist"},
        {"name": "Anna Berg", "main_role": "Hero"},
    ],
    "narratives": [
        {
            "narrative": BLAME,
            "subnarratives": ["The West are the aggressors", "Aliens did it"],
            "evidence": ["the Northern Alliance provoked the clashes"],
        },
        {"narrative": "URW: Blaming the moon", "subnarratives": []},
        {"narrative": "Other"},
    ],
}


# --- grounding ----------------------------------------------------------------------------


def test_grounding_exact_normalised_and_invented() -> None:
    grounder = Grounder(TEXT)
    span = grounder.first(PROVOKED)
    assert span is not None and TEXT[span.start : span.end] == PROVOKED
    # straight quote marks and one space where the text has curly marks and two spaces
    span = grounder.first('"The alliance wants this war," said')
    assert span is not None and span.text == "“The alliance wants  this war,” said"
    assert TEXT[span.start : span.end] == span.text
    assert grounder.first("The alliance wants peace") is None
    assert grounder.first("   ") is None


def test_mentions_are_every_whole_word_occurrence() -> None:
    grounder = Grounder(TEXT)
    spans = grounder.every("Northern Alliance")
    assert [s.text for s in spans] == ["Northern Alliance", "Northern Alliance"]
    assert len({s.start for s in spans}) == 2
    assert grounder.every("Alliance")[0].start == 0  # the title
    assert grounder.every("lliance") == []  # inside a word: not a mention
    assert grounder.every("Monday")[0].text == "Monday"


# --- reading an answer --------------------------------------------------------------------


def test_refine_keeps_what_is_grounded_and_known(server: FakeLLM) -> None:
    server.replies.append(chat(ANSWER))
    found, report = refine(TEXT, server.client())
    entities, narratives = found["entities"], found["narratives"]
    by_name = {e.name: e for e in entities}
    assert set(by_name) == {"Northern Alliance", "villagers"}
    alliance = by_name["Northern Alliance"]
    assert alliance.role == Role(main="Antagonist", fine=["Instigator"])
    assert [s.text for s in alliance.evidence] == [PROVOKED]
    # "Northern Alliance" twice, and "The alliance" inside the quote
    assert [s.text for s in alliance.mentions] == [
        "Northern Alliance",
        "The alliance",
        "Northern Alliance",
    ]
    assert alliance.source == f"llm:{MODEL}"
    assert by_name["villagers"].role == Role(main="Innocent", fine=["Victim"])
    for span in [*alliance.mentions, *alliance.evidence]:
        assert TEXT[span.start : span.end] == span.text
    assert [(n.narrative, n.subnarratives) for n in narratives] == [
        (BLAME, [f"{BLAME}: The West are the aggressors"])
    ]
    assert narratives[0].evidence[0].text == "the Northern Alliance provoked the clashes"
    assert report.dropped == {
        "evidence quote not in the text": 1,
        "unknown role": 3,  # Victim under Antagonist, Warmonger, Hero
        "mention not in the text": 1,  # Ghost Army
        "new entity not in the text": 1,  # Ghost Army
        "new entity without a valid role": 1,  # Anna Berg
        "unknown sub-narrative": 1,
        "unknown narrative": 1,
        "Other beside narratives": 1,
    }
    assert report.kept == {
        "entity added": 2,
        "role": 2,
        "evidence quote": 3,
        "narrative": 1,
        "sub-narrative": 1,
    }
    assert not report.cached
    assert "1 × evidence quote not in the text" in report.summary()


def test_refine_merges_with_the_learned_layers(server: FakeLLM) -> None:
    """A named entity is refined (role replaced, mentions added, source extended); one the
    answer leaves out is kept; invalid narratives leave the learned ones in place."""
    alliance = Entity(
        name="Northern Alliance",
        mentions=[Span.of(TEXT, 0, 8)],  # "Alliance" in the title
        role=Role(main="Protagonist", fine=["Guardian"], score=0.6),
        source="entities/test@1",
    )
    officials = Entity(name="Officials", mentions=Grounder(TEXT).every("Officials"), source="x")
    learned = Narrative(narrative="Other", score=0.7, source="narratives/test@1")
    server.replies.append(
        chat({"entities": ANSWER["entities"][:1], "narratives": [{"narrative": "nonsense"}]})
    )
    found, report = refine(
        TEXT, server.client(), {"entities": [alliance, officials], "narratives": [learned]}
    )
    entities, narratives = found["entities"], found["narratives"]
    refined = entities[0]
    assert refined.name == "Northern Alliance"
    assert refined.role == Role(main="Antagonist", fine=["Instigator"])
    assert refined.mentions[0] == alliance.mentions[0] and len(refined.mentions) == 4
    assert refined.source == f"entities/test@1; llm:{MODEL}"
    assert entities[1] == officials
    assert narratives == [learned]
    assert report.kept["entity refined"] == 1
    # what the learned layers found is in the prompt, as hints
    prompt = server.requests[0]["messages"][1]["content"]
    assert '"main_role": "Protagonist"' in prompt and '"Officials"' in prompt


class Alarm(BaseModel):
    sentence: Span
    source: str


def _alarms(items: list[Any], given: Any, reader: Reader) -> list[Alarm]:
    return [
        Alarm(sentence=span, source=reader.report.source)
        for item in items
        for span in reader.evidence(item.get("sentence"))
    ]


def test_a_layer_declares_what_the_llm_refines(server: FakeLLM) -> None:
    """A layer registered here, with what the LLM may refine, has its part of the prompt and
    of the answer, read by its own function; the others' parts are not asked for; and a
    pipeline whose layers declare no refinement sends nothing."""

    def alarms(parsed: Parsed, found: Findings) -> list[Alarm]:
        return []

    register(
        "alarms",
        item=Alarm,
        llm=Refinement(
            key="alarms",
            instructions="The sentences written to alarm the reader.",
            example={"sentence": "..."},
            hints=lambda found: [{"sentence": a.sentence.text} for a in found],
            read=_alarms,
        ),
    )(alarms)
    try:
        server.replies.append(chat({"alarms": [{"sentence": FLED}, {"sentence": "Run!"}]}))
        options = LLMOptions(url=server.url, model=MODEL, timeout=5.0, retries=1)
        analysis = Pipeline(["alarms"], llm=options).analyze(TEXT)
        assert [a.sentence.text for a in analysis.extensions["alarms"]] == [FLED]
        assert analysis.extensions["alarms"][0].source == f"llm:{MODEL}"
        assert "1 × evidence quote not in the text" in analysis.warnings[0]
        system, user = server.requests[0]["messages"]
        assert "The sentences written to alarm the reader." in system["content"]
        assert (
            "ENTITY ROLES" not in system["content"]
            and "alarms found so far: []" in (user["content"])
        )
        Pipeline(["quotes"], llm=options).analyze(TEXT)
        assert len(server.requests) == 1  # nothing to refine: no request
    finally:
        unregister("alarms")


def test_refine_analysis_adds_the_summary_to_the_warnings(server: FakeLLM) -> None:
    analysis = Analysis.model_validate({"article": {"id": "a", "text": TEXT}})
    server.replies.append(chat(ANSWER))
    refined, report = refine_analysis(analysis, server.client())
    assert refined.entities and refined.narratives
    assert refined.warnings == [report.summary()]
    assert Analysis.from_json(refined.to_json()) == refined  # every span checked again


def test_the_request(server: FakeLLM) -> None:
    server.replies.append(chat({"entities": [], "narratives": []}))
    client = LLMClient(LLMOptions(url=server.url + "/", model=MODEL, key="sekret"))
    refine(TEXT, client)
    body, headers = server.requests[0], server.headers[0]
    assert body["model"] == MODEL and body["temperature"] == 0
    assert body["response_format"] == {"type": "json_object"}
    assert headers["Authorization"] == "Bearer sekret"
    system, user = body["messages"]
    assert user["content"].endswith(f"ARTICLE:\n{TEXT}")
    for label in (
        *ROLES,
        *FINE_ROLES,
        *NARRATIVES,
        *(s for subs in NARRATIVES.values() for s in subs),
    ):
        assert label in system["content"]
    assert set(ROLE_DEFINITIONS) == set(ROLES) | set(FINE_ROLES)
    assert ROLE_DEFINITIONS["Scapegoat"] in system["content"]


# --- answers that are not clean JSON ------------------------------------------------------


def test_json_inside_prose_or_a_fence_is_read(server: FakeLLM) -> None:
    fenced = "Here you are:\n```json\n" + json.dumps(ANSWER) + "\n```"
    server.replies.append(chat(fenced))
    entities = refine(TEXT, server.client())[0]["entities"]
    assert len(entities) == 2


def test_a_server_refusing_json_mode_is_asked_again_without_it(server: FakeLLM) -> None:
    server.replies += [Reply("unknown field response_format", status=400), chat(ANSWER)]
    client = server.client()
    refine(TEXT, client)
    assert "response_format" in server.requests[0] and "response_format" not in server.requests[1]
    server.replies.append(chat(ANSWER))
    refine(TEXT + "More.\n", client)  # the client remembers
    assert len(server.requests) == 3 and "response_format" not in server.requests[2]


@pytest.mark.parametrize(
    "reply",
    [chat("I cannot help with that."), chat("[1, 2]"), Reply("<html>gateway</html>"), Reply({})],
)
def test_garbage_answers_name_the_endpoint(server: FakeLLM, reply: Reply) -> None:
    server.replies.append(reply)
    with pytest.raises(
        LLMAnswerError, match=re.escape(f"LLM endpoint {server.url}/chat/completions: ")
    ):
        refine(TEXT, server.client())


# --- caching ------------------------------------------------------------------------------


def test_a_second_run_is_answered_from_the_cache(server: FakeLLM, tmp_path: Path) -> None:
    server.replies.append(chat(ANSWER))
    first = refine(TEXT, server.client(tmp_path))
    second = refine(TEXT, server.client(tmp_path))
    assert len(server.requests) == 1
    assert second[0] == first[0] and second[1].cached and not first[1].cached
    assert len(list(tmp_path.rglob("*.json"))) == 1
    # another model or another prompt is another entry
    server.replies += [chat(ANSWER), chat(ANSWER)]
    refine(TEXT, LLMClient(LLMOptions(url=server.url, model="other", cache_dir=tmp_path)))
    refine(TEXT + "More.\n", server.client(tmp_path))
    assert len(server.requests) == 3


def test_a_damaged_cache_entry_is_asked_again(server: FakeLLM, tmp_path: Path) -> None:
    server.replies += [chat(ANSWER), chat(ANSWER)]
    refine(TEXT, server.client(tmp_path))
    (entry,) = tmp_path.rglob("*.json")
    entry.write_text("{trunc", "utf-8")
    assert not refine(TEXT, server.client(tmp_path))[1].cached
    assert len(server.requests) == 2 and json.loads(entry.read_text("utf-8")) == ANSWER


# --- retries, timeouts, unreachable -------------------------------------------------------


def test_retries_after_server_errors_and_rate_limits(server: FakeLLM) -> None:
    server.replies += [
        Reply("overloaded", status=500),
        Reply("slow down", status=429, headers={"Retry-After": "0"}),
        chat(ANSWER),
    ]
    entities = refine(TEXT, server.client())[0]["entities"]
    assert len(entities) == 2 and len(server.requests) == 3


def test_retries_are_bounded(server: FakeLLM) -> None:
    server.replies += [Reply("down", status=503)] * 3
    with pytest.raises(LLMError, match=r"/v1/chat/completions: HTTP 503 \(3 tries\): 'down'"):
        refine(TEXT, server.client())
    assert len(server.requests) == 3


def test_client_errors_are_not_retried_and_say_what_to_check(server: FakeLLM) -> None:
    server.replies.append(Reply({"error": "bad key"}, status=401))
    with pytest.raises(LLMError, match=r"HTTP 401.*check the API key"):
        refine(TEXT, server.client())
    assert len(server.requests) == 1


def test_a_timeout_is_a_clear_error(server: FakeLLM) -> None:
    server.replies += [Reply("late", delay=1.0)] * 2
    started = time.monotonic()
    with pytest.raises(
        LLMError, match=re.escape(f"{server.url}/chat/completions: no answer within 0.2 s")
    ):
        refine(TEXT, server.client(timeout=0.2, retries=1))
    assert time.monotonic() - started < 1.0


def test_an_unreachable_endpoint_is_named() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    client = LLMClient(LLMOptions(url=url, model=MODEL, backoff=0.01))
    with pytest.raises(
        LLMError, match=re.escape(f"LLM endpoint {url}/chat/completions: cannot connect")
    ):
        refine(TEXT, client)


# --- options ------------------------------------------------------------------------------


def test_options_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPINSCOPE_LLM_MODEL", "env-model")
    monkeypatch.setenv("OPENAI_API_KEY", "never-sent")
    monkeypatch.delenv("SPINSCOPE_LLM_KEY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    options = LLMOptions.from_env("http://localhost:8000/v1")
    assert (options.model, options.key) == ("env-model", None)
    assert options.endpoint == "http://localhost:8000/v1/chat/completions"
    assert options.cache_dir == default_cache_dir()
    monkeypatch.setenv("SPINSCOPE_LLM_KEY", "k")
    options = LLMOptions.from_env("http://h/v1/chat/completions", model="m", cache_dir=tmp_path)
    assert (options.model, options.key, options.cache_dir) == ("m", "k", tmp_path)
    assert options.endpoint == "http://h/v1/chat/completions"
    monkeypatch.delenv("SPINSCOPE_LLM_MODEL")
    with pytest.raises(ValueError, match="SPINSCOPE_LLM_MODEL"):
        LLMOptions.from_env("http://localhost:8000/v1")
    with pytest.raises(ValueError, match="not an http"):
        LLMOptions(url="localhost:8000", model="m")


def test_messages_are_deterministic() -> None:
    assert build_messages(TEXT) == build_messages(TEXT)


# --- the command line ---------------------------------------------------------------------


def test_analyze_with_llm_end_to_end(server: FakeLLM, tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text(TEXT, "utf-8")
    cache = tmp_path / "cache"
    args = ["analyze", str(story), "-f", "json", "--llm", server.url, "--llm-model", MODEL]
    server.replies.append(chat(ANSWER))
    first = CliRunner().invoke(app, [*args, "--llm-cache", str(cache)])
    assert first.exit_code == 0, first.output
    analysis = Analysis.from_json(first.stdout)
    # The learned entities layer runs first; the answer refines or adds the entities it names
    # (an invalid role, as for Anna Berg, leaves the learned one) and leaves the others be.
    answered = {e.name: e for e in analysis.entities if f"llm:{MODEL}" in e.source}
    assert answered["Northern Alliance"].role == Role(main="Antagonist", fine=["Instigator"])
    assert answered["villagers"].role == Role(main="Innocent", fine=["Victim"])
    assert "Ghost Army" not in answered  # not in the text
    others = [e for e in analysis.entities if e.name not in answered]
    assert all(e.source.startswith("entities/") for e in others)
    assert [n.narrative for n in analysis.narratives] == [BLAME]
    assert f"warning: {story}: llm:{MODEL}: kept" in first.stderr  # something was dropped
    second = CliRunner().invoke(app, [*args, "--llm-cache", str(cache)])
    assert second.exit_code == 0 and len(server.requests) == 1  # from the cache
    assert Analysis.from_json(second.stdout).entities == analysis.entities


def test_analyze_with_an_unreachable_llm_fails_cleanly(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text(TEXT, "utf-8")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    args = ["analyze", str(story), "--llm", url, "--llm-model", MODEL]
    result = CliRunner().invoke(app, [*args, "--llm-cache", str(tmp_path / "c")])
    assert result.exit_code == 1
    assert f"error: LLM endpoint {url}/chat/completions: cannot connect" in result.stderr
    assert "Traceback" not in result.output


def test_llm_options_need_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPINSCOPE_LLM_MODEL", raising=False)
    result = CliRunner().invoke(app, ["analyze", "--sample", "--llm-model", "m"])
    assert result.exit_code == 2 and "--llm-model only go with --llm URL" in result.stderr
    result = CliRunner().invoke(app, ["analyze", "--sample", "--llm", "http://127.0.0.1:9/v1"])
    assert result.exit_code == 2 and "SPINSCOPE_LLM_MODEL" in result.stderr


def test_the_llm_options_are_in_the_help_and_the_docs() -> None:
    result = CliRunner().invoke(app, ["analyze", "--help"], env={"COLUMNS": "200"})
    docs = (Path(__file__).parents[1] / "docs" / "llm.md").read_text("utf-8")
    for option in ("--llm", "--llm-model", "--llm-key", "--llm-cache"):
        assert option in result.stdout and f"`{option} " in docs
    for variable in ("SPINSCOPE_LLM_MODEL", "SPINSCOPE_LLM_KEY"):
        assert variable in result.stdout and variable in docs


# --- eval --llm ---------------------------------------------------------------------------


def semeval_dir(tmp_path: Path) -> Path:
    """A SemEval-2025 Task 10 directory of one article (TEXT) with both subtasks' gold."""
    data = tmp_path / "semeval"
    (data / "documents").mkdir(parents=True)
    (data / "documents" / "EN_UA_1.txt").write_text(TEXT, "utf-8")
    alliance = TEXT.index("Northern Alliance")
    villagers = TEXT.index("villagers")
    (data / "subtask-1-annotations.txt").write_text(
        f"EN_UA_1.txt\tNorthern Alliance\t{alliance}\t{alliance + 16}\tAntagonist\tInstigator\n"
        f"EN_UA_1.txt\tvillagers\t{villagers}\t{villagers + 8}\tInnocent\tVictim\n",
        "utf-8",
    )
    (data / "subtask-2-annotations.txt").write_text(
        f"EN_UA_1.txt\t{BLAME}\t{BLAME}: The West are the aggressors\n", "utf-8"
    )
    return data


def test_eval_narratives_and_entities_score_the_llm_answers(
    server: FakeLLM, tmp_path: Path
) -> None:
    """The answer names the gold narrative and sub-narrative and both gold mentions' roles, so
    the scores with `--llm` are perfect, whatever the learned layers say of this text."""
    data = semeval_dir(tmp_path)
    llm = ["--llm", server.url, "--llm-model", MODEL, "--llm-cache", str(tmp_path / "cache")]
    server.replies += [chat(ANSWER), chat(ANSWER)]  # one per command: their prompts differ
    narratives = CliRunner().invoke(
        app, ["eval", "narratives", "--data", str(data), "--json", *llm]
    )
    assert narratives.exit_code == 0, narratives.output
    scores = json.loads(narratives.stdout)
    assert scores["coarse_f1"] == scores["fine_f1"] == 1.0
    entities = CliRunner().invoke(app, ["eval", "entities", "--data", str(data), "--json", *llm])
    assert entities.exit_code == 0, entities.output
    scores = json.loads(entities.stdout)
    assert scores["main_accuracy"] == scores["exact_match"] == 1.0
    assert len(server.requests) == 2


def test_eval_llm_does_not_go_with_score(tmp_path: Path) -> None:
    data = semeval_dir(tmp_path)
    scored = tmp_path / "scored.txt"
    scored.write_text(f"EN_UA_1.txt\t{BLAME}\t{BLAME}: Other\n", "utf-8")
    args = ["eval", "narratives", "--data", str(data), "--score", str(scored)]
    result = CliRunner().invoke(app, [*args, "--llm", "http://127.0.0.1:9/v1", "--llm-model", "m"])
    assert result.exit_code == 2 and "does not go with --score" in result.stderr


# --- --llm in batch and in the workbench: the pipeline refines, whoever runs it ------------


def test_batch_with_llm_refines_every_analysis(server: FakeLLM, tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text(TEXT, "utf-8")
    out = tmp_path / "out.jsonl"
    server.replies.append(chat(ANSWER))
    args = [
        "batch", str(story), "--out", str(out), "--layers", "entities,narratives",
        "--llm", server.url, "--llm-model", MODEL, "--llm-cache", str(tmp_path / "cache"),
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (line,) = (out / "analyses" / "part-000000.jsonl").read_text("utf-8").splitlines()
    analysis = Analysis.from_json(line)
    answered = {e.name: e for e in analysis.entities if f"llm:{MODEL}" in e.source}
    assert answered["villagers"].role == Role(main="Innocent", fine=["Victim"])
    assert [n.narrative for n in analysis.narratives] == [BLAME]
    assert len(server.requests) == 1
    # The results depend on the LLM: a run without it does the work again, not skips it.
    again = CliRunner().invoke(app, args[:6])
    assert again.exit_code == 0 and "1 analysed" in again.stderr, again.stderr


def test_the_workbench_with_llm_refines_and_reports_an_unreachable_endpoint(
    server: FakeLLM, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from spinscope.llm import LLMOptions
    from spinscope.store import Store
    from spinscope.web import Settings, Workbench, create_app

    def workbench(url: str) -> Workbench:
        options = LLMOptions(url=url, model=MODEL, cache_dir=tmp_path / url[-6:], retries=0)
        store = Store(str(tmp_path / f"{url[-6:]}.db"))
        return Workbench(store, Settings(layers=("entities", "narratives"), llm=options))

    server.replies.append(chat(ANSWER))
    refined = workbench(server.url)
    try:
        client = TestClient(create_app(refined), base_url="http://localhost")
        response = client.post("/api/v1/analyze", json={"text": TEXT, "outlet": "Herald"})
        assert response.status_code == 200, response.text
        analysis = Analysis.model_validate(response.json())
        assert any(f"llm:{MODEL}" in e.source for e in analysis.entities)
        assert [n.narrative for n in analysis.narratives] == [BLAME]
    finally:
        refined.close()
        refined.store.close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = workbench(f"http://127.0.0.1:{port}/v1")
    try:
        client = TestClient(
            create_app(unreachable), base_url="http://localhost", raise_server_exceptions=False
        )
        response = client.post("/api/v1/analyze", json={"text": TEXT})
        assert response.status_code == 502
        assert "cannot connect" in response.json()["error"]
    finally:
        unreachable.close()
        unreachable.store.close()
