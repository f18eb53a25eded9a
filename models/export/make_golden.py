#!/usr/bin/env python3
"""Golden files for the Java engine, from the transformers reference on the tiny model.

  make_golden.py --tiny models/tiny [--regen-audio]

Reads models/tiny/{hf,hf-awq,onnx-fp32,onnx-int4} and the audio fixtures models/tiny/golden/audio/*.wav
(made with espeak-ng + sox on --regen-audio) and writes models/tiny/golden/ (layout: models/README.md):
mel features, prompt text and ids, audio embeddings, first-step logits and greedy output ids (repetition penalty
1.0 and 1.1) of Qwen2_5OmniThinkerForConditionalGeneration for float32 (hf/) and int4 (hf-awq/ dequantized into
float32 linears), a left-padded batched run, the smallest top-2 logit gaps, and the AWQ repack proof
(golden/awq_repack/). It then runs the exported ONNX graphs with onnxruntime (a plain greedy loop) and fails
unless they give the same ids as the reference.

Processor: Qwen2_5OmniProcessor.__call__ is used as is (feature extraction, audio placeholder expansion,
tokenization, left padding). Its image/video processors need torchvision, which this CPU setup lacks; they are
replaced by stubs carrying only `merge_size`, the one attribute the processor reads when there is no image or video.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import awq  # noqa: E402
import omni_export  # noqa: E402

MAX_NEW_TOKENS = 24
# The goldens' own prompt (audio, then this instruction), fixed so that they stay valid whatever the exporter's
# default prompt (model.json) is; the Java golden tests give it with each request.
GOLDEN_SYSTEM = "You are a speech recognition model."
GOLDEN_USER = "Transcribe the audio verbatim in the language spoken."
PENALTIES = (1.0, 1.1)
SR = 16000

# name -> (voice, text, exact length in samples). Lengths are chosen to exercise the frame rules: a sample count
# that is not a multiple of the hop (ceil), exactly two full 2-second chunks, a partial last chunk with an odd
# number of post-conv frames, and more than 30 s (18 chunks, a long prompt).
FIXTURES = {
    "en_1s5": ("en-us", "Good morning, everyone.", 24050),
    "zh_4s": ("cmn", "今天天氣很好，我們去公園散步吧。", 64000),
    "en_9s": ("en-us", "Please write down every word you hear, including numbers such as forty two and two "
                       "thousand twenty five.", 149_950),
    "en_35s": ("en-gb", "The quick brown fox jumps over the lazy dog while the river runs past the old mill. "
                        "She said that the meeting would start at nine o'clock and end before lunch. "
                        "A transcription service turns recorded speech into text, one segment after another. "
                        "The engineer checked the logs, restarted the job and waited for the results to arrive. "
                        "Thank you for listening. If you have any questions, please send them by email. "
                        "Numbers, names and places: London, Paris, Beijing, Taipei, Monday, Tuesday, January.",
               562_330),
}
BATCH = ["en_1s5", "zh_4s", "en_9s"]


# ----------------------------------------------------------------------------------------------- audio


def make_audio(audio_dir: str):
    """Speech fixtures: espeak-ng, resampled by sox to 16 kHz mono 16-bit, padded with silence or cut to length."""
    import soundfile as sf

    os.makedirs(audio_dir, exist_ok=True)
    for name, (voice, text, samples) in FIXTURES.items():
        with tempfile.TemporaryDirectory() as tmp:
            raw = os.path.join(tmp, "raw.wav")
            res = os.path.join(tmp, "res.wav")
            subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", raw, text], check=True)
            subprocess.run(["sox", raw, "-r", str(SR), "-c", "1", "-b", "16", res], check=True)
            data, sr = sf.read(res, dtype="int16")
        assert sr == SR
        if len(data) < samples:
            data = np.concatenate([data, np.zeros(samples - len(data), dtype=np.int16)])
        sf.write(os.path.join(audio_dir, name + ".wav"), data[:samples], SR, subtype="PCM_16")


def read_audio(path: str) -> np.ndarray:
    import soundfile as sf

    data, sr = sf.read(path, dtype="float32")  # int16 / 32768
    if sr != SR or data.ndim != 1:
        raise SystemExit(f"{path}: expected 16 kHz mono")
    return data


# ----------------------------------------------------------------------------------------------- reference


def processor(hf_dir: str):
    from transformers import AutoTokenizer, Qwen2_5OmniProcessor, WhisperFeatureExtractor

    tok = AutoTokenizer.from_pretrained(hf_dir)
    proc = Qwen2_5OmniProcessor.__new__(Qwen2_5OmniProcessor)
    proc.tokenizer = tok
    proc.feature_extractor = WhisperFeatureExtractor.from_pretrained(hf_dir)
    proc.image_processor = types.SimpleNamespace(merge_size=2)  # never called without images
    proc.video_processor = types.SimpleNamespace(merge_size=2)  # never called without videos
    for attr in ("image_token", "audio_token", "video_token", "vision_bos_token", "vision_eos_token",
                 "audio_bos_token", "audio_eos_token"):
        setattr(proc, attr, getattr(tok, attr))
    return proc


def render_prompt(tok, system: str, user: str) -> str:
    messages = [{"role": "system", "content": system},
                {"role": "user", "content": [{"type": "audio", "audio": "input.wav"}, {"type": "text", "text": user}]}]
    return tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)


def load_fp32(hf_dir: str):
    import torch
    from transformers import Qwen2_5OmniThinkerForConditionalGeneration

    model = Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained(hf_dir, dtype=torch.float32)
    return model.eval()


def load_awq_dequantized(awq_dir: str):
    """The AWQ checkpoint as a float32 thinker: 4-bit linears dequantized exactly ((q - z) * s), rest fp16->fp32."""
    import torch
    from safetensors.torch import load_file
    from transformers import Qwen2_5OmniThinkerConfig, Qwen2_5OmniThinkerForConditionalGeneration

    with open(os.path.join(awq_dir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    group = cfg.pop("quantization_config")["group_size"]
    cfg["dtype"] = "float32"
    config = Qwen2_5OmniThinkerConfig(**{k: v for k, v in cfg.items()
                                         if k not in ("architectures", "transformers_version")})
    model = Qwen2_5OmniThinkerForConditionalGeneration(config).eval()
    state = load_file(os.path.join(awq_dir, "model.safetensors"))
    dense = {}
    for key, t in state.items():
        if key.endswith(".qweight"):
            p = key[: -len(".qweight")]
            w = awq.dequantize_awq(t.numpy(), state[p + ".qzeros"].numpy(), state[p + ".scales"].float().numpy(),
                                   group)
            dense[p + ".weight"] = torch.from_numpy(np.ascontiguousarray(w.T))
        elif key.endswith((".qzeros", ".scales")):
            continue
        else:
            dense[key] = t.float()
    missing, unexpected = model.load_state_dict(dense, strict=False)
    missing = [m for m in missing if "positional_embedding" not in m]
    if missing or unexpected:
        raise SystemExit(f"AWQ load: missing {missing}, unexpected {unexpected}")
    from transformers import GenerationConfig

    model.generation_config = GenerationConfig.from_pretrained(awq_dir)
    return model


def reference_generate(model, inputs, penalty: float, eos: int, pad: int):
    """Greedy generate; returns per row (new ids, finish, min top-2 gap of the scores argmax saw, first logits)."""
    import torch

    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False, repetition_penalty=penalty,
                             eos_token_id=[eos], pad_token_id=pad, output_scores=True, output_logits=True,
                             return_dict_in_generate=True, use_cache=True)
    prompt_len = inputs["input_ids"].shape[1]
    rows = []
    for b in range(out.sequences.shape[0]):
        new = out.sequences[b, prompt_len:].tolist()
        ids, gaps = [], []
        for step, tid in enumerate(new):
            scores = out.scores[step][b].float()
            top2 = torch.topk(scores, 2).values
            gaps.append(float(top2[0] - top2[1]))
            ids.append(tid)
            if tid == eos:
                break
        finish = "stop" if ids and ids[-1] == eos else "length"
        rows.append({"ids": ids, "finish": finish, "min_gap": min(gaps), "gaps": gaps,
                     "first_logits": out.logits[0][b].float().numpy()})
    return rows


def audio_embeddings(model, inputs) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model.get_audio_features(inputs["input_features"], inputs["feature_attention_mask"]) \
            .last_hidden_state.float().numpy()


# ----------------------------------------------------------------------------------------------- onnxruntime


class OrtThinker:
    """The exported graphs in a plain greedy loop (what the Java engine does), for self-verification."""

    def __init__(self, model_dir: str):
        import onnxruntime as ort

        with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
            self.meta = json.load(f)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2

        def session(name):
            return ort.InferenceSession(os.path.join(model_dir, self.meta["graphs"][name]["file"]), opts,
                                        providers=["CPUExecutionProvider"])

        self.audio = session("audio_encoder")
        self.embed = session("embed_tokens")
        self.decoder = session("decoder")
        self.np_dtype = np.float32 if self.meta["dtype"] == "float32" else np.float16

    def encode_audio(self, mel: np.ndarray) -> np.ndarray:
        """mel (128, frames) -> audio tokens (n, hidden): 200-frame chunks, zero padded, valid tokens kept."""
        frames = mel.shape[1]
        cf = self.meta["audio"]["chunk_frames"]
        n_chunks = -(-frames // cf)
        batch = np.zeros((n_chunks, mel.shape[0], cf), dtype=self.np_dtype)
        lens = np.zeros(n_chunks, dtype=np.int64)
        for c in range(n_chunks):
            part = mel[:, c * cf:(c + 1) * cf]
            batch[c, :, :part.shape[1]] = part
            lens[c] = part.shape[1]
        out = self.audio.run(["audio_embeds"], {"input_features": batch, "feature_lens": lens})[0]
        tokens = [out[c, :((lens[c] - 1) // 2 + 1) // 2] for c in range(n_chunks)]
        return np.concatenate(tokens, axis=0)

    def generate(self, prompts: list, mels: list, penalty: float, max_new: int = MAX_NEW_TOKENS):
        """prompts: list of prompt id lists (audio expanded); left padding; greedy with HF's repetition penalty."""
        tokens = self.meta["tokens"]
        audio_id, pad, eos = tokens["audio"], tokens["pad"], set(tokens["eos"])
        layers = self.meta["decoder"]["num_layers"]
        kv, hd = self.meta["decoder"]["num_kv_heads"], self.meta["decoder"]["head_dim"]
        bsz, width = len(prompts), max(len(p) for p in prompts)
        ids = np.full((bsz, width), pad, dtype=np.int64)
        mask = np.zeros((bsz, width), dtype=np.int64)
        for b, p in enumerate(prompts):
            ids[b, width - len(p):] = p
            mask[b, width - len(p):] = 1
        embeds = self.embed.run(["inputs_embeds"], {"input_ids": ids})[0]
        for b, mel in enumerate(mels):
            audio = self.encode_audio(mel)
            where = np.nonzero(ids[b] == audio_id)[0]
            assert len(where) == len(audio), (len(where), len(audio))
            embeds[b, where] = audio
        positions = np.maximum(np.cumsum(mask, axis=1) - 1, 0)
        past = {}
        for i in range(layers):
            past[f"past_key_values.{i}.key"] = np.zeros((bsz, kv, 0, hd), dtype=self.np_dtype)
            past[f"past_key_values.{i}.value"] = np.zeros((bsz, kv, 0, hd), dtype=self.np_dtype)
        seen = [set(p) for p in prompts]  # the penalty counts prompt tokens (not the padding)
        outs = [[] for _ in range(bsz)]
        done = [False] * bsz
        gaps = [[] for _ in range(bsz)]
        out_names = ["logits"] + [f"present.{i}.{t}" for i in range(layers) for t in ("key", "value")]
        for _ in range(max_new):
            res = self.decoder.run(out_names, {"inputs_embeds": embeds, "attention_mask": mask,
                                               "position_ids": positions, **past})
            logits = res[0][:, -1, :].astype(np.float32)
            next_ids = np.zeros(bsz, dtype=np.int64)
            for b in range(bsz):
                scores = logits[b].copy()
                if penalty != 1.0:
                    idx = np.fromiter(seen[b], dtype=np.int64)
                    s = scores[idx]
                    scores[idx] = np.where(s < 0, s * penalty, s / penalty)
                order = np.argsort(-scores, kind="stable")
                next_ids[b] = pad if done[b] else order[0]
                if not done[b]:
                    gaps[b].append(float(scores[order[0]] - scores[order[1]]))
                    outs[b].append(int(order[0]))
                    seen[b].add(int(order[0]))
                    done[b] = int(order[0]) in eos
            if all(done):
                break
            for i in range(layers):
                past[f"past_key_values.{i}.key"] = res[1 + 2 * i]
                past[f"past_key_values.{i}.value"] = res[2 + 2 * i]
            embeds = self.embed.run(["inputs_embeds"], {"input_ids": next_ids[:, None]})[0]
            positions = positions[:, -1:] + 1
            mask = np.concatenate([mask, np.ones((bsz, 1), dtype=np.int64)], axis=1)
        return outs, gaps, None


