package livetalk.model.vae;

/**
 * The per-channel statistics that normalise Wan 2.1 VAE latents for the DiT (docs/model.md#latent-normalisation): encode
 * gives {@code z = (μ − mean) · (1/std)}, decode starts from {@code z / (1/std) + mean}.
 *
 * <p>Values from {@code GAIR-NLP/LiveTalk:utils/wan_wrapper.py} ({@code WanVAEWrapper.__init__},
 * identical to {@code wan/modules/vae.py:WanVAE}); the golden files carry the same numbers as
 * {@code mean} / {@code std}. The wrapper forms {@code 1/std} in float32 and the VAE multiplies by
 * it (encode) or divides by it (decode), which this class reproduces.
 */
public final class LatentStats {
    private LatentStats() {
    }

    public static final float[] MEAN = {
            -0.7571f, -0.7089f, -0.9113f, 0.1075f, -0.1745f, 0.9653f, -0.1517f, 1.5508f,
            0.4134f, -0.0715f, 0.5517f, -0.3632f, -0.1922f, -0.9497f, 0.2503f, -0.2921f};

    public static final float[] STD = {
            2.8184f, 1.4541f, 2.3275f, 2.6558f, 1.2196f, 1.7708f, 2.6052f, 2.0743f,
            3.2687f, 2.1526f, 2.8652f, 1.5579f, 1.6382f, 1.1253f, 2.8251f, 1.9160f};

    /** Latent channels the constants cover. */
    public static final int CHANNELS = MEAN.length;

    /** In place: {@code [frames, 16, pixels]} encoder means → normalised latents. */
    public static void normalize(float[] mu, int frames, int pixels) {
        for (int t = 0; t < frames; t++) {
            for (int c = 0; c < CHANNELS; c++) {
                float inv = 1f / STD[c];
                int base = (t * CHANNELS + c) * pixels;
                for (int p = 0; p < pixels; p++) mu[base + p] = (mu[base + p] - MEAN[c]) * inv;
            }
        }
    }

    /** In place: {@code [frames, 16, pixels]} normalised latents → decoder input. */
    public static void denormalize(float[] z, int frames, int pixels) {
        for (int t = 0; t < frames; t++) {
            for (int c = 0; c < CHANNELS; c++) {
                float inv = 1f / STD[c];
                int base = (t * CHANNELS + c) * pixels;
                for (int p = 0; p < pixels; p++) z[base + p] = z[base + p] / inv + MEAN[c];
            }
        }
    }
}
