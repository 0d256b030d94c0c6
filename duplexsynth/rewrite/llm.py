"""LLM rewrite through the ``openai`` client against any OpenAI-compatible server.

:class:`LLMRewriter` sends one chat request per dialogue (the versioned prompt of
:mod:`duplexsynth.rewrite.prompt`), parses the JSON answer tolerantly, validates it
(:func:`check_answer`) and, when the answer is unusable, asks once more stating the problem.

Resilience: every request waits for a slot of a process-wide semaphore (``concurrency`` per
endpoint and model) and has a timeout. Retries of failed requests are the ``openai`` client's
own: it retries 408/409/429/5xx, timeouts and connection errors with jittered exponential backoff
and honours ``Retry-After``/``retry-after-ms`` (``max_attempts`` attempts in all). What is
LLM-specific stays here: a 400 naming an optional parameter drops it and sends the request again;
authentication and not-found errors are not retried, and later dialogues fail fast with the same
message instead of hammering the server; an HTTP 200 whose body is not a completion (a proxy's
HTML page, a cut-off body) counts as a server fault and is retried too. That retry can not be
delegated: the client returns such a response as a success (or fails parsing it after its retry
loop), so tenacity retries it here, with jittered backoff (``backoff_base_s``,
``backoff_max_s``), within the same ``max_attempts``. After the last attempt it raises
:class:`LLMError`. The ``requests``/``retries`` counters see every attempt, the client's own
included, through an httpx request hook.

Every answer is stored in a content-addressed cache keyed on the prompt version, model, sampling
parameters and the exact messages, so a rerun replays answers (including the retry for a bad
answer) and sends no request twice. Transport failures are never cached: a rerun tries them again.

The API key is read from the environment when the client is built and is scrubbed from every
error message; it never reaches logs, outputs or the cache.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import tenacity

from duplexsynth.cache import ContentCache, content_key
from duplexsynth.lang import resolve_language
from duplexsynth.redact import register_key_env
from duplexsynth.rewrite import prompt as prompts
from duplexsynth.rewrite.config import RewriteConfig
from duplexsynth.rewrite.llm_answer import (
    check_answer,
    clip_text,
    extract_json,
    scrub,
    turn_limit,
)

# answer reading lives in llm_answer; importing it from here keeps working
__all__ = [
    "LLMError",
    "LLMOutcome",
    "LLMRewriter",
    "LLMStats",
    "check_answer",
    "extract_json",
    "scrub",
    "shared_rewriter",
    "turn_limit",
]

log = logging.getLogger("duplexsynth.rewrite")

CACHE_NAMESPACE = "rewrite-llm"
_PLACEHOLDER_KEY = "not-needed"  # vLLM/Ollama/llama.cpp accept any key; the client needs one


class LLMError(Exception):
    """The server could not be reached or kept failing (reject reason ``llm_error``)."""


@dataclass(frozen=True)
class LLMOutcome:
    """What the LLM made of one dialogue: spoken texts (normalized) or the problem."""

    texts: tuple[str, ...] | None
    problem: str | None = None
    #: the first answer was invalid and the retry fixed it
    repaired: bool = False
    first_problem: str | None = None


@dataclass
class LLMStats:
    """Counters for progress lines (thread-safe)."""

    requests: int = 0
    retries: int = 0
    cache_hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "cache_hits": self.cache_hits,
            }


# ------------------------------------------------------------------------ concurrency
_SLOTS: dict[tuple[str, str, int], threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()


def request_slots(base_url: str | None, model: str, concurrency: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore bounding in-flight requests to one endpoint and model."""
    key = (base_url or "", model, concurrency)
    with _SLOTS_LOCK:
        if key not in _SLOTS:
            _SLOTS[key] = threading.BoundedSemaphore(concurrency)
        return _SLOTS[key]


