"""generate.onnx: prefill + the whole generation loop in one graph (ONNX Loop around a fused decoder step).

One `run` per batch, whatever the number of generated tokens: the KV cache never leaves the device.

  inputs   inputs_embeds (batch, seq, hidden) F        prompt embeddings, audio spliced in, left padded
           attention_mask (batch, seq) int64           1 = real token, 0 = left padding
           position_ids (batch, seq) int64             cumsum(mask) - 1 (any value on padding)
           input_ids (batch, seq) int64                prompt ids (repetition penalty presence; padding ignored)
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

ONNX Runtime applies no graph fusions inside a Loop body, so the body is written fused: SimplifiedLayerNormalization
and SkipSimplifiedLayerNormalization for RMSNorm + residual, one q/k/v matmul, com.microsoft RotaryEmbedding,
FusedMatMul for scaled scores, QuickGelu(alpha=1) for SiLU, MatMulNBits for int4 weights. The prefill before the
loop uses the same builder (outer graph; ORT may fuse further there).

attention="gqa" writes the decode steps with com.microsoft GroupQueryAttention instead (one node per layer for
rotary, KV append and attention, over a right-padded KV buffer of prompt + budget positions); same inputs, outputs
and greedy ids. Measured no faster at batch 1 and slower at batch 32 on an H100 (BENCHMARKS.md): not the default.
"""

import math

import numpy as np
from onnx import TensorProto, helper, numpy_helper

import graphs
from graphs import MS_DOMAIN, Graph

F32, I64, BOOL = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
TOP_K = 50  # sampling considers the 50 most likely ids, as transformers' default generation config
BLOCK = 8  # decode steps per inner Loop (the outer Loop checks for stopped rows between blocks)


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


class FusedWeights:
    """Initializers of the fused step, made once in the outer graph and shared by prefill and loop body."""

    def __init__(self, g: Graph, cfg: graphs.DecoderConfig, weights, linear_of, embed_table):
        self.cfg = cfg
        self.embed = g.weight("embed_tokens.weight", embed_table)  # (vocab, hidden) F
        self.layers = []
        for i in range(cfg.num_layers):
            p = f"model.layers.{i}"
            qkv = concat_linears([linear_of(p + ".self_attn." + n) for n in ("q_proj", "k_proj", "v_proj")])
            self.layers.append({
                "ln1": g.weight(p + ".input_layernorm.weight", weights.get(p + ".input_layernorm.weight")),
                "ln2": g.weight(p + ".post_attention_layernorm.weight",
                                weights.get(p + ".post_attention_layernorm.weight")),
                "qkv": const_linear(g, qkv, p + ".self_attn.qkv_proj"),
                "o": const_linear(g, linear_of(p + ".self_attn.o_proj"), p + ".self_attn.o_proj"),
                "gate": const_linear(g, linear_of(p + ".mlp.gate_proj"), p + ".mlp.gate_proj"),
                "up": const_linear(g, linear_of(p + ".mlp.up_proj"), p + ".mlp.up_proj"),
                "down": const_linear(g, linear_of(p + ".mlp.down_proj"), p + ".mlp.down_proj"),
            })
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
        if any(p.nbits is None or p.block_size != parts[0].block_size for p in parts):
            raise ValueError("q/k/v must share one quantization")
        b = np.concatenate([p.nbits[0] for p in parts], axis=0)  # (N, K/block, block/2), rows = outputs
        s = np.concatenate([p.nbits[1] for p in parts])  # n-major
        z = np.concatenate([p.nbits[2] for p in parts])  # n-major
        return graphs.Linear(n, k, bias=bias, nbits=(b, s, z), block_size=parts[0].block_size)
    w = np.concatenate([np.asarray(p.weight) for p in parts], axis=0)  # (out, in)
    return graphs.Linear(n, k, weight=w, bias=bias)


