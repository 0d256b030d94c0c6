"""The LLM path: the real ``openai`` client against a loopback OpenAI-compatible server."""

from __future__ import annotations

import json
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fake_llm import FakeLLM, Reply, dialogue_of, good_answer
from rewrite_helpers import SECRET, dialogue, llm_config

from duplexsynth.rewrite import prompt as prompts
from duplexsynth.rewrite.llm import LLMRewriter, check_answer, extract_json, scrub
from duplexsynth.rewrite.process import rewrite_dialogue
from duplexsynth.schemas.records import Dialogue, Reject


class _Sleeps(list):
    """Records the waits between attempts instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _rewriter(fake: FakeLLM, tmp_path: Path, cache: bool = True, **kw) -> LLMRewriter:
    cfg = llm_config(fake.base_url, tmp_path / "cache" if cache else None, **kw)
    return LLMRewriter(cfg, sleep=_Sleeps())


def _run(d: Dialogue, rw: LLMRewriter, seed: int = 7) -> Dialogue | Reject:
    return rewrite_dialogue(d, rw.config, seed, client=rw)


# ---------------------------------------------------------------------------- good answers
def test_good_answer_is_normalized_and_recorded(fake: FakeLLM, tmp_path: Path) -> None:
    rw = _rewriter(fake, tmp_path)
    d = dialogue(0, "How much are 3 apples at $2 each?", "That's **$6** in total.")
    out = _run(d, rw)
    assert isinstance(out, Dialogue), out
    assert [t.spoken_text for t in out.turns] == [
        "How much are three apples at two dollars each?",
        "Sure. That's six dollars in total.",
    ]
    assert [t.source_text for t in out.turns] == [t.source_text for t in d.turns]
    assert (out.rewrite_method, out.rewrite_model) == ("llm", "fake-model")
    assert out.rewrite_prompt_version == prompts.PROMPT_VERSION
    assert out.rewrite_temperature == 0.7 and out.rewrite_seed == 7
    params = out.params["rewrite"]
    assert params["base_url"] == fake.base_url and params["repaired"] is False
    # what went over the wire
    assert fake.count == 1
    req = fake.requests[0]
    body = req["body"]
    assert req["path"] == "/v1/chat/completions"
    assert body["model"] == "fake-model" and body["temperature"] == 0.7
    assert body["response_format"] == {"type": "json_object"}
    assert body["seed"] == params["request_seed"]
    assert "at most 60 words" in body["messages"][0]["content"]
    assert [t["text"] for t in dialogue_of(body)] == [t.source_text for t in d.turns]
    assert req["headers"]["authorization"] == f"Bearer {SECRET}"  # the key is used...
    assert SECRET not in json.dumps(out.to_row(), default=str)  # ...and never written


def test_prose_and_fenced_json_is_parsed(fake: FakeLLM, tmp_path: Path) -> None:
    out = _run(dialogue(1, "Say hi to the parrot.", "Hi parrot!"), _rewriter(fake, tmp_path))
    assert isinstance(out, Dialogue)
    assert out.turns[1].spoken_text == "Sure. Hi parrot!"
    assert fake.count == 1


def test_invalid_answer_is_retried_once_stating_the_problem(fake: FakeLLM, tmp_path: Path):
    out = _run(dialogue(2, "Where does the heron sleep?", "In trees."), _rewriter(fake, tmp_path))
    assert isinstance(out, Dialogue)
    assert out.params["rewrite"]["repaired"] is True
    assert out.params["rewrite"]["first_problem"] == "expected 2 turns, got 1"
    assert fake.count == 2
    retry = fake.requests[1]["body"]["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert "expected 2 turns, got 1" in retry[-1]["content"]
    assert len(json.loads(retry[2]["content"])["turns"]) == 1  # the bad answer, sent back


@pytest.mark.parametrize(
    ("keyword", "problem"),
    [
        ("zebra", "not valid JSON"),
        ("giraffe", "expected 2 turns, got 1"),
        ("mole", "refusal"),
        ("echo", "repeats the instructions"),
        ("glyph", "symbol '⊕'"),
    ],
)
def test_answer_invalid_twice_is_rejected(fake: FakeLLM, tmp_path: Path, keyword, problem):
    out = _run(
        dialogue(3, f"Tell me about the {keyword}.", "Sure thing."), _rewriter(fake, tmp_path)
    )
    assert isinstance(out, Reject)
    assert out.reason == "llm_invalid"
    assert problem in out.detail and "after a retry" in out.detail
    assert (out.id, out.source_index, out.stage) == ("dlg-0003", 3, "rewrite")
    assert fake.count == 2  # the first answer and exactly one retry


def test_too_long_and_wrong_speaker_are_invalid(fake: FakeLLM, tmp_path: Path) -> None:
    def long_answer(body, n_seen):
        turns = dialogue_of(body)
        out = json.loads(good_answer(turns))
        out["turns"][1]["text"] = "word " * 200
        return Reply(content=json.dumps(out))

    fake.override = long_answer
    out = _run(dialogue(4, "Hi.", "Hello."), _rewriter(fake, tmp_path))
    assert isinstance(out, Reject) and "200 words, more than the limit of 90" in out.detail

    def swapped(body, n_seen):
        turns = dialogue_of(body)
        out = json.loads(good_answer(turns))
        out["turns"][0]["speaker"] = "assistant"
        return Reply(content=json.dumps(out))

    fake.override = swapped
    out = _run(dialogue(5, "Hi.", "Hello."), _rewriter(fake, tmp_path))
    assert isinstance(out, Reject) and "turn 0 must be spoken by the user" in out.detail


# --------------------------------------------------------------------------- resilience
def _gaps_s(fake: FakeLLM) -> list[float]:
    """Seconds between consecutive requests the server received."""
    times = [r["t"] for r in fake.requests]
    return [b - a for a, b in zip(times, times[1:])]


def test_429_honours_retry_after(fake: FakeLLM, tmp_path: Path) -> None:
    rw = _rewriter(fake, tmp_path)
    out = _run(dialogue(6, "Is the walrus big?", "Very."), rw)
    assert isinstance(out, Dialogue)
    assert fake.count == 2
    assert _gaps_s(fake)[0] >= 0.95  # the client waited out Retry-After: 1
    assert rw._sleep == []  # the client's retry, not one of ours...
    assert rw.stats.snapshot() == {"requests": 2, "retries": 1, "cache_hits": 0}  # ...yet counted


def test_retry_after_ms_is_honoured(fake: FakeLLM, tmp_path: Path) -> None:
    def limited(body, n_seen):
        if n_seen == 0:
            return Reply(status=429, headers={"retry-after-ms": "700"}, error="slow down")
        return Reply(content=good_answer(dialogue_of(body)))

    fake.override = limited
    rw = _rewriter(fake, tmp_path)
    assert isinstance(_run(dialogue(15, "Is the otter quick?", "Yes."), rw), Dialogue)
    assert fake.count == 2 and _gaps_s(fake)[0] >= 0.65


def test_5xx_backs_off_exponentially_then_rejects(fake: FakeLLM, tmp_path: Path) -> None:
    rw = _rewriter(fake, tmp_path, max_attempts=3)
    out = _run(dialogue(7, "Is the falcon fast?", "Yes."), rw)
    assert isinstance(out, Reject) and out.reason == "llm_error"
    assert "gave up after 3 attempts" in out.detail and "(500)" in out.detail
    assert fake.count == 3
    assert rw.stats.snapshot() == {"requests": 3, "retries": 2, "cache_hits": 0}
    first, second = _gaps_s(fake)
    assert first >= 0.3 and second >= 0.6  # the client's backoff: 0.5 s, then 1 s, jittered


def test_attempts_are_shared_between_the_client_and_bad_bodies(
    fake: FakeLLM, tmp_path: Path
) -> None:
    # a 500 (the client retries), then a 200 that is HTML (retried here), then a 500 again
    def mixed(body, n_seen):
        if n_seen == 1:
            return Reply(raw="<html>busy</html>", content_type="text/html")
        return Reply(status=500, error="internal error")

    fake.override = mixed
    rw = _rewriter(fake, tmp_path, max_attempts=3)
    out = _run(dialogue(16, "Is the kestrel near?", "Yes."), rw)
    assert isinstance(out, Reject) and out.reason == "llm_error"
    assert fake.count == 3  # not 3 client calls of 3 attempts each
    assert "gave up after 3 attempts" in out.detail and "(500)" in out.detail
    assert rw.stats.snapshot() == {"requests": 3, "retries": 2, "cache_hits": 0}
    assert len(rw._sleep) == 1  # the one wait that was ours: after the HTML page


def test_slow_server_times_out(tmp_path: Path) -> None:
    with FakeLLM(slow_s=1.0) as fake:
        rw = _rewriter(fake, tmp_path, timeout_s=0.2, max_attempts=2)
        out = _run(dialogue(8, "Is the tortoise slow?", "Very."), rw)
        assert isinstance(out, Reject) and out.reason == "llm_error"
        assert "timed out after 0.2 s" in out.detail
        assert fake.count == 2


def test_connection_refused_is_llm_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = llm_config(f"http://127.0.0.1:{port}/v1", None, max_attempts=2)
    rw = LLMRewriter(cfg, sleep=_Sleeps())
    out = _run(dialogue(9, "Anyone there?", "No."), rw)
    assert isinstance(out, Reject) and out.reason == "llm_error"
    assert "cannot connect" in out.detail and "gave up after 2 attempts" in out.detail
    assert rw.stats.snapshot()["retries"] == 1 and rw._sleep == []  # the client retried


def test_unsupported_response_format_is_dropped(fake: FakeLLM, tmp_path: Path) -> None:
    def picky(body, n_seen):
        if "response_format" in body:
            return Reply(status=400, error="response_format is not supported by this server")
        return Reply(content=good_answer(dialogue_of(body)))

    fake.override = picky
    rw = _rewriter(fake, tmp_path)
    assert isinstance(_run(dialogue(10, "Hi.", "Hello."), rw), Dialogue)
    assert isinstance(_run(dialogue(11, "Bye.", "Goodbye."), rw), Dialogue)
    assert ["response_format" in r["body"] for r in fake.requests] == [True, False, False]
    # the rejected request was sent (and counted) but is no retry and spends no attempt
    assert rw.stats.snapshot() == {"requests": 3, "retries": 0, "cache_hits": 0}


def test_json_schema_response_format(fake: FakeLLM, tmp_path: Path) -> None:
    rw = _rewriter(fake, tmp_path, response_format="json_schema")
    assert isinstance(_run(dialogue(12, "Hi.", "Hello.", "How are you?", "Fine."), rw), Dialogue)
    fmt = fake.requests[0]["body"]["response_format"]
    assert fmt["type"] == "json_schema"
    turns_schema = fmt["json_schema"]["schema"]["properties"]["turns"]
    assert turns_schema["minItems"] == turns_schema["maxItems"] == 4


def test_auth_error_fails_fast_and_never_leaks_the_key(
    fake: FakeLLM, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.override = lambda body, n: Reply(
        status=401, error=f"Incorrect API key provided: {SECRET}. Bearer {SECRET}"
    )
    rw = _rewriter(fake, tmp_path)
    first = _run(dialogue(13, "Hi.", "Hello."), rw)
    second = _run(dialogue(14, "Bye.", "Goodbye."), rw)
    for r in (first, second):
        assert isinstance(r, Reject) and r.reason == "llm_error"
        assert "(401)" in r.detail and "OPENAI_API_KEY" in r.detail
        assert SECRET not in r.detail
    assert fake.count == 1  # the second dialogue was not sent
    captured = capsys.readouterr()
    assert SECRET not in caplog.text + captured.out + captured.err


def test_concurrency_is_bounded_per_endpoint(fake: FakeLLM, tmp_path: Path) -> None:
    fake.delay_all_s = 0.15
    rw = _rewriter(fake, tmp_path, concurrency=3)
    ds = [dialogue(20 + i, f"Question {i}?", f"Answer {i}.") for i in range(9)]
    with ThreadPoolExecutor(max_workers=9) as pool:
        outs = list(pool.map(lambda d: _run(d, rw), ds))
    assert all(isinstance(o, Dialogue) for o in outs)
    assert fake.count == 9
    assert 2 <= fake.max_in_flight <= 3


# -------------------------------------------------------------------------------- cache
def test_rerun_is_served_from_the_cache(fake: FakeLLM, tmp_path: Path) -> None:
    ds = [
        dialogue(30, "What is 2 + 2?", "It's 4."),
        dialogue(31, "Where does the heron nest?", "Near water."),  # needs the retry
        dialogue(32, "Describe a zebra.", "Stripes."),  # invalid twice
    ]
    first = [_run(d, _rewriter(fake, tmp_path)) for d in ds]
    sent = fake.count
    assert sent == 1 + 2 + 2
    rw2 = _rewriter(fake, tmp_path)  # a fresh process would build a fresh rewriter
    second = [_run(d, rw2) for d in ds]
    assert fake.count == sent  # zero requests the second time
    assert rw2.stats.snapshot() == {"requests": 0, "retries": 0, "cache_hits": 5}
    assert [o.to_row() for o in first] == [o.to_row() for o in second]
    files = list((tmp_path / "cache").rglob("*.json"))
    assert len(files) == 5
    assert all(SECRET not in f.read_text() for f in files)


def test_cache_key_covers_prompt_version_model_and_params(
    fake: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = dialogue(40, "Hi.", "Hello.")
    _run(d, _rewriter(fake, tmp_path))
    _run(d, _rewriter(fake, tmp_path))
    assert fake.count == 1
    _run(d, _rewriter(fake, tmp_path, temperature=0.2))
    assert fake.count == 2
    _run(d, _rewriter(fake, tmp_path, llm_model="other-model"))
    assert fake.count == 3
    _run(d, _rewriter(fake, tmp_path, max_words_per_turn=30))  # changes the prompt text
    assert fake.count == 4
    _run(d, _rewriter(fake, tmp_path), seed=8)  # another run seed -> another request seed
    assert fake.count == 5
    monkeypatch.setattr(prompts, "PROMPT_VERSION", "spoken-test")
    _run(d, _rewriter(fake, tmp_path))
    assert fake.count == 6


def test_cache_key_did_not_move_with_the_retry_rework() -> None:
    """The key of a request, as computed before the client took over the retries (commit
    65e6d3f): retry settings are not part of it, so a rerun still replays a user's cache."""
    rw = LLMRewriter(llm_config("http://127.0.0.1:9/v1", None, max_attempts=7))
    assert rw.cache_key([{"role": "user", "content": "Hi."}], 7) == (
        "c958e720ea03f0f3a2f30669040a707ce56b12ee5885ad6f18b9640ae66349a8"
    )


