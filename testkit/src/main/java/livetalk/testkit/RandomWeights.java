package livetalk.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import livetalk.io.MemoryCheckpoint;
import livetalk.io.SafetensorsStreamWriter;
import livetalk.tensor.DType;
import livetalk.tensor.Half;
import livetalk.tensor.Tensor;

/**
 * The one generator of random weights: a list of named tensors, each filled with seeded normal
 * values drawn on its own from (seed, crc32(name)), so the values depend neither on the order nor
 * on the number of other tensors, and a full-size file can be written one tensor at a time. The
 * bytes are the same on every run and machine: SplittableRandom and the Box–Muller transform
 * (StrictMath) are fully specified.
 *
 * <p>A tensor draws at most {@link #TILE} values and repeats them: a 1 G-element embedding then
 * costs what a 4 M-element one does, and small tensors (every test model) are fully random.
 * Nothing is drawn until {@link #tensors}, {@link #checkpoint} or {@link #write} asks.
 */
public final class RandomWeights {
    /** The most values drawn per tensor; larger tensors repeat them. */
    public static final int TILE = 1 << 22;

    private record Spec(long[] shape, double mean, double std) {
    }

    private final long seed;
    private final DType dtype;
    private final Map<String, Spec> specs = new LinkedHashMap<>();

    /** An empty list whose tensors will be drawn from {@code seed} in {@code dtype} (F32 or BF16). */
    public RandomWeights(long seed, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.BF16) throw new IllegalArgumentException("random weights in F32 or BF16, not " + dtype);
        this.seed = seed;
        this.dtype = dtype;
    }

    /** A matrix or conv kernel: N(0, 1/fan_in), fan_in = every dim but the first. */
    public RandomWeights matrix(String name, long... shape) {
        return normal(name, 0, 1 / Math.sqrt((double) Tensor.numel(shape) / shape[0]), shape);
    }

    /** A norm scale: 1 + N(0, 0.1²). */
    public RandomWeights scale(String name, long... shape) {
        return normal(name, 1, 0.1, shape);
    }

    /** A bias: N(0, 0.05²). */
    public RandomWeights bias(String name, long... shape) {
        return normal(name, 0, 0.05, shape);
    }

    /** Any other tensor: N(mean, std²). */
    public RandomWeights normal(String name, double mean, double std, long... shape) {
        if (specs.putIfAbsent(name, new Spec(shape.clone(), mean, std)) != null) throw new IllegalArgumentException("duplicate tensor " + name);
        return this;
    }

    /**
     * A tensor whose role its official name tells: norm scales ({@code .gamma}, or a
     * {@code norm} weight) 1 + N(0, 0.1²), biases N(0, 0.05²), everything else N(0, 1/fan_in).
     */
    public RandomWeights byName(String name, long... shape) {
        if (name.endsWith(".gamma") || name.contains("norm") && name.endsWith(".weight")) return scale(name, shape);
        if (name.endsWith(".bias")) return bias(name, shape);
        return matrix(name, shape);
    }

    /** Every name with its shape, in the order added. */
    public Map<String, long[]> shapes() {
        Map<String, long[]> m = new LinkedHashMap<>();
        specs.forEach((n, s) -> m.put(n, s.shape.clone()));
        return m;
    }

    /** Draws one tensor. */
    public Tensor tensor(String name) {
        Spec s = specs.get(name);
        if (s == null) throw new IllegalArgumentException("no random tensor " + name);
        CRC32 crc = new CRC32();
        crc.update(name.getBytes(StandardCharsets.UTF_8));
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ crc.getValue());
        long n = Tensor.numel(s.shape);
        float[] tile = new float[(int) Math.min(n, TILE)];
        for (int i = 0; i < tile.length; i++) {
            double u = 1.0 - rnd.nextDouble(), v = rnd.nextDouble();
            tile[i] = (float) (s.mean + s.std * StrictMath.sqrt(-2.0 * StrictMath.log(u)) * StrictMath.cos(2 * Math.PI * v));
        }
        Tensor t = Tensor.allocate(dtype, s.shape);
        var seg = t.segment();
        for (long i = 0; i < n; i++) {
            float x = tile[(int) (i % tile.length)];
            if (dtype == DType.F32) seg.setAtIndex(Tensor.F32_LE, i, x);
            else seg.setAtIndex(Tensor.I16_LE, i, Half.f32ToBf16(x));
        }
        return t;
    }

    /** Every tensor, drawn now (small models only). */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String n : specs.keySet()) m.put(n, tensor(n));
        return m;
    }

    /** Every tensor as an in-memory checkpoint, what the model loaders read. */
    public MemoryCheckpoint checkpoint(String label) {
        return new MemoryCheckpoint(label + " (random weights, seed " + seed + ")", tensors(), Map.of());
    }

    /** Streams a safetensors file, one tensor in memory at a time (full-size models). */
    public void write(Path file, Map<String, String> metadata) {
        Map<String, SafetensorsStreamWriter.Entry> entries = new LinkedHashMap<>();
        specs.forEach((n, s) -> entries.put(n, new SafetensorsStreamWriter.Entry(dtype, s.shape)));
        SafetensorsStreamWriter.write(file, entries, metadata, this::tensor);
    }
}
