package livetalk.model.audio;

import livetalk.io.audio.FeatureNormalizer;

/**
 * The audio side of the pipeline up to the DiT's audio projection (docs/model.md#audio-input): 16 kHz mono
 * samples → trimmed to {@code d = (4F−4)/16} seconds → feature-extractor normalisation →
 * wav2vec2 with {@code seqLen = 4F−3} → {@code [4F−3, (N+2)·H]} features (10752 wide for base).
 */
public final class AudioFeatures {
    public static final int SAMPLE_RATE = 16000;
    public static final int FPS = 16;   // docs/model.md#constants

    private AudioFeatures() {
    }

    /** Samples kept for {@code latentFrames}: {@code (4F−4)/fps} seconds at 16 kHz (docs/model.md#frame-counts). */
    public static int samplesFor(int latentFrames) {
        return (4 * latentFrames - 4) * SAMPLE_RATE / FPS;
    }

    /** Feature frames for {@code latentFrames}: one per video frame, {@code 4F−3}. */
    public static int framesFor(int latentFrames) {
        return 4 * latentFrames - 3;
    }

    /**
     * Features for {@code latentFrames} latent frames. Audio longer than the clip is cut. Shorter
     * audio is, with {@code padShort}, zero-padded to the clip length (keeps lip sync); without
     * it, it is used as it is and the interpolation stretches it over the clip, which is what the
     * official script does (docs/model.md#audio-input step 2).
     */
    public static float[] compute(Wav2Vec2 model, float[] mono16k, int latentFrames, boolean padShort) {
        if (latentFrames < 1) throw new IllegalArgumentException("latent frame count " + latentFrames);
        int keep = samplesFor(latentFrames);
        float[] clip = mono16k.length > keep || (padShort && mono16k.length < keep)
                ? java.util.Arrays.copyOf(mono16k, keep) : mono16k;
        if (clip.length == 0) throw new IllegalArgumentException("no audio samples");
        return model.forward(FeatureNormalizer.normalize(clip), framesFor(latentFrames)).features();
    }
}
