"""Fake of cosyvoice/cli/frontend.py: the speaker cache and prompt handling of the real frontend.

Token ids are replaced by the strings themselves; "speech tokens" by a description of the
prompt audio. The branches follow upstream: a non-empty ``zero_shot_spk_id`` makes
``frontend_zero_shot`` return the cached entry (its prompt text, not the one passed), and
``frontend_instruct2`` deletes the LLM's prompt speech tokens.
"""

import re

from cosyvoice.utils.file_utils import load_wav

#: upstream splits text into pieces of at most ~80 tokens; here words stand in for tokens
TOKEN_MAX_N = 40


class CosyVoiceFrontEnd:
    def __init__(self):
        self.spk2info = {}

    def _extract_text_token(self, text):
        return text, len(text)

    def _audio(self, prompt_wav, sr):
        speech = load_wav(prompt_wav, sr)
        if getattr(speech, "ndim", 0) != 2 or speech.shape[0] != 1:
            raise ValueError(f"load_wav must return a [1, T] array, got shape {speech.shape}")
        return speech

    def _extract_speech_token(self, prompt_wav):
        speech = self._audio(prompt_wav, 16000)
        assert speech.shape[1] / 16000 <= 30, (
            "do not support extract speech token for audio longer than 30s"
        )
        return {"prompt_wav": str(prompt_wav), "seconds": speech.shape[1] / 16000}, 1

    def _extract_speech_feat(self, prompt_wav):
        speech = self._audio(prompt_wav, 24000)
        return speech, speech.shape[1]

    def _extract_spk_embedding(self, prompt_wav):
        speech = self._audio(prompt_wav, 16000)
        return {"prompt_wav": str(prompt_wav), "rms": float((speech**2).mean() ** 0.5)}

    def text_normalize(self, text, split=True, text_frontend=True):
        if "<|" in text and "|>" in text:
            text_frontend = False
        if text_frontend is False or text == "":
            return [text] if split is True else text
        text = text.strip()
        if not split:
            return text
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
        pieces, cur = [], []
        for s in sentences:
            if cur and len(" ".join(cur + [s]).split()) > TOKEN_MAX_N:
                pieces.append(" ".join(cur))
                cur = []
            cur.append(s)
        if cur:
            pieces.append(" ".join(cur))
        return [p for p in pieces if re.search(r"\w", p)]

    def frontend_zero_shot(
        self, tts_text, prompt_text, prompt_wav, resample_rate, zero_shot_spk_id
    ):
        tts_text_token, tts_text_token_len = self._extract_text_token(tts_text)
        if zero_shot_spk_id == "":
            prompt_text_token, prompt_text_token_len = self._extract_text_token(prompt_text)
            speech_feat, speech_feat_len = self._extract_speech_feat(prompt_wav)
            speech_token, speech_token_len = self._extract_speech_token(prompt_wav)
            embedding = self._extract_spk_embedding(prompt_wav)
            model_input = {
                "prompt_text": prompt_text_token,
                "prompt_text_len": prompt_text_token_len,
                "llm_prompt_speech_token": speech_token,
                "llm_prompt_speech_token_len": speech_token_len,
                "flow_prompt_speech_token": speech_token,
                "flow_prompt_speech_token_len": speech_token_len,
                "prompt_speech_feat": speech_feat,
                "prompt_speech_feat_len": speech_feat_len,
                "llm_embedding": embedding,
                "flow_embedding": embedding,
            }
        else:
            model_input = {**self.spk2info[zero_shot_spk_id]}
        model_input["text"] = tts_text_token
        model_input["text_len"] = tts_text_token_len
        return model_input

    def frontend_instruct2(
        self, tts_text, instruct_text, prompt_wav, resample_rate, zero_shot_spk_id
    ):
        model_input = self.frontend_zero_shot(
            tts_text, instruct_text, prompt_wav, resample_rate, zero_shot_spk_id
        )
        del model_input["llm_prompt_speech_token"]
        del model_input["llm_prompt_speech_token_len"]
        return model_input
