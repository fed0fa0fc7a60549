package livetalk.session;

/**
 * The one clock of a live session, in video frames at 16 fps and audio samples at 16 kHz (1000
 * samples per frame). Block b holds latent frames {@code [3b, 3b+3)}; latent frame 0 decodes to
 * video frame 0 and latent frame k ≥ 1 to video frames {@code 4k−3 .. 4k} (docs/model.md#frame-counts), so block 0
 * shows frames 0..8 and block b ≥ 1 frames {@code 12b−3 .. 12b+8}. A block's audio is exactly the
 * samples of its frames, so frames and PCM carry the same time stamps and cannot drift.
 */
public final class BlockClock {
    public static final int FPS = 16;
    public static final int SAMPLE_RATE = 16000;
    public static final int SAMPLES_PER_FRAME = SAMPLE_RATE / FPS;
    /** Video frames per latent frame (the VAE's temporal factor, 4 for Wan). */
    public static final int TEMPORAL = 4;

    private BlockClock() {
    }

    /** First video frame of block {@code b}. */
    public static long firstFrame(long b) {
        return b == 0 ? 0 : TEMPORAL * SamplingPlan.FRAMES_PER_BLOCK * b - (TEMPORAL - 1);
    }

    /** Last video frame of block {@code b} (inclusive). */
    public static long lastFrame(long b) {
        return TEMPORAL * (SamplingPlan.FRAMES_PER_BLOCK * b + SamplingPlan.FRAMES_PER_BLOCK - 1);
    }

    public static int frames(long b) {
        return (int) (lastFrame(b) - firstFrame(b) + 1);
    }

    /** First audio sample of block {@code b}: the time stamp of its first frame. */
    public static long pcmStart(long b) {
        return firstFrame(b) * SAMPLES_PER_FRAME;
    }

    /** One past the last audio sample of block {@code b}. */
    public static long pcmEnd(long b) {
        return (lastFrame(b) + 1) * SAMPLES_PER_FRAME;
    }

    public static int pcmSamples(long b) {
        return (int) (pcmEnd(b) - pcmStart(b));
    }
}
