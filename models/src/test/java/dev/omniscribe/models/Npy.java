package dev.omniscribe.models;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads NumPy {@code .npy} files (C order, little-endian float32/float64/int32/int64). */
public record Npy(String dtype, int[] shape, ByteBuffer data) {

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    public static Npy read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (all.length < 10 || all[0] != (byte) 0x93 || all[1] != 'N') {
            throw new IOException(file + ": not an .npy file");
        }
        int major = all[6];
        int headerLen;
        int offset;
        if (major == 1) {
            headerLen = buf.getShort(8) & 0xffff;
            offset = 10;
        } else {
            headerLen = buf.getInt(8);
            offset = 12;
        }
        String header = new String(all, offset, headerLen, StandardCharsets.ISO_8859_1);
        if (header.contains("'fortran_order': True")) {
            throw new IOException(file + ": Fortran order not supported");
        }
        Matcher d = DESCR.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !s.find()) {
            throw new IOException(file + ": bad header " + header);
        }
        int[] shape =
                Arrays.stream(s.group(1).split(","))
                        .map(String::trim)
                        .filter(x -> !x.isEmpty())
                        .mapToInt(Integer::parseInt)
                        .toArray();
        ByteBuffer data =
                ByteBuffer.wrap(all, offset + headerLen, all.length - offset - headerLen)
                        .slice()
                        .order(ByteOrder.LITTLE_ENDIAN);
        return new Npy(d.group(1), shape, data);
    }

    public long size() {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        return n;
    }

    public float[] floats() {
        float[] out = new float[Math.toIntExact(size())];
        switch (dtype) {
            case "<f4" -> data.asFloatBuffer().get(out);
            case "<f8" -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) data.getDouble(i * 8);
                }
            }
            default -> throw new IllegalStateException("not a float array: " + dtype);
        }
        return out;
    }

    public long[] longs() {
        long[] out = new long[Math.toIntExact(size())];
        switch (dtype) {
            case "<i8" -> data.asLongBuffer().get(out);
            case "<i4" -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = data.getInt(i * 4);
                }
            }
            default -> throw new IllegalStateException("not an integer array: " + dtype);
        }
        return out;
    }

    public int[] ints() {
        return Arrays.stream(longs()).mapToInt(Math::toIntExact).toArray();
    }
}
