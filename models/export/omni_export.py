"""The exporter: the thinker of a Hugging Face Qwen2.5-Omni checkpoint -> the ONNX model folder of MODEL_FORMAT.md.

export() writes the folder; export.py is its command line, tiny.py and random_full.py feed it the tiny test model
and the random full-size one. Checkpoints: the full Qwen2.5-Omni (keys "thinker.*", talker and token2wav ignored),
a thinker-only save, or an AutoAWQ "GEMM" checkpoint (quantization_config.quant_method == "awq"). Only the thinker
is exported: audio tower, token embeddings and the text decoder with lm_head; no vision, no talker.
"""

import json
import os
import shutil
from dataclasses import dataclass
from typing import Optional

import numpy as np
import onnx

import awq
import generate
import graphs

FORMAT_VERSION = 1
# The default prompt follows Qwen2.5-Omni's speech recognition cookbook (universal_audio_understanding):
# system "You are a speech recognition model.", the user turn's instruction before the audio, worded
# "Transcribe the <Language> audio into text." (Chinese in Chinese). The cookbook's "without any punctuation
# marks" (a benchmark setting) is left out: subtitles need punctuation.
DEFAULT_SYSTEM = "You are a speech recognition model."
DEFAULT_USER = "Transcribe the audio into text."
DEFAULT_PROMPT = {
    "system": DEFAULT_SYSTEM,
    "user": DEFAULT_USER,
    "user_language": "Transcribe the {language} audio into text.",
    "user_by_language": {"zh": "请将这段中文语音转换为纯文本。"},
    "context": "Context (earlier text, names and terms that may occur in the audio): {context}",
    "detect_language": "Which language is spoken in the audio? Answer with its two-letter ISO 639-1 code only.",
    "instruction": "before_audio",
    "alternatives": [
        {"name": "seed-zh", "system": DEFAULT_SYSTEM, "user": "你的唯一任務是將音頻內容轉錄為文本"},
    ],
}
DECODER_LINEARS = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                   "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")
EXTERNAL_DATA_THRESHOLD = 1_800_000_000  # bytes of initializers above which a graph keeps weights in .onnx.data


# ----------------------------------------------------------------------------------------------- checkpoint


class Weights:
    """Lazy access to a checkpoint's thinker tensors as float32 numpy arrays (bf16/fp16 safe)."""

    def __init__(self, checkpoint: str):
        from safetensors import safe_open

        files = sorted(f for f in os.listdir(checkpoint) if f.endswith(".safetensors"))
        if not files:
            raise SystemExit(f"no .safetensors files in {checkpoint}")
        self._handles = {}
        self._where = {}
        for f in files:
            h = safe_open(os.path.join(checkpoint, f), framework="pt")
            self._handles[f] = h
            for key in h.keys():
                name = key[len("thinker."):] if key.startswith("thinker.") else key
                if key.startswith(("talker.", "token2wav.")):
                    continue
                self._where[name] = (f, key)

    def has(self, name: str) -> bool:
        return name in self._where

    def raw(self, name: str):
        f, key = self._where[name]
        return self._handles[f].get_tensor(key)

    def get(self, name: str) -> np.ndarray:
        if name not in self._where:
            raise KeyError(f"tensor {name} not in checkpoint")
        t = self.raw(name)
        return t.float().numpy() if t.is_floating_point() else t.numpy()

    def names(self):
        return self._where.keys()


@dataclass
class ThinkerConfig:
    """A checkpoint's config.json, the parts the exporter reads (plain dicts as in the file)."""

    root: dict  # the whole config.json
    thinker: dict  # thinker_config (the root itself for a thinker-only save)
    text: dict  # thinker_config.text_config
    audio: dict  # thinker_config.audio_config
    quant: Optional[dict]  # quantization_config, if any


