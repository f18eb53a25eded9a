#!/usr/bin/env python3
"""The tiny AWQ model (tiny/hf-awq) laid out as the published Qwen/Qwen2.5-Omni-7B-AWQ repository is.

  make_mimic.py [--tiny models/tiny]       writes <tiny>/hf-awq-omni (deterministic; committed)

The exporter meets this layout on a real download; exporting the mimic must give the same graphs as exporting
tiny/hf-awq (test_export.py). What differs from tiny/hf-awq, as in the published repository:
- the whole Qwen2.5-Omni model in one checkpoint: thinker keys under "thinker." (audio tower, vision tower, text
  model, lm_head), plus "talker.*" and "token2wav.*" tensors the exporter must ignore (small seeded stand-ins);
- several shards (model-0000N-of-0000M.safetensors) and model.safetensors.index.json ({"metadata":
  {"total_size"}, "weight_map"}), a layer split across two shards, as save_pretrained shards by size;
- config.json of Qwen2_5OmniModel: model_type qwen2_5_omni, enable_audio_output, thinker_config /
  talker_config / token2wav_config, the thinker's text model nested in thinker_config.text_config with the
  older RoPE style ("rope_scaling": {"mrope_section", "rope_type": "default", "type": "default"} and
  "rope_theta" beside it, no tie_word_embeddings: the text model's default, untied), "torch_dtype";
- quantization_config at the top level as AutoAWQ writes it for this model (its Qwen2.5-Omni class quantizes
  thinker.model.layers and keeps "visual" out): {"bits": 4, "group_size": 128, "modules_to_not_convert":
  ["visual"], "quant_method": "awq", "version": "gemm", "zero_point": true};
- the chat template in chat_template.json ({"chat_template": ...}), not in tokenizer_config.json.
Not mimicked: vocab.json / merges.txt / spk_dict.pt (the exporter reads tokenizer.json; voices are the talker's).
"""

import argparse
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import omni_export  # noqa: E402

SHARDS = 4
MODULE_ORDER = ("thinker.audio_tower.", "thinker.visual.", "thinker.model.", "thinker.lm_head.", "talker.",
                "token2wav.")
SEED = 17
QUANT = {"bits": 4, "group_size": 128, "modules_to_not_convert": ["visual"], "quant_method": "awq",
         "version": "gemm", "zero_point": True}
# Small stand-ins for the talker and token2wav (names as in the published checkpoint; shapes tiny).
EXTRA = {
    "talker.codec_head.weight": (64, 32), "talker.model.embed_tokens.weight": (64, 32),
    "talker.model.layers.0.self_attn.q_proj.weight": (32, 32), "talker.model.layers.0.self_attn.q_proj.bias": (32,),
    "talker.model.layers.0.mlp.down_proj.weight": (32, 64), "talker.model.norm.weight": (32,),
    "talker.thinker_to_talker_proj.weight": (32, 128), "talker.thinker_to_talker_proj.bias": (32,),
    "token2wav.code2wav_dit_model.input_embed.proj.weight": (32, 48),
    "token2wav.code2wav_dit_model.transformer_blocks.0.attn.to_q.weight": (32, 32),
    "token2wav.code2wav_bigvgan_model.conv_pre.weight": (48, 16, 7),
    "token2wav.code2wav_bigvgan_model.conv_pre.bias": (48,),
}


