"""AWQ (AutoAWQ "GEMM" layout) packing and its exact repack into ONNX Runtime's MatMulNBits layout.

AutoAWQ GEMM layout of one linear layer y = x @ W + bias, W of shape (in_features K, out_features N):
  qweight  int32 (K, N/8)        eight 4-bit values per int32; nibble i (bits 4i..4i+3) of column c
                                 holds output column 8c + AWQ_ORDER[i]
  qzeros   int32 (K/group, N/8)  4-bit zero points, packed like qweight
  scales   fp16  (K/group, N)
  W[k, n] = (q[k, n] - z[k // group, n]) * s[k // group, n]

MatMulNBits (com.microsoft, bits=4, block_size=group) stores the transposed weight, row n = output:
  B            uint8 (N, K/block, block/2)  element k of row n at byte k//2 of the row, low nibble first
  scales       T     (N * K/block)          scale of (n, block j) at n * K/block + j
  zero_points  uint8 (N * ceil(K/block/2))  4-bit zero points of row n, low nibble first
The repack only moves nibbles: no value is dequantized or requantized.
"""

import numpy as np

AWQ_ORDER = (0, 2, 4, 6, 1, 3, 5, 7)
PACK = 8  # 4-bit values per int32


def unpack_awq(packed: np.ndarray) -> np.ndarray:
    """int32 (rows, N/8) in AWQ order -> uint8 (rows, N) with values 0..15."""
    packed = np.ascontiguousarray(packed).view(np.uint32)
    rows, cols = packed.shape
    out = np.empty((rows, cols, PACK), dtype=np.uint8)
    for i in range(PACK):
        out[:, :, AWQ_ORDER[i]] = (packed >> np.uint32(4 * i)) & np.uint32(0xF)
    return out.reshape(rows, cols * PACK)


def pack_awq(values: np.ndarray) -> np.ndarray:
    """uint8 (rows, N) with values 0..15 -> int32 (rows, N/8) in AWQ order."""
    rows, n = values.shape
    if n % PACK:
        raise ValueError(f"out_features {n} is not a multiple of {PACK}")
    v = values.reshape(rows, n // PACK, PACK).astype(np.uint32)
    packed = np.zeros((rows, n // PACK), dtype=np.uint32)
    for i in range(PACK):
        packed |= v[:, :, AWQ_ORDER[i]] << np.uint32(4 * i)
    return packed.view(np.int32)


def dequantize_awq(qweight, qzeros, scales, group_size: int) -> np.ndarray:
    """AWQ tensors -> float32 W of shape (in_features, out_features), exactly (q - z) * s."""
    q = unpack_awq(qweight).astype(np.float32)
    z = unpack_awq(qzeros).astype(np.float32)
    s = np.asarray(scales, dtype=np.float32)
    z = np.repeat(z, group_size, axis=0)
    s = np.repeat(s, group_size, axis=0)
    return (q - z) * s


def quantize_rtn(w_in_out: np.ndarray, group_size: int):
    """Round-to-nearest asymmetric 4-bit quantization of W (in, out) per group of `group_size` inputs.

    Returns (q uint8 (in, out), zeros uint8 (in/group, out), scales float16 (in/group, out)), computed so that
    dequantization with the float16 scales reproduces the stored values exactly.
    """
    k, n = w_in_out.shape
    if k % group_size:
        raise ValueError(f"in_features {k} is not a multiple of the group size {group_size}")
    g = w_in_out.reshape(k // group_size, group_size, n).astype(np.float32)
    wmin = np.minimum(g.min(axis=1), 0.0)
    wmax = np.maximum(g.max(axis=1), 0.0)
    scales = ((wmax - wmin) / 15.0).astype(np.float16)
    scales = np.where(scales == 0, np.float16(1e-4), scales).astype(np.float16)
    s32 = scales.astype(np.float32)
    zeros = np.clip(np.round(-wmin / s32), 0, 15).astype(np.uint8)
    q = np.clip(np.round(g / s32[:, None, :]) + zeros[:, None, :], 0, 15).astype(np.uint8)
    return q.reshape(k, n), zeros, scales


def awq_to_matmulnbits(qweight, qzeros, scales, group_size: int, scale_dtype=np.float32):
    """Exact repack of AWQ GEMM tensors into MatMulNBits (B, scales, zero_points) for bits=4.

    Returns (B uint8 (N, K/block, block/2), scales (N*K/block,) of scale_dtype, zero_points uint8, K, N).
    fp16 AWQ scales are exactly representable in float32, so scale_dtype float32 keeps them exact.
    """
    q = unpack_awq(qweight)  # (K, N)
    z = unpack_awq(qzeros)  # (K/g, N)
    k, n = q.shape
    blocks = k // group_size
    if blocks * group_size != k or z.shape != (blocks, n) or scales.shape != (blocks, n):
        raise ValueError(f"inconsistent AWQ shapes: qweight {qweight.shape}, qzeros {qzeros.shape}, "
                         f"scales {scales.shape}, group {group_size}")
    return (pack_nbits_b(q), np.ascontiguousarray(np.asarray(scales).T).reshape(-1).astype(scale_dtype),
            pack_nbits_zero_points(z), k, n)


def pack_nbits_b(q_k_n: np.ndarray, group_size: int = None) -> np.ndarray:
    """uint8 values (K, N) -> MatMulNBits B (N, K/block, block/2), low nibble = even k."""
    k, n = q_k_n.shape
    qt = np.ascontiguousarray(q_k_n.T)  # (N, K)
    packed = (qt[:, 0::2] & 0xF) | ((qt[:, 1::2] & 0xF) << 4)  # (N, K/2)
    return packed.astype(np.uint8)


def reshape_b(b_flat: np.ndarray, k: int, block: int) -> np.ndarray:
    n = b_flat.shape[0]
    return b_flat.reshape(n, k // block, block // 2)


def pack_nbits_zero_points(z_blocks_n: np.ndarray) -> np.ndarray:
    """uint8 zero points (K/block, N) -> MatMulNBits packed uint8 (N * ceil(K/block / 2)), low nibble first."""
    blocks, n = z_blocks_n.shape
    zt = np.ascontiguousarray(z_blocks_n.T)  # (N, blocks)
    if blocks % 2:
        zt = np.concatenate([zt, np.zeros((n, 1), dtype=zt.dtype)], axis=1)
    packed = (zt[:, 0::2] & 0xF) | ((zt[:, 1::2] & 0xF) << 4)
    return packed.astype(np.uint8).reshape(-1)


def matmulnbits_tensors(qweight, qzeros, scales, group_size: int, scale_dtype=np.float32):
    """Convenience: repack and shape B as (N, K/block, block/2)."""
    b, s, z, k, n = awq_to_matmulnbits(qweight, qzeros, scales, group_size, scale_dtype)
    return reshape_b(b, k, group_size), s, z, k, n


def random_awq(k: int, n: int, group_size: int, rng: np.random.Generator, scale: float = 0.02):
    """Random AWQ GEMM tensors (qweight, qzeros, scales) for a (K, N) linear."""
    q = rng.integers(0, 16, size=(k, n), dtype=np.uint8)
    z = rng.integers(0, 16, size=(k // group_size, n), dtype=np.uint8)
    s = (rng.uniform(0.5, 1.5, size=(k // group_size, n)) * scale).astype(np.float16)
    return pack_awq(q), pack_awq(z), s