def const_linear(g: Graph, lin: graphs.Linear, name: str) -> dict:
    """Initializers of one linear; `apply_linear` builds its nodes in any (sub)graph."""
    c = {"K": lin.in_features, "N": lin.out_features, "block": lin.block_size}
    if lin.nbits is not None:
        b, scales, zeros = lin.nbits
        c["B"] = g.const(name + ".qweight", b)
        c["scales"] = g.const(name + ".scales", scales.astype(g.np_dtype))
        c["zeros"] = g.const(name + ".qzeros", zeros)
    else:
        c["W"] = g.weight(name + ".weight", np.ascontiguousarray(np.asarray(lin.weight).T))
    c["bias"] = g.weight(name + ".bias", lin.bias) if lin.bias is not None else None
    return c


def apply_linear(g: Graph, x: str, c: dict, name: str) -> str:
    if "B" in c:
        y = g.op("MatMulNBits", [x, c["B"], c["scales"], c["zeros"]], name=name, domain=MS_DOMAIN, K=c["K"],
                 N=c["N"], bits=4, block_size=c["block"], accuracy_level=0)
    else:
        y = g.op("MatMul", [x, c["W"]], name=name)
    if c["bias"] is not None:
        y = g.op("Add", [y, c["bias"]], name=name + "_bias")
    return y


def scalar(g: Graph, value: int) -> str:
    """A 0-d int64 initializer (Graph.i64 makes 1-d ones)."""
    name = g.fresh("c_scalar")
    (g.outer.initializers if isinstance(g, Body) else g.initializers).append(numpy_helper.from_array(np.array(value, dtype=np.int64), name))
    return name


def fused_step(g: Graph, fw: FusedWeights, x: str, positions: str, bias: str, cos: str, sin: str, past, single: bool):
    """Decoder forward over new tokens with a KV cache, written with fused ops.

    x (batch, seq, hidden) F embeddings; positions (batch, seq) int64; bias: additive attention bias,
    (batch, 1, 1, seq, total) float32 when not single, (batch, 1, 1, total) F when single (seq == 1);
    cos/sin (max_pos, head_dim/2) F; past [(k, v)] (batch, kv_heads, past, head_dim) F.
    Returns (logits (batch, vocab) float32 of the last position, presents).
    """
    cfg = fw.cfg
    nh, nkv, hd = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
    groups = nh // nkv
    eps = cfg.rms_norm_eps
    h = g.op("SimplifiedLayerNormalization", [x, fw.layers[0]["ln1"]], axis=-1, epsilon=eps,
             stash_type=1, name="ln1")
    presents = []
    if not single:
        seq = g.op("Gather", [g.op("Shape", [x]), g.i64(1)], axis=0)
        total = g.op("Gather", [g.op("Shape", [bias]), g.i64(4)], axis=0)
    for i, w in enumerate(fw.layers):
        qkv = apply_linear(g, h, w["qkv"], f"l{i}.qkv")  # (batch, seq, (nh + 2 nkv) hd)
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
        present_k = g.op("Concat", [pk, k], axis=2, name=f"present.{i}.key")  # (b, nkv, total, hd)
        present_v = g.op("Concat", [pv, v], axis=2, name=f"present.{i}.value")
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
        o = apply_linear(g, ctx, w["o"], f"l{i}.o")
        h, _, _, x = g.op("SkipSimplifiedLayerNormalization", [x, o, w["ln2"]], domain=MS_DOMAIN, epsilon=eps,
                          outputs=4, name=f"l{i}.ln2")
        gate = apply_linear(g, h, w["gate"], f"l{i}.gate")
        up = apply_linear(g, h, w["up"], f"l{i}.up")
        act = g.op("Mul", [g.op("QuickGelu", [gate], domain=MS_DOMAIN, alpha=1.0), up])  # SiLU(gate) * up
        down = apply_linear(g, act, w["down"], f"l{i}.down")
        gamma = fw.layers[i + 1]["ln1"] if i + 1 < len(fw.layers) else fw.norm
        h, _, _, x = g.op("SkipSimplifiedLayerNormalization", [x, down, gamma], domain=MS_DOMAIN, epsilon=eps,
                          outputs=4, name=f"l{i}.ln_next")
    if not single:
        h = g.op("Slice", [h, g.i64([-1]), g.i64([np.iinfo(np.int64).max]), g.i64([1])])  # last position
    logits = g.to_f32(apply_linear(g, h, fw.lm_head, "lm_head"))  # (b, 1, vocab)
    logits = g.op("Squeeze", [logits, g.i64([1])])  # (b, vocab)
    return logits, presents


