"""The tiny random-weight Qwen2.5-Omni thinker used to prove parity (its text is meaningless).

Same architecture as the real thinker, tiny sizes, seeded:
  text decoder  hidden 128, intermediate 256, 2 layers, 4 heads, 2 kv heads (head_dim 32), mrope [4, 6, 6]
  audio tower   d_model 64, 2 layers, 4 heads, ffn 128, 128 mel bins, n_window 100, output_dim 128
  vocabulary    a byte-level BPE trained on a small English + Chinese text, plus all of Qwen's special tokens
                (their ids differ from the real model's)
Writes under the output folder:
  hf/         Hugging Face thinker checkpoint (float32), tokenizer, preprocessor config
  hf-awq/     AutoAWQ GEMM checkpoint of the same model (decoder linears 4-bit, group 128; the rest float16)
  onnx-fp32/  export of hf/      (weights float32)
  onnx-int4/  export of hf-awq/  (int4 MatMulNBits by exact repack, activations float32)
"""

import json
import os
import shutil

import numpy as np

import awq
import omni_export

SEED = 4
GROUP = 128

SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>", "<|box_end|>",
    "<|quad_start|>", "<|quad_end|>", "<|vision_bos|>", "<|vision_eos|>", "<|vision_pad|>", "<|IMAGE|>",
    "<|VIDEO|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
    "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
]

# Qwen2's pre-tokenizer split pattern.
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                 r"\s*[\r\n]+|\s+(?!\S)|\s+")

# Qwen2.5-Omni's chat template (system default, audio / image / video parts, generation prompt).
CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}{% set image_count = namespace(value=0) %}"
    "{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_bos|><|IMAGE|><|vision_eos|>"
    "{% elif content['type'] == 'audio' or 'audio' in content or 'audio_url' in content %}"
    "{% set audio_count.value = audio_count.value + 1 %}"
    "{% if add_audio_id %}Audio {{ audio_count.value }}: {% endif %}<|audio_bos|><|AUDIO|><|audio_eos|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_bos|><|VIDEO|><|vision_eos|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}"
    "{% endfor %}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

CORPUS = """\
You are a speech recognition model. Transcribe the audio verbatim in the language spoken.
The quick brown fox jumps over the lazy dog while the river runs past the old mill.
Good morning, everyone. Today we will talk about the weather, the markets and the news from the city.
Please write down every word you hear, including numbers such as 1, 2, 3, 42 and 2025.
She said that the meeting would start at nine o'clock and end before lunch.
A transcription service turns recorded speech into text, one segment after another.
The engineer checked the logs, restarted the job and waited for the results to arrive.
Thank you for listening. If you have any questions, please send them by email.
It's a long way to the station, isn't it? We'll take the bus and we're going to be late.
Numbers, names and places: London, Paris, Beijing, Taipei, Monday, Tuesday, January, seventeen.
system user assistant audio text speech model language verbatim transcribe
user assistant system user assistant system
你的唯一任務是將音頻內容轉錄為文本。
今天天氣很好，我們去公園散步吧。
請把你聽到的每一句話都寫下來，包括數字和名字。
会议将在上午九点开始，中午之前结束。
这是一个语音识别模型，它把录音变成文字。
谢谢大家的收听，如果有问题请发电子邮件。
我們明天早上八點在火車站見面。
"""


