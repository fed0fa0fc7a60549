package livetalk.model.vae;

/**
 * A causal decoding session of the Wan VAE (docs/model.md#streaming-decode): feed normalised latents a frame or a block
 * at a time and get their pixel frames back at once. Latent frame 0 of the session gives 1 frame,
 * every later one 4 ({@code temporalFactor}); decoding in blocks of any sizes gives exactly the
 * frames of a one-shot decode, because every conv keeps its own causal history. Memory is fixed
 * after the second latent frame: the per-conv caches hold 2 frames each, the activation buffers
 * one latent frame's worth.
 */
public final class StreamingDecoder {
    private final WanVae vae;
    private final int h, w;
    private int latentFrames;
    /** This session's decoder history while another session decodes (null: in use, or not started). */
    Object[] history;

    StreamingDecoder(WanVae vae, int h, int w) {
        this.vae = vae;
        this.h = h;
        this.w = w;
    }

    /**
     * Ends the session: its causal history (1.2 GiB at 512×512 on a GPU) is freed now rather than
     * at some garbage collection, so that a server opening and closing sessions stays flat. Not to
     * be used afterwards; called under the same exclusion as {@link #push} (one decode at a time).
     */
    public void release() {
        vae.releaseHistory(this);
    }

    /** Latent frames decoded so far. */
    public int latentFrames() {
        return latentFrames;
    }

    /** Pixel frames a decode of {@code latentFrames} latent frames yields in total: {@code 1 + 4(F−1)}. */
    public int pixelFrames(int latentFrames) {
        return latentFrames == 0 ? 0 : 1 + vae.config().temporalFactor() * (latentFrames - 1);
    }

    /** Normalised latents {@code [n, z, h, w]} → pixel frames {@code [T, 3, 8h, 8w]} clamped to [−1, 1]. */
    public float[] push(float[] latents, int n) {
        return clamp(pushRaw(latents, n));
    }

    /** As {@link #push}, without the clamp (the raw {@code WanVAE_.decode} output). */
    public float[] pushRaw(float[] latents, int n) {
        int zDim = vae.config().zDim();
        int frame = zDim * h * w;
        if (n < 0 || latents.length != (long) n * frame) {
            throw new IllegalArgumentException(latents.length + " latent values do not form [" + n + ", " + zDim + ", " + h + ", " + w + "]");
        }
        int s = vae.config().spatialFactor();
        int pixFrame = 3 * h * s * w * s;
        float[] out = new float[(pixelFrames(latentFrames + n) - pixelFrames(latentFrames)) * pixFrame];
        int pos = 0;
        for (int i = 0; i < n; i++) {
            float[] px = vae.decodeFrame(this, java.util.Arrays.copyOfRange(latents, i * frame, (i + 1) * frame), h, w);
            System.arraycopy(px, 0, out, pos, px.length);
            pos += px.length;
            latentFrames++;
        }
        return out;
    }

    /** In place: values clamped to [−1, 1] ({@code decode_to_pixel}'s {@code clamp_(-1, 1)}). */
    static float[] clamp(float[] x) {
        for (int i = 0; i < x.length; i++) x[i] = Math.max(-1f, Math.min(1f, x[i]));
        return x;
    }
}
