"""The optional LLM backend, against a small OpenAI-compatible server run by the tests on
127.0.0.1: grounding, label checks, merging, caching, retries, timeouts and errors, and the
`analyze --llm` command line."""

from __future__ import annotations

import hashlib
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
from alarms import Alarm, read_alarms
from typer.testing import CliRunner

from spinscope import Pipeline
from spinscope.cli import app
from spinscope.document import Analysis, Entity, Narrative, Role, Span
from spinscope.errors import LLMAnswerError, LLMError
from spinscope.layers import Findings, Refinement, register, unregister
from spinscope.layers import refined as refined_layers
from spinscope.llm import (
    Grounder,
    LLMClient,
    LLMOptions,
    Reader,
    RefineReport,
    answer_schema,
    answer_tokens,
    build_messages,
    default_cache_dir,
    refine,
    refine_analysis,
    refine_reported,
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
    """One canned reply: an HTTP status and a body (a dict is sent as JSON), after `delay` s;
    with `drop`, the connection closed without a reply."""

    body: dict[str, Any] | str
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def chat(
    answer: dict[str, Any] | str,
    finish_reason: str = "stop",
    usage: dict[str, int] | None = None,
) -> Reply:
    """A chat completion whose message is `answer` (a dict as JSON text)."""
    content = answer if isinstance(answer, str) else json.dumps(answer)
    message = {"role": "assistant", "content": content}
    body: dict[str, Any] = {
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}]
    }
    if usage is not None:
        body["usage"] = usage
    return Reply(body)


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
                if reply.drop:
                    self.close_connection = True
                    return
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


def test_evidence_is_a_sentence_or_a_clause_not_a_name() -> None:
    report = RefineReport(model=MODEL)
    spans = Reader(TEXT, report).evidence(["Anna Berg", "villagers", FLED])
    assert [span.text for span in spans] == [FLED]
    assert report.dropped == {"evidence quote too short": 2}


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
            read=read_alarms,
        ),
    )(alarms)
    try:
        server.replies.append(
            chat({"alarms": [{"sentence": FLED}, {"sentence": "Run for your lives, all of you!"}]})
        )
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
    # structured output with the answer's schema, and a token budget sized to it
    refinements = [layer.llm for layer in refined_layers() if layer.llm is not None]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "spinscope_refinement", "schema": answer_schema(refinements)},
    }
    assert body["max_tokens"] == answer_tokens(refinements)
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


def test_a_server_refusing_structured_output_is_asked_less_strictly(server: FakeLLM) -> None:
    """json_schema, then json_object, then plain text, each step when the server refuses the
    one asked for with a 4xx that names it; the client remembers."""
    server.replies += [
        Reply({"error": "response_format type json_schema is not supported"}, status=400),
        Reply("unknown field response_format", status=422),
        chat(ANSWER),
    ]
    client = server.client()
    entities = refine(TEXT, client)[0]["entities"]
    assert len(entities) == 2
    formats = [request.get("response_format", {}).get("type") for request in server.requests]
    assert formats == ["json_schema", "json_object", None] and client.format == "text"
    server.replies.append(chat(ANSWER))
    refine(TEXT + "More.\n", client)  # the client remembers
    assert len(server.requests) == 4 and "response_format" not in server.requests[3]


def test_a_server_taking_json_mode_only_stays_there(server: FakeLLM) -> None:
    server.replies += [Reply("'json_schema' is not a valid format", status=400), chat(ANSWER)]
    client = server.client()
    refine(TEXT, client)
    assert server.requests[1]["response_format"] == {"type": "json_object"}
    assert client.format == "json_object"


def test_a_refused_request_costs_its_article_only(server: FakeLLM) -> None:
    """A 4xx about something else (here the article is too long for the model) is not retried,
    does not change what is asked of the next article, and leaves this one unrefined."""
    too_long = {"error": {"code": 400, "message": "the request exceeds the available context"}}
    server.replies.append(Reply(too_long, status=400))
    client = server.client()
    analysis = Analysis.model_validate({"article": {"id": "a", "text": TEXT}})
    refined_, report = refine_reported(analysis, client)
    assert len(server.requests) == 1 and client.format == "json_schema"
    assert refined_.model_copy(update={"warnings": []}) == analysis
    (warning,) = refined_.warnings
    assert "HTTP 400" in warning and "exceeds the available context" in warning
    assert warning.endswith("entities, narratives not refined")
    assert report is not None and report.failure == warning


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