def gqa_step(g: Graph, fw: FusedWeights, x: str, seqlens_k: str, total: str, cos: str, sin: str, past):
    """One decode step (seq == 1) with com.microsoft GroupQueryAttention: rotary, KV append and attention in one
    node per layer.

    x (batch, 1, hidden) F; seqlens_k (batch) int32: each row's key count - 1 including this token, which is also
    its position (the KV buffer is right padded: row b's keys are at [0, seqlens_k[b]]); total: int32 scalar, the
    largest key count; cos/sin (max_pos, head_dim/2) F; past [(k, v)] (batch, kv_heads, max_len, head_dim) F.
    Returns (logits (batch, vocab) float32, presents of the same shape as past).
    """
    cfg = fw.cfg
    nh, nkv, eps = cfg.num_heads, cfg.num_kv_heads, cfg.rms_norm_eps
    h = g.op("SimplifiedLayerNormalization", [x, fw.layers[0]["ln1"]], axis=-1, epsilon=eps, stash_type=1,
             name="ln1")
    presents = []
    for i, w in enumerate(fw.layers):
        qkv = apply_linear(g, h, w["qkv"], f"l{i}.qkv")  # packed (batch, 1, (nh + 2 nkv) hd)
        pk, pv = past[i]
        ctx, present_k, present_v = g.op(
            "GroupQueryAttention", [qkv, "", "", pk, pv, seqlens_k, total, cos, sin], domain=MS_DOMAIN,
            num_heads=nh, kv_num_heads=nkv, do_rotary=1, rotary_interleaved=0, outputs=3, name=f"l{i}.gqa")
        presents.append((present_k, present_v))
        o = apply_linear(g, ctx, w["o"], f"l{i}.o")
        h, _, _, x = g.op("SkipSimplifiedLayerNormalization", [x, o, w["ln2"]], domain=MS_DOMAIN, epsilon=eps,
                          outputs=4, name=f"l{i}.ln2")
        gate = apply_linear(g, h, w["gate"], f"l{i}.gate")
        up = apply_linear(g, h, w["up"], f"l{i}.up")
        act = g.op("Mul", [g.op("QuickGelu", [gate], domain=MS_DOMAIN, alpha=1.0), up])
        down = apply_linear(g, act, w["down"], f"l{i}.down")
        gamma = fw.layers[i + 1]["ln1"] if i + 1 < len(fw.layers) else fw.norm
        h, _, _, x = g.op("SkipSimplifiedLayerNormalization", [x, down, gamma], domain=MS_DOMAIN, epsilon=eps,
                          outputs=4, name=f"l{i}.ln_next")
    logits = g.to_f32(apply_linear(g, h, fw.lm_head, "lm_head"))  # (b, 1, vocab)
    return g.op("Squeeze", [logits, g.i64([1])]), presents


