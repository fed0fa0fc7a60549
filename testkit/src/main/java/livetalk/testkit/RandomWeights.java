package livetalk.testkit;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
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
        // The tile in the file's byte form once, then copied over the tensor whole tiles at a time
        // (element by element, a full-size DiT took 45 s to write).
        var tileBytes = Tensor.allocate(dtype, tile.length).segment();
        for (int i = 0; i < tile.length; i++) {
            if (dtype == DType.F32) tileBytes.setAtIndex(Tensor.F32_LE, i, tile[i]);
            else tileBytes.setAtIndex(Tensor.I16_LE, i, Half.f32ToBf16(tile[i]));
        }
        Tensor t = Tensor.allocate(dtype, s.shape);
        var seg = t.segment();
        for (long off = 0; off < seg.byteSize(); off += tileBytes.byteSize()) {
            java.lang.foreign.MemorySegment.copy(tileBytes, 0, seg, off, Math.min(tileBytes.byteSize(), seg.byteSize() - off));
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

    /**
     * Streams a safetensors file (full-size models). The next few tensors are drawn on all cores
     * while earlier ones are written, at most two per core in memory; each tensor's values depend
     * only on the seed and its name, so the file is the same whatever the number of cores.
     */
    public void write(Path file, Map<String, String> metadata) {
        Map<String, SafetensorsStreamWriter.Entry> entries = new LinkedHashMap<>();
        specs.forEach((n, s) -> entries.put(n, new SafetensorsStreamWriter.Entry(dtype, s.shape)));
        List<String> order = new ArrayList<>(specs.keySet());
        int cores = Runtime.getRuntime().availableProcessors();
        ExecutorService pool = Executors.newFixedThreadPool(cores, r -> {
            Thread t = new Thread(r, "random-weights");
            t.setDaemon(true);
            return t;
        });
        Map<String, Future<Tensor>> drawing = new HashMap<>();
        int[] next = {0};
        Function<String, Tensor> ahead = name -> {
            while (next[0] < order.size() && drawing.size() < 2 * cores) {
                String n = order.get(next[0]++);
                drawing.put(n, pool.submit(() -> tensor(n)));
            }
            Future<Tensor> f = drawing.remove(name);
            if (f == null) return tensor(name);
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while drawing " + name, e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("drawing " + name + " failed", e.getCause());
            }
        };
        try {
            SafetensorsStreamWriter.write(file, entries, metadata, ahead);
        } finally {
            pool.shutdownNow();
        }
    }
}