def test_a_timeout_is_not_asked_again_and_costs_the_refinement_only(server: FakeLLM) -> None:
    """At temperature 0 a slow answer is as slow the next time: one try, then a warning."""
    server.replies += [Reply("late", delay=1.0)] * 3
    analysis = Analysis.model_validate({"article": {"id": "a", "text": TEXT}})
    started = time.monotonic()
    refined_, _ = refine_reported(analysis, server.client(timeout=0.2, retries=2))
    assert time.monotonic() - started < 1.0 and len(server.requests) == 1
    assert refined_.model_copy(update={"warnings": []}) == analysis
    (warning,) = refined_.warnings
    assert warning.startswith(f"LLM endpoint {server.url}/chat/completions: no answer within 0.2 s")
    assert "--llm-timeout" in warning and warning.endswith("not refined")
    with pytest.raises(LLMAnswerError, match=r"no answer within 0\.2 s"):
        refine(TEXT, server.client(timeout=0.2))


def test_a_dropped_connection_is_tried_again(server: FakeLLM) -> None:
    server.replies += [Reply("", drop=True), chat(ANSWER)]
    assert len(refine(TEXT, server.client())[0]["entities"]) == 2
    assert len(server.requests) == 2


def test_server_errors_that_persist(server: FakeLLM) -> None:
    """After the retries, an unavailable server (502, 503, 504, or 429) stops the run; another
    server error costs that request only (`LLMAnswerError`, a warning of its article's)."""
    server.replies += [Reply("boom", status=500)] * 3
    with pytest.raises(LLMAnswerError, match=r"HTTP 500 \(3 tries\)"):
        refine(TEXT, server.client())
    server.replies += [Reply("down", status=504)] * 3
    with pytest.raises(LLMError, match=r"HTTP 504 \(3 tries\)") as raised:
        refine(TEXT, server.client())
    assert not isinstance(raised.value, LLMAnswerError)
    assert len(server.requests) == 6


def test_a_cut_off_answer_is_said_to_be_cut_off(server: FakeLLM) -> None:
    partial = json.dumps(ANSWER)[:60]
    usage = {"prompt_tokens": 2000, "completion_tokens": 12}
    server.replies.append(chat(partial, finish_reason="length", usage=usage))
    analysis = Analysis.model_validate({"article": {"id": "a", "text": TEXT}})
    refined_, report = refine_reported(analysis, server.client(max_tokens=12))
    assert server.requests[0]["max_tokens"] == 12
    (warning,) = refined_.warnings
    assert "the answer was cut off at 12 tokens (finish_reason: length)" in warning
    assert "--llm-max-tokens" in warning
    assert refined_.model_copy(update={"warnings": []}) == analysis
    assert report is not None and (report.prompt_tokens, report.completion_tokens) == (2000, 12)
    assert report.line().startswith(f"llm:{MODEL}: 2,000 tokens sent, 12 received, ")
    assert report.line().endswith("; not refined (see the warning)")


def test_the_report_says_what_the_request_cost(server: FakeLLM, tmp_path: Path) -> None:
    usage = {"prompt_tokens": 1234, "completion_tokens": 56}
    server.replies.append(chat(ANSWER, usage=usage))
    report = refine(TEXT, server.client(tmp_path))[1]
    assert (report.prompt_tokens, report.completion_tokens) == (1234, 56)
    assert report.refined == 3  # two entities added, one narrative
    assert report.line() == (
        f"llm:{MODEL}: 1,234 tokens sent, 56 received, {report.seconds:.1f} s; "
        f"3 findings refined, 10 items dropped"
    )
    cached = refine(TEXT, server.client(tmp_path))[1]
    assert (
        cached.line()
        == f"llm:{MODEL}: answered from the cache; 3 findings refined, 10 items dropped"
    )
    server.replies.append(chat(ANSWER))  # a server that does not count tokens
    report = refine(TEXT + "More.\n", server.client())[1]
    assert report.prompt_tokens is None
    assert f"{report.prompt_chars:,} characters sent" in report.line()


