"""The exporter: the thinker of a Hugging Face Qwen2.5-Omni checkpoint -> the ONNX model folder of MODEL_FORMAT.md.

export() writes the folder; export.py is its command line, tiny.py and random_full.py feed it the tiny test model
and the random full-size one. Checkpoints: the full Qwen2.5-Omni (keys "thinker.*", talker and token2wav ignored),
a thinker-only save, or an AutoAWQ "GEMM" checkpoint (quantization_config.quant_method == "awq"). Only the thinker
is exported: audio tower, token embeddings and the text decoder with lm_head; no vision, no talker.

Weights are read one tensor at a time (model.safetensors.index.json decides which files, when present) and written
to each graph's .onnx.data file as the graph is built, so memory holds one weight at a time, not the model. A
checkpoint the exporter cannot use raises CheckpointError naming the key, file or setting.
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


class CheckpointError(Exception):
    """A checkpoint the exporter cannot read as it is: the message names the file, key or setting at fault."""


SAFETENSORS_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16, "I64": np.int64,
                      "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
INDEX_FILE = "model.safetensors.index.json"


class SafetensorsFile:
    """One .safetensors file: its header, and tensors read one at a time with plain reads (no memory map, so
    what was read leaves the process once the array is freed)."""

    def __init__(self, path: str):
        self.path = path
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError(f"{path}: not a safetensors file (shorter than its header)")
            n = int.from_bytes(head, "little")
            if n > size - 8:
                raise CheckpointError(f"{path}: header of {n} bytes in a file of {size} (truncated download?)")
            try:
                header = json.loads(f.read(n))
            except ValueError as e:
                raise CheckpointError(f"{path}: unreadable safetensors header ({e})") from None
        header.pop("__metadata__", None)
        self.base = 8 + n
        self.entries = header
        for key, e in header.items():
            if e.get("dtype") not in SAFETENSORS_DTYPES:
                raise CheckpointError(f"{path}: tensor {key} has dtype {e.get('dtype')}, unknown to the exporter")
            begin, end = e["data_offsets"]
            if self.base + end > size:
                raise CheckpointError(f"{path}: tensor {key} ends at byte {self.base + end} of a {size}-byte file "
                                      f"(truncated download?)")

    def keys(self):
        return self.entries.keys()

    def read(self, key: str) -> np.ndarray:
        """The tensor as stored; bfloat16 comes back as float32 (exact)."""
        e = self.entries[key]
        dtype = np.dtype(SAFETENSORS_DTYPES[e["dtype"]])
        begin, end = e["data_offsets"]
        shape = tuple(e["shape"])
        count = int(np.prod(shape)) if shape else 1
        if count * dtype.itemsize != end - begin:
            raise CheckpointError(f"{self.path}: tensor {key} holds {end - begin} bytes, its shape {list(shape)} and "
                                  f"dtype {e['dtype']} need {count * dtype.itemsize}")
        with open(self.path, "rb") as f:
            f.seek(self.base + begin)
            a = np.fromfile(f, dtype=dtype.newbyteorder("<"), count=count)
        if a.size != count:
            raise CheckpointError(f"{self.path}: tensor {key} cut short (truncated download?)")
        if e["dtype"] == "BF16":
            a = (a.astype(np.uint32) << np.uint32(16)).view(np.float32)
        return a.astype(a.dtype.newbyteorder("="), copy=False).reshape(shape)


def checkpoint_files(checkpoint: str) -> dict:
    """{file name: [keys it holds]} of the checkpoint's weights.

    With model.safetensors.index.json, exactly the files its weight_map names (other .safetensors files in the
    folder are ignored; a named file that is missing, or that lacks a key the map gives it, is an error).
    Without it, every .safetensors file in the folder, and a key in two files is an error."""
    index_path = os.path.join(checkpoint, INDEX_FILE)
    if os.path.exists(index_path):
        with open(index_path, encoding="utf-8") as f:
            try:
                weight_map = json.load(f)["weight_map"]
            except (ValueError, KeyError) as e:
                raise CheckpointError(f"{index_path}: no readable weight_map ({e})") from None
        files = {}
        for key, name in weight_map.items():
            files.setdefault(name, []).append(key)
        missing = sorted(n for n in files if not os.path.exists(os.path.join(checkpoint, n)))
        if missing:
            raise CheckpointError(f"{INDEX_FILE} names {', '.join(missing)}, missing from {checkpoint} "
                                  f"(incomplete download?)")
        return files
    names = sorted(f for f in os.listdir(checkpoint) if f.endswith(".safetensors"))
    if not names:
        raise CheckpointError(f"no .safetensors files in {checkpoint}")
    return {n: None for n in names}


class Weights:
    """A checkpoint's thinker tensors, read one at a time when asked for: numpy arrays as stored (float16 stays
    float16, bfloat16 becomes float32, packed AWQ tensors int32). Keys "thinker.X" are known as "X"; "talker.*"
    and "token2wav.*" are ignored."""

    def __init__(self, checkpoint: str):
        self._files = {}
        self._where = {}
        self.prefix = ""
        for name, keys in checkpoint_files(checkpoint).items():
            st = SafetensorsFile(os.path.join(checkpoint, name))
            self._files[name] = st
            if keys is None:
                keys = list(st.keys())
            else:
                absent = [k for k in keys if k not in st.entries]
                if absent:
                    raise CheckpointError(f"{INDEX_FILE} puts {absent[0]} in {name}, which does not hold it "
                                          f"({len(absent)} such keys)")
            for key in keys:
                if key.startswith(("talker.", "token2wav.")):
                    continue
                if key.startswith("thinker."):
                    self.prefix = "thinker."
                    short = key[len("thinker."):]
                else:
                    short = key
                if short in self._where:
                    raise CheckpointError(f"tensor {key} is in both {self._where[short][0]} and {name}")
                self._where[short] = (name, key)

    def has(self, name: str) -> bool:
        return name in self._where

    def key_of(self, name: str) -> str:
        """The checkpoint's own key for `name` (with its "thinker." prefix, if it uses one)."""
        return self._where[name][1] if name in self._where else self.prefix + name

    def get(self, name: str) -> np.ndarray:
        if name not in self._where:
            raise CheckpointError(f"tensor {self.key_of(name)} not in the checkpoint")
        f, key = self._where[name]
        return self._files[f].read(key)

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


