"""ONNX graphs of the Qwen2.5-Omni thinker, built node by node with onnx.helper.

Three graphs (see MODEL_FORMAT.md): audio_encoder, embed_tokens, decoder. Standard ONNX ops (opset 17)
plus com.microsoft MatMulNBits for 4-bit linears. Every builder takes a `Weights` source (omni_export.py) and
an activation dtype F (float32 or float16); norms and softmax run in float32 either way.
"""

import math
import os
from dataclasses import dataclass
from typing import Optional

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
MS_DOMAIN = "com.microsoft"

NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16}


class ExternalData:
    """The weights file of one graph (`<graph>.onnx.data`), written while the graph is built.

    Each initializer of at least `min_bytes` goes to the file as soon as it is made and its TensorProto only points
    at it, so building a graph holds one weight at a time in memory, never all of them. `inline_all` puts the
    bytes back into the protos (for graphs small enough to be one file)."""

    ALIGN = 65536  # large tensors start on a 64 KiB boundary (memory-mappable by ONNX Runtime)

    def __init__(self, path: str, min_bytes: int = 1024):
        self.path = path
        self.location = os.path.basename(path)
        self.min_bytes = min_bytes
        self.size = 0
        self._file = open(path, "wb")

    def tensor(self, name: str, array: np.ndarray) -> onnx.TensorProto:
        t = onnx.TensorProto()
        t.name = name
        t.data_type = helper.np_dtype_to_tensor_dtype(array.dtype)
        t.dims.extend(array.shape)
        if array.nbytes >= self.ALIGN and self.size % self.ALIGN:
            pad = self.ALIGN - self.size % self.ALIGN
            self._file.write(b"\0" * pad)
            self.size += pad
        offset = self.size
        data = np.ascontiguousarray(array)
        if data.dtype.byteorder == ">":
            data = data.astype(data.dtype.newbyteorder("<"))
        data.tofile(self._file)
        self.size += data.nbytes
        t.data_location = onnx.TensorProto.EXTERNAL
        for key, value in (("location", self.location), ("offset", str(offset)), ("length", str(data.nbytes))):
            entry = t.external_data.add()
            entry.key, entry.value = key, value
        return t

    def close(self):
        if not self._file.closed:
            self._file.close()

    def inline_all(self, model: onnx.ModelProto):
        """Reads the model's tensors back from the file into their protos and deletes the file (the graph is then
        self-contained)."""
        self.close()
        with open(self.path, "rb") as f:
            for t in model.graph.initializer:
                if t.data_location != onnx.TensorProto.EXTERNAL:
                    continue
                meta = {e.key: e.value for e in t.external_data}
                f.seek(int(meta["offset"]))
                t.raw_data = f.read(int(meta["length"]))
                t.ClearField("external_data")
                t.ClearField("data_location")
        os.remove(self.path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Graph:
    """A small helper that collects nodes, initializers, inputs and outputs.

    With `data` (ExternalData), initializers of data.min_bytes or more are written to its file as they are made."""

    def __init__(self, name: str, dtype, data: ExternalData = None):
        self.name = name
        self.data = data
        self.np_dtype = np.dtype(dtype)
        self.onnx_dtype = NP_TO_ONNX[self.np_dtype]
        self.nodes = []
        self.initializers = []
        self.inputs = []
        self.outputs = []
        self._names = set()
        self._counter = 0
        self.uses_ms_domain = False

    def fresh(self, base: str) -> str:
        self._counter += 1
        return f"{base}_{self._counter}"

    def input(self, name, elem_type, shape):
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def output(self, name, elem_type, shape):
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def const(self, name: str, array: np.ndarray) -> str:
        if name in self._names:
            raise ValueError(f"duplicate initializer {name}")
        self._names.add(name)
        array = np.ascontiguousarray(array)
        if self.data is not None and array.nbytes >= self.data.min_bytes:
            self.initializers.append(self.data.tensor(name, array))
        else:
            self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def weight(self, name: str, array: np.ndarray) -> str:
        """An initializer in the activation dtype."""
        a = np.asarray(array)
        if a.dtype != self.np_dtype:  # float16 stays as is; anything else rounds through float32
            a = np.asarray(a, dtype=np.float32).astype(self.np_dtype)
        return self.const(name, a)

    def op(self, op_type, inputs, name=None, outputs=1, domain=None, **attrs):
        base = name or op_type
        if isinstance(outputs, int):
            outs = [self.fresh(base) for _ in range(outputs)]
        else:
            outs = list(outputs)
        node_name = self.fresh("n_" + base)
        kwargs = {"domain": domain} if domain else {}
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=node_name, **kwargs, **attrs))
        if domain == MS_DOMAIN:
            self.uses_ms_domain = True
        return outs[0] if len(outs) == 1 else outs

    def i64(self, values, name=None) -> str:
        return self.const(name or self.fresh("c_i64"), np.asarray(values, dtype=np.int64))

    def f32(self, values, name=None) -> str:
        return self.const(name or self.fresh("c_f32"), np.asarray(values, dtype=np.float32))

    def fdt(self, values, name=None) -> str:
        return self.const(name or self.fresh("c_f"), np.asarray(values, dtype=self.np_dtype))

    def to_f32(self, x):
        return x if self.np_dtype == np.float32 else self.op("Cast", [x], to=TensorProto.FLOAT)

    def to_f(self, x):
        return x if self.np_dtype == np.float32 else self.op("Cast", [x], to=self.onnx_dtype)

    def model(self) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.initializers)
        opsets = [helper.make_opsetid("", OPSET)]
        if self.uses_ms_domain:
            opsets.append(helper.make_opsetid(MS_DOMAIN, 1))
        m = helper.make_model(graph, opset_imports=opsets, producer_name="omniscribe-export")
        m.ir_version = 9
        return m


