"""Fake of cosyvoice/cli/cosyvoice.py: loader file checks, AutoModel dispatch, inference API.

The "model" computes what the LLM would speak from its input, the way the real one behaves:
with prompt speech tokens the prompt text is what the prompt audio already says, so only the
text is spoken; without them (instruct2) the prompt text up to ``<|endofprompt|>`` is an
instruction and anything after it is spoken before the text. CosyVoice 3 asserts that
``<|endofprompt|>`` is in its input. Each call's input and spoken words go to ``self.calls``;
the audio is a tone lasting 60 ms per spoken character, one [1, T] chunk per text piece.
"""

import logging
import os

import numpy as np

from cosyvoice.cli.frontend import CosyVoiceFrontEnd

EOP = "<|endofprompt|>"
SECONDS_PER_CHAR = 0.06


def _require(path):
    if not os.path.exists(path):
        raise FileNotFoundError(f"[Errno 2] No such file or directory: '{path}'")


class CosyVoice:
    version = 1
    yaml = "cosyvoice.yaml"

    def __init__(self, model_dir, load_jit=False, load_trt=False, fp16=False, trt_concurrent=1):
        self.model_dir = model_dir
        self.fp16 = fp16
        hyper_yaml_path = f"{model_dir}/{self.yaml}"
        if not os.path.exists(hyper_yaml_path):
            raise ValueError(f"{hyper_yaml_path} not found!")
        if self.version >= 2 and not os.path.isdir(f"{model_dir}/CosyVoice-BlankEN"):
            raise OSError(
                f"Incorrect path_or_model_id: '{model_dir}/CosyVoice-BlankEN'. Please provide "
                "either the path to a local folder or the repo_id of a model on the Hub."
            )
        for name in ("campplus.onnx", f"speech_tokenizer_v{self.version}.onnx"):
            if not os.path.exists(f"{model_dir}/{name}"):
                raise RuntimeError(
                    f"[ONNXRuntimeError] : 3 : NO_SUCHFILE : Load model from {model_dir}/{name} "
                    "failed:Load model failed. File doesn't exist"
                )
        self.frontend = CosyVoiceFrontEnd()
        self.sample_rate = 24000 if self.version >= 2 else 22050
        for name in ("llm.pt", "flow.pt", "hift.pt"):
            _require(f"{model_dir}/{name}")
        self.calls = []

    def add_zero_shot_spk(self, prompt_text, prompt_wav, zero_shot_spk_id):
        assert zero_shot_spk_id != "", "do not use empty zero_shot_spk_id"
        model_input = self.frontend.frontend_zero_shot(
            "", prompt_text, prompt_wav, self.sample_rate, ""
        )
        del model_input["text"]
        del model_input["text_len"]
        self.frontend.spk2info[zero_shot_spk_id] = model_input
        return True

    def inference_zero_shot(
        self,
        tts_text,
        prompt_text,
        prompt_wav,
        zero_shot_spk_id="",
        stream=False,
        speed=1.0,
        text_frontend=True,
    ):
        prompt_text = self.frontend.text_normalize(
            prompt_text, split=False, text_frontend=text_frontend
        )
        for i in self.frontend.text_normalize(tts_text, split=True, text_frontend=text_frontend):
            if len(i) < 0.5 * len(prompt_text):
                logging.warning(
                    f"synthesis text {i} too short than prompt text {prompt_text}, this may lead to bad performance"
                )
            model_input = self.frontend.frontend_zero_shot(
                i, prompt_text, prompt_wav, self.sample_rate, zero_shot_spk_id
            )
            yield from self._tts(model_input, stream, speed, "zero_shot")

    def _tts(self, model_input, stream, speed, mode):
        prompt, text = model_input.get("prompt_text", ""), model_input["text"]
        if self.version >= 3:
            assert EOP in prompt + text, (
                "<|endofprompt|> not detected in CosyVoice3 text or prompt_text, check your input!"
            )
        has_speech_prompt = "llm_prompt_speech_token" in model_input
        instruction, sep, after = prompt.partition(EOP)
        if not sep:
            instruction, after = "", prompt
        spoken = text if has_speech_prompt else " ".join(s for s in (after.strip(), text) if s)
        self.calls.append(
            {
                "mode": mode,
                "text": text,
                "prompt_text": prompt,
                "instruction": instruction if sep else "",
                "speech_prompt": has_speech_prompt,
                "voice": model_input["flow_embedding"]["prompt_wav"],
                "spoken": spoken,
                "speed": speed,
                "stream": stream,
            }
        )
        n = max(1, int(len(spoken) * SECONDS_PER_CHAR * self.sample_rate / speed))
        t = np.arange(n, dtype=np.float32) / self.sample_rate
        yield {"tts_speech": (0.3 * np.sin(2 * np.pi * 180.0 * t))[None, :].astype(np.float32)}


class CosyVoice2(CosyVoice):
    version = 2
    yaml = "cosyvoice2.yaml"

    def inference_instruct2(
        self,
        tts_text,
        instruct_text,
        prompt_wav,
        zero_shot_spk_id="",
        stream=False,
        speed=1.0,
        text_frontend=True,
    ):
        for i in self.frontend.text_normalize(tts_text, split=True, text_frontend=text_frontend):
            model_input = self.frontend.frontend_instruct2(
                i, instruct_text, prompt_wav, self.sample_rate, zero_shot_spk_id
            )
            yield from self._tts(model_input, stream, speed, "instruct2")


class CosyVoice3(CosyVoice2):
    version = 3
    yaml = "cosyvoice3.yaml"


def AutoModel(**kwargs):
    if not os.path.exists(kwargs["model_dir"]):
        raise RuntimeError(f"would download {kwargs['model_dir']!r} from ModelScope")
    for cls in (CosyVoice, CosyVoice2, CosyVoice3):
        if os.path.exists(f"{kwargs['model_dir']}/{cls.yaml}"):
            return cls(**kwargs)
    raise TypeError("No valid model type found!")