def thinker_config(checkpoint: str) -> ThinkerConfig:
    with open(os.path.join(checkpoint, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    thinker = cfg.get("thinker_config", cfg)
    quant = cfg.get("quantization_config") or thinker.get("quantization_config")
    return ThinkerConfig(root=cfg, thinker=thinker, text=thinker["text_config"], audio=thinker["audio_config"],
                         quant=quant)


def rope_theta_of(text: dict) -> float:
    rope = text.get("rope_parameters") or {}
    scaling = text.get("rope_scaling") or {}
    rope_type = rope.get("rope_type") or scaling.get("rope_type") or scaling.get("type") or "default"
    if rope_type not in ("default", "mrope"):
        raise SystemExit(f"rope type {rope_type} is not supported by this exporter")
    return float(rope.get("rope_theta") or text.get("rope_theta") or 1000000.0)


def decoder_config(cfg: ThinkerConfig) -> graphs.DecoderConfig:
    t = cfg.text
    heads = t["num_attention_heads"]
    return graphs.DecoderConfig(
        num_layers=t["num_hidden_layers"], hidden_size=t["hidden_size"], num_heads=heads,
        num_kv_heads=t.get("num_key_value_heads") or heads, head_dim=t.get("head_dim") or t["hidden_size"] // heads,
        vocab_size=t["vocab_size"], rms_norm_eps=t.get("rms_norm_eps", 1e-6), rope_theta=rope_theta_of(t))


def audio_config(cfg: ThinkerConfig) -> graphs.AudioConfig:
    a = cfg.audio
    return graphs.AudioConfig(
        num_mel_bins=a.get("num_mel_bins", 128), d_model=a["d_model"], layers=a["encoder_layers"],
        heads=a["encoder_attention_heads"], n_window=a.get("n_window", 100), output_dim=a["output_dim"],
        max_source_positions=a.get("max_source_positions", 1500))


# ----------------------------------------------------------------------------------------------- linears


def make_linear_source(weights: Weights, cfg: ThinkerConfig, mode: str, np_dtype):
    """Returns linear_of(prefix) -> graphs.Linear for the decoder, per the chosen weight mode.

    mode: "float" (dense in F), "awq-int4" (exact repack), "awq-float" (AWQ dequantized to dense),
          "rtn-int4" (round-to-nearest int4, group 128, from float weights).
    """
    quant = cfg.quant or {}
    group = int(quant.get("group_size", 128))
    tied = cfg.text.get("tie_word_embeddings", cfg.thinker.get("tie_word_embeddings", False))

    def linear_of(prefix: str) -> graphs.Linear:
        if prefix == "lm_head" and not weights.has("lm_head.weight"):
            if not tied and not weights.has("model.embed_tokens.weight"):
                raise KeyError("lm_head.weight missing")
            prefix_w = "model.embed_tokens.weight"  # tied embeddings
            w = weights.get(prefix_w)
            return graphs.Linear(w.shape[0], w.shape[1], weight=w)
        bias = weights.get(prefix + ".bias") if weights.has(prefix + ".bias") else None
        if weights.has(prefix + ".qweight"):
            qw, qz, sc = (weights.raw(prefix + ".qweight").numpy(), weights.raw(prefix + ".qzeros").numpy(),
                          weights.raw(prefix + ".scales").float().numpy())
            if mode == "awq-int4":
                b, s, z, k, n = awq.matmulnbits_tensors(qw, qz, sc, group, np.float32)
                return graphs.Linear(n, k, bias=bias, nbits=graphs.NBits(b, s, z, group))
            w = awq.dequantize_awq(qw, qz, sc, group).T  # (out, in)
            return graphs.Linear(w.shape[0], w.shape[1], weight=w, bias=bias)
        w = weights.get(prefix + ".weight")
        if mode == "rtn-int4" and prefix.startswith("model.layers."):
            q, z, s = awq.quantize_rtn(np.ascontiguousarray(w.T), 128)
            b = awq.reshape_b(awq.pack_nbits_b(q), w.shape[1], 128)
            return graphs.Linear(w.shape[0], w.shape[1], bias=bias,
                                 nbits=graphs.NBits(b, np.ascontiguousarray(s.T).reshape(-1).astype(np.float32),
                                                    awq.pack_nbits_zero_points(z), 128))
        return graphs.Linear(w.shape[0], w.shape[1], weight=w, bias=bias)

    return linear_of


# ----------------------------------------------------------------------------------------------- tokens, model.json


def added_tokens(checkpoint: str) -> dict:
    with open(os.path.join(checkpoint, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    return {t["content"]: t["id"] for t in tok.get("added_tokens", [])}


def token_ids(checkpoint: str, cfg: ThinkerConfig) -> dict:
    added = added_tokens(checkpoint)

    def tid(content):
        if content not in added:
            raise SystemExit(f"special token {content} missing from tokenizer.json")
        return added[content]

    t = cfg.thinker
    ids = {"endoftext": tid("<|endoftext|>"), "im_start": tid("<|im_start|>"), "im_end": tid("<|im_end|>"),
           "audio": tid("<|AUDIO|>"), "audio_bos": tid("<|audio_bos|>"), "audio_eos": tid("<|audio_eos|>")}
    for key, cfg_key in (("audio", "audio_token_index"), ("audio_bos", "audio_start_token_id"),
                         ("audio_eos", "audio_end_token_id")):
        if cfg_key in t and t[cfg_key] != ids[key]:
            raise SystemExit(f"config {cfg_key}={t[cfg_key]} disagrees with tokenizer id {ids[key]}")
    ids["pad"] = ids["endoftext"]
    ids["eos"] = [ids["im_end"]]
    return ids


def dtype_name(elem_type: int) -> str:
    return {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.FLOAT16: "float16",
            onnx.TensorProto.INT64: "int64"}[elem_type]


def io_spec(values) -> dict:
    spec = {}
    for v in values:
        dims = [d.dim_param if d.dim_param else d.dim_value for d in v.type.tensor_type.shape.dim]
        spec[v.name] = {"dtype": dtype_name(v.type.tensor_type.elem_type), "shape": dims}
    return spec


def audio_params(checkpoint: str, acfg: graphs.AudioConfig) -> dict:
    pre = {}
    path = os.path.join(checkpoint, "preprocessor_config.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            pre = json.load(f)
    sr = pre.get("sampling_rate", 16000)
    n_samples = pre.get("n_samples", 300 * sr)
    return {
        "sampling_rate": sr, "n_fft": pre.get("n_fft", 400), "hop_length": pre.get("hop_length", 160),
        "n_mels": pre.get("feature_size", acfg.num_mel_bins), "chunk_frames": acfg.chunk_frames,
        "max_seconds": n_samples / sr, "n_samples": n_samples, "tokens_per_chunk": acfg.n_window // 2,
        "dither": pre.get("dither", 0.0), "padding_value": pre.get("padding_value", 0.0),
        # WhisperFeatureExtractor: waveform zero-padded (right) to n_samples, periodic Hann window, centered STFT
        # with reflect padding, power spectrum, Slaney mel filters 0..sr/2, last STFT frame dropped,
        # log10(max(mel, 1e-10)), max(x, max_over_all_frames - 8), (x + 4) / 4; valid frames = ceil(samples / hop).
        "mel_scale": "slaney", "mel_norm": "slaney", "log_floor": 1e-10, "dynamic_range": 8.0,
        "log_offset": 4.0, "log_divisor": 4.0,
    }


def io_only(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model's inputs and outputs alone (for model.json), so its weights can be freed."""
    m = onnx.ModelProto()
    m.graph.input.extend(model.graph.input)
    m.graph.output.extend(model.graph.output)
    return m


def save_onnx(model: onnx.ModelProto, out_dir: str, file_name: str):
    path = os.path.join(out_dir, file_name)
    data_name = file_name + ".data"
    if os.path.exists(os.path.join(out_dir, data_name)):
        os.remove(os.path.join(out_dir, data_name))
    size = sum(t.ByteSize() for t in model.graph.initializer)
    if size > EXTERNAL_DATA_THRESHOLD:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=data_name,
                        size_threshold=1024)
    else:
        onnx.save_model(model, path)


# ----------------------------------------------------------------------------------------------- export


def export(checkpoint: str, out_dir: str, weights_mode: str, dtype: str, force_rtn: bool = False,
           model_name: str = None, quiet: bool = False, step_decoder: bool = True, loop: bool = True,
           weights=None, cfg: ThinkerConfig = None, source: str = None) -> dict:
    """Writes the model folder. `weights`/`cfg` replace the checkpoint's (random_full.py); `step_decoder` and
    `loop` choose decoder.onnx (one step per run) and generate.onnx (the whole generation in one run)."""
    if not (step_decoder or loop):
        raise SystemExit("nothing to export: neither the step decoder nor the generation loop")
    cfg = cfg or thinker_config(checkpoint)
    quant = cfg.quant
    is_awq = bool(quant) and str(quant.get("quant_method", "")).lower() == "awq"
    if is_awq and (int(quant.get("bits", 4)) != 4 or str(quant.get("version", "gemm")).lower() != "gemm"
                   or not quant.get("zero_point", True)):
        raise SystemExit(f"only 4-bit AWQ GEMM checkpoints with zero points are supported: {quant}")
    if weights_mode is None:
        weights_mode = "int4" if (is_awq or force_rtn) else "float16"
    if weights_mode == "int4":
        mode = "awq-int4" if is_awq else "rtn-int4"
        if not is_awq and not force_rtn:
            raise SystemExit("int4 weights from a float checkpoint need --int4 (round-to-nearest, group 128)")
    else:
        mode = "awq-float" if is_awq else "float"
    if dtype is None:
        dtype = "float32" if weights_mode == "float32" else "float16"
    if weights_mode == "float32" and dtype != "float32":
        raise SystemExit("--weights float32 needs --dtype float32")
    np_dtype = np.float32 if dtype == "float32" else np.float16

    os.makedirs(out_dir, exist_ok=True)
    weights = weights or Weights(checkpoint)
    dcfg = decoder_config(cfg)
    acfg = audio_config(cfg)
    linear_of = make_linear_source(weights, cfg, mode, np_dtype)

    def log(msg):
        if not quiet:
            print(msg, flush=True)

    log(f"audio_encoder ({acfg.layers} layers, d_model {acfg.d_model})")
    audio_model = graphs.build_audio_encoder(acfg, weights, np_dtype)
    save_onnx(audio_model, out_dir, "audio_encoder.onnx")
    log("embed_tokens")
    embed_model = graphs.build_embed_tokens(weights.get("model.embed_tokens.weight"), np_dtype)
    save_onnx(embed_model, out_dir, "embed_tokens.onnx")
    written = [("audio_encoder", io_only(audio_model)), ("embed_tokens", io_only(embed_model))]
    del audio_model, embed_model
    if step_decoder:
        log(f"decoder ({dcfg.num_layers} layers, weights {mode}, activations {dtype})")
        decoder_model = graphs.build_decoder(dcfg, weights, linear_of, np_dtype)
        save_onnx(decoder_model, out_dir, "decoder.onnx")
        written.append(("decoder", io_only(decoder_model)))
        del decoder_model
    elif os.path.exists(os.path.join(out_dir, "decoder.onnx")):
        os.remove(os.path.join(out_dir, "decoder.onnx"))
    tokens = token_ids(checkpoint, cfg)
    if loop:
        log(f"generate ({dcfg.num_layers} layers in an ONNX Loop, weights {mode}, activations {dtype}, "
            f"audio tower included)")
        generate_model = generate.build_generate(dcfg, acfg, weights, linear_of,
                                                 weights.get("model.embed_tokens.weight"), np_dtype,
                                                 pad=tokens["pad"], audio_id=tokens["audio"])
        save_onnx(generate_model, out_dir, "generate.onnx")
        written.append(("generate", io_only(generate_model)))
        del generate_model

    for name in ("tokenizer.json", "tokenizer_config.json", "preprocessor_config.json", "chat_template.json",
                 "chat_template.jinja"):
        src = os.path.join(checkpoint, name)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(out_dir, name))

    if weights_mode == "int4":
        group = int(quant.get("group_size", 128)) if is_awq else 128
        quantization = {"weights": "int4", "method": "awq" if is_awq else "rtn", "bits": 4, "block_size": group,
                        "accuracy_level": 0, "modules": "decoder layer linears (q, k, v, o, gate, up, down)"}
    else:
        quantization = {"weights": weights_mode, "method": "awq-dequantized" if is_awq else "none"}

    text = cfg.text
    meta = {
        "format": FORMAT_VERSION,
        "model_name": model_name or os.path.basename(os.path.normpath(checkpoint)),
        "source": source or os.path.basename(os.path.normpath(checkpoint)),
        "dtype": dtype,
        "quantization": quantization,
        "graphs": {
            name: {"file": f"{name}.onnx", "inputs": io_spec(m.graph.input), "outputs": io_spec(m.graph.output)}
            for name, m in written
        },
        "decoder": {"num_layers": dcfg.num_layers, "num_attention_heads": dcfg.num_heads,
                    "num_kv_heads": dcfg.num_kv_heads, "head_dim": dcfg.head_dim, "hidden_size": dcfg.hidden_size,
                    "vocab_size": dcfg.vocab_size, "max_position_embeddings": text.get("max_position_embeddings"),
                    "rope_theta": dcfg.rope_theta, "rms_norm_eps": dcfg.rms_norm_eps},
        "audio_encoder": {"d_model": acfg.d_model, "layers": acfg.layers, "heads": acfg.heads,
                          "n_window": acfg.n_window, "output_dim": acfg.output_dim},
        "audio": audio_params(checkpoint, acfg),
        "tokens": tokens,
        "prompt": DEFAULT_PROMPT,
    }
    with open(os.path.join(out_dir, "model.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2, ensure_ascii=False)
        f.write("\n")
    log(f"wrote {out_dir}")
    return meta