# ----------------------------------------------------------------------------------------------- common pieces


def transposed(a, rows: int = 64) -> np.ndarray:
    """a.T as a C-contiguous copy, made in strips of `rows` rows (a plain strided copy of a vocabulary-sized matrix
    is several times slower)."""
    a = np.asarray(a)
    if a.ndim != 2 or a.T.flags.c_contiguous:
        return np.ascontiguousarray(a.T)
    out = np.empty((a.shape[1], a.shape[0]), a.dtype)
    for i in range(0, a.shape[0], rows):
        out[:, i:i + rows] = a[i:i + rows].T
    return out


@dataclass(eq=False)
class NBits:
    """The 4-bit weights of one linear in MatMulNBits layout (bits 4; awq.py describes it)."""

    b: np.ndarray  # uint8 (N, K/block, block/2)
    scales: np.ndarray  # float32 (N*K/block)
    zero_points: np.ndarray  # uint8 (N * ceil(K/block / 2))
    block_size: int


@dataclass(eq=False)
class Linear:
    """One linear layer y = x @ W^T + b in either dense or 4-bit form.

    dense:  weight float32 (out, in)
    int4:   nbits
    """

    out_features: int
    in_features: int
    weight: Optional[np.ndarray] = None
    bias: Optional[np.ndarray] = None
    nbits: Optional[NBits] = None


def linear(g: Graph, x: str, lin: Linear, name: str) -> str:
    if lin.nbits is not None:
        q = lin.nbits
        inputs = [x, g.const(name + ".qweight", q.b), g.const(name + ".scales", q.scales.astype(g.np_dtype)),
                  g.const(name + ".qzeros", q.zero_points)]
        y = g.op("MatMulNBits", inputs, name=name, domain=MS_DOMAIN, K=lin.in_features, N=lin.out_features,
                 bits=4, block_size=q.block_size, accuracy_level=0)
    else:
        w_t = transposed(lin.weight)  # (in, out)
        y = g.op("MatMul", [x, g.weight(name + ".weight", w_t)], name=name)
    if lin.bias is not None:
        y = g.op("Add", [y, g.weight(name + ".bias", lin.bias)], name=name + "_bias")
    return y


def rms_norm(g: Graph, x: str, weight: np.ndarray, eps: float, name: str) -> str:
    """Qwen2 RMSNorm: the statistics in float32, then weight * normalized (in F)."""
    x32 = g.to_f32(x)
    var = g.op("ReduceMean", [g.op("Mul", [x32, x32])], axes=[-1], keepdims=1, name=name + "_var")
    inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [var, g.f32(eps)])])])
    normed = g.to_f(g.op("Mul", [x32, inv]))
    return g.op("Mul", [normed, g.weight(name + ".weight", weight)], name=name)


def layer_norm(g: Graph, x: str, weight, bias, eps: float, name: str) -> str:
    return g.op("LayerNormalization", [x, g.weight(name + ".weight", weight), g.weight(name + ".bias", bias)],
                axis=-1, epsilon=eps, name=name)