def omni_config(thinker: dict) -> dict:
    """config.json of the whole model around the tiny thinker's config, in the published (older) style."""
    thinker = json.loads(json.dumps(thinker))
    thinker.pop("quantization_config", None)
    thinker.pop("tie_word_embeddings", None)
    thinker["torch_dtype"] = thinker.pop("dtype", "float16")
    text = thinker["text_config"]
    rope = text.pop("rope_parameters")
    text.pop("tie_word_embeddings", None)
    text.pop("layer_types", None)
    text["rope_scaling"] = {"mrope_section": rope["mrope_section"], "rope_type": "default", "type": "default"}
    text["rope_theta"] = rope["rope_theta"]
    text["sliding_window"] = text.get("max_position_embeddings")
    talker = {"model_type": "qwen2_5_omni_talker", "hidden_size": 32, "intermediate_size": 64,
              "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16,
              "vocab_size": 64, "embedding_size": thinker["text_config"]["hidden_size"],
              "rope_scaling": {"mrope_section": [2, 3, 3], "rope_type": "default", "type": "default"},
              "rope_theta": 1000000.0}
    token2wav = {"model_type": "qwen2_5_omni_token2wav",
                 "dit_config": {"depth": 1, "dim": 32, "heads": 2, "head_dim": 16, "mel_dim": 16, "num_embeds": 64},
                 "bigvgan_config": {"mel_dim": 16, "upsample_initial_channel": 48, "upsample_rates": [2]}}
    return {"architectures": ["Qwen2_5OmniModel"], "enable_audio_output": True, "enable_talker": True,
            "model_type": "qwen2_5_omni", "quantization_config": dict(QUANT), "talker_config": talker,
            "thinker_config": thinker, "token2wav_config": token2wav, "torch_dtype": "float16",
            "transformers_version": "4.52.0.dev0"}


def tensors(src: str) -> dict:
    """Every tensor of the mimic: the tiny AWQ thinker's under "thinker.", then the talker / token2wav stand-ins."""
    st = omni_export.SafetensorsFile(os.path.join(src, "model.safetensors"))
    out = {"thinker." + k: st.read(k) for k in st.keys()}
    rng = np.random.default_rng(SEED)
    for name, shape in EXTRA.items():
        out[name] = (0.02 * rng.standard_normal(shape)).astype(np.float16)
    return out


def write_shards(out_dir: str, state: dict, shards: int):
    """save_pretrained's sharding: keys in module order, a new shard when the current one reaches its share of
    bytes (so a decoder layer may span two shards)."""
    from safetensors.numpy import save_file

    def order(key):
        module = next(i for i, m in enumerate(MODULE_ORDER) if key.startswith(m))
        return module, [int(p) if p.isdigit() else p for p in key.split(".")]

    keys = sorted(state, key=lambda k: (order(k)[0], [(0, p, "") if isinstance(p, int) else (1, 0, p)
                                                      for p in order(k)[1]]))
    total = sum(state[k].nbytes for k in keys)
    limit = total / shards
    groups, current, size = [], [], 0
    for k in keys:
        if current and size + state[k].nbytes > limit and len(groups) < shards - 1:
            groups.append(current)
            current, size = [], 0
        current.append(k)
        size += state[k].nbytes
    groups.append(current)
    weight_map = {}
    for i, group in enumerate(groups):
        name = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
        save_file({k: np.ascontiguousarray(state[k]) for k in group}, os.path.join(out_dir, name),
                  metadata={"format": "pt"})
        weight_map.update({k: name for k in group})
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(out_dir, omni_export.INDEX_FILE), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


def build(tiny_dir: str) -> str:
    src = os.path.join(tiny_dir, "hf-awq")
    out = os.path.join(tiny_dir, "hf-awq-omni")
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    write_shards(out, tensors(src), SHARDS)
    with open(os.path.join(src, "config.json"), encoding="utf-8") as f:
        thinker = json.load(f)
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(omni_config(thinker), f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(src, "tokenizer_config.json"), encoding="utf-8") as f:
        tok_cfg = json.load(f)
    with open(os.path.join(out, "chat_template.json"), "w", encoding="utf-8") as f:
        json.dump({"chat_template": tok_cfg.pop("chat_template")}, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tok_cfg, f, indent=2, ensure_ascii=False)
        f.write("\n")
    for name in ("tokenizer.json", "preprocessor_config.json", "generation_config.json"):
        shutil.copyfile(os.path.join(src, name), os.path.join(out, name))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tiny"),
                    help="the tiny model folder (reads hf-awq/, writes hf-awq-omni/)")
    args = ap.parse_args(argv)
    print(f"wrote {build(args.tiny)}")


if __name__ == "__main__":
    main()