# ----------------------------------------------------------------------------- client
class LLMRewriter:
    """Rewrites dialogues through one OpenAI-compatible endpoint (thread-safe).

    By default an ``openai.OpenAI`` is built on first use; its ``max_retries`` is set per call to
    the attempts left, and an httpx request hook counts every attempt it sends (the ``requests``
    and ``retries`` of :class:`LLMStats`). ``client`` may be given instead: an ``openai.OpenAI``
    (tests, custom transports), whose attempts count one per call. ``sleep`` is what waits
    between the attempts made here (after a 200 whose body is not a completion).
    """

    def __init__(
        self,
        config: RewriteConfig,
        client: Any | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not config.llm_model:
            raise ValueError("LLMRewriter needs rewrite.llm_model")
        self.config = config
        register_key_env(config.api_key_env)
        self.stats = LLMStats()
        self.cache = ContentCache(config.cache_dir, CACHE_NAMESPACE)
        self._client = client
        self._sleep = sleep
        self._lock = threading.Lock()
        self._fatal: str | None = None
        self._drop_params: set[str] = set()
        self._slots = request_slots(config.llm_base_url, config.llm_model, config.concurrency)
        #: per thread: attempts sent by the current client call, and spent on this request
        self._local = threading.local()

    # -- client ------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import openai

                self._client = openai.OpenAI(
                    base_url=self.config.llm_base_url or None,
                    api_key=self._api_key() or _PLACEHOLDER_KEY,
                    timeout=self.config.timeout_s,
                    max_retries=self.config.max_attempts - 1,
                    http_client=openai.DefaultHttpxClient(
                        event_hooks={"request": [self._on_request]}
                    ),
                )
            return self._client

    def _on_request(self, request: Any) -> None:
        """httpx request hook (runs in the sending thread): one attempt of the client's."""
        self.stats.add("requests")
        local = self._local
        sent = getattr(local, "sent", 0)
        if sent:
            self.stats.add("retries")  # the client retrying within one call
        local.sent = sent + 1

    def _api_key(self) -> str | None:
        return os.environ.get(self.config.api_key_env) or None

    def _scrub(self, text: str) -> str:
        return scrub(text, self._api_key())

    # -- one dialogue -----------------------------------------------------------------
    def rewrite_turns(
        self, turns: Sequence[tuple[str, str]], request_seed: int | None = None
    ) -> LLMOutcome:
        """Spoken versions of ``turns`` (``[(speaker, source_text), ...]``).

        Returns an :class:`LLMOutcome` with texts, or with the problem when the answer stayed
        invalid after one retry. Raises :class:`LLMError` when the server keeps failing.
        """
        cfg = self.config
        language = resolve_language(cfg.language, (text for _, text in turns))
        messages = prompts.build_messages(turns, cfg.max_words_per_turn, cfg.fillers, language)
        answer = self.request(messages, request_seed, len(turns))
        texts, problem = check_answer(answer, turns, cfg, language)
        if problem is None:
            return LLMOutcome(texts=texts)
        log.info("LLM answer invalid (%s); retrying once", problem)
        retry = prompts.retry_messages(messages, answer.get("content") or "", problem, len(turns))
        answer2 = self.request(retry, request_seed, len(turns))
        texts2, problem2 = check_answer(answer2, turns, cfg, language)
        if problem2 is None:
            return LLMOutcome(texts=texts2, repaired=True, first_problem=problem)
        return LLMOutcome(texts=None, problem=f"{problem}; after a retry: {problem2}")

    # -- one request, cached ----------------------------------------------------------
    def cache_key(self, messages: list[dict[str, str]], seed: int | None) -> str:
        cfg = self.config
        return content_key(
            kind="rewrite.chat",
            prompt_version=prompts.PROMPT_VERSION,
            model=cfg.llm_model,
            temperature=cfg.temperature,
            max_output_tokens=cfg.max_output_tokens,
            response_format=cfg.response_format,
            seed=seed,
            messages=messages,
        )

    def request(
        self, messages: list[dict[str, str]], seed: int | None, n_turns: int
    ) -> dict[str, Any]:
        """``{"content", "finish_reason"}`` of one chat completion, from the cache if there."""
        key = self.cache_key(messages, seed)
        hit = self.cache.get_json(key)
        if isinstance(hit, dict) and "content" in hit:
            self.stats.add("cache_hits")
            return hit
        answer = self._send(messages, seed, n_turns)
        self.cache.put_json(key, answer)
        return answer

    # -- transport ----------------------------------------------------------------------
    def _kwargs(self, messages: list[dict[str, str]], seed: int | None, n_turns: int) -> dict:
        cfg = self.config
        max_tokens = cfg.max_output_tokens or (n_turns * cfg.max_words_per_turn * 4 + 256)
        kw: dict[str, Any] = {
            "model": cfg.llm_model,
            "messages": messages,
            "temperature": cfg.temperature,
            "max_tokens": max_tokens,
            "timeout": cfg.timeout_s,
        }
        if seed is not None:
            kw["seed"] = seed
        if cfg.response_format == "json_object":
            kw["response_format"] = {"type": "json_object"}
        elif cfg.response_format == "json_schema":
            kw["response_format"] = {
                "type": "json_schema",
                "json_schema": prompts.json_schema(n_turns),
            }
        for name in self._drop_params:
            kw.pop(name, None)
        return kw

    def _send(self, messages: list[dict[str, str]], seed: int | None, n_turns: int) -> dict:
        """One completion within ``max_attempts`` attempts, the client's retries included.

        The client retries failed HTTP exchanges itself (backoff, ``Retry-After``, which statuses
        are worth it). A 200 whose body is not a completion it hands back as a success, so that
        one is retried here, by tenacity, with jittered exponential backoff: half of
        ``backoff_base_s * 2**(n-1)`` (at most ``backoff_max_s``) fixed, half random.
        """
        if self._fatal:
            raise LLMError(self._fatal)
        cfg = self.config
        local = self._local
        local.spent = 0
        half_base, half_max = cfg.backoff_base_s / 2, cfg.backoff_max_s / 2
        retrying = tenacity.Retrying(
            stop=lambda state: local.spent >= cfg.max_attempts,
            wait=tenacity.wait_exponential(multiplier=half_base, max=half_max)
            + tenacity.wait_random_exponential(multiplier=half_base, max=half_max),
            retry=tenacity.retry_if_exception_type(_NotACompletion),
            sleep=self._sleep,
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, messages, seed, n_turns)
        except _NotACompletion as exc:
            raise LLMError(f"gave up after {local.spent} attempts: {exc}") from None

    def _count_retry(self, state: tenacity.RetryCallState) -> None:
        self.stats.add("retries")
        why = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        log.info("LLM answer unusable (%s); retrying in %.2f s", why, delay)

    def _attempt(self, messages: list[dict[str, str]], seed: int | None, n_turns: int) -> dict:
        """One client call; a rejected optional parameter is dropped and the request sent again
        (a changed request, not a failed attempt). Raises :class:`_NotACompletion` for a 200
        that is not a completion, :class:`LLMError` for everything else that failed."""
        import openai

        while True:
            kwargs = self._kwargs(messages, seed, n_turns)
            try:
                response = self._create(kwargs)
            except openai.BadRequestError as exc:
                param = self._unsupported_param(exc, kwargs)
                if param is None:
                    raise LLMError(self._describe(exc, "server rejected the request")) from None
                log.warning("server rejected %r; sending requests without it from now on", param)
                with self._lock:
                    self._drop_params.add(param)
                self._local.spent -= 1
                continue
            except (openai.OpenAIError, ValueError) as exc:
                raise self._failure(exc) from None
            if not hasattr(response, "choices"):  # a 200 with a non-JSON content type
                body = clip_text(str(response), 120)
                raise _NotACompletion(
                    self._scrub(
                        f"server answered 200 with something other than a completion: {body!r}"
                    )
                )
            return _answer(response)

    def _create(self, kwargs: dict[str, Any]) -> Any:
        """One chat completion call, in a slot, allowing the client the attempts left."""
        local = self._local
        local.sent = 0
        client = self.client
        left = self.config.max_attempts - local.spent
        try:
            with self._slots:
                call = client.with_options(max_retries=max(0, left - 1))
                return call.chat.completions.create(**kwargs)
        finally:
            local.spent += max(1, local.sent)  # a given client has no hook: one per call

    def _failure(self, exc: Exception) -> Exception:
        """The error to raise once the client has given up: auth and not-found errors are fatal
        for every later dialogue too; a 200 that is not a completion (unreadable, not JSON) is
        worth another attempt; anything else ends the request, naming the attempts spent."""
        import openai

        cfg = self.config
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            self._fatal = self._describe(
                exc, f"server refused the credentials (is ${cfg.api_key_env} set and valid?)"
            )
            return LLMError(self._fatal)
        if isinstance(exc, openai.NotFoundError):
            self._fatal = self._describe(
                exc,
                f"model {cfg.llm_model!r} or endpoint {cfg.public_base_url() or 'api.openai.com'}"
                " not found (check --llm-model and --llm-base-url, which usually ends in /v1)",
            )
            return LLMError(self._fatal)
        if isinstance(exc, openai.APIStatusError):
            why = self._describe(exc, "server error")
        elif isinstance(exc, openai.APITimeoutError):
            why = f"request timed out after {cfg.timeout_s:g} s"
        elif isinstance(exc, openai.APIConnectionError):
            why = self._scrub(f"cannot connect to the server: {exc.__cause__ or exc}")
        elif isinstance(exc, openai.OpenAIError):  # unreadable response and the like
            return _NotACompletion(
                self._scrub(f"bad response: {type(exc).__name__}: {clip_text(str(exc), 200)}")
            )
        else:  # HTTP 200 whose body is not JSON: a server (or proxy) fault
            return _NotACompletion(
                self._scrub(f"server answered 200 with a body that is not JSON: {exc}")
            )
        spent = self._local.spent
        return LLMError(
            f"gave up after {spent} attempts: {why}" if spent >= cfg.max_attempts else why
        )

    def _describe(self, exc: Any, what: str) -> str:
        status = getattr(exc, "status_code", None)
        message = getattr(exc, "message", None) or str(exc)
        return self._scrub(f"{what} ({status}): {clip_text(message, 300)}")

    @staticmethod
    def _unsupported_param(exc: Any, kwargs: dict[str, Any]) -> str | None:
        """The optional parameter a 400 complains about (response_format, seed, max_tokens)."""
        message = (getattr(exc, "message", None) or str(exc)).lower()
        for name in ("response_format", "seed", "max_tokens"):
            if name in kwargs and (name in message or name.replace("_", " ") in message):
                return name
        if "response_format" in kwargs and ("json_schema" in message or "json mode" in message):
            return "response_format"
        return None


class _NotACompletion(Exception):
    """An HTTP 200 whose body is not a chat completion (the message, already scrubbed, says what
    came): a server or proxy fault the client does not retry, so it is retried here."""


def _answer(response: Any) -> dict[str, Any]:
    choices = getattr(response, "choices", None) or []
    if not choices:
        return {"content": "", "finish_reason": None}
    choice = choices[0]
    message = getattr(choice, "message", None)
    content = getattr(message, "content", None) or ""
    return {"content": content, "finish_reason": getattr(choice, "finish_reason", None)}


# ------------------------------------------------------------------- shared per process
_REWRITERS: dict[str, LLMRewriter] = {}
_REWRITERS_LOCK = threading.Lock()


def shared_rewriter(config: RewriteConfig) -> LLMRewriter:
    """One :class:`LLMRewriter` per distinct config in this process (client and cache reused)."""
    key = json.dumps(config.to_dict(), sort_keys=True)
    with _REWRITERS_LOCK:
        if key not in _REWRITERS:
            _REWRITERS[key] = LLMRewriter(config)
        return _REWRITERS[key]
