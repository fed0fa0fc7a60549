package livetalk.cli.demo;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import livetalk.tensor.DType;
import livetalk.tensor.Half;
import livetalk.tensor.Tensor;

/**
 * Builds a state dict of seeded normal tensors, each drawn on its own from (seed, crc32(name)) so
 * the values do not depend on the order or the number of other tensors. The bytes are the same on
 * every run and machine: SplittableRandom and the Box–Muller transform below (StrictMath) are fully specified.
 */
final class SeededWeights {
    private final long seed;
    private final DType dtype;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    SeededWeights(long seed, DType dtype) {
        this.seed = seed;
        this.dtype = dtype;
    }

    /** A matrix or conv kernel: N(0, 1/fan_in), fan_in = every dim but the first. */
    SeededWeights matrix(String name, long... shape) {
        return normal(name, 0, 1 / Math.sqrt((double) Tensor.numel(shape) / shape[0]), shape);
    }

    /** A norm scale: 1 + N(0, 0.1²). */
    SeededWeights scale(String name, long... shape) {
        return normal(name, 1, 0.1, shape);
    }

    /** A bias: N(0, 0.05²). */
    SeededWeights bias(String name, long... shape) {
        return normal(name, 0, 0.05, shape);
    }

    SeededWeights normal(String name, double mean, double std, long... shape) {
        CRC32 crc = new CRC32();
        crc.update(name.getBytes(StandardCharsets.UTF_8));
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ crc.getValue());
        int n = Math.toIntExact(Tensor.numel(shape));
        Tensor t = Tensor.allocate(dtype, shape);
        var seg = t.segment();
        for (int i = 0; i < n; i++) {
            double u = 1.0 - rnd.nextDouble(), v = rnd.nextDouble();
            float x = (float) (mean + std * StrictMath.sqrt(-2.0 * StrictMath.log(u)) * StrictMath.cos(2 * Math.PI * v));
            switch (dtype) {
                case F32 -> seg.setAtIndex(Tensor.F32_LE, i, x);
                case BF16 -> seg.setAtIndex(Tensor.I16_LE, i, Half.f32ToBf16(x));
                default -> throw new IllegalArgumentException("seeded weights in F32 or BF16, not " + dtype);
            }
        }
        if (tensors.putIfAbsent(name, t) != null) throw new IllegalArgumentException("duplicate tensor " + name);
        return this;
    }

    Map<String, Tensor> tensors() {
        return tensors;
    }
}