def test_transport_errors_are_not_cached(fake: FakeLLM, tmp_path: Path) -> None:
    d = dialogue(41, "Is the falcon here?", "Yes.")
    assert _run(d, _rewriter(fake, tmp_path, max_attempts=1)).reason == "llm_error"
    fake.override = lambda body, n: Reply(content=good_answer(dialogue_of(body)))
    assert isinstance(_run(d, _rewriter(fake, tmp_path, max_attempts=1)), Dialogue)
    assert fake.count == 2


# ------------------------------------------------------------------------- pure helpers
@pytest.mark.parametrize(
    "content",
    [
        '{"turns": [{"text": "a"}]}',
        'Sure!\n```json\n{"turns": [{"text": "a"}]}\n```',
        '```\n{"turns": [{"text": "a"}]}\n```',
        'Here you go: {"turns": [{"text": "a"}]} Enjoy.',
        '[{"text": "a"}]',
    ],
)
def test_extract_json_tolerates_wrappers(content: str) -> None:
    value = extract_json(content)
    turns = value["turns"] if isinstance(value, dict) else value
    assert turns == [{"text": "a"}]


@pytest.mark.parametrize("content", ["", "no json here", "{broken", "Sure: [not json]"])
def test_extract_json_rejects_non_json(content: str) -> None:
    assert extract_json(content) is None


