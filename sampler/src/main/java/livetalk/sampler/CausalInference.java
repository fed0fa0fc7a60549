package livetalk.sampler;

import java.util.Arrays;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.KvCache;
import livetalk.model.dit.TextCache;
import livetalk.tensor.DType;

/**
 * Block-wise autoregressive generation (docs/sampler.md#block-loop, {@code CausalInferencePipeline.inference} of
 * {@code scripts/inference_example.py}). Each block of {@code framesPerBlock} latent frames runs
 * the step list (4 DiT calls, {@link #denoise}), then one clean pass at t = 0 that refreshes the
 * KV cache with the block's final latents ({@link #commit}). The two halves are separate calls
 * so that a caller can hand the latents to the decoder before the clean pass runs
 * (docs/sampler.md#streaming); {@link #nextBlock} is both in one. Blocks are generated one at a
 * time, so a stream or a long session just keeps calling them; memory stays constant once the KV
 * window is full (the cache is a fixed-size ring with sinks, docs/sampler.md#kv-cache).
 *
 * <p>Layouts: latents {@code [F, C, h, w]}, audio conditioning {@code [nProj, F, D]}.
 */
public final class CausalInference {
    /**
     * Block geometry and cache policy. Officially 3 frames per block, a 15-frame window, 9 sink
     * frames (docs/sampler.md#identity-sinks); {@code kvDtype} is the KV cache's storage: bf16 by
     * default ({@link KvCache#DEFAULT_DTYPE}), F32 for parity runs against float32 golden data.
     */
    public record Settings(int framesPerBlock, int localAttnFrames, int sinkFrames, DType kvDtype) {
        public Settings(int framesPerBlock, int localAttnFrames, int sinkFrames) {
            this(framesPerBlock, localAttnFrames, sinkFrames, KvCache.DEFAULT_DTYPE);
        }

        public static Settings official() {
            return new Settings(3, 15, 9);
        }

        /** The same settings with another KV cache dtype. */
        public Settings withKvDtype(DType dtype) {
            return new Settings(framesPerBlock, localAttnFrames, sinkFrames, dtype);
        }
    }

    /** Observes every DiT call: step index, or −1 for the clean pass (then {@code flow} and {@code x0} are null). */
    public interface CallListener {
        void onCall(int block, int step, float timestep, float[] xIn, float[] flow, float[] x0);
    }

    private final CausalDit dit;
    private final Settings settings;
    private final FlowMatchSchedule schedule;
    private final float[] stepTimesteps;
    private final NoiseSource noise;
    private final int channels;
    private CallListener listener;

    private KvCache kv;
    private TextCache text;
    /** The last blocks' clean latents and audio, oldest first: what {@link #recache} re-runs. At most a window's worth. */
    private final java.util.ArrayDeque<CleanBlock> recent = new java.util.ArrayDeque<>();

    private record CleanBlock(long startFrame, float[] x0, float[] audio) {
    }
    /** The block {@link #denoise} returned, until {@link #commit} writes it into the cache. */
    private CleanBlock pending;
    private float[] refLatent;
    private int latentH, latentW, block;

    /**
     * @param stepTimesteps the timesteps fed to the DiT per step (e.g. {@code schedule.embeddingTimesteps(true)});
     *                      σ is looked up by nearest scheduler timestep
     * @param noise         the re-noising draws, {@code framesPerBlock·C·h·w} values each
     */
    public CausalInference(CausalDit dit, Settings settings, FlowMatchSchedule schedule, float[] stepTimesteps, NoiseSource noise) {
        this.dit = dit;
        this.settings = settings;
        this.schedule = schedule;
        this.stepTimesteps = stepTimesteps.clone();
        this.noise = noise;
        this.channels = dit.config().outDim();
    }

    public void setListener(CallListener listener) {
        this.listener = listener;
    }

    /** Starts a new video: reference latent {@code [C, h, w]}, text cache of the prompt. Resets the KV cache. */
    public void start(float[] refLatent, int latentH, int latentW, TextCache text) {
        if (refLatent.length != channels * latentH * latentW) {
            throw new IllegalArgumentException("reference latent: " + refLatent.length + " values, expected " + channels + "×" + latentH + "×" + latentW);
        }
        this.refLatent = refLatent.clone();
        this.latentH = latentH;
        this.latentW = latentW;
        this.text = text;
        int perFrame = dit.frameSeqLength(latentH, latentW);
        if (kv == null || kv.frameSeqLength() != perFrame) {
            freeCache();
            kv = dit.newKvCache(perFrame, settings.localAttnFrames(), settings.sinkFrames(), settings.kvDtype());
        } else {
            kv.reset();
        }
        recent.clear();
        pending = null;
        block = 0;
    }

