package livetalk.testkit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import livetalk.io.MemoryCheckpoint;
import livetalk.model.vae.VaeConfig;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * The Wan VAE's official state dict ({@code WanVAE_}, docs/model.md#vae-state-dict) for any
 * {@link VaeConfig}: every name and shape, and a random model in it ({@link RandomWeights}), for
 * tests and benchmarks without the 508 MB download. The layout walk mirrors the official
 * {@code Encoder3d}/{@code Decoder3d} constructors.
 */
public final class VaeWeights {
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    private VaeWeights() {
    }

    /** The official full-size configuration ({@code _video_vae}: dim 96, z 16). */
    public static VaeConfig official() {
        return new VaeConfig(96, 16, List.of(1, 2, 4, 4), 2, List.of(false, true, true));
    }

    /** Name → shape of every tensor of a {@code WanVAE_} with this configuration, in module order. */
    public static Map<String, long[]> shapes(VaeConfig cfg) {
        VaeWeights g = new VaeWeights();
        g.encoder(cfg);
        g.conv("conv1", 2 * cfg.zDim(), 2 * cfg.zDim(), 1, 1, 1);
        g.conv("conv2", cfg.zDim(), cfg.zDim(), 1, 1, 1);
        g.decoder(cfg);
        return g.shapes;
    }

    /** Every tensor of a {@code WanVAE_} with this configuration, F32, drawn from {@code seed}. */
    public static Map<String, Tensor> generate(VaeConfig cfg, long seed) {
        RandomWeights w = new RandomWeights(seed, DType.F32);
        shapes(cfg).forEach(w::byName);
        return w.tensors();
    }

    /** An in-memory checkpoint over {@code tensors} (what {@code WanVae.load} reads). */
    public static MemoryCheckpoint checkpoint(Map<String, Tensor> tensors) {
        return new MemoryCheckpoint("random VAE weights", tensors, Map.of());
    }

    private void encoder(VaeConfig cfg) {
        int[] dims = new int[cfg.dimMult().size() + 1];
        dims[0] = cfg.dim();
        for (int i = 0; i < cfg.dimMult().size(); i++) dims[i + 1] = cfg.dim() * cfg.dimMult().get(i);
        conv("encoder.conv1", dims[0], 3, 3, 3, 3);
        int k = 0;
        for (int i = 0; i < cfg.dimMult().size(); i++) {
            int in = dims[i], out = dims[i + 1];
            for (int r = 0; r < cfg.numResBlocks(); r++, in = out) residual("encoder.downsamples." + k++, in, out);
            if (i < cfg.dimMult().size() - 1) {
                String p = "encoder.downsamples." + k++;
                conv2d(p + ".resample.1", out, out);
                if (cfg.temporalDownsample().get(i)) conv(p + ".time_conv", out, out, 3, 1, 1);
            }
        }
        int c = dims[dims.length - 1];
        middle("encoder.middle", c);
        gamma("encoder.head.0", c, 4);
        conv("encoder.head.2", 2 * cfg.zDim(), c, 3, 3, 3);
    }

    private void decoder(VaeConfig cfg) {
        int n = cfg.dimMult().size();
        int[] dims = new int[n + 1];
        dims[0] = cfg.dim() * cfg.dimMult().get(n - 1);
        for (int i = 0; i < n; i++) dims[i + 1] = cfg.dim() * cfg.dimMult().get(n - 1 - i);
        conv("decoder.conv1", dims[0], cfg.zDim(), 3, 3, 3);
        middle("decoder.middle", dims[0]);
        int k = 0;
        for (int i = 0; i < n; i++) {
            int in = i == 0 ? dims[0] : dims[i] / 2, out = dims[i + 1];   // upsampling halves the channels
            for (int r = 0; r <= cfg.numResBlocks(); r++, in = out) residual("decoder.upsamples." + k++, in, out);
            if (i < n - 1) {
                String p = "decoder.upsamples." + k++;
                conv2d(p + ".resample.1", out / 2, out);
                if (cfg.temporalDownsample().get(n - 2 - i)) conv(p + ".time_conv", 2 * out, out, 3, 1, 1);
            }
        }
        gamma("decoder.head.0", dims[n], 4);
        conv("decoder.head.2", 3, dims[n], 3, 3, 3);
    }

    private void middle(String p, int c) {
        residual(p + ".0", c, c);
        gamma(p + ".1.norm", c, 3);
        put(p + ".1.to_qkv.weight", 3 * c, c, 1, 1);
        put(p + ".1.to_qkv.bias", 3 * c);
        put(p + ".1.proj.weight", c, c, 1, 1);
        put(p + ".1.proj.bias", c);
        residual(p + ".2", c, c);
    }

    private void residual(String p, int in, int out) {
        gamma(p + ".residual.0", in, 4);
        conv(p + ".residual.2", out, in, 3, 3, 3);
        gamma(p + ".residual.3", out, 4);
        conv(p + ".residual.6", out, out, 3, 3, 3);
        if (in != out) conv(p + ".shortcut", out, in, 1, 1, 1);
    }

    private void conv(String p, int out, int in, int kt, int kh, int kw) {
        put(p + ".weight", out, in, kt, kh, kw);
        put(p + ".bias", out);
    }

    private void conv2d(String p, int out, int in) {
        put(p + ".weight", out, in, 3, 3);
        put(p + ".bias", out);
    }

    /** γ of shape [C,1,1,1] (rank 4) or [C,1,1] (rank 3). */
    private void gamma(String p, int c, int rank) {
        put(p + ".gamma", rank == 4 ? new long[] {c, 1, 1, 1} : new long[] {c, 1, 1});
    }

    private void put(String name, long... shape) {
        shapes.put(name, shape);
    }

}