def test_check_answer_accepts_aliases_and_plain_strings() -> None:
    cfg = llm_config("http://127.0.0.1:9/v1", None)
    turns = [("user", "Hi."), ("assistant", "Hello.")]
    aliases = {"dialogue": [{"role": "human", "content": "Hi."}, {"from": "gpt", "spoken": "Hey."}]}
    assert check_answer({"content": json.dumps(aliases)}, turns, cfg) == (("Hi.", "Hey."), None)
    plain = json.dumps(["Hi there.", "Hello."])
    assert check_answer({"content": plain}, turns, cfg)[0] == ("Hi there.", "Hello.")
    cut = {"content": '{"turns": [{"text": "Hi', "finish_reason": "length"}
    assert "cut off" in check_answer(cut, turns, cfg)[1]
    empty = {"content": json.dumps({"turns": [{"text": "Hi."}, {"text": "  "}]})}
    assert check_answer(empty, turns, cfg)[1] == "turn 1 is empty"


def test_scrub_removes_keys_and_tokens() -> None:
    text = f"key {SECRET} masked sk-abc1***xyz Authorization: Bearer abc.def"
    out = scrub(text, SECRET)
    assert SECRET not in out and "sk-abc1" not in out and "abc.def" not in out


@pytest.mark.parametrize(
    ("raw", "content_type", "said"),
    [
        ("<html><body>502 Bad Gateway</body></html>", "text/html", "other than a completion"),
        ('{"choices": [', "application/json", "body that is not JSON"),
        ("upstream reset", "application/json", "body that is not JSON"),
    ],
)
def test_http_200_that_is_not_json_is_retried_then_llm_error(
    fake: FakeLLM, tmp_path: Path, raw: str, content_type: str, said: str
) -> None:
    fake.override = lambda body, n_seen: Reply(raw=raw, content_type=content_type)
    rw = _rewriter(fake, tmp_path, max_attempts=3)
    out = _run(dialogue(30, "Is the gateway up?", "It is."), rw)
    assert isinstance(out, Reject) and out.reason == "llm_error", out
    assert "gave up after 3 attempts" in out.detail and said in out.detail
    assert fake.count == 3 and len(rw._sleep) == 2


def test_http_200_garbage_once_then_a_good_answer_is_kept(fake: FakeLLM, tmp_path: Path) -> None:
    def flaky(body, n_seen):
        if n_seen == 0:
            return Reply(raw="<html>busy</html>", content_type="text/html")
        return Reply(content=good_answer(dialogue_of(body)))

    fake.override = flaky
    rw = _rewriter(fake, tmp_path, max_attempts=3)
    out = _run(dialogue(31, "Is the gateway up now?", "It is."), rw)
    assert isinstance(out, Dialogue)
    assert fake.count == 2 and rw.stats.snapshot()["retries"] == 1
