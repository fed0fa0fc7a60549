package livetalk.sampler;

import livetalk.model.dit.CausalDit;
import livetalk.model.vae.WanVae;

/**
 * One block of the whole streaming path at the smallest frame size, on zero inputs, thrown away:
 * run once after loading, so that a session's first block does not pay for first use.
 *
 * <p>What a first block pays for otherwise, and this moves to load time: on a GPU, every weight's
 * upload and conversion to the form its kernel reads (made on first use, about 2.6 GB for the
 * DiT) and the loading of the kernel modules; on the CPU, the page faults that bring the mapped
 * weights in from disk and the first compilations of the kernels. At 16 × 16 pixels a latent frame
 * is one DiT token and the VAE works on 2 × 2 latents, so the run itself costs little; every weight
 * of the DiT, the VAE encoder and the VAE decoder is used by it.
 *
 * <p>It changes no later result: the run has its own KV cache (freed at its end) and its own
 * decoder state, and the models keep nothing else between runs.
 */
public final class WarmUp {
    /** Frame size of the warm-up in pixels: the smallest the DiT's 2 × 2 patches and the VAE's 8× scale accept. */
    public static final int SIZE = 16;

    private WarmUp() {
    }

    /** Runs the block at {@link #SIZE}; returns its wall time in seconds. */
    public static double run(CausalDit dit, WanVae vae, CausalInference.Settings settings, float[] stepTimesteps) {
        return run(dit, vae, settings, stepTimesteps, SIZE);
    }

    /**
     * Runs the block at {@code size}×{@code size} pixels (a multiple of 16): at the size sessions
     * will run, the first session's first block finds every kernel compiled for its shapes (serve
     * --demo: its first frame after about 0.06 s instead of 0.7–0.9 s on the 2-core EPYC), at the
     * price of a full block before ready. Returns its wall time in seconds.
     */
    public static double run(CausalDit dit, WanVae vae, CausalInference.Settings settings, float[] stepTimesteps, int size) {
        if (size < SIZE || size % 16 != 0) throw new IllegalArgumentException("warm-up frame size " + size + " (a multiple of 16, at least " + SIZE + ")");
        long t0 = System.nanoTime();
        StreamingPipeline pipe = new StreamingPipeline(dit, vae, settings, stepTimesteps, false);
        int latentFrames = settings.framesPerBlock(), audioFrames = pipe.audioFramesFor(latentFrames);
        var text = dit.encodeText(new float[dit.config().textDim()], 1);                      // one zero token
        var cond = pipe.condition(new float[3 * size * size], size, size,                     // a grey reference [3, S, S]
                new float[audioFrames * dit.config().audioInputDim()], audioFrames, text);    // silence-like zero features
        // every frame of the block: latent frame 0 (1 frame) and the later ones (4 each, after a
        // history) take different paths through the decoder, and a session runs both at once
        pipe.run(cond, 1 + 4 * (latentFrames - 1), new SeededNoise(0), new SeededNoise(1), (frames, n, first) -> { }, null, () -> false);
        return (System.nanoTime() - t0) / 1e9;
    }
}
