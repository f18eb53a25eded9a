"""The full-size Qwen2.5-Omni-7B thinker with random seeded weights in AWQ form, for benchmarks on machines that
cannot download the real checkpoint. Nothing is downloaded; its text is meaningless.

  export.py --random-full --out DIR [--weights int4|float16] [--no-step-decoder] [--seed N] [--layers N]

(--layers: fewer text and audio layers, for a quick check of the tool itself.)

The architecture is the released thinker's (text: hidden 3584, 28 layers, 28 query / 4 kv heads, MLP 18944,
vocabulary 152064; audio tower: d_model 1280, 32 layers, 20 heads). The decoder linears are random AutoAWQ GEMM
tensors (qweight / qzeros / scales, group 128) and go through the exporter's AWQ path exactly as a real AWQ
checkpoint does (int4: repack into MatMulNBits; float16: dequantized). Every other tensor is float16.

Random int4 weights need centred nibbles: 4-bit values 0..15 around one zero point carry a mean offset that survives
RMSNorm and makes every step pick the same token. Here every (group, output column) has its own seeded zero point z
in 5..10 (both nibble parities, so the GPU path runs the real zero-point arithmetic) and its nibbles are
q = z + d, d uniform in {-5, -3, -1, 1, 3, 5}: q covers 0..15 and q - z has mean zero. Scales make each linear's
output about unit variance.

The tokenizer is the tiny model's byte-level BPE (900 tokens) with Qwen's special tokens moved to their real ids
(151643...): prompts are tokenized with it (a few more text tokens than Qwen's own vocabulary gives), and the ids
a random model generates mostly have no text.
"""

import json
import os
import zlib

import numpy as np

import awq
import omni_export

