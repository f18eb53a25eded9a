"""generate.onnx: prefill + the whole generation loop in one graph (ONNX Loop around a fused decoder step).

One `run` per batch, whatever the number of generated tokens: mel chunks in, token ids out. The audio encoder,
the prompt embeddings (the table's rows with the audio spliced in) and the KV cache never leave the device.

  inputs   input_features (chunks, n_mels, frames) F  log-mel features of every row's 2 s chunks (the audio
           feature_lens (chunks) int64                 encoder's inputs, MODEL_FORMAT.md), valid frames per chunk
           audio_index (batch, audio) int64            row b's j-th audio placeholder takes the audio encoder's
                                                       output row audio_index[b, j] of (chunks * tokens_per_chunk)
                                                       (padding entries: any valid index)
           input_ids (batch, seq) int64                prompt ids, left padded; the placeholders take audio, the
                                                       rest the embedding table's rows (repetition penalty presence:
                                                       padding ignored)
           attention_mask (batch, seq) int64           1 = real token, 0 = left padding
           position_ids (batch, seq) int64             cumsum(mask) - 1 (any value on padding)
           max_new_tokens (batch) int64                per-row token budget, >= 1
           temperature (batch) float32                 0 = argmax, else a draw from softmax(logits / T) over the
                                                       50 most likely ids (transformers' default top_k)
           repetition_penalty (batch) float32          1 = off
           eos_ids (n_eos) int64                       stop ids (a row stops after emitting one)
           uniform (batch, steps) float32              one uniform [0, 1) draw per row and step (from the request's
                                                       seed: same seed, same tokens); steps >= max(max_new_tokens)
  output   tokens (batch, steps) int64                 steps = the largest budget, or fewer when every row stopped
                                                       earlier; a row's ids end with its stop id, then pad

Per step (transformers' semantics, as the Java step loop): penalty over prompt and generated ids
(score < 0 ? score * p : score / p), then argmax or sampling, then stop check. A finished row emits and feeds
the pad id. Sampling is inverse-CDF with the caller's uniform draws, so a request's seed fixes its tokens.

Written for ONNX Runtime's CUDA provider, from a GPU timeline of the loop (CUPTI, tools/gpu-trace):
- ORT applies no graph fusions inside a Loop body, so the body is written fused: SimplifiedLayerNormalization
  and SkipSimplifiedLayerNormalization for RMSNorm + residual, one q/k/v matmul, com.microsoft RotaryEmbedding,
  FusedMatMul for scaled scores, QuickGelu(alpha=1) for SiLU, MatMulNBits for int4 weights. The prefill before the
  loop uses the same builder (outer graph; ORT may fuse further there).
- The KV cache is a buffer of prompt + budget positions, written with ScatterElements and attended through a
  bias that hides the positions not written yet: ORT's CUDA Concat copies index tables from the host on every
  call, and 57 of them a step left the GPU idle ~1.2 ms a step at batch 1.
- No value of the body goes to the host: ArgMax over int32 has no CUDA kernel (ORT ran it on the CPU, a wait for
  the GPU every step), cuDNN's ArgMax over the vocabulary took 12 ms at batch 32, and a one-pass TopK over it
  0.8 ms; the argmax is the first of a two-pass top-k.
- One decode step per Loop iteration. ORT reads the condition on the host after each iteration (a wait for the
  GPU) and spends ~0.3 ms of host time between iterations, yet a body of 8 steps measured no faster once nothing
  else in the body waited for the GPU (BENCHMARKS.md), and it computed up to 7 steps past a stop or a budget.
"""

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import graphs
from graphs import MS_DOMAIN, Graph

F32, I64, BOOL = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
TOP_K = 50  # sampling considers the 50 most likely ids, as transformers' default generation config
TOPK_GROUP = 1024  # ids per group in the first pass of the two-pass top-k (top_k), for large vocabularies


class Body(Graph):
    """A Loop body: its own nodes, inputs and outputs; constants become initializers of the outer graph."""

    def __init__(self, name, outer: Graph):
        super().__init__(name, outer.np_dtype)
        self.outer = outer

    def fresh(self, base):
        return self.outer.fresh(base)

    def const(self, name, array):
        return self.outer.const(name, array)

    def op(self, *args, **kwargs):
        out = super().op(*args, **kwargs)
        self.outer.uses_ms_domain |= self.uses_ms_domain
        return out

    def outer_initializers(self):
        return self.outer.initializers

    def graph(self):
        return helper.make_graph(self.nodes, self.name, self.inputs, self.outputs)