def gelu(g: Graph, x: str) -> str:
    """Exact (erf) GELU, as torch.nn.functional.gelu."""
    inner = g.op("Erf", [g.op("Mul", [x, g.fdt(1.0 / math.sqrt(2.0))])])
    return g.op("Mul", [g.op("Mul", [x, g.fdt(0.5)]), g.op("Add", [inner, g.fdt(1.0)])])


def softmax_f32(g: Graph, scores: str, bias: str) -> str:
    """softmax(scores + bias) over the last axis, in float32, result in F."""
    return g.to_f(g.op("Softmax", [g.op("Add", [g.to_f32(scores), bias])], axis=-1))


# ----------------------------------------------------------------------------------------------- embed_tokens


def build_embed_tokens(table: np.ndarray, dtype, data: ExternalData = None) -> onnx.ModelProto:
    g = Graph("embed_tokens", dtype, data)
    g.input("input_ids", TensorProto.INT64, ["batch", "seq"])
    out = g.op("Gather", [g.weight("embed_tokens.weight", table), "input_ids"], outputs=["inputs_embeds"], axis=0)
    g.output(out, g.onnx_dtype, ["batch", "seq", table.shape[1]])
    return g.model()


# ----------------------------------------------------------------------------------------------- decoder


@dataclass(frozen=True)
class DecoderConfig:
    num_layers: int
    hidden_size: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    vocab_size: int
    rms_norm_eps: float
    rope_theta: float


def rope_inv_freq(head_dim: int, theta: float) -> np.ndarray:
    """inv_freq exactly as transformers computes it (torch float32 arithmetic)."""
    import torch

    return (1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))).numpy()


def rotate(g: Graph, x: str, cos: str, sin: str, half: int) -> str:
    """x * cos + rotate_half(x) * sin, rotate_half(x) = concat(-x2, x1) over the last axis."""
    x1, x2 = g.op("Split", [x, g.i64([half, half])], axis=-1, outputs=2)
    rotated = g.op("Concat", [g.op("Neg", [x2]), x1], axis=-1)
    return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [rotated, sin])])


