package livetalk.cli.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import livetalk.io.Json;
import livetalk.tensor.Half;

/**
 * Streams a safetensors file of random weights in a given dtype (F32 or BF16) without holding it
 * in memory: a block of random values (scaled by 1/√fan_in) is generated once and repeated, so
 * an 11 GB checkpoint is written at disk speed. Only for timing: the values are not a model.
 */
final class RandomCheckpoint {
    record Spec(String name, long[] shape) {
    }

    private RandomCheckpoint() {
    }

    static void write(Path path, List<Spec> specs, String dtype, long seed) throws IOException {
        int elem = dtype.equals("BF16") ? 2 : 4;
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        for (Spec s : specs) {
            long bytes = numel(s.shape) * elem;
            List<Object> shape = new ArrayList<>();
            for (long d : s.shape) shape.add(d);
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", dtype);
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + bytes));
            header.put(s.name, info);
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;
        SplittableRandom rnd = new SplittableRandom(seed);
        int blockValues = 1 << 22;
        float[] unit = new float[blockValues];
        for (int i = 0; i < blockValues; i++) unit[i] = (float) ((rnd.nextDouble() * 2 - 1) * Math.sqrt(3));   // unit variance
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(path), 1 << 22)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length + pad).array());
            out.write(json);
            for (int i = 0; i < pad; i++) out.write(' ');
            ByteBuffer block = ByteBuffer.allocate(blockValues * elem).order(ByteOrder.LITTLE_ENDIAN);
            for (Spec s : specs) {
                long n = numel(s.shape);
                boolean norm = s.shape.length == 1;
                double scale = norm ? 0 : 1 / Math.sqrt(s.shape[s.shape.length - 1]);
                block.clear();
                for (int i = 0; i < blockValues; i++) {
                    float v = norm ? 1 + 0.1f * unit[i] : (float) (unit[i] * scale);
                    if (elem == 2) block.putShort(Half.f32ToBf16(v)); else block.putFloat(v);
                }
                for (long done = 0; done < n; done += blockValues) {
                    int m = (int) Math.min(blockValues, n - done);
                    out.write(block.array(), 0, m * elem);
                }
            }
        }
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