@dataclass
class ConstLinear:
    """The initializer names of one linear (const_linear); `apply_linear` builds its nodes in any (sub)graph.
    4-bit: qweight, scales, zero_points and block_size set (MatMulNBits); dense: weight (in, out) set."""

    in_features: int
    out_features: int
    weight: Optional[str] = None
    qweight: Optional[str] = None
    scales: Optional[str] = None
    zero_points: Optional[str] = None
    block_size: Optional[int] = None
    bias: Optional[str] = None


@dataclass(frozen=True)
class FusedLayer:
    """One decoder layer's initializers in the fused step."""

    ln1: str  # input_layernorm weight
    ln2: str  # post_attention_layernorm weight
    qkv: ConstLinear  # q, k and v projections in one
    o: ConstLinear
    gate: ConstLinear
    up: ConstLinear
    down: ConstLinear


@dataclass
class LoopState:
    """One loop-carried value of the generation loop: its name base, element type and shape."""

    name: str
    elem_type: int
    shape: list


class FusedWeights:
    """Initializers of the fused step, made once in the outer graph and shared by prefill and loop body."""

    def __init__(self, g: Graph, cfg: graphs.DecoderConfig, weights, linear_of):
        self.cfg = cfg
        self.embed = g.weight("embed_tokens.weight", weights.get("model.embed_tokens.weight"))  # (vocab, hidden) F
        self.layers = []
        for i in range(cfg.num_layers):
            p = f"model.layers.{i}"
            qkv = concat_linears([linear_of(p + ".self_attn." + n) for n in ("q_proj", "k_proj", "v_proj")])
            self.layers.append(FusedLayer(  # arguments in initializer order
                ln1=g.weight(p + ".input_layernorm.weight", weights.get(p + ".input_layernorm.weight")),
                ln2=g.weight(p + ".post_attention_layernorm.weight",
                             weights.get(p + ".post_attention_layernorm.weight")),
                qkv=const_linear(g, qkv, p + ".self_attn.qkv_proj"),
                o=const_linear(g, linear_of(p + ".self_attn.o_proj"), p + ".self_attn.o_proj"),
                gate=const_linear(g, linear_of(p + ".mlp.gate_proj"), p + ".mlp.gate_proj"),
                up=const_linear(g, linear_of(p + ".mlp.up_proj"), p + ".mlp.up_proj"),
                down=const_linear(g, linear_of(p + ".mlp.down_proj"), p + ".mlp.down_proj"),
            ))
        self.norm = g.weight("model.norm.weight", weights.get("model.norm.weight"))
        self.lm_head = const_linear(g, linear_of("lm_head"), "lm_head")


def concat_linears(parts):
    """q, k, v linears of the same input -> one linear whose output is their concatenation."""
    k = parts[0].in_features
    n = sum(p.out_features for p in parts)
    biases = [p.bias if p.bias is not None else np.zeros(p.out_features, np.float32) for p in parts]
    bias = np.concatenate([np.asarray(b, np.float32) for b in biases]) if any(
        p.bias is not None for p in parts) else None
    if parts[0].nbits is not None:
        block = parts[0].nbits.block_size
        if any(p.nbits is None or p.nbits.block_size != block for p in parts):
            raise ValueError("q/k/v must share one quantization")
        b = np.concatenate([p.nbits.b for p in parts], axis=0)  # (N, K/block, block/2), rows = outputs
        s = np.concatenate([p.nbits.scales for p in parts])  # n-major
        z = np.concatenate([p.nbits.zero_points for p in parts])  # n-major
        return graphs.Linear(n, k, bias=bias, nbits=graphs.NBits(b, s, z, block))
    w = np.concatenate([np.asarray(p.weight) for p in parts], axis=0)  # (out, in)
    return graphs.Linear(n, k, weight=w, bias=bias)