def decoder_step(g: Graph, cfg: DecoderConfig, weights, inputs_embeds: str, attention_mask: str, position_ids: str,
                 past: list, linear_of) -> tuple:
    """One decoder forward over `seq` new tokens with a KV cache.

    Kept free of graph inputs/outputs so that the same body can later sit inside an ONNX Loop.
    inputs_embeds (batch, seq, hidden) F; attention_mask (batch, past+seq) int64; position_ids (batch, seq) int64;
    past: [(key, value)] per layer, each (batch, kv_heads, past, head_dim) F.
    Returns (logits (batch, 1, vocab) float32 of the last position, [(present_key, present_value)]).
    """
    nh, nkv, hd = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
    groups = nh // nkv

    # Rotary embedding. Qwen2.5-Omni uses M-RoPE with three position axes (temporal, height, width); for text and
    # audio input transformers' get_rope_index gives all three axes the same value (the audio/text branch is
    # cumsum(attention_mask) - 1 broadcast to 3 axes, and audio tokens in the multimodal branch are a plain arange),
    # so the mrope_section recomposition selects identical frequencies and this is ordinary 1-D RoPE.
    inv_freq = g.f32(rope_inv_freq(hd, cfg.rope_theta).reshape(1, 1, -1), name="rope.inv_freq")
    pos = g.op("Unsqueeze", [g.op("Cast", [position_ids], to=TensorProto.FLOAT), g.i64([-1])])
    freqs = g.op("Mul", [pos, inv_freq])  # (batch, seq, hd/2)
    emb = g.op("Concat", [freqs, freqs], axis=-1)  # (batch, seq, hd)
    cos = g.to_f(g.op("Unsqueeze", [g.op("Cos", [emb]), g.i64([1])]))  # (batch, 1, seq, hd)
    sin = g.to_f(g.op("Unsqueeze", [g.op("Sin", [emb]), g.i64([1])]))

    # Attention bias (batch, 1, 1, seq, total): key j is visible to new token i when j <= past_len + i and
    # attention_mask[b, j] == 1. Masked scores get a large negative number (not -inf), so a row of only padding
    # stays finite and never poisons the cache.
    mask_shape = g.op("Shape", [attention_mask])
    total = g.op("Gather", [mask_shape, g.i64(1)], axis=0)
    seq = g.op("Gather", [g.op("Shape", [inputs_embeds]), g.i64(1)], axis=0)
    past_len = g.op("Sub", [total, seq])
    key_idx = g.op("Range", [g.i64(0), total, g.i64(1)])  # (total)
    query_idx = g.op("Unsqueeze", [g.op("Range", [past_len, total, g.i64(1)]), g.i64([1])])  # (seq, 1)
    causal = g.op("LessOrEqual", [key_idx, query_idx])  # (seq, total)
    padding = g.op("Cast", [g.op("Unsqueeze", [attention_mask, g.i64([1, 2, 3])])], to=TensorProto.BOOL)
    visible = g.op("And", [causal, padding])  # (batch, 1, 1, seq, total)
    attn_bias = g.op("Where", [visible, g.f32(0.0), g.f32(np.finfo(np.float32).min)], name="attn_bias")

    scale = g.fdt(1.0 / math.sqrt(hd))
    hidden_states = inputs_embeds
    presents = []
    for i in range(cfg.num_layers):
        p = f"model.layers.{i}"
        residual = hidden_states
        x = rms_norm(g, hidden_states, weights.get(p + ".input_layernorm.weight"), cfg.rms_norm_eps,
                     p + ".input_layernorm")
        q = linear(g, x, linear_of(p + ".self_attn.q_proj"), p + ".self_attn.q_proj")
        k = linear(g, x, linear_of(p + ".self_attn.k_proj"), p + ".self_attn.k_proj")
        v = linear(g, x, linear_of(p + ".self_attn.v_proj"), p + ".self_attn.v_proj")
        q = g.op("Transpose", [g.op("Reshape", [q, g.i64([0, 0, nh, hd])])], perm=[0, 2, 1, 3])  # (b, nh, s, hd)
        k = g.op("Transpose", [g.op("Reshape", [k, g.i64([0, 0, nkv, hd])])], perm=[0, 2, 1, 3])  # (b, nkv, s, hd)
        v = g.op("Transpose", [g.op("Reshape", [v, g.i64([0, 0, nkv, hd])])], perm=[0, 2, 1, 3])
        q = rotate(g, q, cos, sin, hd // 2)
        k = rotate(g, k, cos, sin, hd // 2)
        past_k, past_v = past[i]
        present_k = g.op("Concat", [past_k, k], axis=2, outputs=[f"present.{i}.key"])  # (b, nkv, total, hd)
        present_v = g.op("Concat", [past_v, v], axis=2, outputs=[f"present.{i}.value"])
        presents.append((present_k, present_v))

        # Grouped-query attention without copying the cache: the query heads of one kv head form one group,
        # q (b, nh, s, hd) -> (b, nkv, groups*s, hd).
        qg = g.op("Reshape", [q, g.i64([0, nkv, -1, hd])])
        scores = g.op("MatMul", [g.op("Mul", [qg, scale]),
                                 g.op("Transpose", [present_k], perm=[0, 1, 3, 2])])  # (b, nkv, groups*s, total)
        scores = g.op("Reshape", [scores, g.op("Concat", [g.i64([0, nkv, groups]), seq, total], axis=0)])
        probs = softmax_f32(g, scores, attn_bias)  # (b, nkv, groups, s, total)
        probs = g.op("Reshape", [probs, g.op("Concat", [g.i64([0, nkv, -1]), total], axis=0)])
        ctx = g.op("MatMul", [probs, present_v])  # (b, nkv, groups*s, hd)
        ctx = g.op("Reshape", [ctx, g.op("Concat", [g.i64([0, nh]), seq, g.i64([hd])], axis=0)])  # (b, nh, s, hd)
        ctx = g.op("Reshape", [g.op("Transpose", [ctx], perm=[0, 2, 1, 3]), g.i64([0, 0, nh * hd])])
        attn_out = linear(g, ctx, linear_of(p + ".self_attn.o_proj"), p + ".self_attn.o_proj")
        hidden_states = g.op("Add", [residual, attn_out])

        residual = hidden_states
        x = rms_norm(g, hidden_states, weights.get(p + ".post_attention_layernorm.weight"), cfg.rms_norm_eps,
                     p + ".post_attention_layernorm")
        gate = linear(g, x, linear_of(p + ".mlp.gate_proj"), p + ".mlp.gate_proj")
        up = linear(g, x, linear_of(p + ".mlp.up_proj"), p + ".mlp.up_proj")
        act = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up])  # SiLU(gate) * up
        down = linear(g, act, linear_of(p + ".mlp.down_proj"), p + ".mlp.down_proj")
        hidden_states = g.op("Add", [residual, down])

    # Only the last position is needed for generation: norm + lm_head on (batch, 1, hidden).
    last = g.op("Slice", [hidden_states, g.i64([-1]), g.i64([np.iinfo(np.int64).max]), g.i64([1])])
    last = rms_norm(g, last, weights.get("model.norm.weight"), cfg.rms_norm_eps, "model.norm")
    logits = linear(g, last, linear_of("lm_head"), "lm_head")
    logits = g.op("Cast", [logits], to=TensorProto.FLOAT, outputs=["logits"])
    return logits, presents