def test_every_list_of_the_answer_is_bounded() -> None:
    """The schema bounds every list (`maxItems`) and every free string (`maxLength`), so a
    model held to it cannot run on; the labels are the taxonomy's."""
    schema = answer_schema([layer.llm for layer in refined_layers() if layer.llm is not None])

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    nodes = list(walk(schema))
    assert all("maxItems" in node for node in nodes if node.get("type") == "array")
    assert all("maxLength" in node for node in nodes if node.get("type") == "string")
    entity = schema["properties"]["entities"]["items"]["properties"]
    assert entity["main_role"]["enum"] == list(ROLES)
    narrative = schema["properties"]["narratives"]["items"]["properties"]
    assert set(narrative["narrative"]["enum"]) == {*NARRATIVES, "Other"}


def test_the_hints_leave_pronouns_out() -> None:
    from spinscope.layers.entities.llm import hints

    text = "Jens Stoltenberg spoke. He said the alliance is ready, and Stoltenberg left."
    spans = [
        *Grounder(text).every("Jens Stoltenberg"),
        *Grounder(text).every("He"),
        *Grounder(text).every("Stoltenberg")[1:],
    ]
    entity = Entity(name="Jens Stoltenberg", mentions=spans, source="entities/test")
    assert hints([entity]) == [
        {"name": "Jens Stoltenberg", "mentions": ["Jens Stoltenberg", "Stoltenberg"]}
    ]


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
    assert f"llm: {story}: llm:{MODEL}: " in first.stderr  # what it cost, what it gave
    assert "characters sent" in first.stderr and " refined, " in first.stderr
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
    for command in (["analyze", "--sample"], ["batch", "x", "--out", "y"], ["serve"]):
        result = CliRunner().invoke(app, [*command, "--llm-timeout", "5", "--llm-retries", "0"])
        assert result.exit_code == 2, result.output
        assert "--llm-timeout, --llm-retries only go with --llm URL" in result.stderr