# ----------------------------------------------------------------------------------------------- AWQ repack proof


def write_awq_repack_golden(out_dir: str, seed: int = 7):
    """A standalone MatMulNBits graph made by the exact AWQ repack of random AWQ tensors, an input x and the
    expected output x @ dequantize(W) + bias computed by numpy in float64 (rounded to float32)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    k, n, group, rows = 256, 192, 128, 5
    qweight, qzeros, scales = awq.random_awq(k, n, group, rng, scale=0.05)
    bias = rng.normal(0, 0.1, size=n).astype(np.float32)
    x = rng.normal(0, 1, size=(1, rows, k)).astype(np.float32)
    w = awq.dequantize_awq(qweight, qzeros, scales, group)
    expected = (x.astype(np.float64) @ w.astype(np.float64) + bias).astype(np.float32)
    b, s, z, _, _ = awq.matmulnbits_tensors(qweight, qzeros, scales, group, np.float32)
    node = helper.make_node("MatMulNBits", ["x", "B", "scales", "zero_points", "", "bias"], ["y"],
                            domain="com.microsoft", K=k, N=n, bits=4, block_size=group, accuracy_level=0)
    graph = helper.make_graph(
        [node], "awq_repack",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "rows", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "rows", n])],
        [numpy_helper.from_array(b, "B"), numpy_helper.from_array(s, "scales"),
         numpy_helper.from_array(z, "zero_points"), numpy_helper.from_array(bias, "bias")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 9
    os.makedirs(out_dir, exist_ok=True)
    onnx.save_model(model, os.path.join(out_dir, "matmulnbits.onnx"))
    np.save(os.path.join(out_dir, "x.npy"), x)
    np.save(os.path.join(out_dir, "expected.npy"), expected)
    np.save(os.path.join(out_dir, "awq_qweight.npy"), qweight)
    np.save(os.path.join(out_dir, "awq_qzeros.npy"), qzeros)
    np.save(os.path.join(out_dir, "awq_scales.npy"), scales)
    np.save(os.path.join(out_dir, "bias.npy"), bias)
    import onnxruntime as ort

    got = ort.InferenceSession(os.path.join(out_dir, "matmulnbits.onnx"),
                               providers=["CPUExecutionProvider"]).run(["y"], {"x": x})[0]
    err = float(np.max(np.abs(got - expected)))
    info = {"K": k, "N": n, "block_size": group, "rows": rows, "seed": seed,
            "onnxruntime_max_abs_error": err, "tolerance_abs": 1e-4}
    with open(os.path.join(out_dir, "awq_repack.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    if err > 1e-4:
        raise SystemExit(f"MatMulNBits repack mismatch: {err}")
    return info


# ----------------------------------------------------------------------------------------------- main


def versions() -> dict:
    import onnx
    import onnxruntime
    import torch
    import transformers

    return {"python": sys.version.split()[0], "torch": torch.__version__, "transformers": transformers.__version__,
            "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__, "numpy": np.__version__}


def run(tiny_dir: str, regen_audio: bool, check_only: bool = False) -> dict:
    import torch

    torch.set_num_threads(2)
    golden = os.path.join(tiny_dir, "golden")
    audio_dir = os.path.join(golden, "audio")
    if regen_audio or not os.path.isdir(audio_dir):
        make_audio(audio_dir)
    hf_dir = os.path.join(tiny_dir, "hf")
    proc = processor(hf_dir)
    tok = proc.tokenizer
    meta = omni_export.thinker_config(hf_dir)
    ids = omni_export.token_ids(hf_dir, meta)
    eos, pad = ids["im_end"], ids["pad"]
    prompt = render_prompt(tok, GOLDEN_SYSTEM, GOLDEN_USER)

    models = {"fp32": load_fp32(hf_dir), "int4": load_awq_dequantized(os.path.join(tiny_dir, "hf-awq"))}
    onnx_dirs = {"fp32": os.path.join(tiny_dir, "onnx-fp32"), "int4": os.path.join(tiny_dir, "onnx-int4")}
    if not check_only:
        for sub in ("mel", "audio_embeds", "logits"):
            os.makedirs(os.path.join(golden, sub), exist_ok=True)

    waves = {name: read_audio(os.path.join(audio_dir, name + ".wav")) for name in FIXTURES}
    fixtures = []
    for name, wave in waves.items():
        inputs = proc(text=prompt, audio=[wave], return_tensors="pt")
        frames = int(inputs["feature_attention_mask"].sum())
        mel = inputs["input_features"][0, :, :frames].numpy().astype(np.float32)
        prompt_ids = inputs["input_ids"][0].tolist()
        n_audio = prompt_ids.count(ids["audio"])
        assert n_audio == ((((frames - 1) // 2 + 1) - 2) // 2) + 1
        entry = {"name": name, "wav": f"audio/{name}.wav", "samples": int(len(wave)), "frames": frames,
                 "mel": f"mel/{name}.npy", "audio_tokens": n_audio, "prompt_ids": prompt_ids, "outputs": {}}
        if not check_only:
            np.save(os.path.join(golden, "mel", name + ".npy"), mel)
        emb = audio_embeddings(models["fp32"], inputs)
        if not check_only:
            np.save(os.path.join(golden, "audio_embeds", f"{name}.npy"), emb.astype(np.float32))
        entry["audio_embeds"] = f"audio_embeds/{name}.npy"
        for kind, model in models.items():
            for penalty in PENALTIES:
                row = reference_generate(model, inputs, penalty, eos, pad)[0]
                key = f"rp{penalty}"
                if penalty == 1.0 and not check_only:
                    np.save(os.path.join(golden, "logits", f"{name}.{kind}.npy"), row["first_logits"])
                entry["outputs"].setdefault(kind, {})[key] = {
                    "ids": row["ids"], "finish": row["finish"], "min_gap": row["min_gap"],
                    "text": tok.decode(row["ids"], skip_special_tokens=False)}
            entry.setdefault("first_logits", {})[kind] = f"logits/{name}.{kind}.npy"
        fixtures.append(entry)
        print(name, frames, "frames,", n_audio, "audio tokens,", len(prompt_ids), "prompt ids", flush=True)

    # Batched reference run (left padding) of several fixtures: ids must equal the single runs.
    batch_inputs = proc(text=[prompt] * len(BATCH), audio=[waves[n] for n in BATCH], return_tensors="pt",
                        padding=True)
    batch = {"fixtures": BATCH, "padding_side": "left", "outputs": {}}
    by_name = {f["name"]: f for f in fixtures}
    for kind, model in models.items():
        for penalty in PENALTIES:
            rows = reference_generate(model, batch_inputs, penalty, eos, pad)
            key = f"rp{penalty}"
            batch["outputs"].setdefault(kind, {})[key] = {"ids": [r["ids"] for r in rows],
                                                          "min_gap": min(r["min_gap"] for r in rows)}
            for name, r in zip(BATCH, rows):
                single = by_name[name]["outputs"][kind][key]["ids"]
                if r["ids"] != single:
                    raise SystemExit(f"batched {kind} {key} {name}: {r['ids']} != single {single}")

    # onnxruntime self-check: the exported graphs must give the reference ids, single and batched.
    parity = {}
    for kind, model_dir in onnx_dirs.items():
        ort_model = OrtThinker(model_dir)
        worst_logit = 0.0
        for f in fixtures:
            mel = np.load(os.path.join(golden, f["mel"])) if not check_only else None
            if mel is None:
                inputs = proc(text=prompt, audio=[waves[f["name"]]], return_tensors="pt")
                mel = inputs["input_features"][0, :, :f["frames"]].numpy()
            for penalty in PENALTIES:
                got, _, _ = ort_model.generate([f["prompt_ids"]], [mel], penalty)
                want = f["outputs"][kind][f"rp{penalty}"]["ids"]
                if got[0] != want:
                    raise SystemExit(f"onnxruntime {kind} {f['name']} rp{penalty}: {got[0]} != reference {want}")
            ref_emb = np.load(os.path.join(golden, f["audio_embeds"]))  # hf/ audio tower (hf-awq's is fp16-rounded)
            emb_err = float(np.max(np.abs(ort_model.encode_audio(mel) - ref_emb)))
            logits_err = first_logits_error(ort_model, f, mel, np.load(os.path.join(golden, f["first_logits"][kind])))
            worst_logit = max(worst_logit, logits_err)
            parity.setdefault(kind, {})[f["name"]] = {"audio_embeds_max_abs_error": emb_err,
                                                      "first_logits_max_abs_error": logits_err}
        for penalty in PENALTIES:
            got, _, _ = ort_model.generate([by_name[n]["prompt_ids"] for n in BATCH],
                                           [np.load(os.path.join(golden, by_name[n]["mel"])) for n in BATCH], penalty)
            if got != batch["outputs"][kind][f"rp{penalty}"]["ids"]:
                raise SystemExit(f"onnxruntime batched {kind} rp{penalty} differs from the reference")
        parity[kind]["greedy_ids_equal"] = True
        print(kind, "onnxruntime ids equal the reference; worst first-step logit error", worst_logit, flush=True)

    if not check_only:
        np.save(os.path.join(golden, "mel_filters.npy"), proc.feature_extractor.mel_filters.astype(np.float64))
    stops = sorted({f"{f['name']}.{kind}.{key}" for f in fixtures for kind, outs in f["outputs"].items()
                    for key, o in outs.items() if o["finish"] == "stop"})
    penalty_matters = sorted({f"{f['name']}.{kind}" for f in fixtures for kind, outs in f["outputs"].items()
                              if outs["rp1.0"]["ids"] != outs["rp1.1"]["ids"]})
    gaps = [o["min_gap"] for f in fixtures for k in f["outputs"].values() for o in k.values()]
    gaps += [o["min_gap"] for k in batch["outputs"].values() for o in k.values()]
    result = {
        "description": "Golden outputs of the transformers reference for the tiny random-weight Qwen2.5-Omni "
                       "thinker (meaningless text). Layout: models/README.md.",
        "versions": versions(),
        "tiny": tiny_params(),
        "generation": {"max_new_tokens": MAX_NEW_TOKENS, "do_sample": False, "penalties": list(PENALTIES),
                       "eos_token_ids": [eos], "pad_token_id": pad,
                       "repetition_penalty_rule": "transformers RepetitionPenaltyLogitsProcessor over every distinct "
                                                  "id of the prompt (audio placeholders included) and of the ids "
                                                  "generated so far: score < 0 ? score * p : score / p",
                       "ids_include_eos": True},
        "prompt": {"system": GOLDEN_SYSTEM, "user": GOLDEN_USER, "text": prompt,
                   "audio_placeholder": tok.audio_token},
        "tokens": ids,
        "min_top2_gap": min(gaps),
        "stops_at_im_end": stops,
        "penalty_changes_ids": penalty_matters,
        "mel_filters": "mel_filters.npy",
        "fixtures": fixtures,
        "batch": batch,
        "onnxruntime_parity": parity,
        "awq_repack": "awq_repack/awq_repack.json",
    }
    if not check_only:
        result["awq_repack_result"] = write_awq_repack_golden(os.path.join(golden, "awq_repack"))
        with open(os.path.join(golden, "golden.json"), "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1, ensure_ascii=False)
            f.write("\n")
    return result


def first_logits_error(ort_model, f, mel, ref_logits) -> float:
    """Max abs difference of the prefill logits (last prompt position) between onnxruntime and the reference."""
    tokens = ort_model.meta["tokens"]
    ids = np.asarray([f["prompt_ids"]], dtype=np.int64)
    embeds = ort_model.embed.run(["inputs_embeds"], {"input_ids": ids})[0]
    embeds[0, ids[0] == tokens["audio"]] = ort_model.encode_audio(mel)
    layers = ort_model.meta["decoder"]["num_layers"]
    kv, hd = ort_model.meta["decoder"]["num_kv_heads"], ort_model.meta["decoder"]["head_dim"]
    feed = {"inputs_embeds": embeds, "attention_mask": np.ones_like(ids),
            "position_ids": np.arange(ids.shape[1], dtype=np.int64)[None]}
    for i in range(layers):
        for t in ("key", "value"):
            feed[f"past_key_values.{i}.{t}"] = np.zeros((1, kv, 0, hd), dtype=ort_model.np_dtype)
    logits = ort_model.decoder.run(["logits"], feed)[0][0, -1]
    return float(np.max(np.abs(logits - ref_logits)))


def search(tiny_dir: str, seeds, lm_head_scales, im_end_scales):
    """Try weight seeds and logit scales; print the ones whose golden paths meet the criteria: every top-2 gap
    >= 1e-2, the repetition penalty changes the ids of some fixture, some fixtures stop at <|im_end|> early."""
    import torch

    import tiny

    torch.set_num_threads(2)
    audio_dir = os.path.join(tiny_dir, "golden", "audio")
    waves = {name: read_audio(os.path.join(audio_dir, name + ".wav")) for name in FIXTURES}
    with tempfile.TemporaryDirectory() as tmp:
        hf_dir, awq_dir = os.path.join(tmp, "hf"), os.path.join(tmp, "hf-awq")
        for seed in seeds:
            for lm_scale in lm_head_scales:
                for im_scale in im_end_scales:
                    tiny.build_hf(hf_dir, seed, lm_scale, im_scale)
                    tiny.build_awq(hf_dir, awq_dir)
                    proc = processor(hf_dir)
                    ids = omni_export.token_ids(hf_dir, omni_export.thinker_config(hf_dir))
                    prompt = render_prompt(proc.tokenizer, GOLDEN_SYSTEM, GOLDEN_USER)
                    stats = {"gap": 1e9, "stops": 0, "penalty_changes": 0, "ok": True}
                    for kind, model in (("fp32", load_fp32(hf_dir)), ("int4", load_awq_dequantized(awq_dir))):
                        for name, wave in waves.items():
                            inputs = proc(text=prompt, audio=[wave], return_tensors="pt")
                            rows = [reference_generate(model, inputs, p, ids["im_end"], ids["pad"])[0]
                                    for p in PENALTIES]
                            stats["gap"] = min(stats["gap"], *(r["min_gap"] for r in rows))
                            stats["stops"] += sum(r["finish"] == "stop" for r in rows)
                            stats["penalty_changes"] += rows[0]["ids"] != rows[1]["ids"]
                        if stats["gap"] < 1e-2:
                            stats["ok"] = False
                            break
                    ok = stats["ok"] and stats["stops"] > 0 and stats["penalty_changes"] > 0
                    print(json.dumps({"seed": seed, "lm_head_scale": lm_scale, "im_end_scale": im_scale,
                                      **stats, "meets_criteria": ok}), flush=True)


def tiny_params() -> dict:
    import tiny

    return tiny.tuned_params()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", required=True, help="the tiny model folder (models/tiny)")
    ap.add_argument("--regen-audio", action="store_true", help="re-synthesize the audio fixtures (espeak-ng, sox)")
    ap.add_argument("--search", type=int, nargs=2, metavar=("FIRST_SEED", "LAST_SEED"),
                    help="search weight seeds (and --lm-head-scales, --im-end-scales) instead of writing goldens")
    ap.add_argument("--lm-head-scales", type=float, nargs="+", default=[24.0])
    ap.add_argument("--im-end-scales", type=float, nargs="+", default=[1.5])
    args = ap.parse_args()
    if args.search:
        search(args.tiny, range(args.search[0], args.search[1] + 1), args.lm_head_scales, args.im_end_scales)
        return
    res = run(args.tiny, args.regen_audio)
    print("min top-2 gap", res["min_top2_gap"])
    for f in res["fixtures"]:
        for kind, outs in f["outputs"].items():
            for key, o in outs.items():
                print(f["name"], kind, key, o["finish"], len(o["ids"]), "gap", round(o["min_gap"], 4))


if __name__ == "__main__":
    main()
