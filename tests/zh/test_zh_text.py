"""Chinese text handling: word tokens, the rules normaliser, the filter's Chinese checks and the
rewrite stage's zh/auto paths. Inputs are written here; each assertion is a fact of Chinese usage."""

from __future__ import annotations

import numpy as np
import pytest

from duplexsynth.filter.config import FilterConfig
from duplexsynth.filter.heuristics import screen_text
from duplexsynth.filter.language import detect_other_language
from duplexsynth.lang import join_tokens, text_language, word_tokens
from duplexsynth.rewrite.config import RewriteConfig
from duplexsynth.rewrite.process import rewrite_dialogue
from duplexsynth.rewrite.zh import (
    find_unspeakable_zh,
    insert_fillers_zh,
    normalize_zh,
    trim_zh,
    word_count_zh,
)
from duplexsynth.schemas.records import Dialogue, Reject, Turn
from duplexsynth.synth import SynthConfig


# ------------------------------------------------------------------------------ word tokens
def test_chinese_words_are_jieba_segments_with_punctuation_attached() -> None:
    toks = word_tokens("周末去杭州玩两天，有什么推荐的路线吗？")
    assert toks == [
        "周末",
        "去",
        "杭州",
        "玩",
        "两天，",
        "有",
        "什么",
        "推荐",
        "的",
        "路线",
        "吗？",
    ]
    assert join_tokens(toks) == "周末去杭州玩两天，有什么推荐的路线吗？"


def test_english_tokens_stay_whitespace_pieces_and_mixed_text_keeps_latin_words() -> None:
    assert word_tokens("Hello, how are you?") == ["Hello,", "how", "are", "you?"]
    toks = word_tokens("我和朋友 Tom 想学做饭。")
    assert "Tom" in toks and "".join(toks) == "我和朋友Tom想学做饭。"
    assert join_tokens(toks) == "我和朋友 Tom 想学做饭。"


def test_text_language_counts_han_characters_against_latin_words() -> None:
    assert text_language(["我用 iPhone 拍照片"]) == "zh"
    assert text_language(["Where is the station?"]) == "en"
    assert text_language(["OK 好"]) == "en"  # one word each: not more Han than Latin


# ------------------------------------------------------------------------------- normaliser
@pytest.mark.parametrize(
    "written, spoken",
    [
        ("门票大概45元。", "门票大概四十五元。"),
        ("价格是¥1,299.5。", "价格是一千二百九十九点五元。"),
        ("大约$20。", "大约二十美元。"),
        ("2024年3月15日是星期五。", "二零二四年三月十五日是星期五。"),
        ("日期是2024-03-15。", "日期是二零二四年三月十五日。"),
        ("早上8:30出发，10:05到，2:00开会。", "早上八点半出发，十点零五分到，两点开会。"),
        ("湿度35%，概率-2.5%。", "湿度百分之三十五，概率负百分之二点五。"),
        ("气温5到10度。", "气温五到十度。"),
        ("气温5-10度。", "气温五到十度。"),
        ("涨了5~10%。", "涨了百分之五到百分之十。"),
        ("每天跑5km，体重3kg，温度-5℃。", "每天跑五公里，体重三公斤，温度零下五摄氏度。"),
        ("大约3/4的人。", "大约四分之三的人。"),
        ("喝2杯水，走2次。", "喝两杯水，走两次。"),
        ("第3名。", "第三名。"),
        ("电话13812345678。", "电话幺三八幺二三四五六七八。"),
        ("座机010-12345678。", "座机零幺零，幺二三四五六七八。"),
    ],
)
def test_numbers_are_read_in_chinese(written: str, spoken: str) -> None:
    assert normalize_zh(written) == spoken
    assert find_unspeakable_zh(spoken) is None


def test_markdown_and_ascii_punctuation_become_spoken_full_width_text() -> None:
    out = normalize_zh("**重点**:\n1. 每天跑步\n2. 多喝水(很重要)\n- 早睡, 早起")
    assert out == "重点：每天跑步。多喝水，很重要。早睡，早起。"
    assert find_unspeakable_zh(out) is None


@pytest.mark.parametrize(
    "text, problem",
    [
        ("还有45个", "digit"),
        ("看这里 # 标题", "markdown"),
        ("心情 ☺ 很好", "symbol"),
        ("", "empty"),
    ],
)
def test_unspeakable_text_is_named(text: str, problem: str) -> None:
    assert problem in (find_unspeakable_zh(text) or "")