def tie_word_embeddings(cfg: "ThinkerConfig") -> bool:
    """Whether lm_head shares the embedding table: the first of text_config, thinker_config and the root that says
    (Qwen2.5-Omni's text model defaults to untied)."""
    for part in (cfg.text, cfg.thinker, cfg.root):
        if "tie_word_embeddings" in part:
            return bool(part["tie_word_embeddings"])
    return False


def key_name(weights, name: str) -> str:
    return weights.key_of(name) if hasattr(weights, "key_of") else name


def make_linear_source(weights: Weights, cfg: ThinkerConfig, mode: str, np_dtype):
    """Returns linear_of(prefix) -> graphs.Linear for the decoder, per the chosen weight mode.

    mode: "float" (dense in F), "awq-int4" (exact repack), "awq-float" (AWQ dequantized to dense),
          "rtn-int4" (round-to-nearest int4, group 128, from float weights).
    """
    quant = cfg.quant or {}
    group = int(quant.get("group_size", 128))
    tied = tie_word_embeddings(cfg)

    def linear_of(prefix: str) -> graphs.Linear:
        if prefix == "lm_head" and not weights.has("lm_head.weight"):
            if not tied:
                raise CheckpointError(f"{key_name(weights, 'lm_head.weight')} missing, and the config says "
                                      f"tie_word_embeddings false (lm_head is not the embedding table)")
            w = weights.get("model.embed_tokens.weight")  # tied embeddings
            return graphs.Linear(w.shape[0], w.shape[1], weight=w)
        bias = weights.get(prefix + ".bias") if weights.has(prefix + ".bias") else None
        if weights.has(prefix + ".qweight"):
            for part in (".qzeros", ".scales"):
                if not weights.has(prefix + part):
                    raise CheckpointError(f"{key_name(weights, prefix + part)} missing: the quantized linear "
                                          f"{key_name(weights, prefix)} has qweight but no {part[1:]}")
            qw, qz = weights.get(prefix + ".qweight"), weights.get(prefix + ".qzeros")
            sc = np.asarray(weights.get(prefix + ".scales"), dtype=np.float32)
            try:
                if mode == "awq-int4":
                    b, s, z, k, n = awq.matmulnbits_tensors(qw, qz, sc, group, np.float32)
                    return graphs.Linear(n, k, bias=bias, nbits=graphs.NBits(b, s, z, group))
                w = awq.dequantize_awq(qw, qz, sc, group).T  # (out, in)
            except ValueError as e:
                raise CheckpointError(f"{key_name(weights, prefix)}: {e}") from None
            return graphs.Linear(w.shape[0], w.shape[1], weight=w, bias=bias)
        if not weights.has(prefix + ".weight"):
            raise CheckpointError(f"{key_name(weights, prefix + '.weight')} (or its AWQ qweight) missing")
        w = weights.get(prefix + ".weight")
        if mode == "rtn-int4" and prefix.startswith("model.layers."):
            q, z, s = awq.quantize_rtn(graphs.transposed(w), 128)
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


