package livetalk.session;

import livetalk.io.audio.FeatureNormalizer;
import livetalk.model.audio.Wav2Vec2;
import livetalk.model.dit.AudioProjection;

/**
 * A live block's audio conditioning from audio that arrives incrementally. Offline, wav2vec2 sees
 * the whole clip at once (normalised over the clip, global attention, conv features stretched to
 * one feature per video frame). Live, block b is made as soon as its audio is in: wav2vec2 runs on
 * a rolling window that ends at the block's last frame and reaches {@link #CONTEXT_FRAMES} frames
 * back, and only the block's own frames are kept. The left context gives attention and the
 * normalisation most of what the whole clip gives; how far the result is from the offline one is
 * measured and bounded by StreamingFeaturesTest (tests/).
 *
 * <p>Packing (docs/model.md#audio-projection): offline, the features {@code [4F−3, A]} get 3 copies of frame 0 in front
 * and every 4 frames make one latent frame. Block b ≥ 1 needs frames {@code 12b−3 .. 12b+8}; handing
 * {@link AudioProjection#pack} the 13 frames {@code 12b−4 .. 12b+8} makes its first row from the
 * padding of frame {@code 12b−4} and the next three rows exactly the block's, so the first row is
 * dropped. Pack and projection work row by row, so this equals slicing the offline result.
 */
public final class StreamingFeatures {
    /** Left context of the wav2vec2 window, in video frames: 4 s (StreamingFeaturesTest measures the effect). */
    public static final int CONTEXT_FRAMES = 64;

    private StreamingFeatures() {
    }


    /**
     * The block's raw wav2vec2 features {@code [n, A]} for the video frames {@code [from, last]}
     * of block b ({@code from} = the block's first frame, or one earlier for the packing trick).
     */
    public static float[] features(Wav2Vec2 w2v, AudioTimeline audio, long b, long from) {
        return features(w2v, audio, b, from, CONTEXT_FRAMES);
    }

    /** As {@link #features(Wav2Vec2, AudioTimeline, long, long)} with {@code context} frames of left context. */
    public static float[] features(Wav2Vec2 w2v, AudioTimeline audio, long b, long from, int context) {
        long last = BlockClock.lastFrame(b), first = Math.max(0, last - context);
        // offline, frame i's feature is taken at time i/16 over a clip that ends at the last frame's time stamp
        float[] samples = audio.read(first * BlockClock.SAMPLES_PER_FRAME, (int) ((last - first) * BlockClock.SAMPLES_PER_FRAME));
        int seqLen = (int) (last - first + 1);
        float[] all = w2v.forward(FeatureNormalizer.normalize(samples), seqLen).features();   // [seqLen, A]
        int a = all.length / seqLen;
        return java.util.Arrays.copyOfRange(all, (int) (from - first) * a, all.length);
    }

    /** Audio conditioning {@code [nProj, 3, D]} of block b. Needs the timeline up to the block's last frame. */
    public static float[] condition(Wav2Vec2 w2v, AudioProjection proj, AudioTimeline audio, long b) {
        int fb = SamplingPlan.FRAMES_PER_BLOCK;
        float[] packed;
        if (b == 0) {
            float[] f = features(w2v, audio, 0, 0);                         // frames 0..8
            packed = proj.pack(f, BlockClock.frames(0));                     // [3, hidden]
        } else {
            long from = BlockClock.firstFrame(b) - 1;
            float[] f = features(w2v, audio, b, from);                      // 13 frames
            float[] rows = proj.pack(f, (int) (BlockClock.lastFrame(b) - from + 1));   // [4, hidden]
            int hidden = rows.length / (fb + 1);
            packed = java.util.Arrays.copyOfRange(rows, hidden, rows.length);
        }
        return proj.condition(packed, fb);
    }
}