def select(g: Graph, logits, presence, finished, step, budget, temperature, penalty, eos, pad, uniform, vocab):
    """Chooses each row's next token from float32 logits (batch, vocab).

    presence (batch, vocab) bool: ids seen (prompt + generated); finished (batch) bool; step: int64 scalar, tokens
    already emitted per row; budget (batch) int64; temperature / penalty (batch, 1) float32; eos (n) int64;
    uniform (batch, steps) float32 in [0, 1), column `step` used.
    Returns (emitted (batch), next input (batch, 1), presence, finished).
    """
    # repetition penalty over seen ids: score < 0 ? score * p : score / p
    penalized = g.op("Where", [g.op("Less", [logits, g.f32(0.0)]), g.op("Mul", [logits, penalty]),
                               g.op("Div", [logits, penalty])])
    logits = g.op("Where", [presence, penalized, logits])
    # argmax where T == 0; else a draw from softmax(logits / T) over the TOP_K most likely ids (transformers'
    # default top_k), inverse-CDF with this step's uniform u: the first id whose cumulative probability exceeds u.
    # (A cumulative sum over the whole vocabulary costs ORT's CUDA CumSum O(vocab^2) per row: milliseconds.)
    greedy = g.op("ArgMax", [logits], axis=-1, keepdims=0)  # (batch); ties: lowest id
    hot = g.op("Greater", [temperature, g.f32(0.0)])  # (batch, 1)
    top, top_ids = g.op("TopK", [logits, g.i64([min(TOP_K, vocab)])], axis=-1, largest=1, sorted=1, outputs=2)
    probs = g.op("Softmax", [g.op("Div", [top, g.op("Where", [hot, temperature, g.f32(1.0)])])], axis=-1)
    cdf = g.op("CumSum", [probs, scalar(g, 1)])  # (batch, k)
    total = g.op("Slice", [cdf, g.i64([-1]), g.i64([np.iinfo(np.int64).max]), g.i64([1])])  # (batch, 1)
    u = g.op("Unsqueeze", [g.op("Gather", [uniform, step], axis=1), g.i64([1])])  # (batch, 1)
    above = g.op("Cast", [g.op("Greater", [cdf, g.op("Mul", [u, total])])], to=TensorProto.INT32)
    pick = g.op("ArgMax", [above], axis=-1, keepdims=1)  # (batch, 1): first rank above u
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


ATTENTION = ("gqa", "concat")