def test_the_limits_reach_the_request(server: FakeLLM, tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text(TEXT, "utf-8")
    server.replies += [Reply("late", delay=1.0)]
    args = ["analyze", str(story), "--llm", server.url, "--llm-model", MODEL]
    limits = ["--llm-max-tokens", "40", "--llm-timeout", "0.3", "--llm-retries", "0"]
    result = CliRunner().invoke(app, [*args, *limits, "--llm-cache", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output  # too slow: a warning, the analysis kept
    assert server.requests[0]["max_tokens"] == 40 and len(server.requests) == 1
    assert "no answer within 0.3 s" in result.stderr
    assert "entities, narratives not refined" in result.stderr


def test_the_llm_options_are_in_the_help_and_the_docs() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "llm.md").read_text("utf-8")
    options = ["--llm", "--llm-model", "--llm-key", "--llm-cache"]
    options += ["--llm-max-tokens", "--llm-timeout", "--llm-retries"]
    for command in ("analyze", "batch", "serve", "eval"):
        result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        for option in options:
            assert option in result.stdout and f"`{option} " in docs, (command, option)
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
    assert f"llm:{MODEL}: 1 article asked (0 answered from the cache), 0 not refined" in (
        result.stderr
    )
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
        # an answer cut off at its token limit: the analysis is stored, unrefined, with why
        server.replies.append(chat('{"entities": [{"name": "Nor', finish_reason="length"))
        response = client.post("/api/v1/analyze", json={"text": TEXT + "More news.\n"})
        assert response.status_code == 200, response.text
        kept = Analysis.model_validate(response.json())
        budget = answer_tokens([layer.llm for layer in refined_layers() if layer.llm])
        assert [w for w in kept.warnings if "cut off" in w] == [
            f"LLM endpoint {server.url}/chat/completions: the answer was cut off at {budget} "
            f"tokens (finish_reason: length) before its JSON object was complete; raise "
            f"--llm-max-tokens (now {budget}); entities, narratives not refined"
        ]
        assert not any("llm:" in e.source for e in kept.entities)
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


# --- answers recorded from a real server, replayed through the client ----------------------

#: Whole responses of llama.cpp serving SmolLM2-135M-Instruct to spinscope's requests (the file
#: says how they were recorded): too small a model to refine well, which is the point here.
RECORDING = json.loads(
    (Path(__file__).parent / "data" / "llm-answers-smollm2.json").read_text("utf-8")
)


def recorded(finish_reason: str) -> list[Any]:
    return [
        pytest.param(answer, id=f"{answer['article']}-{answer['format']}-{answer['max_tokens']}")
        for answer in RECORDING["answers"]
        if answer["response"]["choices"][0]["finish_reason"] == finish_reason
    ]


def recorded_text(answer: dict[str, Any], request: pytest.FixtureRequest) -> str:
    """The article the answer was recorded for: the bundled sample, or an example of
    `../shared` (the NATO example)."""
    from spinscope.ingest import sample_article

    if answer["article"] == "sample":
        text = sample_article().text
    else:
        shared: Path = request.getfixturevalue("shared_data")
        text = (shared.parent / "examples" / f"{answer['article']}.txt").read_text("utf-8")
    assert hashlib.sha256(text.encode()).hexdigest() == answer["text_sha256"]
    return text


def _plain(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


@pytest.mark.parametrize("answer", recorded("stop"))
def test_a_recorded_answer_is_grounded_and_merged(
    server: FakeLLM, answer: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    text = recorded_text(answer, request)
    learned = Pipeline(("entities", "narratives")).analyze(text)
    server.replies.append(Reply(answer["response"]))
    refined, report = refine_analysis(learned, server.client())
    given = json.loads(answer["response"]["choices"][0]["message"]["content"])
    assert report.prompt_tokens == answer["response"]["usage"]["prompt_tokens"]
    assert Analysis.from_json(refined.to_json()) == refined  # every span is the text's
    # What the answer quotes and the text does not hold never gets in: the evidence of what the
    # answer refined is among its quotes, and found in the text.
    quoted = {
        _plain(quote)
        for key in ("entities", "narratives")
        for item in given[key]
        for quote in item.get("evidence", [])
    }
    in_text = {quote for quote in quoted if quote in _plain(text)}
    ours = [f for f in [*refined.entities, *refined.narratives] if report.source in f.source]
    for finding in ours:
        assert {_plain(span.text) for span in finding.evidence} <= in_text
    if not in_text:  # nothing grounded: the learned roles and narratives stand
        assert [e.role for e in refined.entities] == [e.role for e in learned.entities]
        assert refined.narratives == learned.narratives
    # Merging: every learned entity is kept, unchanged unless the answer refined it; a mention
    # the answer gives one entity is never another learned entity's.
    before = {entity.name: entity for entity in learned.entities}
    assert set(before) <= {entity.name for entity in refined.entities}
    for entity in refined.entities:
        if report.source not in entity.source:
            assert entity == before[entity.name]
            continue
        mine = before.get(entity.name)
        added = {span.text for span in entity.mentions}
        added -= {span.text for span in mine.mentions} if mine else set()
        others = {
            span.text for other in learned.entities if other.name != entity.name
            for span in other.mentions
        }  # fmt: skip
        assert not added & others, entity.name
    # The one warning says what was dropped and why.
    assert refined.warnings[len(learned.warnings) :] == [report.summary()]
    assert report.dropped  # a model this small always gets something wrong


@pytest.mark.parametrize("answer", recorded("length"))
def test_a_recorded_cut_off_answer_is_a_warning(
    server: FakeLLM, answer: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    text = recorded_text(answer, request)
    learned = Analysis.model_validate({"article": {"id": "a", "text": text}})
    server.replies.append(Reply(answer["response"]))
    refined, report = refine_reported(learned, server.client(max_tokens=answer["max_tokens"]))
    assert refined.model_copy(update={"warnings": []}) == learned
    (warning,) = refined.warnings
    limit = answer["max_tokens"]
    assert f"the answer was cut off at {limit} tokens (finish_reason: length)" in warning
    assert report is not None and report.failure == warning
    assert report.completion_tokens == answer["response"]["usage"]["completion_tokens"] == limit