def const_linear(g: Graph, lin: graphs.Linear, name: str) -> ConstLinear:
    """Initializers of one linear; `apply_linear` builds its nodes in any (sub)graph."""
    if lin.nbits is not None:
        q = lin.nbits
        c = ConstLinear(lin.in_features, lin.out_features, qweight=g.const(name + ".qweight", q.b),
                        scales=g.const(name + ".scales", q.scales.astype(g.np_dtype)),
                        zero_points=g.const(name + ".qzeros", q.zero_points), block_size=q.block_size)
    else:
        c = ConstLinear(lin.in_features, lin.out_features,
                        weight=g.weight(name + ".weight", graphs.transposed(lin.weight)))
    if lin.bias is not None:
        c.bias = g.weight(name + ".bias", lin.bias)
    return c


def apply_linear(g: Graph, x: str, c: ConstLinear, name: str) -> str:
    if c.qweight is not None:
        y = g.op("MatMulNBits", [x, c.qweight, c.scales, c.zero_points], name=name, domain=MS_DOMAIN,
                 K=c.in_features, N=c.out_features, bits=4, block_size=c.block_size, accuracy_level=0)
    else:
        y = g.op("MatMul", [x, c.weight], name=name)
    if c.bias is not None:
        y = g.op("Add", [y, c.bias], name=name + "_bias")
    return y


def scalar(g: Graph, value: int) -> str:
    """A 0-d int64 initializer (Graph.i64 makes 1-d ones)."""
    name = g.fresh("c_scalar")
    owner = g.outer if isinstance(g, Body) else g
    owner.initializers.append(numpy_helper.from_array(np.array(value, dtype=np.int64), name))
    return name