def test_fillers_are_seeded_and_recorded() -> None:
    text = "我想问一下，明天几点开门？还有，门票多少钱？"
    a = insert_fillers_zh(text, np.random.default_rng(3), 1.0)
    b = insert_fillers_zh(text, np.random.default_rng(3), 1.0)
    assert a == b
    out, inserted = a
    assert len(inserted) == 4  # both sentences: an opening filler and 那个 after the comma
    assert "那个" in out and out.replace("，那个", "").count("，") >= 2
    assert insert_fillers_zh(text, np.random.default_rng(3), 0.0) == (text, [])


def test_trim_keeps_whole_sentences_within_the_word_cap() -> None:
    text = "第一句话很短。第二句话也不长。第三句话会被去掉。"
    cap = word_count_zh("第一句话很短。第二句话也不长。")
    assert trim_zh(text, cap) == "第一句话很短。第二句话也不长。"
    assert trim_zh(text, 1) == "第一句话很短。"


# ----------------------------------------------------------------------------------- filter
def test_chinese_with_embedded_english_names_and_numbers_is_kept_as_chinese() -> None:
    assert detect_other_language("我用iPhone和MacBook Pro拍了20张照片", "zh") is None
    assert detect_other_language("周末和Tom去看NBA比赛", "zh") is None
    assert detect_other_language("Where is the nearest station, please?", "zh") == "latin"
    assert detect_other_language("今日はいい天気ですね", "zh") == "ja"


def test_auto_keeps_english_and_chinese_and_rejects_other_languages() -> None:
    assert detect_other_language("周末去杭州玩两天", "auto") is None
    assert detect_other_language("Where is the nearest station, please?", "auto") is None
    assert (
        detect_other_language("Wie spät ist es in Berlin, wenn es hier Mittag ist?", "auto") == "de"
    )


@pytest.mark.parametrize(
    "text, reason",
    [
        ("求解方程 $x^2 - 5x + 6 = 0$ 的根。", "math"),
        ("用 \\frac{1}{2} 表示一半。", "math"),
        ("可以去官网 https://example.com/download 下载。", "url"),
        ("可以这样写：\n```python\nprint(1)\n```", "code"),
        ("| 名称 | 价格 |\n| --- | --- |\n| 苹果 | 5元 |", "table"),
        ("今天心情很好🎉", "symbols"),
    ],
)
def test_span_checks_work_on_chinese_text(text: str, reason: str) -> None:
    found = screen_text(text, FilterConfig(language="zh"))
    assert found is not None and found.reason == reason


def test_chinese_length_is_counted_in_characters() -> None:
    config = FilterConfig(language="zh", max_words_per_turn=20)
    assert screen_text("今天天气很好，我们去公园散步吧。", config) is None
    found = screen_text("今天天气很好，我们去公园散步吧。" * 2, config)
    assert found is not None and found.reason == "too_long"