def build_tokenizer(out_dir: str, bpe_size: int = 900):
    """Byte-level BPE with Qwen2's pre-tokenizer; special tokens appended after the learned vocabulary."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=bpe_size, min_frequency=1, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    lines = CORPUS.splitlines()
    tok.train_from_iterator(lines * 4, trainer=trainer)
    tok.add_special_tokens(SPECIAL_TOKENS)
    os.makedirs(out_dir, exist_ok=True)
    tok.save(os.path.join(out_dir, "tokenizer.json"))

    ids = {t: tok.token_to_id(t) for t in SPECIAL_TOKENS}
    added = {str(ids[t]): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                           "single_word": False, "special": True} for t in SPECIAL_TOKENS}
    config = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>", "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>",
                                      "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_bos|>",
                                      "<|vision_eos|>", "<|vision_pad|>", "<|IMAGE|>", "<|VIDEO|>"],
        "audio_bos_token": "<|audio_bos|>",
        "audio_eos_token": "<|audio_eos|>",
        "audio_token": "<|AUDIO|>",
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "extra_special_tokens": {
            "audio_bos_token": "<|audio_bos|>", "audio_eos_token": "<|audio_eos|>", "audio_token": "<|AUDIO|>",
            "image_token": "<|IMAGE|>", "video_token": "<|VIDEO|>", "vision_bos_token": "<|vision_bos|>",
            "vision_eos_token": "<|vision_eos|>",
        },
        "image_token": "<|IMAGE|>",
        "model_max_length": 32768,
        "pad_token": "<|endoftext|>",
        "processor_class": "Qwen2_5OmniProcessor",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
        "video_token": "<|VIDEO|>",
        "vision_bos_token": "<|vision_bos|>",
        "vision_eos_token": "<|vision_eos|>",
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")
    user = tok.token_to_id("user")
    return tok.get_vocab_size(with_added_tokens=True), ids, user if user is not None else tok.encode("user").ids[0]


def write_preprocessor_config(out_dir: str):
    """Qwen2.5-Omni's WhisperFeatureExtractor settings (128 mel bins, pads/truncates at 300 s)."""
    cfg = {
        "chunk_length": 300, "dither": 0.0, "feature_extractor_type": "WhisperFeatureExtractor",
        "feature_size": 128, "hop_length": 160, "n_fft": 400, "n_samples": 4800000, "nb_max_frames": 30000,
        "padding_side": "right", "padding_value": 0.0, "processor_class": "Qwen2_5OmniProcessor",
        "return_attention_mask": True, "sampling_rate": 16000,
    }
    with open(os.path.join(out_dir, "preprocessor_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")


def thinker_config(vocab_size: int, ids: dict, user_id: int):
    from transformers import Qwen2_5OmniThinkerConfig

    text = dict(vocab_size=vocab_size, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32768, rms_norm_eps=1e-6,
                rope_parameters={"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [4, 6, 6]},
                tie_word_embeddings=False, use_sliding_window=False, initializer_range=0.02,
                bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    audio = dict(num_mel_bins=128, encoder_layers=2, encoder_attention_heads=4, encoder_ffn_dim=128, d_model=64,
                 n_window=100, output_dim=128, max_source_positions=1500)
    vision = dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=128,
                  fullatt_block_indexes=[0], window_size=112)
    return Qwen2_5OmniThinkerConfig(
        audio_config=audio, vision_config=vision, text_config=text,
        audio_token_index=ids["<|AUDIO|>"], image_token_index=ids["<|IMAGE|>"], video_token_index=ids["<|VIDEO|>"],
        audio_start_token_id=ids["<|audio_bos|>"], audio_end_token_id=ids["<|audio_eos|>"], user_token_id=user_id,
        vision_start_token_id=ids["<|vision_bos|>"], vision_end_token_id=ids["<|vision_eos|>"],
        vision_token_id=ids["<|vision_pad|>"], position_id_per_seconds=25, seconds_per_chunk=2,
        tie_word_embeddings=False)


def init_weights(model, seed: int, lm_head_scale: float, im_end_id: int, im_end_scale: float):
    """Seeded weights with unit-scale activations. lm_head rows have norm ~lm_head_scale, so the random model's
    logits are well separated; the <|im_end|> row is im_end_scale times longer, so some outputs stop early."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or "layer_norm.weight" in name or name.endswith("ln_post.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            elif name == "lm_head.weight":
                p.copy_(torch.randn(p.shape, generator=g) * (lm_head_scale / p.shape[1] ** 0.5))
                p[im_end_id] *= im_end_scale
            elif p.dim() >= 2:
                fan_in = int(np.prod(p.shape[1:]))
                p.copy_(torch.randn(p.shape, generator=g) / fan_in ** 0.5)
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))


def build_hf(out_dir: str, seed: int, lm_head_scale: float = 8.0, im_end_scale: float = 1.0):
    import torch
    from transformers import GenerationConfig, Qwen2_5OmniThinkerForConditionalGeneration

    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    vocab_size, ids, user_id = build_tokenizer(out_dir)
    write_preprocessor_config(out_dir)
    cfg = thinker_config(vocab_size, ids, user_id)
    torch.manual_seed(seed)
    model = Qwen2_5OmniThinkerForConditionalGeneration(cfg).eval()
    init_weights(model, seed, lm_head_scale, ids["<|im_end|>"], im_end_scale)
    model.generation_config = GenerationConfig(eos_token_id=[ids["<|im_end|>"]], pad_token_id=ids["<|endoftext|>"],
                                               do_sample=False)
    model.save_pretrained(out_dir)
    return model


def build_awq(hf_dir: str, out_dir: str):
    """AutoAWQ GEMM checkpoint of the hf/ model: decoder linears round-to-nearest 4-bit (group 128) in AWQ
    packing, everything else float16, config with an AWQ quantization_config."""
    import torch
    from safetensors.torch import load_file, save_file

    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    state = load_file(os.path.join(hf_dir, "model.safetensors"))
    out = {}
    for key, t in state.items():
        prefix = key[: -len(".weight")] if key.endswith(".weight") else None
        if prefix and prefix.startswith("model.layers.") and prefix.split(".", 3)[3] in omni_export.DECODER_LINEARS:
            w = t.float().numpy().T  # (in, out)
            q, z, s = awq.quantize_rtn(np.ascontiguousarray(w), GROUP)
            out[prefix + ".qweight"] = torch.from_numpy(awq.pack_awq(q))
            out[prefix + ".qzeros"] = torch.from_numpy(awq.pack_awq(z))
            out[prefix + ".scales"] = torch.from_numpy(s)
        else:
            out[key] = t.to(torch.float16) if t.is_floating_point() else t
    save_file(out, os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
    for name in os.listdir(hf_dir):
        if name != "model.safetensors":
            shutil.copyfile(os.path.join(hf_dir, name), os.path.join(out_dir, name))
    with open(os.path.join(out_dir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    cfg["quantization_config"] = {"bits": 4, "group_size": GROUP, "quant_method": "awq", "version": "gemm",
                                  "zero_point": True,
                                  "modules_to_not_convert": ["audio_tower", "visual", "lm_head", "embed_tokens"]}
    cfg["dtype"] = "float16"
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")


def build_all(out_root: str, seed: int = None, lm_head_scale: float = None, im_end_scale: float = None):
    params = tuned_params()
    seed = params["seed"] if seed is None else seed
    lm_head_scale = params["lm_head_scale"] if lm_head_scale is None else lm_head_scale
    im_end_scale = params["im_end_scale"] if im_end_scale is None else im_end_scale
    hf = os.path.join(out_root, "hf")
    hf_awq = os.path.join(out_root, "hf-awq")
    build_hf(hf, seed, lm_head_scale, im_end_scale)
    build_awq(hf, hf_awq)
    for d in ("onnx-fp32", "onnx-int4"):
        if os.path.exists(os.path.join(out_root, d)):
            shutil.rmtree(os.path.join(out_root, d))
    omni_export.export(hf, os.path.join(out_root, "onnx-fp32"), "float32", "float32", model_name="tiny-qwen2.5-omni")
    omni_export.export(hf_awq, os.path.join(out_root, "onnx-int4"), "int4", "float32",
                       model_name="tiny-qwen2.5-omni-awq")


def tuned_params() -> dict:
    """Weight seed and logit scales chosen (make_golden.py --search) so that every golden greedy path has a
    top-2 logit gap >= 1e-2, the repetition penalty changes some outputs and some outputs stop at <|im_end|>."""
    return {"seed": SEED, "lm_head_scale": 24.0, "im_end_scale": 2.0}