    public KvCache kvCache() {
        return kv;
    }

    /**
     * Frees the KV cache's device memory now (2.8 GB at the official window in bf16); a later
     * {@link #start} makes a new one. Device memory is not freed by a garbage collection soon
     * enough to leave it to one.
     */
    public void freeCache() {
        if (kv != null) kv.free();
        kv = null;
    }

    /** Index of the next block to generate (a block that was denoised but not yet committed counts as not generated). */
    public int blockIndex() {
        return block;
    }

    /** Whether a block was {@linkplain #denoise denoised} and still waits for its {@link #commit}. */
    public boolean uncommitted() {
        return pending != null;
    }

    /**
     * Generates the next block: {@link #denoise} then {@link #commit}. {@code blockNoise [Fb, C, h, w]}
     * is its initial noise, {@code audio [nProj, Fb, D]} its audio conditioning. Returns the clean
     * latents {@code [Fb, C, h, w]}.
     */
    public float[] nextBlock(float[] blockNoise, float[] audio) {
        float[] x0 = denoise(blockNoise, audio);
        commit();
        return x0;
    }

    /**
     * The first half of a block: its 4 denoising calls. {@code blockNoise [Fb, C, h, w]} is its
     * initial noise, {@code audio [nProj, Fb, D]} its audio conditioning. Returns the clean latents
     * {@code [Fb, C, h, w]} (the caller's to keep: the sampler holds its own copy). The block is
     * not in the KV cache yet: {@link #commit} must follow before the next {@code denoise} or a
     * {@link #recache}. The latents are final already; the commit changes no bit of them.
     *
     * @throws IllegalStateException if the previous block was not committed
     */
    public float[] denoise(float[] blockNoise, float[] audio) {
        if (pending != null) {
            throw new IllegalStateException("block " + block + " was denoised but not committed: call commit() before denoising the next block");
        }
        if (kv == null) throw new IllegalStateException("no video started: call start() first");
        int fb = settings.framesPerBlock(), frame = latentH * latentW * channels;
        long startFrame = (long) block * fb;
        if (blockNoise.length != fb * frame) {
            throw new IllegalArgumentException("block noise: " + blockNoise.length + " values, expected " + fb * frame);
        }
        float[] y = conditioning(startFrame, fb);
        float[] x = blockNoise.clone();
        float[] x0 = null;
        for (int i = 0; i < stepTimesteps.length; i++) {
            float t = stepTimesteps[i];
            if (startFrame == 0) System.arraycopy(refLatent, 0, x, 0, frame);   // frame 0 := reference, every step (docs/sampler.md#block-loop)
            float[] v = dit.forward(input(x, y, t, audio, startFrame), kv, text);
            double sigma = schedule.sigmaAt(t);
            x0 = new float[x.length];
            for (int k = 0; k < x.length; k++) x0[k] = (float) ((double) x[k] - sigma * (double) v[k]);   // float64, docs/sampler.md#block-loop
            if (listener != null) listener.onCall(block, i, t, x.clone(), v, x0.clone());
            if (i + 1 < stepTimesteps.length) {
                float s = schedule.sigmaAt(stepTimesteps[i + 1]);
                float[] eps = noise.next(x0.length);
                float keep = 1f - s;                                            // add_noise in float32
                for (int k = 0; k < x.length; k++) x[k] = keep * x0[k] + s * eps[k];
            }
        }
        if (startFrame == 0) System.arraycopy(refLatent, 0, x0, 0, frame);      // and after the last step
        pending = new CleanBlock(startFrame, x0.clone(), audio.clone());
        return x0;
    }

    /**
     * The second half of a block: the clean pass at t = 0 with the latents {@link #denoise}
     * returned, which overwrites the block's cache slots with clean K/V (its output is unused).
     * Needed before the next block is denoised; a run that ends after this block may skip it.
     *
     * @throws IllegalStateException if no block waits for it
     */
    public void commit() {
        if (pending == null) {
            throw new IllegalStateException("nothing to commit: block " + block + " has not been denoised");
        }
        CleanBlock b = pending;
        int fb = settings.framesPerBlock();
        dit.refreshCache(input(b.x0(), conditioning(b.startFrame(), fb), 0f, b.audio(), b.startFrame()), kv, text);
        if (listener != null) listener.onCall(block, -1, 0f, b.x0().clone(), null, null);
        pending = null;
        recent.addLast(b);
        while (recent.size() > Math.ceilDiv(settings.localAttnFrames(), fb)) recent.removeFirst();
        block++;
    }