# ---------------------------------------------------------------------------------- rewrite
def _dialogue(*texts: str) -> Dialogue:
    turns = tuple(Turn(i, "user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(texts))
    return Dialogue("zh-0001", "zh.jsonl", 0, "r0", "belle", turns)


def test_rewrite_zh_speaks_every_turn_and_records_the_language() -> None:
    d = _dialogue("明天北京的天气怎么样？", "明天多云，气温5到10度，湿度35%。")
    out = rewrite_dialogue(d, RewriteConfig(language="zh", fillers=False), seed=1)
    assert not isinstance(out, Reject), out
    assert [t.spoken_text for t in out.turns] == [
        "明天北京的天气怎么样？",
        "明天多云，气温五到十度，湿度百分之三十五。",
    ]
    assert out.params["rewrite"]["language"] == "zh"


def test_rewrite_auto_picks_the_language_per_dialogue() -> None:
    zh = _dialogue("门票多少钱？", "门票45元。")
    en = _dialogue("How much is a ticket?", "A ticket is $45.")
    config = RewriteConfig(language="auto", fillers=False)
    out_zh, out_en = rewrite_dialogue(zh, config, 1), rewrite_dialogue(en, config, 1)
    assert out_zh.turns[1].spoken_text == "门票四十五元。"
    assert out_en.turns[1].spoken_text == "A ticket is forty-five dollars."
    assert (out_zh.params["rewrite"]["language"], out_en.params["rewrite"]["language"]) == (
        "zh",
        "en",
    )


def test_rewrite_en_still_rejects_chinese_it_cannot_speak() -> None:
    out = rewrite_dialogue(_dialogue("你好，在吗？", "在的。"), RewriteConfig(), seed=1)
    assert isinstance(out, Reject) and out.reason == "rewrite_error"


def test_bad_language_is_a_value_error_naming_the_option() -> None:
    with pytest.raises(ValueError, match="rewrite.language"):
        RewriteConfig(language="fr")


# ------------------------------------------------------------------------------ LLM rewrite
def test_llm_rewrite_of_a_chinese_dialogue_uses_the_chinese_prompt_and_rules(
    tmp_path, monkeypatch
) -> None:
    """A loopback OpenAI-compatible server (tests/rewrite/fake_llm.py) answers with the turns it
    was sent; the prompt it received is Chinese and the final pass reads numbers in Chinese."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rewrite"))
    from fake_llm import FakeLLM

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    d = _dialogue("门票多少钱？", "门票45元，下午3:30开门。")
    with FakeLLM() as server:
        config = RewriteConfig(
            language="auto",
            llm_base_url=server.base_url,
            llm_model="fake-model",
            cache_dir=str(tmp_path / "cache"),
            max_attempts=1,
        )
        out = rewrite_dialogue(d, config, seed=1)
        system = server.requests[0]["body"]["messages"][0]["content"]
    assert not isinstance(out, Reject), out
    assert "中文" in system and "百分之二十五" in system
    assert out.turns[1].spoken_text == "Sure。门票四十五元，下午三点半开门。"
    assert out.params["rewrite"]["language"] == "zh"
    assert out.rewrite_prompt_version == "spoken-zh-v1"


# ------------------------------------------------------------------- ASR words onto jieba words
def test_recogniser_words_with_digits_map_onto_chinese_words() -> None:
    """How a multilingual Whisper writes Chinese (its own word cuts, numbers as digits) is
    matched letter by letter onto the jieba words of the spoken text: every word is heard."""
    from duplexsynth.align.base import HeardWord
    from duplexsynth.align.textmap import map_words

    text = "门票四十五元，湿度百分之三十五，早上八点半出发。"
    tokens = word_tokens(text)
    heard_text = ["门票", "45元", "湿度", "35%", "早上", "8:30", "出发"]
    heard = [HeardWord(h, 0.5 * i, 0.5 * i + 0.45, 0.9) for i, h in enumerate(heard_text)]
    words = map_words(tokens, heard, duration_s=4.0, method="asr", language="zh")
    assert [w.word for w in words] == tokens
    assert all(w.method == "asr" for w in words), [(w.word, w.method) for w in words]
    by_word = {w.word.rstrip("，。"): w for w in words}
    assert by_word["四十五元"].start_s == 0.5 and by_word["八点半"].start_s == 2.5


# ----------------------------------------------------------------------------------- ASR QC
def test_chinese_asr_qc_scores_characters_with_numbers_read_alike() -> None:
    from duplexsynth.synth.qc import check_wer, word_error_rate

    assert word_error_rate("门票四十五元。", "门票45元", "zh") == 0.0
    assert word_error_rate("门票四十五元。", "门票四十元", "zh") == pytest.approx(1 / 6)
    config = SynthConfig(language="zh", asr_check=True, asr_model="/models/whisper-small")
    wer, failure = check_wer("明天北京多云，气温五到十度。", "今天上海下雨", config)
    assert wer is not None and wer > 0.4 and failure is not None
    assert check_wer("明天北京多云，气温五到十度。", "明天北京多云气温5到10度", config) == (
        0.0,
        None,
    )


def test_chinese_asr_qc_without_a_multilingual_model_fails_before_the_run() -> None:
    from duplexsynth.synth.engine import preflight
    from duplexsynth.synth.voices import load_voice_bank

    bank = load_voice_bank("espeak_zh")
    with pytest.raises(ValueError, match="multilingual Whisper model"):
        preflight(SynthConfig(language="zh", asr_check=True), bank)
    preflight(SynthConfig(language="zh", asr_check=True, asr_model="/models/whisper-small"), bank)
    preflight(SynthConfig(language="zh"), bank)


def test_chinese_phrase_ends_count_as_phrase_boundaries_for_backchannels() -> None:
    from duplexsynth.mix.inputs import ends_with_punctuation

    assert (
        ends_with_punctuation("两天，")
        and ends_with_punctuation("吗？")
        and ends_with_punctuation("好的。”")
    )
    assert not ends_with_punctuation("杭州") and ends_with_punctuation("days,")
