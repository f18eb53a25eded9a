#!/usr/bin/env python3
"""The exporter on the tiny model and on the published checkpoint layout (tiny/hf-awq-omni, make_mimic.py).

  python models/export/test_export.py        (models/export/test.sh runs it with the other exporter tests)

- Exporting tiny/hf and tiny/hf-awq gives the committed tiny/onnx-fp32 and tiny/onnx-int4 files byte for byte
  (the Java golden tests read those).
- Exporting the mimic gives graphs identical to exporting tiny/hf-awq: every node and every initializer.
- Weights written to <graph>.onnx.data while building give the same graphs as weights kept inline.
- Loud failures: an untied config without lm_head, an AWQ linear without qzeros or scales, a shard the index
  names but the folder lacks, a key the index puts in the wrong shard, a truncated shard, the same key in two
  files without an index; a .safetensors file the index does not name is ignored.
- Qwen2.5-Omni-3B's proportions (8 query heads per key-value head, lm_head tied to the embeddings) through the
  same code: decoder.onnx's logits against a numpy forward pass.
- random_full.py: zero points vary, seeded, and the random weights keep mean zero.
"""

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import awq  # noqa: E402
import omni_export  # noqa: E402
import random_full  # noqa: E402

TINY = os.path.join(HERE, "..", "tiny")
GRAPHS = ("audio_encoder.onnx", "embed_tokens.onnx", "decoder.onnx", "generate.onnx")


def export_quiet(checkpoint, out, weights="int4", dtype="float32", **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):
        return omni_export.export(checkpoint, out, weights, dtype, quiet=True, **kwargs)


def graph_difference(a_path: str, b_path: str):
    """None when the two ONNX files hold the same graph (nodes, inputs, outputs, opsets, initializer names, types,
    shapes and values, external data loaded), else a line saying where they first differ."""
    a, b = onnx.load(a_path), onnx.load(b_path)
    if list(a.opset_import) != list(b.opset_import):
        return "opset imports differ"
    ga, gb = a.graph, b.graph
    for field in ("input", "output", "node"):
        la, lb = list(getattr(ga, field)), list(getattr(gb, field))
        if len(la) != len(lb):
            return f"{field}: {len(la)} vs {len(lb)}"
        for i, (x, y) in enumerate(zip(la, lb)):
            if x != y:
                return f"{field} {i} ({getattr(x, 'name', '')}) differs"
    if len(ga.initializer) != len(gb.initializer):
        return f"initializers: {len(ga.initializer)} vs {len(gb.initializer)}"
    for x, y in zip(ga.initializer, gb.initializer):
        if x.name != y.name or x.data_type != y.data_type or list(x.dims) != list(y.dims):
            return f"initializer {x.name} vs {y.name}: name, type or shape"
        if not np.array_equal(numpy_helper.to_array(x), numpy_helper.to_array(y)):
            return f"initializer {x.name}: values"
    return None


def read_tensors(path):
    st = omni_export.SafetensorsFile(path)
    return {k: st.read(k) for k in st.keys()}


def write_tensors(path, tensors):
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, path, metadata={"format": "pt"})


