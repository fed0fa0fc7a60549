package livetalk.cli.verify;

import livetalk.kernels.Backend;
import livetalk.model.vae.LatentStats;
import livetalk.model.vae.WanVae;
import livetalk.tensor.Tensor;

/** Shared pieces of the VAE checks: the golden VAE, and PyTorch layouts turned into the engine's frame-major one. */
final class VaeGolden {
    private VaeGolden() {
    }

    /** The tiny VAE of the golden set ({@code vae_tiny.safetensors}, official names). */
    static WanVae load(GoldenDir dir, Backend backend) {
        return WanVae.load(dir.file("vae_tiny"), backend);
    }

    /** {@code [1, C, T, H, W]} (PyTorch's video layout) → frame-major {@code [T, C, H, W]} values. */
    static float[] frameMajor(Tensor channelFirst) {
        return channelFirst.select(0, 0).permute(1, 0, 2, 3).contiguous().toFloatArray();
    }

    /** The file's latent constants, if present, against the ones the engine uses. */
    static void compareStats(GoldenDir dir, String stem, Report report) {
        report.compare(dir, stem, "mean", () -> LatentStats.MEAN);
        report.compare(dir, stem, "std", () -> LatentStats.STD);
    }
}