def fused_step(g: Graph, fw: FusedWeights, x: str, positions: str, bias: str, cos: str, sin: str, past, single: bool,
               kv_index: str = None):
    """Decoder forward over new tokens with a KV cache, written with fused ops.

    x (batch, seq, hidden) F embeddings; positions (batch, seq) int64; bias: additive attention bias,
    (batch, 1, 1, seq, total) float32 when not single, (batch, 1, 1, total) F when single (seq == 1);
    cos/sin (max_pos, head_dim/2) F; past [(k, v)] (batch, kv_heads, past, head_dim) F.
    kv_index (single only): (batch, kv_heads, 1, head_dim) int64, every entry the position to write: the new
    key/value go into `past` there (ScatterElements; `past` is a fixed-size buffer, `total` its length) instead
    of being appended (Concat: its CUDA kernel copies index tables from the host every call, which stalls the
    GPU at batch 1, and the cache's size changes every step).
    Returns (logits (batch, vocab) float32 of the last position, presents).
    """
    cfg = fw.cfg
    nh, nkv, hd = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
    groups = nh // nkv
    eps = cfg.rms_norm_eps
    h = g.op("SimplifiedLayerNormalization", [x, fw.layers[0].ln1], axis=-1, epsilon=eps,
             stash_type=1, name="ln1")
    presents = []
    if not single:
        seq = g.op("Gather", [g.op("Shape", [x]), g.i64(1)], axis=0)
        total = g.op("Gather", [g.op("Shape", [bias]), g.i64(4)], axis=0)
    for i, w in enumerate(fw.layers):
        qkv = apply_linear(g, h, w.qkv, f"l{i}.qkv")  # (batch, seq, (nh + 2 nkv) hd)
        q, k, v = g.op("Split", [qkv, g.i64([nh * hd, nkv * hd, nkv * hd])], axis=-1, outputs=3)
        q = g.op("RotaryEmbedding", [q, positions, cos, sin], domain=MS_DOMAIN, num_heads=nh, interleaved=0)
        k = g.op("RotaryEmbedding", [k, positions, cos, sin], domain=MS_DOMAIN, num_heads=nkv, interleaved=0)
        if single:
            # seq == 1: (batch, 1, heads*hd) is already (batch, heads, 1, hd) in memory; the query heads of one kv
            # head form one group: (batch, nkv, groups, hd)
            qg = g.op("Reshape", [q, g.i64([0, nkv, groups, hd])])
            k = g.op("Reshape", [k, g.i64([0, nkv, 1, hd])])
            v = g.op("Reshape", [v, g.i64([0, nkv, 1, hd])])
        else:
            q = g.op("Transpose", [g.op("Reshape", [q, g.i64([0, 0, nh, hd])])], perm=[0, 2, 1, 3])
            qg = g.op("Reshape", [q, g.i64([0, nkv, -1, hd])])  # (b, nkv, groups*s, hd)
            k = g.op("Transpose", [g.op("Reshape", [k, g.i64([0, 0, nkv, hd])])], perm=[0, 2, 1, 3])
            v = g.op("Transpose", [g.op("Reshape", [v, g.i64([0, 0, nkv, hd])])], perm=[0, 2, 1, 3])
        pk, pv = past[i]
        if kv_index is None:
            present_k = g.op("Concat", [pk, k], axis=2, name=f"present.{i}.key")  # (b, nkv, total, hd)
            present_v = g.op("Concat", [pv, v], axis=2, name=f"present.{i}.value")
        else:
            present_k = g.op("ScatterElements", [pk, kv_index, k], axis=2, name=f"present.{i}.key")
            present_v = g.op("ScatterElements", [pv, kv_index, v], axis=2, name=f"present.{i}.value")
        presents.append((present_k, present_v))
        scores = g.op("FusedMatMul", [qg, present_k], domain=MS_DOMAIN, transA=0, transB=1,
                      alpha=1.0 / math.sqrt(hd))  # (b, nkv, groups*s, total)
        if single:
            probs = g.op("Softmax", [g.op("Add", [scores, bias])], axis=-1)  # (b, nkv, groups, total)
            ctx = g.op("MatMul", [probs, present_v])  # (b, nkv, groups, hd)
            ctx = g.op("Reshape", [ctx, g.i64([0, 1, nh * hd])])
        else:
            scores = g.op("Reshape", [scores, g.op("Concat", [g.i64([0, nkv, groups]), seq, total], axis=0)])
            probs = graphs.softmax_f32(g, scores, bias)  # (b, nkv, groups, s, total)
            probs = g.op("Reshape", [probs, g.op("Concat", [g.i64([0, nkv, -1]), total], axis=0)])
            ctx = g.op("MatMul", [probs, present_v])  # (b, nkv, groups*s, hd)
            ctx = g.op("Reshape", [ctx, g.op("Concat", [g.i64([0, nh]), seq, g.i64([hd])], axis=0)])
            ctx = g.op("Reshape", [g.op("Transpose", [ctx], perm=[0, 2, 1, 3]), g.i64([0, 0, nh * hd])])
        o = apply_linear(g, ctx, w.o, f"l{i}.o")
        h, _, _, x = g.op("SkipSimplifiedLayerNormalization", [x, o, w.ln2], domain=MS_DOMAIN, epsilon=eps,
                          outputs=4, name=f"l{i}.ln2")
        gate = apply_linear(g, h, w.gate, f"l{i}.gate")
        up = apply_linear(g, h, w.up, f"l{i}.up")
        act = g.op("Mul", [g.op("QuickGelu", [gate], domain=MS_DOMAIN, alpha=1.0), up])  # SiLU(gate) * up
        down = apply_linear(g, act, w.down, f"l{i}.down")
        gamma = fw.layers[i + 1].ln1 if i + 1 < len(fw.layers) else fw.norm
        h, _, _, x = g.op("SkipSimplifiedLayerNormalization", [x, down, gamma], domain=MS_DOMAIN, epsilon=eps,
                          outputs=4, name=f"l{i}.ln_next")
    if not single:
        h = g.op("Slice", [h, g.i64([-1]), g.i64([np.iinfo(np.int64).max]), g.i64([1])])  # last position
    logits = g.to_f32(apply_linear(g, h, fw.lm_head, "lm_head"))  # (b, 1, vocab)
    logits = g.op("Squeeze", [logits, g.i64([1])])  # (b, vocab)
    return logits, presents