def build_generate(cfg: graphs.DecoderConfig, weights, linear_of, embed_table, dtype, pad: int,
                   attention: str = "concat"):
    """attention: how the decode steps attend. "gqa": GroupQueryAttention over a KV buffer preallocated to the
    longest reachable length (prompt + budget), right padded per row; "concat": the first body (RotaryEmbedding,
    Concat of the cache every step, FusedMatMul/Softmax/MatMul), kept for comparison. The prefill is the same in
    both (it attends over the left-padded prompt with an explicit bias)."""
    if attention not in ATTENTION:
        raise ValueError(f"attention must be one of {ATTENTION}")
    gqa = attention == "gqa"
    g = Graph("generate", dtype)
    hidden, vocab, nkv, hd = cfg.hidden_size, cfg.vocab_size, cfg.num_kv_heads, cfg.head_dim
    big_negative = float(np.finfo(np.float32).min) if g.np_dtype == np.float32 else -30000.0
    g.input("inputs_embeds", g.onnx_dtype, ["batch", "seq", hidden])
    g.input("attention_mask", I64, ["batch", "seq"])
    g.input("position_ids", I64, ["batch", "seq"])
    g.input("input_ids", I64, ["batch", "seq"])
    g.input("max_new_tokens", I64, ["batch"])
    g.input("temperature", F32, ["batch"])
    g.input("repetition_penalty", F32, ["batch"])
    g.input("eos_ids", I64, ["eos"])
    g.input("uniform", F32, ["batch", "steps"])
    fw = FusedWeights(g, cfg, weights, linear_of, embed_table)

    temperature = g.op("Unsqueeze", ["temperature", g.i64([1])])  # (batch, 1)
    penalty = g.op("Unsqueeze", ["repetition_penalty", g.i64([1])])
    eos = g.op("Unsqueeze", ["eos_ids", g.i64([0])])  # (1, n)
    steps = g.op("ReduceMax", ["max_new_tokens"], keepdims=0)  # scalar: loop trips + 1

    # RoPE tables for every position this call can reach: (seq + steps, head_dim / 2), float32 math as transformers
    seq = g.op("Gather", [g.op("Shape", ["input_ids"]), scalar(g, 1)], axis=0)  # scalar
    positions = g.op("Cast", [g.op("Range", [scalar(g, 0), g.op("Add", [seq, steps]), scalar(g, 1)])], to=F32)
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

    # 1. prefill
    batch = g.op("Slice", [g.op("Shape", ["input_ids"]), g.i64([0]), g.i64([1])])  # (1)
    empty = g.op("ConstantOfShape", [g.op("Concat", [batch, g.i64([nkv, 0, hd])], axis=0)],
                 value=helper.make_tensor("zero", g.onnx_dtype, [1], [0]))
    past = [(empty, empty)] * cfg.num_layers
    logits, presents = fused_step(g, fw, "inputs_embeds", "position_ids", prefill_bias, cos, sin, past, single=False)

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
    # decode attention bias (batch, 1, 1, seq) in F; the loop appends a visible column per step
    bias0 = g.to_f(g.op("Where", [g.op("Unsqueeze", [real, g.i64([1, 2])]), g.f32(0.0), g.f32(big_negative)]))
    if gqa:
        # the prefill's keys are left padded; GroupQueryAttention wants row b's keys at [0, len_b): shift each row
        # left by its padding (GatherND over (batch, kv_heads)), then append room for every decode step
        lens = g.op("ReduceSum", ["attention_mask", g.i64([1])], keepdims=0)  # (batch)
        shift = g.op("Sub", [seq, lens])  # (batch): left padding
        src = g.op("Min", [g.op("Add", [g.op("Unsqueeze", [shift, g.i64([1])]), key_idx]),
                           g.op("Sub", [seq, scalar(g, 1)])])  # (batch, seq)
        kv_shape = g.op("Concat", [batch, g.i64([nkv]), g.op("Unsqueeze", [seq, g.i64([0])]), g.i64([1])], axis=0)
        src = g.op("Expand", [g.op("Unsqueeze", [src, g.i64([1, 3])]), kv_shape])  # (batch, nkv, seq, 1)
        room = g.op("ConstantOfShape", [g.op("Concat", [batch, g.i64([nkv]), g.op("Unsqueeze", [steps, g.i64([0])]),
                                                        g.i64([hd])], axis=0)],
                    value=helper.make_tensor("zero_kv", g.onnx_dtype, [1], [0]))
        presents = [tuple(g.op("Concat", [g.op("GatherND", [t, src], batch_dims=2), room], axis=2) for t in kv)
                    for kv in presents]

    # 2. the loops. Steps t >= 1 feed the previous token, then choose token t. ORT reads a Loop's condition on the
    # host after every iteration, which waits for the GPU and stops the host from queueing the next step's kernels
    # while the GPU runs this one. So the steps run in blocks: an inner Loop of up to BLOCK steps whose condition
    # is a constant passed through (no wait), inside an outer Loop that checks after each block whether any row is
    # still running. At most BLOCK - 1 steps are wasted after the last row stops; none at a budget.
    trips = g.op("Sub", [steps, scalar(g, 1)])  # scalar, >= 0
    # loop state: next token, its position, [decode bias (concat body)], presence, done, then the KV cache
    kv_len = "max_len" if gqa else "total"
    state_spec = [("tok", I64, ["batch", 1]), ("pos", I64, ["batch", 1])]
    if not gqa:
        state_spec.append(("bias", g.onnx_dtype, ["batch", 1, 1, "total"]))
    state_spec += [("presence", BOOL, ["batch", vocab]), ("done", BOOL, ["batch"])]
    n_small = len(state_spec)
    state_spec += [(f"past.{i}.{kv}", g.onnx_dtype, ["batch", nkv, kv_len, hd])
                   for i in range(cfg.num_layers) for kv in ("key", "value")]
    n_state = len(state_spec)

    outer = Body("generate_block", g)
    o_iter = outer.input(g.fresh("block"), I64, [])
    outer.input(g.fresh("block_cond"), BOOL, [])
    o_all = [outer.input(g.fresh("block_" + n), t, shape) for n, t, shape in state_spec]
    o_tokens = outer.input(g.fresh("block_tokens"), I64, ["batch", "emitted"])
    first_step = outer.op("Mul", [o_iter, scalar(g, BLOCK)])  # steps before this block
    block_steps = outer.op("Min", [scalar(g, BLOCK), outer.op("Sub", [trips, first_step])])

    body = Body("generate_step", g)
    b_iter = body.input(g.fresh("iter"), I64, [])
    b_cond = body.input(g.fresh("cond"), BOOL, [])
    b_all = [body.input(g.fresh(n), t, shape) for n, t, shape in state_spec]
    b_tok, b_pos = b_all[0], b_all[1]
    b_presence, b_done = b_all[n_small - 2], b_all[n_small - 1]
    b_past = [(b_all[n_small + 2 * i], b_all[n_small + 2 * i + 1]) for i in range(cfg.num_layers)]
    step = body.op("Add", [body.op("Add", [b_iter, first_step]), scalar(g, 1)])
    x = body.op("Gather", [fw.embed, b_tok], axis=0)  # (batch, 1, hidden)
    if gqa:
        # the fed token's position is its row's key count - 1 (keys right padded); the longest row has seq + step
        # keys (a CPU-side scalar: ORT's CUDA kernel reads total_sequence_length on the host)
        seqlens_k = body.op("Cast", [body.op("Squeeze", [b_pos, body.i64([1])])], to=TensorProto.INT32)
        total = body.op("Cast", [body.op("Add", [seq, step])], to=TensorProto.INT32)
        b_logits, b_presents = gqa_step(body, fw, x, seqlens_k, total, cos, sin, b_past)
        small_out = []
    else:
        b_bias = b_all[2]
        bias = body.op("Concat", [b_bias, body.op("Slice", [b_bias, body.i64([-1]),
                                                             body.i64([np.iinfo(np.int64).max]),
                                                             body.i64([3])])], axis=3)  # last column is visible
        b_logits, b_presents = fused_step(body, fw, x, b_pos, bias, cos, sin, b_past, single=True)
        small_out = [bias]
    emitted, next_in, presence_out, done_out = select(body, b_logits, b_presence, b_done, step, "max_new_tokens",
                                                      temperature, penalty, eos, pad, "uniform", vocab)
    body.outputs.append(helper.make_tensor_value_info(b_cond, BOOL, []))  # passed through: no wait on the GPU
    outs = [next_in, body.op("Add", [b_pos, body.i64(1)])] + small_out + [presence_out, done_out]
    outs += [t for kv in b_presents for t in kv]
    for name, (_, t, shape) in zip(outs, state_spec):
        body.outputs.append(helper.make_tensor_value_info(name, t, shape))
    body.outputs.append(helper.make_tensor_value_info(emitted, I64, ["batch"]))

    always = g.fresh("always")
    g.initializers.append(numpy_helper.from_array(np.array(True), always))  # 0-d
    inner_out = [g.fresh("step_state") for _ in range(n_state)] + [g.fresh("block_emitted")]
    outer.nodes.append(helper.make_node("Loop", [block_steps, always] + o_all, inner_out,
                                        name=g.fresh("n_step_loop"), body=body.graph()))
    done_after = inner_out[n_small - 1]
    any_active = outer.op("Cast", [outer.op("ReduceMax", [outer.op("Cast", [outer.op("Not", [done_after])],
                                                                   to=TensorProto.INT32)], keepdims=0)], to=BOOL)
    tokens_out = outer.op("Concat", [o_tokens, outer.op("Transpose", [inner_out[-1]], perm=[1, 0])], axis=1)
    outer.outputs.append(helper.make_tensor_value_info(any_active, BOOL, []))
    for name, (_, t, shape) in zip(inner_out[:-1], state_spec):
        outer.outputs.append(helper.make_tensor_value_info(name, t, shape))
    outer.outputs.append(helper.make_tensor_value_info(tokens_out, I64, ["batch", "emitted"]))

    blocks = g.op("Div", [g.op("Add", [trips, scalar(g, BLOCK - 1)]), scalar(g, BLOCK)])
    more = g.op("Cast", [g.op("ReduceMax", [g.op("Cast", [g.op("Not", [done])], to=TensorProto.INT32)],
                              keepdims=0)], to=BOOL)
    first = g.op("Unsqueeze", [emitted0, g.i64([1])])  # (batch, 1)
    small_in = [next0, next_pos] + ([] if gqa else [bias0]) + [presence, done]
    loop_in = [blocks, more] + small_in + [t for kv in presents for t in kv] + [first]
    loop_out = [g.fresh("final") for _ in range(n_state)] + ["tokens"]
    g.nodes.append(helper.make_node("Loop", loop_in, loop_out, name="generate_loop", body=outer.graph()))
    g.output("tokens", I64, ["batch", "steps"])
    return g.model()
