package livetalk.testkit;

import java.util.LinkedHashMap;
import java.util.Map;
import livetalk.io.MemoryCheckpoint;
import livetalk.model.dit.DitConfig;
import livetalk.tensor.DType;

/**
 * The causal DiT's official state dict (docs/model.md#dit-state-dict) for any {@link DitConfig}:
 * every name and shape, and a random model in it ({@link RandomWeights}; the modulation tables
 * get N(0, 1/dim), the spread of the golden set's recipe). For tests and benchmarks: the values
 * mean nothing.
 */
public final class DitWeights {
    private DitWeights() {
    }

    /** The official 1.3B configuration (docs/model.md#dit-constants): 30 layers, 14 audio projections. */
    public static DitConfig official1_3B() {
        return new DitConfig(1536, 8960, 30, 12, 33, 16, 1, 2, 2, 4096, 256, 10752, DitConfig.AUDIO_PACK, 32, 14,
                DitConfig.DEFAULT_EPS, DitConfig.DEFAULT_THETA);
    }

    /** Every tensor name with its shape, in the official order (857 entries for the 1.3B model). */
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

    /** The random weights of a DiT with this configuration, drawn from {@code seed} in {@code dtype}. */
    public static RandomWeights random(DitConfig c, long seed, DType dtype) {
        RandomWeights w = new RandomWeights(seed, dtype);
        shapes(c).forEach((name, shape) -> {
            if (name.endsWith("modulation")) w.normal(name, 0, 1 / Math.sqrt(c.dim()), shape);
            else w.byName(name, shape);
        });
        return w;
    }

    /** A whole random model in memory (small configurations only). */
    public static MemoryCheckpoint checkpoint(DitConfig c, long seed, DType dtype) {
        return random(c, seed, dtype).checkpoint("dit");
    }
}