def top_k(g: Graph, logits: str, k: int, vocab: int):
    """The k largest of float32 logits (batch, vocab), sorted, ties to the lower id (as ArgMax and a CPU TopK).

    In two passes when the vocabulary is large: the k largest of every group of TOPK_GROUP ids, then the k largest
    of those. ORT's CUDA TopK gives a long row (152064 ids) to one thread block (~0.8 ms a step at any batch); rows
    of TOPK_GROUP ids are sorted in parallel. The result is the same set in the same order: each group's
    candidates keep their order, and candidates of lower groups (lower ids) come first among equal values.
    Returns (values (batch, k) float32, ids (batch, k) int64).
    """
    size = TOPK_GROUP  # smaller groups for small vocabularies, so that the tiny test model takes this path too
    while size > 64 and vocab < 8 * size:
        size //= 2
    if vocab <= size:
        return g.op("TopK", [logits, g.i64([k])], axis=-1, largest=1, sorted=1, outputs=2)
    groups = -(-vocab // size)
    x = logits
    if groups * size != vocab:  # pad with the lowest float: never among the k largest (vocab >= k)
        x = g.op("Pad", [x, g.i64([0, 0, 0, groups * size - vocab]), g.f32(float(np.finfo(np.float32).min))])
    k1 = min(k, size)
    v1, i1 = g.op("TopK", [g.op("Reshape", [x, g.i64([-1, size])]), g.i64([k1])], axis=-1, largest=1,
                  sorted=1, outputs=2)  # (batch * groups, k1)
    offsets = g.const(g.fresh("topk.group_offsets"), (np.arange(groups, dtype=np.int64) * size).reshape(groups, 1))
    ids1 = g.op("Reshape", [g.op("Add", [g.op("Reshape", [i1, g.i64([-1, groups, k1])]), offsets]),
                            g.i64([-1, groups * k1])])  # (batch, groups * k1) vocabulary ids
    top, pos = g.op("TopK", [g.op("Reshape", [v1, g.i64([-1, groups * k1])]), g.i64([k])], axis=-1, largest=1,
                    sorted=1, outputs=2)
    return top, g.op("GatherElements", [ids1, pos], axis=1)


def select(g: Graph, logits, presence, finished, step, budget, temperature, penalty, eos, pad, uniform, vocab):
    """Chooses each row's next token from float32 logits (batch, vocab).

    presence (batch, vocab) bool: ids seen (prompt + generated); finished (batch) bool; step: int64 scalar, tokens
    already emitted per row; budget (batch) int64; temperature / penalty (batch, 1) float32; eos (n) int64;
    uniform (batch, steps) float32 in [0, 1), column min(step, steps - 1) used.
    Every node runs on the GPU: no value goes to the host, so ORT never waits for the GPU inside the loop.
    Returns (emitted (batch), next input (batch, 1), presence, finished).
    """
    # repetition penalty over seen ids: score < 0 ? score * p : score / p
    penalized = g.op("Where", [g.op("Less", [logits, g.f32(0.0)]), g.op("Mul", [logits, penalty]),
                               g.op("Div", [logits, penalty])])
    logits = g.op("Where", [presence, penalized, logits])
    # argmax where T == 0 (the first of the top ids; ORT's CUDA ArgMax over 152064 ids took 12 ms at batch 32);
    # else a draw from softmax(logits / T) over the TOP_K most likely ids (transformers' default top_k),
    # inverse-CDF with this step's uniform u: the first rank whose cumulative probability exceeds u, i.e. the
    # number of ranks whose cumulative probability does not (a cumulative sum over the whole vocabulary costs
    # ORT's CUDA CumSum O(vocab^2) per row).
    k = min(TOP_K, vocab)
    top, top_ids = top_k(g, logits, k, vocab)
    greedy = g.op("Squeeze", [g.op("Slice", [top_ids, g.i64([0]), g.i64([1]), g.i64([1])]), g.i64([1])])
    hot = g.op("Greater", [temperature, g.f32(0.0)])  # (batch, 1)
    probs = g.op("Softmax", [g.op("Div", [top, g.op("Where", [hot, temperature, g.f32(1.0)])])], axis=-1)
    cdf = g.op("CumSum", [probs, scalar(g, 1)])  # (batch, k)
    total = g.op("Slice", [cdf, g.i64([-1]), g.i64([np.iinfo(np.int64).max]), g.i64([1])])  # (batch, 1)
    last = g.op("Sub", [g.op("Gather", [g.op("Shape", [uniform]), scalar(g, 1)], axis=0), scalar(g, 1)])
    u = g.op("Unsqueeze", [g.op("Gather", [uniform, g.op("Min", [step, last])], axis=1), g.i64([1])])  # (batch, 1)
    below = g.op("Cast", [g.op("LessOrEqual", [cdf, g.op("Mul", [u, total])])], to=F32)
    rank = g.op("Cast", [g.op("ReduceSum", [below, g.i64([1])], keepdims=1)], to=I64)  # (batch, 1)
    pick = g.op("Min", [rank, g.i64(k - 1)])
    sampled = g.op("Squeeze", [g.op("GatherElements", [top_ids, pick], axis=1), g.i64([1])])
    token = g.op("Where", [g.op("Squeeze", [hot, g.i64([1])]), sampled, greedy])
    token2 = g.op("Unsqueeze", [token, g.i64([1])])  # (batch, 1)
    is_eos = g.op("Cast", [g.op("ReduceMax", [g.op("Cast", [g.op("Equal", [token2, eos])], to=TensorProto.INT32)],
                                axes=[1], keepdims=0)], to=BOOL)
    emitted = g.op("Where", [finished, g.i64(pad), token])
    full = g.op("GreaterOrEqual", [g.op("Add", [step, g.i64(1)]), budget])
    done = g.op("Or", [finished, g.op("Or", [is_eos, full])])
    next_in = g.op("Unsqueeze", [g.op("Where", [done, g.i64(pad), token]), g.i64([1])])
    presence = g.op("ScatterElements", [presence, token2, g.op("Equal", [token2, token2])], axis=1)
    return emitted, next_in, presence, done


def build_generate(cfg: graphs.DecoderConfig, acfg: graphs.AudioConfig, weights, linear_of, dtype,
                   pad: int, audio_id: int, data: graphs.ExternalData = None):
    """Audio encoder, prompt embedding, prefill, then a Loop of decode steps (see the module doc). `audio_id`: the
    audio placeholder id."""
    g = Graph("generate", dtype, data)
    hidden, vocab, nkv, hd = cfg.hidden_size, cfg.vocab_size, cfg.num_kv_heads, cfg.head_dim
    big_negative = float(np.finfo(np.float32).min) if g.np_dtype == np.float32 else -30000.0
    g.input("input_features", g.onnx_dtype, ["chunks", acfg.num_mel_bins, acfg.chunk_frames])
    g.input("feature_lens", I64, ["chunks"])
    g.input("audio_index", I64, ["batch", "audio"])
    g.input("input_ids", I64, ["batch", "seq"])
    g.input("attention_mask", I64, ["batch", "seq"])
    g.input("position_ids", I64, ["batch", "seq"])
    g.input("max_new_tokens", I64, ["batch"])
    g.input("temperature", F32, ["batch"])
    g.input("repetition_penalty", F32, ["batch"])
    g.input("eos_ids", I64, ["eos"])
    g.input("uniform", F32, ["batch", "steps"])
    fw = FusedWeights(g, cfg, weights, linear_of)

    temperature = g.op("Unsqueeze", ["temperature", g.i64([1])])  # (batch, 1)
    penalty = g.op("Unsqueeze", ["repetition_penalty", g.i64([1])])
    eos = g.op("Unsqueeze", ["eos_ids", g.i64([0])])  # (1, n)
    steps = g.op("ReduceMax", ["max_new_tokens"], keepdims=0)  # scalar: the prefill's token + decode steps
    room = g.op("Sub", [steps, scalar(g, 1)])  # decode steps after the prefill's token: the KV buffer's room
    seq = g.op("Gather", [g.op("Shape", ["input_ids"]), scalar(g, 1)], axis=0)  # scalar
    length = g.op("Add", [seq, room])  # KV buffer length

    # RoPE tables for every position this call can reach, float32 math as transformers
    positions = g.op("Cast", [g.op("Range", [scalar(g, 0), g.op("Add", [length, scalar(g, 1)]), scalar(g, 1)])],
                     to=F32)
    inv_freq = g.f32(graphs.rope_inv_freq(hd, cfg.rope_theta).reshape(1, -1), name="rope.inv_freq")
    freqs = g.op("Mul", [g.op("Unsqueeze", [positions, g.i64([1])]), inv_freq])
    cos = g.to_f(g.op("Cos", [freqs]))
    sin = g.to_f(g.op("Sin", [freqs]))

    # prefill attention bias (batch, 1, 1, seq, seq): causal and not padding
    key_idx = g.op("Range", [scalar(g, 0), seq, scalar(g, 1)])
    causal = g.op("LessOrEqual", [key_idx, g.op("Unsqueeze", [key_idx, g.i64([1])])])
    real = g.op("Cast", ["attention_mask"], to=BOOL)
    visible = g.op("And", [causal, g.op("Unsqueeze", [real, g.i64([1, 2, 3])])])
    prefill_bias = g.op("Where", [visible, g.f32(0.0), g.f32(np.finfo(np.float32).min)])

    # prompt embeddings: the table's rows, and at the audio placeholders the audio encoder's rows audio_index names
    encoded = graphs.audio_tower(g, acfg, weights, "input_features", "feature_lens")  # (chunks, tokens, hidden)
    encoded = g.op("Reshape", [encoded, g.i64([-1, hidden])])
    is_audio = g.op("Equal", ["input_ids", g.i64(audio_id)])  # (batch, seq)
    nth = g.op("Sub", [g.op("CumSum", [g.op("Cast", [is_audio], to=I64), scalar(g, 1)]), g.i64(1)])
    nth = g.op("Max", [nth, g.i64(0)])  # (batch, seq): j of the j-th placeholder
    audio = g.op("Gather", [encoded, g.op("GatherElements", ["audio_index", nth], axis=1)], axis=0)
    text = g.op("Gather", [fw.embed, "input_ids"], axis=0)
    inputs_embeds = g.op("Where", [g.op("Unsqueeze", [is_audio, g.i64([2])]), audio, text])

    # 1. prefill
    batch = g.op("Slice", [g.op("Shape", ["input_ids"]), g.i64([0]), g.i64([1])])  # (1)
    empty = g.op("ConstantOfShape", [g.op("Concat", [batch, g.i64([nkv, 0, hd])], axis=0)],
                 value=helper.make_tensor("zero", g.onnx_dtype, [1], [0]))
    past = [(empty, empty)] * cfg.num_layers
    logits, presents = fused_step(g, fw, inputs_embeds, "position_ids", prefill_bias, cos, sin, past, single=False)

    # presence of prompt ids (padding positions point at the row's last, real, id)
    last_id = g.op("Slice", ["input_ids", g.i64([-1]), g.i64([np.iinfo(np.int64).max]), g.i64([1])])
    prompt_ids = g.op("Where", [real, "input_ids", last_id])
    all_true = g.op("Equal", [prompt_ids, prompt_ids])
    presence0 = g.op("ScatterElements", [
        g.op("ConstantOfShape", [g.op("Concat", [batch, g.i64([vocab])], axis=0)],
             value=helper.make_tensor("false", BOOL, [1], [False])),
        prompt_ids, all_true], axis=1)
    not_done = g.op("Equal", ["max_new_tokens", g.i64(-1)])  # all false
    emitted0, next0, presence, done = select(g, logits, presence0, not_done, scalar(g, 0), "max_new_tokens",
                                             temperature, penalty, eos, pad, "uniform", vocab)
    # decode positions continue from the last prompt position
    next_pos = g.op("Add", [g.op("Slice", ["position_ids", g.i64([-1]), g.i64([np.iinfo(np.int64).max]),
                                           g.i64([1])]), g.i64(1)])  # (batch, 1)

    # the KV cache becomes a buffer of `length` positions: the prompt's (left padded), then room for every decode
    # step; decode step s writes position seq + s - 1 and attends to positions <= it that are not padding
    room_pad = g.op("Concat", [g.i64([0, 0, 0, 0, 0, 0]), g.op("Unsqueeze", [room, g.i64([0])]), g.i64([0])],
                    axis=0)  # Pad's begins then ends: room at the end of the positions axis
    buffers = [tuple(g.op("Pad", [t, room_pad]) for t in kv) for kv in presents]  # (batch, nkv, length, hd)
    bias_pad = g.op("Concat", [g.i64([0, 0, 0, 0, 0, 0, 0]), g.op("Unsqueeze", [room, g.i64([0])])], axis=0)
    decode_bias = g.op("Pad", [g.to_f(g.op("Where", [g.op("Unsqueeze", [real, g.i64([1, 2])]), g.f32(0.0),
                                                     g.f32(big_negative)])), bias_pad])  # (batch, 1, 1, length)
    key_pos = g.op("Range", [scalar(g, 0), length, scalar(g, 1)])  # (length)
    kv_index_shape = g.op("Concat", [batch, g.i64([nkv, 1, hd])], axis=0)

    # 2. the loop: one decode step per iteration while a row is running, at most `room` steps
    state_spec = [LoopState("tok", I64, ["batch", 1]), LoopState("pos", I64, ["batch", 1]),
                  LoopState("presence", BOOL, ["batch", vocab]), LoopState("done", BOOL, ["batch"])]
    n_small = len(state_spec)
    state_spec += [LoopState(f"past.{i}.{kv}", g.onnx_dtype, ["batch", nkv, "length", hd])
                   for i in range(cfg.num_layers) for kv in ("key", "value")]

    body = Body("generate_steps", g)
    b_iter = body.input(g.fresh("iter"), I64, [])
    body.input(g.fresh("cond"), BOOL, [])
    b_all = [body.input(g.fresh(v.name), v.elem_type, v.shape) for v in state_spec]
    tok, pos, presence_b, done_b = b_all[:n_small]
    kv = [(b_all[n_small + 2 * i], b_all[n_small + 2 * i + 1]) for i in range(cfg.num_layers)]
    step = body.op("Add", [b_iter, scalar(g, 1)])  # tokens emitted before this one
    write = body.op("Sub", [body.op("Add", [seq, step]), scalar(g, 1)])  # KV position of the fed token
    kv_index = body.op("Expand", [body.op("Reshape", [write, body.i64([1, 1, 1, 1])]), kv_index_shape])
    bias = body.op("Where", [body.op("LessOrEqual", [key_pos, write]), decode_bias,
                             body.fdt(big_negative)])  # (batch, 1, 1, length)
    x = body.op("Gather", [fw.embed, tok], axis=0)  # (batch, 1, hidden)
    logits, kv = fused_step(body, fw, x, pos, bias, cos, sin, kv, single=True, kv_index=kv_index)
    emitted, tok, presence_b, done_b = select(body, logits, presence_b, done_b, step, "max_new_tokens",
                                              temperature, penalty, eos, pad, "uniform", vocab)
    pos = body.op("Add", [pos, body.i64(1)])
    running = body.op("Cast", [body.op("ReduceMax", [body.op("Cast", [body.op("Not", [done_b])],
                                                             to=TensorProto.INT32)], keepdims=0)], to=BOOL)
    body.outputs.append(helper.make_tensor_value_info(running, BOOL, []))
    outs = [tok, pos, presence_b, done_b] + [t for pair in kv for t in pair]
    for name, v in zip(outs, state_spec):
        body.outputs.append(helper.make_tensor_value_info(name, v.elem_type, v.shape))
    body.outputs.append(helper.make_tensor_value_info(emitted, I64, ["batch"]))

    more = g.op("Cast", [g.op("ReduceMax", [g.op("Cast", [g.op("Not", [done])], to=TensorProto.INT32)],
                              keepdims=0)], to=BOOL)
    loop_in = [room, more, next0, next_pos, presence, done] + [t for pair in buffers for t in pair]
    loop_out = [g.fresh("final") for _ in state_spec] + [g.fresh("decoded")]
    g.nodes.append(helper.make_node("Loop", loop_in, loop_out, name="generate_loop", body=body.graph()))
    # (steps run, batch) -> (batch, steps run); the reshape keeps the batch axis when the loop ran no step (ORT then
    # gives the scan output a 0 for every symbolic axis)
    decoded = g.op("Transpose", [g.op("Reshape", [loop_out[-1], g.op("Concat", [g.i64([-1]), batch], axis=0)])],
                   perm=[1, 0])
    g.nodes.append(helper.make_node("Concat", [g.op("Unsqueeze", [emitted0, g.i64([1])]), decoded], ["tokens"],
                                    name="tokens", axis=1))
    g.output("tokens", I64, ["batch", "steps"])
    return g.model()
