package dev.omniscribe.models.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.platform.Fp16Conversions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Activation dtype of a model folder's graphs ({@code model.json: dtype}). */
public enum Dtype {
    FLOAT32(4, OnnxJavaType.FLOAT),
    FLOAT16(2, OnnxJavaType.FLOAT16);

    private final int bytes;
    private final OnnxJavaType javaType;

    Dtype(int bytes, OnnxJavaType javaType) {
        this.bytes = bytes;
        this.javaType = javaType;
    }

    public static Dtype of(String name) {
        return switch (name) {
            case "float32" -> FLOAT32;
            case "float16" -> FLOAT16;
            default -> throw new IllegalArgumentException("unsupported dtype " + name);
        };
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** A direct, native-order buffer for {@code elements} values of this dtype. */
    public ByteBuffer allocate(long elements) {
        return ByteBuffer.allocateDirect(Math.toIntExact(elements * bytes))
                .order(ByteOrder.nativeOrder());
    }

    /** Writes {@code v} at element index {@code i} of {@code buf}, converting to this dtype. */
    public void put(ByteBuffer buf, int i, float v) {
        if (this == FLOAT32) {
            buf.putFloat(i * 4, v);
        } else {
            buf.putShort(i * 2, Fp16Conversions.floatToFp16(v));
        }
    }

    /** A tensor over {@code data} (direct, native order; not copied, must outlive the tensor). */
    public OnnxTensor tensor(OrtEnvironment env, ByteBuffer data, long... shape)
            throws OrtException {
        return OnnxTensor.createTensor(env, data, shape, javaType);
    }
}
