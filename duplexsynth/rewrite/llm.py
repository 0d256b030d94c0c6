"""LLM rewrite through the ``openai`` client against any OpenAI-compatible server.

:class:`LLMRewriter` sends one chat request per dialogue (the versioned prompt of
:mod:`duplexsynth.rewrite.prompt`), parses the JSON answer tolerantly, validates it
(:func:`check_answer`) and, when the answer is unusable, asks once more stating the problem.

Resilience: every request waits for a slot of a process-wide semaphore (``concurrency`` per
endpoint and model), has a timeout, and is retried with jittered exponential backoff on 429,
5xx, timeouts and connection errors, honouring ``Retry-After``; after ``max_attempts`` it raises
:class:`LLMError`. Authentication and not-found errors are not retried, and later dialogues fail
fast with the same message instead of hammering the server.

Every answer is stored in a content-addressed cache keyed on the prompt version, model, sampling
parameters and the exact messages, so a rerun replays answers (including the retry for a bad
answer) and sends no request twice. Transport failures are never cached: a rerun tries them again.

The API key is read from the environment when the client is built and is scrubbed from every
error message; it never reaches logs, outputs or the cache.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from duplexsynth.cache import ContentCache, content_key
from duplexsynth.lang import resolve_language
from duplexsynth.redact import redact, register_key_env
from duplexsynth.rewrite import prompt as prompts
from duplexsynth.rewrite.config import RewriteConfig
from duplexsynth.rewrite.language_rules import rules_for
from duplexsynth.schemas.records import ASSISTANT, USER

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


# ------------------------------------------------------------------------ answer parsing
def extract_json(content: str) -> Any | None:
    """The JSON value in ``content``: plain, inside a ```json fence, or wrapped in prose."""
    text = content.strip()
    candidates = [text]
    candidates += re.findall(r"```(?:json|JSON)?\s*\n?(.*?)```", text, re.S)
    for cand in candidates:
        try:
            return json.loads(cand)
        except (json.JSONDecodeError, ValueError):
            pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                value, _ = decoder.raw_decode(text, i)
            except (json.JSONDecodeError, ValueError):
                continue
            if isinstance(value, (dict, list)) and value:
                return value
    return None


_ROLE = {
    "user": USER,
    "human": USER,
    "you": USER,
    "customer": USER,
    "assistant": ASSISTANT,
    "gpt": ASSISTANT,
    "bot": ASSISTANT,
    "ai": ASSISTANT,
    "model": ASSISTANT,
    "system": "system",
}
_TEXT_KEYS = ("text", "spoken", "spoken_text", "content", "value", "utterance")
_SPEAKER_KEYS = ("speaker", "role", "from")
_REFUSAL = re.compile(
    r"(?i)\b(?:i'?m sorry,? but i (?:can(?:'|no)?t|am unable|won'?t)|"
    r"i (?:cannot|can'?t|am unable to|won'?t|am not able to) (?:help|assist|comply|provide|do that|"
    r"rewrite|fulfil)|as an ai(?: language model)?\b)"
)


def _turn_items(obj: Any) -> list[Any] | None:
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        for key in ("turns", "dialogue", "messages", "conversation"):
            if isinstance(obj.get(key), list):
                return obj[key]
    return None


def _item_fields(item: Any) -> tuple[str | None, Any]:
    if isinstance(item, str):
        return None, item
    if not isinstance(item, dict):
        return None, None
    speaker = next((item[k] for k in _SPEAKER_KEYS if k in item), None)
    text = next((item[k] for k in _TEXT_KEYS if k in item), None)
    return (str(speaker) if speaker is not None else None), text


def turn_limit(speaker: str, source_text: str, config: RewriteConfig, language: str = "en") -> int:
    """Most words an LLM turn may have: the cap for the assistant, the cap or the source's
    length (whichever is larger) for the user, both times ``length_tolerance``."""
    cap = config.max_words_per_turn
    if speaker == USER:
        cap = max(cap, rules_for(language).word_count(source_text))
    return int(cap * config.length_tolerance)


def check_answer(
    answer: dict[str, Any],
    turns: Sequence[tuple[str, str]],
    config: RewriteConfig,
    language: str = "en",
) -> tuple[tuple[str, ...] | None, str | None]:
    """Validate one answer: ``(normalized texts, None)`` or ``(None, problem)``.

    Checks: parseable JSON with a turn list, same number of turns and speakers in order, no
    empty turn, no refusal, no echo of the instructions, nothing unspeakable left after the
    rules' final pass (digits, markdown, URLs, symbols), and lengths within bounds.
    """
    content = answer.get("content") or ""
    n = len(turns)
    if not content.strip():
        return None, "the reply was empty"
    obj = extract_json(content)
    if obj is None:
        if answer.get("finish_reason") == "length":
            return None, "the reply was cut off before the JSON ended (max_tokens)"
        if _REFUSAL.search(content):
            return None, f"the reply is a refusal, not JSON: {_clip(content)!r}"
        return None, f"the reply is not valid JSON: {_clip(content)!r}"
    items = _turn_items(obj)
    if items is None:
        return None, 'the JSON has no "turns" list'
    if len(items) != n:
        return None, f"expected {n} turns, got {len(items)}"
    instructions = prompts.instruction_shingles(config.max_words_per_turn, config.fillers)
    rules = rules_for(language)
    problems: list[str] = []
    texts: list[str] = []
    for i, (item, (speaker, source)) in enumerate(zip(items, turns)):
        said_by, text = _item_fields(item)
        if said_by is not None and _ROLE.get(said_by.strip().lower()) != speaker:
            problems.append(f"turn {i} must be spoken by the {speaker}, got {said_by!r}")
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append(f"turn {i} is empty")
            continue
        if _REFUSAL.search(text) and not _REFUSAL.search(source):
            problems.append(f"turn {i} is a refusal instead of a rewrite")
            continue
        if prompts.shingles(text) & (instructions - prompts.shingles(source)):
            problems.append(f"turn {i} repeats the instructions instead of rewriting the turn")
            continue
        spoken = rules.normalize(text, config.date_order)
        bad = rules.find_unspeakable(spoken)
        if bad:
            problems.append(f"turn {i} still has {bad} after normalization")
            continue
        words, limit = rules.word_count(spoken), turn_limit(speaker, source, config, language)
        if words > limit:
            problems.append(f"turn {i} has {words} words, more than the limit of {limit}")
            continue
        texts.append(spoken)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return None, "; ".join(problems[:3]) + more
    return tuple(texts), None


def _clip(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# ----------------------------------------------------------------------------- secrets
def scrub(text: str, secret: str | None = None) -> str:
    """``text`` through :func:`duplexsynth.redact.redact`, also masking ``secret`` (the API key)."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    text = redact(text)
    return re.sub(r"\bsk-[A-Za-z0-9_\-*.]{4,}", "sk-***", text)


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


def retry_after_s(exc: Exception) -> float | None:
    """Seconds from a response's ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# ----------------------------------------------------------------------------- client
class LLMRewriter:
    """Rewrites dialogues through one OpenAI-compatible endpoint (thread-safe).

    ``client`` may be any object with the ``openai.OpenAI`` chat interface (tests, custom
    transports); by default an ``openai.OpenAI`` is built on first use with ``max_retries=0``
    (retries are done here, with ``Retry-After`` and jitter). ``sleep`` is what waits between
    attempts.
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
        self._jitter = random.Random()  # backoff jitter only; never affects output
        self._fatal: str | None = None
        self._drop_params: set[str] = set()
        self._slots = request_slots(config.llm_base_url, config.llm_model, config.concurrency)

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
                    max_retries=0,
                )
            return self._client

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
        import openai

        if self._fatal:
            raise LLMError(self._fatal)
        cfg = self.config
        attempt = 0
        last = "no attempt made"
        while attempt < cfg.max_attempts:
            attempt += 1
            kwargs = self._kwargs(messages, seed, n_turns)
            try:
                with self._slots:
                    self.stats.add("requests")
                    response = self.client.chat.completions.create(**kwargs)
            except openai.BadRequestError as exc:
                param = self._unsupported_param(exc, kwargs)
                if param is not None:
                    log.warning(
                        "server rejected %r; sending requests without it from now on", param
                    )
                    with self._lock:
                        self._drop_params.add(param)
                    attempt -= 1  # a changed request, not a failed attempt
                    continue
                raise LLMError(self._describe(exc, "server rejected the request")) from None
            except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                self._fatal = self._describe(
                    exc, f"server refused the credentials (is ${cfg.api_key_env} set and valid?)"
                )
                raise LLMError(self._fatal) from None
            except openai.NotFoundError as exc:
                self._fatal = self._describe(
                    exc,
                    f"model {cfg.llm_model!r} or endpoint {cfg.public_base_url() or 'api.openai.com'}"
                    " not found (check --llm-model and --llm-base-url, which usually ends in /v1)",
                )
                raise LLMError(self._fatal) from None
            except openai.APIStatusError as exc:
                if not _retryable_status(exc.status_code):
                    raise LLMError(self._describe(exc, "server error")) from None
                last = self._describe(exc, "server error")
                self._backoff(attempt, retry_after_s(exc), last)
                continue
            except openai.APITimeoutError:
                last = f"request timed out after {cfg.timeout_s:g} s"
                self._backoff(attempt, None, last)
                continue
            except openai.APIConnectionError as exc:
                last = self._scrub(f"cannot connect to the server: {exc.__cause__ or exc}")
                self._backoff(attempt, None, last)
                continue
            except openai.OpenAIError as exc:  # unreadable response and the like
                last = self._scrub(f"bad response: {type(exc).__name__}: {_clip(str(exc), 200)}")
                self._backoff(attempt, None, last)
                continue
            except ValueError as exc:  # HTTP 200 whose body is not JSON: a server (or proxy) fault
                last = self._scrub(f"server answered 200 with a body that is not JSON: {exc}")
                self._backoff(attempt, None, last)
                continue
            if not hasattr(response, "choices"):  # a 200 with a non-JSON content type
                body = _clip(str(response), 120)
                last = self._scrub(
                    f"server answered 200 with something other than a completion: {body!r}"
                )
                self._backoff(attempt, None, last)
                continue
            return _answer(response)
        raise LLMError(f"gave up after {cfg.max_attempts} attempts: {last}")

    def _backoff(self, attempt: int, retry_after: float | None, why: str) -> None:
        cfg = self.config
        if attempt >= cfg.max_attempts:
            return
        delay = min(cfg.backoff_max_s, cfg.backoff_base_s * 2 ** (attempt - 1))
        delay *= 0.5 + 0.5 * self._jitter.random()
        if retry_after is not None:
            delay = max(delay, min(retry_after, cfg.max_retry_after_s))
        self.stats.add("retries")
        log.info("LLM attempt %d failed (%s); retrying in %.2f s", attempt, why, delay)
        self._sleep(delay)

    def _describe(self, exc: Any, what: str) -> str:
        status = getattr(exc, "status_code", None)
        message = getattr(exc, "message", None) or str(exc)
        return self._scrub(f"{what} ({status}): {_clip(message, 300)}")

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


def _retryable_status(status: int) -> bool:
    return status in (408, 409, 425, 429) or status >= 500


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