def build_decoder(cfg: DecoderConfig, weights, linear_of, dtype, data: ExternalData = None) -> onnx.ModelProto:
    g = Graph("decoder", dtype, data)
    g.input("inputs_embeds", g.onnx_dtype, ["batch", "seq", cfg.hidden_size])
    g.input("attention_mask", TensorProto.INT64, ["batch", "total"])
    g.input("position_ids", TensorProto.INT64, ["batch", "seq"])
    past = []
    for i in range(cfg.num_layers):
        k = g.input(f"past_key_values.{i}.key", g.onnx_dtype, ["batch", cfg.num_kv_heads, "past", cfg.head_dim])
        v = g.input(f"past_key_values.{i}.value", g.onnx_dtype, ["batch", cfg.num_kv_heads, "past", cfg.head_dim])
        past.append((k, v))
    logits, presents = decoder_step(g, cfg, weights, "inputs_embeds", "attention_mask", "position_ids", past,
                                    linear_of)
    g.output(logits, TensorProto.FLOAT, ["batch", 1, cfg.vocab_size])
    for i, (k, v) in enumerate(presents):
        g.output(k, g.onnx_dtype, ["batch", cfg.num_kv_heads, "total", cfg.head_dim])
        g.output(v, g.onnx_dtype, ["batch", cfg.num_kv_heads, "total", cfg.head_dim])
    return g.model()


# ----------------------------------------------------------------------------------------------- audio encoder


@dataclass(frozen=True)
class AudioConfig:
    num_mel_bins: int
    d_model: int
    layers: int
    heads: int
    n_window: int
    output_dim: int
    max_source_positions: int

    @property
    def chunk_frames(self):
        return 2 * self.n_window


