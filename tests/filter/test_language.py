"""The offline language check: scripts, function-word profiles, short turns, targets."""

from __future__ import annotations

import pytest

from duplexsynth.filter.language import (
    SUPPORTED_LANGUAGES,
    detect_other_language,
    dominant_script,
)

SAMPLES = {
    "en": "I think the cat is sleeping on the kitchen table again today.",
    "fr": "Je pense que le chat dort encore sur la table de la cuisine.",
    "de": "Ich glaube, die Katze schläft heute wieder auf dem Küchentisch.",
    "es": "Creo que el gato está durmiendo otra vez en la mesa de la cocina.",
    "it": "Penso che il gatto stia dormendo di nuovo sul tavolo della cucina.",
    "pt": "Eu acho que o gato está dormindo de novo na mesa da cozinha.",
    "nl": "Ik denk dat de kat vandaag weer op de keukentafel ligt te slapen.",
    "ru": "Я думаю, что кошка снова спит на кухонном столе.",
    "zh": "我觉得猫今天又在厨房的桌子上睡觉了。",
    "ja": "猫は今日もまた台所のテーブルの上で寝ていると思います。",
    "ko": "고양이가 오늘도 부엌 식탁 위에서 자고 있는 것 같아요.",
    "ar": "أعتقد أن القطة نائمة مرة أخرى على طاولة المطبخ.",
    "hi": "मुझे लगता है कि बिल्ली फिर से रसोई की मेज पर सो रही है।",
    "el": "Νομίζω ότι η γάτα κοιμάται ξανά στο τραπέζι της κουζίνας.",
    "he": "אני חושב שהחתול ישן שוב על שולחן המטבח.",
    "th": "ฉันคิดว่าแมวกำลังนอนอยู่บนโต๊ะในครัวอีกแล้ว",
}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_each_sample_is_its_own_language_and_not_english(lang: str):
    assert detect_other_language(SAMPLES[lang], lang) is None
    if lang != "en":
        assert detect_other_language(SAMPLES[lang], "en") == lang


@pytest.mark.parametrize("lang", ["fr", "de", "es", "zh", "ru"])
def test_english_is_rejected_for_other_targets(lang: str):
    assert detect_other_language(SAMPLES["en"], lang) is not None


def test_every_supported_language_has_a_sample():
    assert set(SAMPLES) == set(SUPPORTED_LANGUAGES)


def test_short_turns_are_judged_by_script_only():
    assert detect_other_language("Merci beaucoup!", "en") is None  # 2 words: can't tell
    assert detect_other_language("OK, thanks!", "fr") is None
    assert detect_other_language("谢谢", "en") == "zh"  # script is enough


def test_english_with_foreign_words_or_few_function_words_passes():
    assert (
        detect_other_language("In French, 'je ne sais quoi' means a certain something.", "en")
        is None
    )
    assert (
        detect_other_language(
            "Sure! Mix flour, sugar, eggs, butter, vanilla; bake forty minutes until golden.",
            "en",
        )
        is None
    )
    assert detect_other_language("We visited Paris, Lyon, Nice and Marseille.", "en") is None


def test_long_text_without_target_function_words_is_und():
    text = "Selamat pagi semua, saya harap kalian baik baik saja hari ini teman teman sekalian"
    assert detect_other_language(text, "en") == "und"


def test_any_and_text_without_letters():
    assert detect_other_language(SAMPLES["fr"], "any") is None
    assert detect_other_language("12345 !!!", "en") is None


def test_dominant_script():
    assert dominant_script("Hello") == "latin"
    assert dominant_script("東京へ行きます") == "kana"  # kana among Han -> Japanese
    assert dominant_script("東京") == "han"
    assert dominant_script("...") is None