def graph_data(out_dir: str, file_name: str) -> graphs.ExternalData:
    """The weights file a graph is built into (see save_onnx)."""
    return graphs.ExternalData(os.path.join(out_dir, file_name + ".data"))


def save_onnx(model: onnx.ModelProto, out_dir: str, file_name: str, data: graphs.ExternalData):
    """Writes `file_name`. Its large initializers went to `data` while the graph was built: a graph whose weights
    exceed EXTERNAL_DATA_THRESHOLD keeps them there (`<graph>.onnx.data`), a smaller one gets them back inline."""
    data.close()
    if data.size <= EXTERNAL_DATA_THRESHOLD:
        data.inline_all(model)
    onnx.save_model(model, os.path.join(out_dir, file_name))


# ----------------------------------------------------------------------------------------------- export


def add_output_options(ap) -> None:
    """The options of what a model folder holds, shared by export.py and bin/export (hub_export.py)."""
    ap.add_argument("--weights", choices=["int4", "float16", "float32"],
                    help="decoder weights; default int4 for AWQ checkpoints, else float16")
    ap.add_argument("--int4", action="store_true",
                    help="float checkpoint: quantize decoder linears round-to-nearest int4, group 128")
    ap.add_argument("--dtype", choices=["float32", "float16"],
                    help="activation dtype; default float32 for --weights float32, else float16")
    ap.add_argument("--no-step-decoder", action="store_true",
                    help="omit decoder.onnx (one step per run); the folder then needs the generation loop")
    ap.add_argument("--no-loop", action="store_true", help="omit generate.onnx (the generation loop)")


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
    with graph_data(out_dir, "audio_encoder.onnx") as data:
        model = graphs.build_audio_encoder(acfg, weights, np_dtype, data)
        save_onnx(model, out_dir, "audio_encoder.onnx", data)
    written = [("audio_encoder", io_only(model))]
    log("embed_tokens")
    with graph_data(out_dir, "embed_tokens.onnx") as data:
        model = graphs.build_embed_tokens(weights.get("model.embed_tokens.weight"), np_dtype, data)
        save_onnx(model, out_dir, "embed_tokens.onnx", data)
    written.append(("embed_tokens", io_only(model)))
    del model
    if step_decoder:
        log(f"decoder ({dcfg.num_layers} layers, weights {mode}, activations {dtype})")
        with graph_data(out_dir, "decoder.onnx") as data:
            model = graphs.build_decoder(dcfg, weights, linear_of, np_dtype, data)
            save_onnx(model, out_dir, "decoder.onnx", data)
        written.append(("decoder", io_only(model)))
        del model
    else:
        for name in ("decoder.onnx", "decoder.onnx.data"):
            if os.path.exists(os.path.join(out_dir, name)):
                os.remove(os.path.join(out_dir, name))
    tokens = token_ids(checkpoint, cfg)
    if loop:
        log(f"generate ({dcfg.num_layers} layers in an ONNX Loop, weights {mode}, activations {dtype}, "
            f"audio tower included)")
        with graph_data(out_dir, "generate.onnx") as data:
            model = generate.build_generate(dcfg, acfg, weights, linear_of, np_dtype, pad=tokens["pad"],
                                            audio_id=tokens["audio"], data=data)
            save_onnx(model, out_dir, "generate.onnx", data)
        written.append(("generate", io_only(model)))
        del model

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