def sinusoids(length: int, channels: int, max_timescale: float = 10000.0) -> np.ndarray:
    """The audio tower's fixed positional embedding, computed as transformers does (torch float32)."""
    import torch

    log_inc = np.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-log_inc * torch.arange(channels // 2).float())
    scaled = torch.arange(length)[:, None] * inv[None, :]
    return torch.cat([torch.sin(scaled), torch.cos(scaled)], dim=1).numpy()


def build_audio_encoder(cfg: AudioConfig, weights, dtype, data: ExternalData = None) -> onnx.ModelProto:
    """Qwen2.5-Omni audio tower over a batch of independent 2-second chunks.

    transformers runs all chunks of an audio as one packed sequence with block-diagonal attention (cu_seqlens, one
    block per chunk), drops padded frames, then average-pools pairs of the packed sequence. A full chunk gives an
    even number (n_window) of frames after the stride-2 conv, so no pooled pair crosses a chunk boundary and each
    chunk can be computed alone: here one batch row per chunk with a key padding mask for the partial last chunk.
    """
    g = Graph("audio_encoder", dtype, data)
    g.input("input_features", g.onnx_dtype, ["chunks", cfg.num_mel_bins, cfg.chunk_frames])
    g.input("feature_lens", TensorProto.INT64, ["chunks"])
    out = g.op("Identity", [audio_tower(g, cfg, weights, "input_features", "feature_lens")], outputs=["audio_embeds"])
    g.output(out, g.onnx_dtype, ["chunks", cfg.n_window // 2, cfg.output_dim])
    return g.model()


def audio_tower(g: Graph, cfg: AudioConfig, weights, features: str, feature_lens: str) -> str:
    """The audio tower's nodes in `g`: features (chunks, n_mels, chunk_frames) F and feature_lens (chunks) int64 ->
    (chunks, tokens_per_chunk, output_dim) F (build_audio_encoder; generate.onnx holds it too)."""
    frames = cfg.chunk_frames
    after_conv = cfg.n_window  # frames after the stride-2 conv for a full chunk
    tokens = after_conv // 2
    d, nh = cfg.d_model, cfg.heads
    hd = d // nh

    # Frame mask (chunks, 1, frames): what lies past feature_lens is treated as zero whatever the caller put there.
    lens = g.op("Unsqueeze", [feature_lens, g.i64([1])])  # (chunks, 1)
    frame_mask = g.op("Unsqueeze", [g.op("Less", [g.i64(np.arange(frames)), lens]), g.i64([1])])
    frame_mask_f = g.op("Cast", [frame_mask], to=g.onnx_dtype)
    x = g.op("Mul", [features, frame_mask_f])

    # conv1 (k3, pad 1) + GELU, masked as transformers masks it; conv2 (k3, stride 2, pad 1) + GELU.
    x = g.op("Conv", [x, g.weight("conv1.weight", weights.get("audio_tower.conv1.weight")),
                      g.weight("conv1.bias", weights.get("audio_tower.conv1.bias"))], kernel_shape=[3], pads=[1, 1])
    x = g.op("Mul", [gelu(g, x), frame_mask_f])
    x = g.op("Conv", [x, g.weight("conv2.weight", weights.get("audio_tower.conv2.weight")),
                      g.weight("conv2.bias", weights.get("audio_tower.conv2.bias"))], kernel_shape=[3], pads=[1, 1],
             strides=[2])
    x = g.op("Transpose", [gelu(g, x)], perm=[0, 2, 1])  # (chunks, after_conv, d)
    x = g.op("Add", [x, g.weight("positional_embedding", sinusoids(cfg.max_source_positions, d)[:after_conv])])

    # Key mask: (len - 1) // 2 + 1 valid positions after the stride-2 conv.
    valid = g.op("Add", [g.op("Div", [g.op("Sub", [lens, g.i64(1)]), g.i64(2)]), g.i64(1)])  # (chunks, 1)
    key_ok = g.op("Less", [g.i64(np.arange(after_conv)), valid])  # (chunks, after_conv)
    key_ok = g.op("Unsqueeze", [key_ok, g.i64([1, 2])])  # (chunks, 1, 1, after_conv)
    attn_bias = g.op("Where", [key_ok, g.f32(0.0), g.f32(np.finfo(np.float32).min)])

    scale = g.fdt(hd ** -0.5)
    for i in range(cfg.layers):
        p = f"audio_tower.layers.{i}"
        residual = x
        h = layer_norm(g, x, weights.get(p + ".self_attn_layer_norm.weight"),
                       weights.get(p + ".self_attn_layer_norm.bias"), 1e-5, p + ".self_attn_layer_norm")

        def heads(t):
            return g.op("Transpose", [g.op("Reshape", [t, g.i64([0, 0, nh, hd])])], perm=[0, 2, 1, 3])

        q = heads(linear(g, h, dense(weights, p + ".self_attn.q_proj"), p + ".self_attn.q_proj"))
        k = heads(linear(g, h, dense(weights, p + ".self_attn.k_proj"), p + ".self_attn.k_proj"))
        v = heads(linear(g, h, dense(weights, p + ".self_attn.v_proj"), p + ".self_attn.v_proj"))
        scores = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
        probs = softmax_f32(g, g.op("Mul", [scores, scale]), attn_bias)
        ctx = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3]),
                               g.i64([0, 0, d])])
        x = g.op("Add", [residual, linear(g, ctx, dense(weights, p + ".self_attn.out_proj"),
                                          p + ".self_attn.out_proj")])
        residual = x
        h = layer_norm(g, x, weights.get(p + ".final_layer_norm.weight"), weights.get(p + ".final_layer_norm.bias"),
                       1e-5, p + ".final_layer_norm")
        h = gelu(g, linear(g, h, dense(weights, p + ".fc1"), p + ".fc1"))
        x = g.op("Add", [residual, linear(g, h, dense(weights, p + ".fc2"), p + ".fc2")])

    # Average pool pairs (never across chunks), ln_post, proj.
    x = g.op("ReduceMean", [g.op("Reshape", [x, g.i64([0, tokens, 2, d])])], axes=[2], keepdims=0)
    x = layer_norm(g, x, weights.get("audio_tower.ln_post.weight"), weights.get("audio_tower.ln_post.bias"), 1e-5,
                   "audio_tower.ln_post")
    return linear(g, x, dense(weights, "audio_tower.proj"), "audio_tower.proj")


def dense(weights, prefix: str) -> Linear:
    w = weights.get(prefix + ".weight")
    b = weights.get(prefix + ".bias") if weights.has(prefix + ".bias") else None
    return Linear(w.shape[0], w.shape[1], weight=w, bias=b)