def drop_key(folder: str, key: str):
    """Removes `key` from the mimic copy in `folder` (its shard and the index)."""
    index_path = os.path.join(folder, omni_export.INDEX_FILE)
    with open(index_path, encoding="utf-8") as f:
        index = json.load(f)
    shard = os.path.join(folder, index["weight_map"].pop(key))
    tensors = read_tensors(shard)
    del tensors[key]
    write_tensors(shard, tensors)
    with open(index_path, "w", encoding="utf-8") as f:
        json.dump(index, f)


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="export-test-")
        cls.mimic = os.path.join(TINY, "hf-awq-omni")
        cls.tiny_int4 = os.path.join(cls.tmp, "tiny-int4")
        export_quiet(os.path.join(TINY, "hf-awq"), cls.tiny_int4, model_name="tiny-qwen2.5-omni-awq")
        cls.mimic_int4 = os.path.join(cls.tmp, "mimic-int4")
        export_quiet(cls.mimic, cls.mimic_int4, model_name="tiny-qwen2.5-omni-awq")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def copy_mimic(self, name):
        dst = os.path.join(self.tmp, name)
        shutil.copytree(self.mimic, dst)
        return dst

    def assert_same_graphs(self, a_dir, b_dir, graphs=GRAPHS):
        for g in graphs:
            self.assertIsNone(graph_difference(os.path.join(a_dir, g), os.path.join(b_dir, g)), g)

    # ------------------------------------------------------------------------------------------ same graphs

    def test_tiny_exports_match_committed_files(self):
        for g in GRAPHS + ("model.json",):
            with open(os.path.join(self.tiny_int4, g), "rb") as a, \
                    open(os.path.join(TINY, "onnx-int4", g), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"onnx-int4/{g}")
        out = os.path.join(self.tmp, "tiny-fp32")
        export_quiet(os.path.join(TINY, "hf"), out, "float32", "float32", model_name="tiny-qwen2.5-omni")
        for g in GRAPHS + ("model.json",):
            with open(os.path.join(out, g), "rb") as a, open(os.path.join(TINY, "onnx-fp32", g), "rb") as b:
                self.assertEqual(a.read(), b.read(), f"onnx-fp32/{g}")

    def test_mimic_gives_the_same_graphs_as_tiny_awq(self):
        self.assert_same_graphs(self.mimic_int4, self.tiny_int4)
        with open(os.path.join(self.mimic_int4, "model.json"), encoding="utf-8") as f:
            mimic_meta = json.load(f)
        with open(os.path.join(self.tiny_int4, "model.json"), encoding="utf-8") as f:
            tiny_meta = json.load(f)
        for key in ("source",):
            mimic_meta.pop(key), tiny_meta.pop(key)
        self.assertEqual(mimic_meta, tiny_meta)
        self.assertTrue(os.path.exists(os.path.join(self.mimic_int4, "chat_template.json")))

    def test_mimic_float16_weights_match_tiny_awq(self):
        a, b = os.path.join(self.tmp, "mimic-fp16"), os.path.join(self.tmp, "tiny-fp16")
        export_quiet(self.mimic, a, "float16", "float16", step_decoder=False)
        export_quiet(os.path.join(TINY, "hf-awq"), b, "float16", "float16", step_decoder=False)
        self.assert_same_graphs(a, b, ("audio_encoder.onnx", "embed_tokens.onnx", "generate.onnx"))

    def test_weights_in_external_data_files(self):
        out = os.path.join(self.tmp, "external")
        threshold = omni_export.EXTERNAL_DATA_THRESHOLD
        omni_export.EXTERNAL_DATA_THRESHOLD = 0
        try:
            export_quiet(self.mimic, out)
        finally:
            omni_export.EXTERNAL_DATA_THRESHOLD = threshold
        for g in GRAPHS:
            self.assertTrue(os.path.getsize(os.path.join(out, g + ".data")) > 0, g)
            external = [t for t in onnx.load(os.path.join(out, g), load_external_data=False).graph.initializer
                        if t.data_location == onnx.TensorProto.EXTERNAL]
            self.assertTrue(external, g)
        self.assert_same_graphs(out, self.tiny_int4)
        import onnxruntime as ort

        ort.InferenceSession(os.path.join(out, "generate.onnx"), providers=["CPUExecutionProvider"])

    def test_stray_file_the_index_does_not_name_is_ignored(self):
        folder = self.copy_mimic("stray")
        write_tensors(os.path.join(folder, "model-extra.safetensors"),
                      {"thinker.model.norm.weight": np.zeros(128, np.float16),
                       "thinker.lm_head.weight": np.zeros((922, 128), np.float16)})
        out = os.path.join(self.tmp, "stray-out")
        export_quiet(folder, out, step_decoder=False)
        self.assert_same_graphs(out, self.tiny_int4, ("audio_encoder.onnx", "embed_tokens.onnx", "generate.onnx"))
        # without the index the same file is a conflict, named
        os.remove(os.path.join(folder, omni_export.INDEX_FILE))
        with self.assertRaisesRegex(omni_export.CheckpointError, r"thinker\.(lm_head|model\.norm)\.weight.*both.*"
                                    r"model-extra\.safetensors"):
            export_quiet(folder, os.path.join(self.tmp, "stray-out2"))

    # ------------------------------------------------------------------------------------------ loud failures

    def test_untied_config_without_lm_head(self):
        folder = self.copy_mimic("no-lm-head")
        drop_key(folder, "thinker.lm_head.weight")
        with self.assertRaisesRegex(omni_export.CheckpointError, r"thinker\.lm_head\.weight missing.*"
                                    r"tie_word_embeddings false"):
            export_quiet(folder, os.path.join(self.tmp, "no-lm-head-out"))
        # a thinker-only save without the prefix names the key as it would be
        flat = os.path.join(self.tmp, "no-lm-head-flat")
        shutil.copytree(os.path.join(TINY, "hf-awq"), flat)
        tensors = read_tensors(os.path.join(flat, "model.safetensors"))
        del tensors["lm_head.weight"]
        write_tensors(os.path.join(flat, "model.safetensors"), tensors)
        with self.assertRaisesRegex(omni_export.CheckpointError, r"^lm_head\.weight missing"):
            export_quiet(flat, os.path.join(self.tmp, "no-lm-head-flat-out"))
        # tied: lm_head is the embedding table
        with open(os.path.join(flat, "config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        cfg["text_config"]["tie_word_embeddings"] = True
        with open(os.path.join(flat, "config.json"), "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        out = os.path.join(self.tmp, "tied-out")
        export_quiet(flat, out, "float32", step_decoder=False)
        init = {t.name: t for t in onnx.load(os.path.join(out, "generate.onnx")).graph.initializer}
        np.testing.assert_array_equal(numpy_helper.to_array(init["lm_head.weight"]),
                                      tensors["model.embed_tokens.weight"].astype(np.float32).T)

    def test_awq_linear_without_qzeros_or_scales(self):
        for part in ("qzeros", "scales"):
            folder = self.copy_mimic("no-" + part)
            drop_key(folder, f"thinker.model.layers.1.mlp.up_proj.{part}")
            with self.assertRaisesRegex(omni_export.CheckpointError,
                                        rf"thinker\.model\.layers\.1\.mlp\.up_proj\.{part} missing"):
                export_quiet(folder, os.path.join(self.tmp, f"no-{part}-out"))

    def test_shard_named_by_the_index_but_missing(self):
        folder = self.copy_mimic("missing-shard")
        os.remove(os.path.join(folder, "model-00002-of-00004.safetensors"))
        with self.assertRaisesRegex(omni_export.CheckpointError, r"names model-00002-of-00004\.safetensors, "
                                    r"missing"):
            export_quiet(folder, os.path.join(self.tmp, "missing-shard-out"))

    def test_index_puts_a_key_in_a_shard_without_it(self):
        folder = self.copy_mimic("wrong-shard")
        index_path = os.path.join(folder, omni_export.INDEX_FILE)
        with open(index_path, encoding="utf-8") as f:
            index = json.load(f)
        index["weight_map"]["thinker.model.norm.weight"] = "model-00001-of-00004.safetensors"
        with open(index_path, "w", encoding="utf-8") as f:
            json.dump(index, f)
        with self.assertRaisesRegex(omni_export.CheckpointError, r"thinker\.model\.norm\.weight in "
                                    r"model-00001-of-00004\.safetensors, which does not hold it"):
            export_quiet(folder, os.path.join(self.tmp, "wrong-shard-out"))

    def test_truncated_shard(self):
        folder = self.copy_mimic("truncated")
        path = os.path.join(folder, "model-00003-of-00004.safetensors")
        size = os.path.getsize(path)
        with open(path, "r+b") as f:
            f.truncate(size - 100)
        with self.assertRaisesRegex(omni_export.CheckpointError, r"model-00003-of-00004\.safetensors: tensor .*"
                                    r"\(truncated download\?\)"):
            export_quiet(folder, os.path.join(self.tmp, "truncated-out"))

    def test_bfloat16_tensors_read_exactly(self):
        folder = os.path.join(self.tmp, "bf16")
        os.makedirs(folder)
        values = np.array([1.0, -2.5, 3.140625, 65504.0, 1e-3], np.float32)
        bits = (values.view(np.uint32) >> 16).astype(np.uint16)
        header = json.dumps({"w": {"dtype": "BF16", "shape": [5], "data_offsets": [0, 10]}}).encode()
        with open(os.path.join(folder, "model.safetensors"), "wb") as f:
            f.write(len(header).to_bytes(8, "little") + header + bits.tobytes())
        got = omni_export.Weights(folder).get("w")
        np.testing.assert_array_equal(got, (bits.astype(np.uint32) << 16).view(np.float32))

    # ------------------------------------------------------------------------------------------ 3B proportions

    def test_3b_proportions_tied_embeddings_against_numpy(self):
        """Qwen2.5-Omni-3B's text model has 16 query heads over 2 key-value heads (8 per group; the 7B has 7) and
        may tie lm_head to the embeddings: a small model with those proportions, tied and without lm_head, exported,
        and decoder.onnx's logits checked against a plain numpy forward pass."""
        import onnxruntime as ort

        folder = os.path.join(self.tmp, "3b-shaped")
        os.makedirs(folder)
        for name in ("tokenizer.json", "tokenizer_config.json", "preprocessor_config.json"):
            shutil.copyfile(os.path.join(TINY, "hf", name), os.path.join(folder, name))
        with open(os.path.join(TINY, "hf", "config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        heads, kv, hd, hidden, inter, layers = 16, 2, 16, 256, 512, 2
        text = cfg["text_config"]
        text.update(hidden_size=hidden, num_attention_heads=heads, num_key_value_heads=kv, intermediate_size=inter,
                    num_hidden_layers=layers)
        text.pop("tie_word_embeddings")
        cfg["tie_word_embeddings"] = True
        cfg["audio_config"]["output_dim"] = hidden
        with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        vocab = text["vocab_size"]
        rng = np.random.default_rng(11)

        def rand(*shape, scale=None):
            return (rng.standard_normal(shape) * (scale or 1 / np.sqrt(shape[-1]))).astype(np.float32)

        state = {k: v.astype(np.float32) for k, v in read_tensors(os.path.join(TINY, "hf", "model.safetensors")).items()
                 if k.startswith("audio_tower.")}
        state["audio_tower.proj.weight"], state["audio_tower.proj.bias"] = rand(hidden, 64), rand(hidden, scale=0.1)
        state["model.embed_tokens.weight"] = rand(vocab, hidden, scale=1.0)
        state["model.norm.weight"] = 1 + rand(hidden, scale=0.1)
        for i in range(layers):
            p = f"model.layers.{i}."
            state[p + "input_layernorm.weight"] = 1 + rand(hidden, scale=0.1)
            state[p + "post_attention_layernorm.weight"] = 1 + rand(hidden, scale=0.1)
            for n, out_f, in_f, bias in (("self_attn.q_proj", heads * hd, hidden, True),
                                         ("self_attn.k_proj", kv * hd, hidden, True),
                                         ("self_attn.v_proj", kv * hd, hidden, True),
                                         ("self_attn.o_proj", hidden, heads * hd, False),
                                         ("mlp.gate_proj", inter, hidden, False), ("mlp.up_proj", inter, hidden, False),
                                         ("mlp.down_proj", hidden, inter, False)):
                state[p + n + ".weight"] = rand(out_f, in_f)
                if bias:
                    state[p + n + ".bias"] = rand(out_f, scale=0.1)
        write_tensors(os.path.join(folder, "model.safetensors"), state)
        out = os.path.join(self.tmp, "3b-shaped-out")
        meta = export_quiet(folder, out, "float32", "float32", loop=False)
        self.assertEqual((meta["decoder"]["num_attention_heads"], meta["decoder"]["num_kv_heads"],
                          meta["decoder"]["head_dim"]), (heads, kv, hd))

        ids = rng.integers(0, 900, size=7)
        h = state["model.embed_tokens.weight"][ids]
        t = len(ids)
        inv = 1.0 / (1e6 ** (np.arange(0, hd, 2) / hd))
        ang = np.arange(t)[:, None] * inv[None, :]
        cos, sin = np.cos(np.concatenate([ang, ang], 1)), np.sin(np.concatenate([ang, ang], 1))

        def rms(x, w):
            return x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6) * w

        def rope(x):  # (heads, t, hd)
            return x * cos + np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], -1) * sin

        def lin(x, name):
            y = x @ state[name + ".weight"].T
            return y + state[name + ".bias"] if name + ".bias" in state else y

        h = h.astype(np.float64)
        for i in range(layers):
            p = f"model.layers.{i}."
            x = rms(h, state[p + "input_layernorm.weight"])
            q = rope(lin(x, p + "self_attn.q_proj").reshape(t, heads, hd).transpose(1, 0, 2))
            k = rope(lin(x, p + "self_attn.k_proj").reshape(t, kv, hd).transpose(1, 0, 2))
            v = lin(x, p + "self_attn.v_proj").reshape(t, kv, hd).transpose(1, 0, 2)
            k, v = np.repeat(k, heads // kv, axis=0), np.repeat(v, heads // kv, axis=0)  # head j uses kv j // 8
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + np.triu(np.full((t, t), -np.inf), 1)
            probs = np.exp(scores - scores.max(-1, keepdims=True))
            probs /= probs.sum(-1, keepdims=True)
            h = h + lin((probs @ v).transpose(1, 0, 2).reshape(t, heads * hd), p + "self_attn.o_proj")
            x = rms(h, state[p + "post_attention_layernorm.weight"])
            g = lin(x, p + "mlp.gate_proj")
            h = h + lin(g / (1 + np.exp(-g)) * lin(x, p + "mlp.up_proj"), p + "mlp.down_proj")
        expected = rms(h[-1], state["model.norm.weight"]) @ state["model.embed_tokens.weight"].T  # tied lm_head

        sess = ort.InferenceSession(os.path.join(out, "decoder.onnx"), providers=["CPUExecutionProvider"])
        feeds = {"inputs_embeds": state["model.embed_tokens.weight"][ids][None],
                 "attention_mask": np.ones((1, t), np.int64), "position_ids": np.arange(t, dtype=np.int64)[None]}
        for i in range(layers):
            for kind in ("key", "value"):
                feeds[f"past_key_values.{i}.{kind}"] = np.zeros((1, kv, 0, hd), np.float32)
        logits = sess.run(["logits"], feeds)[0][0, 0]
        self.assertLess(float(np.abs(logits - expected).max()), 1e-3 * (1 + float(np.abs(expected).max())))

    # ------------------------------------------------------------------------------------------ random_full

    def test_random_full_zero_points_vary_seeded(self):
        w = random_full.RandomAwqWeights(seed=3, layers=1)
        p = "model.layers.0.self_attn.k_proj"
        qw, qz, sc = w.get(p + ".qweight"), w.get(p + ".qzeros"), w.get(p + ".scales")
        z = awq.unpack_awq(qz)
        self.assertEqual(sorted(np.unique(z)), list(range(random_full.ZERO_LOW, random_full.ZERO_HIGH + 1)))
        q = awq.unpack_awq(qw).astype(np.int64)
        d = q - np.repeat(z, random_full.GROUP, axis=0)
        self.assertEqual(sorted(np.unique(d)), [-5, -3, -1, 1, 3, 5])
        self.assertEqual((q.min(), q.max()), (0, 15))
        self.assertLess(abs(d.mean()), 0.01)
        np.testing.assert_array_equal(qz, random_full.RandomAwqWeights(seed=3, layers=1).get(p + ".qzeros"))
        self.assertFalse(np.array_equal(qz, random_full.RandomAwqWeights(seed=4, layers=1).get(p + ".qzeros")))
        # unit-variance outputs for unit-variance inputs
        x = np.random.default_rng(0).standard_normal((256, qw.shape[0])).astype(np.float32)
        y = x @ awq.dequantize_awq(qw, qz, np.asarray(sc, np.float32), random_full.GROUP)
        self.assertLess(abs(float(y.std()) - 1.0), 0.1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
