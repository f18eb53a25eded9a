#!/usr/bin/env python3
"""Proof that the AWQ -> MatMulNBits repack is exact.  Run by hand: python models/export/test_awq_repack.py

For random AWQ-packed weights (AutoAWQ GEMM layout, several shapes and group sizes) onnxruntime's
com.microsoft:MatMulNBits (bits 4, accuracy_level 0: float32 compute) on the repacked tensors must equal
x @ W + bias, W dequantized from the AWQ tensors by numpy in float64.
Tolerance: max |ort - numpy| <= 1e-5 * (1 + max |numpy|) (float32 accumulation order only; a wrong nibble order,
zero point or scale layout gives errors of order 1).
Not part of the Maven build; the Java test reads models/tiny/golden/awq_repack/ instead.
"""

import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import awq  # noqa: E402

REL_TOL = 1e-5


def autoawq_pack_reference(intweight: np.ndarray) -> np.ndarray:
    """AutoAWQ's GEMM packing loop, written out element by element (independent of awq.pack_awq)."""
    order_map = [0, 2, 4, 6, 1, 3, 5, 7]
    rows, n = intweight.shape
    packed = np.zeros((rows, n // 8), dtype=np.int64)
    for col in range(n // 8):
        for i in range(8):
            packed[:, col] |= intweight[:, col * 8 + order_map[i]].astype(np.int64) << (i * 4)
    return packed.astype(np.uint32).view(np.int32)


def matmulnbits_model(k, n, group, b, scales, zeros, bias):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    node = helper.make_node("MatMulNBits", ["x", "B", "scales", "zero_points", "", "bias"], ["y"],
                            domain="com.microsoft", K=k, N=n, bits=4, block_size=group, accuracy_level=0)
    graph = helper.make_graph(
        [node], "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["rows", n])],
        [numpy_helper.from_array(b, "B"), numpy_helper.from_array(scales, "scales"),
         numpy_helper.from_array(zeros, "zero_points"), numpy_helper.from_array(bias, "bias")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model.SerializeToString()


def run_ort(model_bytes, x):
    import onnxruntime as ort

    return ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"]).run(["y"], {"x": x})[0]


class AwqRepackTest(unittest.TestCase):
    def test_pack_matches_autoawq_loop_and_round_trips(self):
        rng = np.random.default_rng(0)
        q = rng.integers(0, 16, size=(64, 48), dtype=np.uint8)
        packed = awq.pack_awq(q)
        np.testing.assert_array_equal(packed, autoawq_pack_reference(q))
        np.testing.assert_array_equal(awq.unpack_awq(packed), q)

    def test_matmulnbits_equals_dequantized_matmul(self):
        rng = np.random.default_rng(1)
        for k, n, group in ((128, 64, 128), (256, 192, 128), (512, 256, 128), (384, 40, 128), (256, 64, 64),
                            (128, 128, 32)):
            with self.subTest(k=k, n=n, group=group):
                qweight, qzeros, scales = awq.random_awq(k, n, group, rng, scale=0.05)
                bias = rng.normal(0, 0.1, size=n).astype(np.float32)
                x = rng.normal(0, 1, size=(7, k)).astype(np.float32)
                w = awq.dequantize_awq(qweight, qzeros, scales, group).astype(np.float64)
                expected = x.astype(np.float64) @ w + bias
                b, s, z, kk, nn = awq.matmulnbits_tensors(qweight, qzeros, scales, group, np.float32)
                self.assertEqual((kk, nn), (k, n))
                got = run_ort(matmulnbits_model(k, n, group, b, s, z, bias), x)
                err = np.max(np.abs(got - expected))
                self.assertLessEqual(err, REL_TOL * (1 + np.max(np.abs(expected))), f"max abs error {err}")

    def test_round_to_nearest_quantization_dequantizes_to_its_grid(self):
        rng = np.random.default_rng(2)
        w = rng.normal(0, 0.05, size=(256, 64)).astype(np.float32)
        q, z, s = awq.quantize_rtn(w, 128)
        deq = awq.dequantize_awq(awq.pack_awq(q), awq.pack_awq(z), s, 128)
        step = np.repeat(s.astype(np.float32), 128, axis=0)
        self.assertTrue(np.all(np.abs(deq - w) <= step * 0.5 + 1e-6))


if __name__ == "__main__":
    unittest.main(verbosity=2)