GROUP = 128
TEXT = {"hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28, "num_attention_heads": 28,
        "num_key_value_heads": 4, "vocab_size": 152064, "rms_norm_eps": 1e-06, "max_position_embeddings": 32768,
        "rope_theta": 1000000.0, "tie_word_embeddings": False,
        "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}}
AUDIO = {"d_model": 1280, "encoder_layers": 32, "encoder_attention_heads": 20, "encoder_ffn_dim": 5120,
         "num_mel_bins": 128, "n_window": 100, "output_dim": 3584, "max_source_positions": 1500}
SPECIAL_BASE = 151643  # <|endoftext|>; Qwen's special tokens follow in the tiny tokenizer's order
QUANT = {"quant_method": "awq", "bits": 4, "group_size": GROUP, "version": "gemm", "zero_point": True}
ZERO_LOW, ZERO_HIGH = 5, 10  # zero points of the random AWQ linears
OFFSETS = np.array([-5, -3, -1, 1, 3, 5], dtype=np.int8).view(np.uint8)  # q - z (added modulo 256: z + d >= 0)
OFFSET_STD = float(np.sqrt(np.mean(np.array([-5, -3, -1, 1, 3, 5]) ** 2.0)))
TINY_HF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tiny", "hf")


class RandomAwqWeights:
    """The thinker's tensors, made on demand from (seed, name): same seed, same tensor."""

    def __init__(self, seed: int = 0, layers: int = None):
        self.seed = seed
        text_layers = layers or TEXT["num_hidden_layers"]
        audio_layers = layers or AUDIO["encoder_layers"]
        self.shapes = {}
        h, ff, kv = TEXT["hidden_size"], TEXT["intermediate_size"], TEXT["num_key_value_heads"] * (
            TEXT["hidden_size"] // TEXT["num_attention_heads"])
        d, aff = AUDIO["d_model"], AUDIO["encoder_ffn_dim"]
        s = self.shapes
        s["audio_tower.conv1.weight"], s["audio_tower.conv1.bias"] = (d, AUDIO["num_mel_bins"], 3), (d,)
        s["audio_tower.conv2.weight"], s["audio_tower.conv2.bias"] = (d, d, 3), (d,)
        for i in range(audio_layers):
            p = f"audio_tower.layers.{i}"
            for ln in ("self_attn_layer_norm", "final_layer_norm"):
                s[f"{p}.{ln}.weight"], s[f"{p}.{ln}.bias"] = (d,), (d,)
            for name, out_f, in_f, bias in (("self_attn.q_proj", d, d, True), ("self_attn.k_proj", d, d, False),
                                            ("self_attn.v_proj", d, d, True), ("self_attn.out_proj", d, d, True),
                                            ("fc1", aff, d, True), ("fc2", d, aff, True)):
                s[f"{p}.{name}.weight"] = (out_f, in_f)
                if bias:
                    s[f"{p}.{name}.bias"] = (out_f,)
        s["audio_tower.ln_post.weight"], s["audio_tower.ln_post.bias"] = (d,), (d,)
        s["audio_tower.proj.weight"], s["audio_tower.proj.bias"] = (AUDIO["output_dim"], d), (AUDIO["output_dim"],)
        s["model.embed_tokens.weight"] = (TEXT["vocab_size"], h)
        s["lm_head.weight"] = (TEXT["vocab_size"], h)
        s["model.norm.weight"] = (h,)
        for i in range(text_layers):
            p = f"model.layers.{i}"
            s[f"{p}.input_layernorm.weight"] = s[f"{p}.post_attention_layernorm.weight"] = (h,)
            for name, k, n, bias in (("self_attn.q_proj", h, h, True), ("self_attn.k_proj", h, kv, True),
                                     ("self_attn.v_proj", h, kv, True), ("self_attn.o_proj", h, h, False),
                                     ("mlp.gate_proj", h, ff, False), ("mlp.up_proj", h, ff, False),
                                     ("mlp.down_proj", ff, h, False)):
                s[f"{p}.{name}.qweight"] = (k, n // 8)
                s[f"{p}.{name}.qzeros"] = (k // GROUP, n // 8)
                s[f"{p}.{name}.scales"] = (k // GROUP, n)
                if bias:
                    s[f"{p}.{name}.bias"] = (n,)

    def _rng(self, name):
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def has(self, name):
        return name in self.shapes

    def names(self):
        return self.shapes.keys()

    def _make(self, name):
        shape = self.shapes[name]
        rng = self._rng(name)
        if name.endswith(".qweight"):
            k, n = shape[0], shape[1] * 8
            z = np.repeat(self._zero_points(name[:-len(".qweight")] + ".qzeros"), GROUP, axis=0)
            d = rng.integers(0, len(OFFSETS), size=(k, n), dtype=np.uint8)
            return awq.pack_awq(z + OFFSETS[d])
        if name.endswith(".qzeros"):
            return awq.pack_awq(self._zero_points(name))
        if name.endswith(".scales"):
            k = shape[0] * GROUP
            # E[(q - z)^2] = 35/3 for the offsets: std 3.42; y = x @ W has unit variance for unit-variance x
            return (rng.uniform(0.8, 1.2, size=shape) / (OFFSET_STD * np.sqrt(k))).astype(np.float16)
        if name.endswith(("layernorm.weight", "norm.weight", "layer_norm.weight", "ln_post.weight")):
            return rng.uniform(0.9, 1.1, size=shape).astype(np.float16)
        # uniform int8 noise (fast to make; std 73.9) scaled: unit variance for embeddings, 1/sqrt(fan_in)
        # for weights (unit-variance outputs), 0.02 for biases
        n = int(np.prod(shape))
        noise = np.frombuffer(rng.bytes(n), dtype=np.int8).astype(np.float16).reshape(shape)
        if len(shape) == 1:
            scale = 0.02
        elif name == "model.embed_tokens.weight":
            scale = 1.0
        else:
            scale = 1.0 / np.sqrt(np.prod(shape[1:]))
        noise *= np.float16(scale / 73.9)
        return noise

    def _zero_points(self, qzeros_name):
        """uint8 (K/group, N): the seeded zero point of each group and output column, 5..10."""
        blocks, packed = self.shapes[qzeros_name]
        return self._rng(qzeros_name).integers(ZERO_LOW, ZERO_HIGH + 1, size=(blocks, packed * 8), dtype=np.uint8)

    def get(self, name):
        if name not in self.shapes:
            raise KeyError(f"tensor {name} not in the random thinker")
        return self._make(name)  # float16 tensors stay float16 (the exporter keeps them as they are)


def write_checkpoint_files(folder: str, layers: int = None) -> omni_export.ThinkerConfig:
    """config.json, tokenizer files and preprocessor config (no weights) in `folder`; returns the exporter's cfg."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(TINY_HF, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    base = min(t["id"] for t in tok["added_tokens"])
    for t in tok["added_tokens"]:
        t["id"] = SPECIAL_BASE + t["id"] - base
        tok["model"]["vocab"][t["content"]] = t["id"]  # an added token keeps its id only if the model has it
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    with open(os.path.join(TINY_HF, "tokenizer_config.json"), encoding="utf-8") as f:
        tcfg = json.load(f)
    if "added_tokens_decoder" in tcfg:
        tcfg["added_tokens_decoder"] = {str(SPECIAL_BASE + int(k) - base): v
                                        for k, v in tcfg["added_tokens_decoder"].items()}
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tcfg, f, ensure_ascii=False, indent=1)
    with open(os.path.join(TINY_HF, "preprocessor_config.json"), encoding="utf-8") as f:
        pre = f.read()
    with open(os.path.join(folder, "preprocessor_config.json"), "w", encoding="utf-8") as f:
        f.write(pre)
    text, audio = dict(TEXT), dict(AUDIO)
    if layers:
        text["num_hidden_layers"] = audio["encoder_layers"] = layers
    thinker = {"text_config": text, "audio_config": audio, "audio_token_index": SPECIAL_BASE + 3,
               "audio_start_token_id": SPECIAL_BASE + 4, "audio_end_token_id": SPECIAL_BASE + 5,
               "quantization_config": QUANT}
    root = {"architectures": ["Qwen2_5OmniThinkerForConditionalGeneration"], "thinker_config": thinker,
            "quantization_config": QUANT, "note": "random seeded weights (models/export/random_full.py)"}
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as f:
        json.dump(root, f, indent=1)
    return omni_export.ThinkerConfig(root=root, thinker=thinker, text=text, audio=audio, quant=QUANT)
