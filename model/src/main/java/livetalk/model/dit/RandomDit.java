package livetalk.model.dit;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import livetalk.io.MemoryCheckpoint;
import livetalk.tensor.DType;
import livetalk.tensor.Half;
import livetalk.tensor.Tensor;

/**
 * Random-weight DiT checkpoints in the official format (spec §2.2): the exact state-dict names
 * and shapes, filled with seeded normal values by the golden set's rules (matrices N(0, 1/fan_in),
 * modulation N(0, 1/dim), norm weights 1 + N(0, 0.1²), biases N(0, 0.05²)). Each tensor is
 * generated on its own from (seed, crc32(name)), so a full-size file can be written one tensor
 * at a time. For tests and benchmarks only: the values mean nothing.
 */
public final class RandomDit {
    private RandomDit() {
    }

    /** The official 1.3B configuration (spec §2.1): 30 layers, 14 audio projections. */
    public static DitConfig official1_3B() {
        return new DitConfig(1536, 8960, 30, 12, 33, 16, 1, 2, 2, 4096, 256, 10752, DitConfig.AUDIO_PACK, 32, 14,
                DitConfig.DEFAULT_EPS, DitConfig.DEFAULT_THETA);
    }

    /** Every tensor name with its shape, in the order of spec §2.2 (857 entries for the 1.3B model). */
    public static Map<String, long[]> shapes(DitConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long d = c.dim();
        m.put("patch_embedding.weight", new long[] {d, c.inDim(), c.patchT(), c.patchH(), c.patchW()});
        m.put("patch_embedding.bias", new long[] {d});
        m.put("text_embedding.0.weight", new long[] {d, c.textDim()});
        m.put("text_embedding.0.bias", new long[] {d});
        m.put("text_embedding.2.weight", new long[] {d, d});
        m.put("text_embedding.2.bias", new long[] {d});
        m.put("time_embedding.0.weight", new long[] {d, c.freqDim()});
        m.put("time_embedding.0.bias", new long[] {d});
        m.put("time_embedding.2.weight", new long[] {d, d});
        m.put("time_embedding.2.bias", new long[] {d});
        m.put("time_projection.1.weight", new long[] {6 * d, d});
        m.put("time_projection.1.bias", new long[] {6 * d});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "blocks." + i + ".";
            for (String a : new String[] {"self_attn.", "cross_attn."}) {
                for (String x : new String[] {"q", "k", "v", "o"}) {
                    m.put(p + a + x + ".weight", new long[] {d, d});
                    m.put(p + a + x + ".bias", new long[] {d});
                }
                m.put(p + a + "norm_q.weight", new long[] {d});
                m.put(p + a + "norm_k.weight", new long[] {d});
            }
            m.put(p + "norm3.weight", new long[] {d});
            m.put(p + "norm3.bias", new long[] {d});
            m.put(p + "ffn.0.weight", new long[] {c.ffnDim(), d});
            m.put(p + "ffn.0.bias", new long[] {c.ffnDim()});
            m.put(p + "ffn.2.weight", new long[] {d, c.ffnDim()});
            m.put(p + "ffn.2.bias", new long[] {d});
            m.put(p + "modulation", new long[] {1, 6, d});
        }
        m.put("head.head.weight", new long[] {c.patchOut(), d});
        m.put("head.head.bias", new long[] {c.patchOut()});
        m.put("head.modulation", new long[] {1, 2, d});
        m.put("audio_proj.proj.weight", new long[] {c.audioHidden(), (long) c.audioPack() * c.audioInputDim()});
        m.put("audio_proj.proj.bias", new long[] {c.audioHidden()});
        m.put("audio_proj.norm_out.weight", new long[] {c.audioHidden()});
        m.put("audio_proj.norm_out.bias", new long[] {c.audioHidden()});
        for (int j = 0; j < c.numAudioProjs(); j++) {
            m.put("audio_cond_projs." + j + ".weight", new long[] {d, c.audioHidden()});
            m.put("audio_cond_projs." + j + ".bias", new long[] {d});
        }
        return m;
    }

    /** One tensor's seeded values, in {@code dtype} (F32 or BF16, rounded to nearest even). */
    public static Tensor tensor(String name, long[] shape, long seed, DType dtype, DitConfig c) {
        CRC32 crc = new CRC32();
        crc.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ crc.getValue());
        double mean = 0, std;
        if (name.endsWith("modulation")) {
            std = 1.0 / Math.sqrt(c.dim());
        } else if (name.contains("norm") && name.endsWith(".weight")) {
            mean = 1;
            std = 0.1;
        } else if (name.endsWith(".bias")) {
            std = 0.05;
        } else {
            long fanIn = Tensor.numel(shape) / shape[0];
            std = 1.0 / Math.sqrt(fanIn);
        }
        int n = Math.toIntExact(Tensor.numel(shape));
        Tensor t = Tensor.allocate(dtype, shape);
        var seg = t.segment();
        for (int i = 0; i < n; i++) {
            float v = (float) (mean + std * gaussian(rnd));
            if (dtype == DType.F32) seg.setAtIndex(Tensor.F32_LE, i, v);
            else if (dtype == DType.BF16) seg.setAtIndex(Tensor.I16_LE, i, Half.f32ToBf16(v));
            else throw new IllegalArgumentException("random DiT weights in F32 or BF16, not " + dtype);
        }
        return t;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = 1.0 - rnd.nextDouble(), v = rnd.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** A whole random model in memory (small configurations only). */
    public static MemoryCheckpoint checkpoint(DitConfig c, long seed, DType dtype) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(c).entrySet()) m.put(e.getKey(), tensor(e.getKey(), e.getValue(), seed, dtype, c));
        return new MemoryCheckpoint("random-dit(seed " + seed + ")", m, Map.of());
    }
}
