"""Greedy decoding on a llama.cpp model that checks the grammar against the best-scored tokens first.

llama-cpp-python's sampler chain runs the grammar over the whole vocabulary (262k tokens for Gemma 3) for every
generated token. Greedy decoding needs only the best token the grammar accepts, which is nearly always among the few
best-scored ones, so this asks the grammar about the best token, then the best PROBES, and the whole vocabulary
only when none of those fits: the same tokens as the library's greedy chain, without its per-token cost."""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# How many of the best-scored tokens are put to the grammar, tier by tier, before the whole vocabulary. The second
# tier catches the end of a reply (the end-of-sequence token ranked 70th-4,000th on the shop, where the model would
# go on) and a list's option names (the model would write a number).
PROBES = (64, 4096)


@dataclass
class Decoded:
    """What one greedy decode produced."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    reused_tokens: int  # prompt tokens whose KV entries were already in the cache (not evaluated again)


def chat_prompt(llm: Any, messages: list[dict[str, str]]) -> tuple[list[int], list[str]] | None:
    """The prompt's tokens and stop strings under the model's chat format; None for a format this module does not
    know (the caller then uses llama-cpp-python's own chat completion)."""
    from llama_cpp import llama_chat_format as lcf

    if llm.chat_format == "gemma":
        formatted = lcf.format_gemma(messages=messages)
    elif llm.chat_format == "chat_template.default" and "tokenizer.chat_template" in llm.metadata:
        eos, bos = llm.token_eos(), llm.token_bos()
        formatted = lcf.Jinja2ChatFormatter(
            template=llm.metadata["tokenizer.chat_template"],
            eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
            bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
            stop_token_ids=[eos])(messages=messages)
    else:
        return None
    tokens = llm.tokenize(formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True)
    stop = formatted.stop if isinstance(formatted.stop, list) else [formatted.stop] if formatted.stop else []
    return tokens, stop


def _reuse_prefix(llm: Any, tokens: list[int]) -> int:
    """Keep the KV cache entries of the longest prefix `tokens` shares with what was evaluated last (at least one
    token is evaluated again, for fresh logits); returns how many were kept."""
    n = 0
    for a, b in zip(llm.input_ids[:llm.n_tokens], tokens, strict=False):
        if a != b:
            break
        n += 1
    n = min(n, len(tokens) - 1)
    if n > 0 and llm._ctx.kv_cache_seq_rm(-1, n, -1):
        llm.n_tokens = n
        return n
    llm.reset()
    return 0


def decode(llm: Any, tokens: list[int], grammar: str | None, max_tokens: int, stop: list[str],
           reuse_prefix: bool = True, on_token: Callable[[], None] | None = None) -> Decoded:
    """Evaluate `tokens` (reusing the cached prefix) and decode greedily under the GBNF `grammar` (None: free)."""
    import llama_cpp
    import numpy as np

    if len(tokens) >= llm.n_ctx():
        raise ValueError(f"Requested tokens ({len(tokens)}) exceed context window of {llm.n_ctx()}")
    max_tokens = min(max_tokens, llm.n_ctx() - len(tokens))
    if reuse_prefix:
        reused = _reuse_prefix(llm, tokens)
    else:
        llm.reset()
        reused = 0
    llm.eval(tokens[reused:])
    vocab = llm._model.vocab
    n_vocab = llm.n_vocab()
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode(), b"root") if grammar is not None else None
    if grammar is not None and not sampler:
        raise ValueError("the GBNF grammar does not parse")
    probe = np.recarray((max(PROBES),), dtype=np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)],
                                                       align=True))
    probe_array = llama_cpp.llama_token_data_array(data=probe.ctypes.data_as(llama_cpp.llama_token_data_p),
                                                   size=1, selected=-1, sorted=False)

    def accepted(candidates: np.ndarray, order: np.ndarray) -> int | None:
        """The first of `candidates` (token ids, best first) the grammar accepts next, or None."""
        k = len(candidates)
        probe.id[:k] = candidates
        probe.logit[:k] = order
        probe.p[:k] = 0.0
        probe_array.size, probe_array.selected, probe_array.sorted = k, -1, False
        llama_cpp.llama_sampler_apply(sampler, ctypes.byref(probe_array))
        ok = np.flatnonzero(np.isfinite(probe.logit[:k]))
        return int(probe.id[ok[0]]) if len(ok) else None

    out: list[int] = []
    text = ""
    try:
        for _ in range(max_tokens):
            logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(n_vocab,))
            token = int(logits.argmax())
            if sampler is not None:
                best = np.array([token])
                chosen = accepted(best, logits[best])
                for k in PROBES:
                    if chosen is not None:
                        break
                    top = np.argpartition(logits, -k)[-k:]
                    top = top[np.argsort(-logits[top], kind="stable")]
                    chosen = accepted(top, logits[top])
                if chosen is None:  # none of the best fits: the whole vocabulary, as the library does
                    every = llm._candidates
                    every.copy_logits(logits)
                    llama_cpp.llama_sampler_apply(sampler, ctypes.byref(every.candidates))
                    allowed = every.candidates_data.logit[:every.candidates.size]
                    if not np.isfinite(allowed).any():
                        break  # the grammar admits nothing more
                    chosen = int(every.candidates_data.id[int(np.argmax(allowed))])
                token = chosen
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                break
            if sampler is not None:
                llama_cpp.llama_sampler_accept(sampler, token)
            out.append(token)
            if on_token is not None:
                on_token()
            text = llm.detokenize(out).decode("utf-8", errors="ignore")
            cut = min((text.find(s) for s in stop if s and s in text), default=-1)
            if cut >= 0:
                text = text[:cut]
                break
            llm.eval([token])
    finally:
        if sampler is not None:
            llama_cpp.llama_sampler_free(sampler)
    return Decoded(text=text, prompt_tokens=len(tokens), completion_tokens=len(out), reused_tokens=reused)