    /** The text context the DiT's cross-attention uses now. */
    public TextCache text() {
        return text;
    }

    /**
     * Switches the prompt mid-stream, as LongLive's {@code _recache_after_switch} does: the new
     * text context is used from now on, and the rolling window's K/V are rebuilt by re-running the
     * clean pass (t = 0) of every cached non-sink block, oldest first, with the new text. The sink
     * frames' K/V are not touched (the identity anchors stay as they were), and the cache indices
     * end where they were, so the next block continues the same timeline. Returns the number of
     * blocks re-run.
     *
     * @throws IllegalStateException if a denoised block still waits for its {@link #commit}
     */
    public int recache(TextCache newText) {
        if (pending != null) {
            throw new IllegalStateException("block " + block + " was denoised but not committed: call commit() before recache()");
        }
        this.text = newText;
        int fb = settings.framesPerBlock(), perFrame = kv.frameSeqLength();
        long[] slots = kv.slotTokens();
        long firstCached = Long.MAX_VALUE;
        for (int i = settings.sinkFrames() * perFrame; i < slots.length; i++) firstCached = Math.min(firstCached, slots[i]);
        int rerun = 0;
        for (CleanBlock b : recent) {
            // only whole blocks outside the sinks that are still in the window
            if (b.startFrame() < settings.sinkFrames() || b.startFrame() * perFrame < firstCached) continue;
            float[] y = conditioning(b.startFrame(), fb);
            dit.refreshCache(input(b.x0(), y, 0f, b.audio(), b.startFrame()), kv, text);
            rerun++;
        }
        return rerun;
    }

    /** Whole video: {@code noise [F, C, h, w]}, {@code audio [nProj, F, D]}; F a multiple of the block size. */
    public float[] generate(float[] allNoise, float[] audio, int frames) {
        int fb = settings.framesPerBlock(), frame = latentH * latentW * channels;
        if (frames % fb != 0) throw new IllegalArgumentException(frames + " latent frames is not a multiple of " + fb);
        float[] out = new float[frames * frame];
        for (int b = 0; b < frames / fb; b++) {
            float[] bn = Arrays.copyOfRange(allNoise, b * fb * frame, (b + 1) * fb * frame);
            float[] lat = nextBlock(bn, audioSlice(audio, frames, b * fb, fb));
            System.arraycopy(lat, 0, out, b * fb * frame, lat.length);
        }
        return out;
    }

    /** Frames {@code [start, start+count)} of an audio conditioning {@code [nProj, F, D]}. */
    public float[] audioSlice(float[] audio, int frames, int start, int count) {
        int d = dit.config().dim(), n = dit.config().numAudioProjs();
        float[] out = new float[n * count * d];
        for (int j = 0; j < n; j++) System.arraycopy(audio, (j * frames + start) * d, out, j * count * d, count * d);
        return out;
    }

    private CausalDit.Input input(float[] x, float[] y, float t, float[] audio, long startFrame) {
        int fb = settings.framesPerBlock();
        float[] ts = new float[fb];
        Arrays.fill(ts, t);                  // one timestep for every frame of the block
        return new CausalDit.Input(x, y, fb, latentH, latentW, ts, audio, startFrame);
    }

    /**
     * The image conditioning y for frames {@code [start, start+count)}, {@code [C + 1, count, h, w]}:
     * the reference latent on every frame plus a mask channel that is 0 on frame 0 and 1 on all
     * others (docs/sampler.md#overview, docs/numerics.md#input-channels).
     */
    public float[] conditioning(long start, int count) {
        return conditioning(refLatent, channels, latentH, latentW, start, count);
    }

    public static float[] conditioning(float[] ref, int channels, int h, int w, long start, int count) {
        int plane = h * w;
        float[] y = new float[(channels + 1) * count * plane];
        for (int c = 0; c < channels; c++) {
            for (int f = 0; f < count; f++) System.arraycopy(ref, c * plane, y, (c * count + f) * plane, plane);
        }
        for (int f = 0; f < count; f++) {
            Arrays.fill(y, (channels * count + f) * plane, (channels * count + f + 1) * plane, start + f == 0 ? 0f : 1f);
        }
        return y;
    }
}
