package livetalk.sampler;

import java.util.Arrays;
import java.util.function.BooleanSupplier;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
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

    /**
     * Observes every DiT call: step index, or −1 for the clean pass (then {@code flow} and {@code x0}
     * are null). The values come back from the device for it, a read per value and step, unless
     * {@link #wantsValues} says no: then all three are null, and the block's last step is reported
     * once its latents are back on the host, i.e. when the steps are done on the device too.
     */
    public interface CallListener {
        void onCall(int block, int step, float timestep, float[] xIn, float[] flow, float[] x0);

        /** False for a listener that only times the calls, so that the steps run without a read in between. */
        default boolean wantsValues() {
            return true;
        }
    }

    private final CausalDit dit;
    private final Settings settings;
    private final FlowMatchSchedule schedule;
    private final float[] stepTimesteps;
    private final NoiseSource noise;
    private final int channels;
    private CallListener listener;

    private KvCache kv;
    private StepBuffers buffers;
    private TextCache text;
    /** The last blocks' clean latents and audio, oldest first: what {@link #recache} re-runs. At most a window's worth. */
    private final java.util.ArrayDeque<CleanBlock> recent = new java.util.ArrayDeque<>();

    private record CleanBlock(long startFrame, float[] x0, float[] audio) {
    }
    /** The block {@link #denoise} returned, until {@link #commit} writes it into the cache. */
    private CleanBlock pending;
    /** The re-noising draws of a block whose denoising was abandoned: the block's next try takes them. */
    private float[] retryDraws;
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
        this.retryDraws = null;
        this.latentH = latentH;
        this.latentW = latentW;
        this.text = text;
        int perFrame = dit.frameSeqLength(latentH, latentW);
        if (kv == null || buffers == null || kv.frameSeqLength() != perFrame) {   // buffers null: a full device stopped the last start
            freeMemory();
            kv = dit.newKvCache(perFrame, settings.localAttnFrames(), settings.sinkFrames(), settings.kvDtype());
            buffers = new StepBuffers(dit.backend(), channels, latentH * latentW, settings.framesPerBlock(), stepTimesteps.length - 1,
                    dit.config().numAudioProjs() * settings.framesPerBlock() * dit.config().dim());
        } else {
            kv.reset();
        }
        dit.backend().write(buffers.ref, this.refLatent);
        recent.clear();
        pending = null;
        block = 0;
    }

    public KvCache kvCache() {
        return kv;
    }

    /**
     * Frees this sampler's device memory now: the KV cache (2.8 GB at the official window in bf16)
     * and the block's step buffers (about 6 MB at 512×512); a later {@link #start} makes new ones.
     * Device memory is not freed by a garbage collection soon enough to leave it to one.
     */
    public void freeMemory() {
        if (kv != null) kv.free();
        if (buffers != null) buffers.free(dit.backend());
        kv = null;
        buffers = null;
    }

    /**
     * A block's latents where the DiT runs, so that its steps follow one another on the device
     * with nothing read back in between (docs/sampler.md#block-loop): one read per block, of the
     * clean latents. Sizes for one block: {@code n = Fb·C·h·w}.
     */
    private static final class StepBuffers {
        final Buf x;       // [Fb, C, h, w] the step's input
        final Buf x0;      // [Fb, C, h, w] the clean estimate x − σ·v
        final Buf flow;    // [Fb, C, h, w] the DiT's output v
        final Buf y;       // [C + 1, Fb, h, w] the image conditioning
        final Buf audio;   // [nProj, Fb, D], null without audio projections
        final Buf eps;     // [draws, Fb, C, h, w] the block's re-noising draws
        final Buf ref;     // [C, h, w] the reference latent
        final int n;

        StepBuffers(Backend be, int channels, int plane, int framesPerBlock, int draws, int audioSize) {
            n = channels * plane * framesPerBlock;
            x = be.alloc(n);
            x0 = be.alloc(n);
            flow = be.alloc(n);
            y = be.alloc((long) (channels + 1) * framesPerBlock * plane);
            audio = audioSize > 0 ? be.alloc(audioSize) : null;
            eps = be.alloc(Math.max(1L, (long) draws * n));
            ref = be.alloc((long) channels * plane);
        }

        Buf eps(int draw) {
            return eps.view((long) draw * n, n);
        }

        void free(Backend be) {
            for (Buf b : new Buf[] {x, x0, flow, y, audio, eps, ref}) {
                if (b != null) be.free(b);
            }
        }
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
        return denoise(blockNoise, audio, () -> false);
    }

    /**
     * As {@link #denoise(float[], float[])}, giving the block up if {@code abandon} says so before
     * one of its steps: then it returns null and the generation is as if the block had not been
     * started. Its next try is the same block (the same index, cache slots and re-noising draws,
     * which are kept for it); the window's roll, done at the block's first step, is not done again
     * (docs/sampler.md#kv-cache: only a block's first call, e > G, rolls; every call of the block
     * writes the same slots), and the slots the given-up steps wrote are written again before
     * anything reads them.
     * Steps already issued to a device run to their end first. (A live session gives up a block
     * that a reply overtook: docs/sampler.md#streaming.)
     */
    public float[] denoise(float[] blockNoise, float[] audio, BooleanSupplier abandon) {
        if (pending != null) {
            throw new IllegalStateException("block " + block + " was denoised but not committed: call commit() before denoising the next block");
        }
        if (kv == null) throw new IllegalStateException("no video started: call start() first");
        int fb = settings.framesPerBlock(), frame = latentH * latentW * channels;
        long startFrame = (long) block * fb;
        if (blockNoise.length != fb * frame) {
            throw new IllegalArgumentException("block noise: " + blockNoise.length + " values, expected " + fb * frame);
        }
        // The block's inputs go to the device once; its steps then run there one after another,
        // and only the clean latents come back (docs/sampler.md#block-loop). The host's share comes
        // first, while a device may still run the previous block's clean pass: the conditioning,
        // and the re-noising draws in the order the steps use them.
        Backend be = dit.backend();
        StepBuffers b = buffers;
        float[] y = conditioning(startFrame, fb);
        int draws = stepTimesteps.length - 1;
        float[] eps = retryDraws;
        retryDraws = null;
        if (eps == null) {
            eps = new float[draws * b.n];
            for (int d = 0; d < draws; d++) System.arraycopy(noise.next(b.n), 0, eps, d * b.n, b.n);
        }
        be.write(b.x, blockNoise);
        be.write(b.y, y);
        if (b.audio != null) be.write(b.audio, audio);
        if (draws > 0) be.write(b.eps.view(0, eps.length), eps);
        Buf frame0 = b.x.view(0, frame);
        for (int i = 0; i < stepTimesteps.length; i++) {
            if (abandon.getAsBoolean()) {
                retryDraws = eps;
                return null;
            }
            float t = stepTimesteps[i];
            if (startFrame == 0) be.copy(b.ref, frame0);                       // frame 0 := reference, every step (docs/sampler.md#block-loop)
            dit.forward(step(b.x, t, startFrame), kv, text, b.flow);
            be.subtractScaled(b.x, schedule.sigmaAt(t), b.flow, b.x0);          // x0 = x − σ·v in float64, docs/sampler.md#block-loop
            boolean last = i + 1 == stepTimesteps.length;
            if (listener != null && listener.wantsValues()) listener.onCall(block, i, t, be.read(b.x), be.read(b.flow), be.read(b.x0));
            else if (listener != null && !last) listener.onCall(block, i, t, null, null, null);
            if (!last) {
                float s = schedule.sigmaAt(stepTimesteps[i + 1]);
                be.axpby(1f - s, b.x0, s, b.eps(i), b.x);                      // add_noise in float32: (1 − s)·x0 + s·ε
            }
        }
        if (startFrame == 0) be.copy(b.ref, b.x0.view(0, frame));             // and after the last step
        float[] x0 = be.read(b.x0);
        if (listener != null && !listener.wantsValues()) {
            int last = stepTimesteps.length - 1;
            listener.onCall(block, last, stepTimesteps[last], null, null, null);
        }
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
        // the block's clean latents, conditioning and audio are still on the device, where denoise left them
        dit.refreshCache(step(buffers.x0, 0f, b.startFrame()), kv, text);
        if (listener != null) listener.onCall(block, -1, 0f, listener.wantsValues() ? b.x0().clone() : null, null, null);
        pending = null;
        recent.addLast(b);
        while (recent.size() > Math.ceilDiv(settings.localAttnFrames(), settings.framesPerBlock())) recent.removeFirst();
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
            Backend be = dit.backend();
            be.write(buffers.x0, b.x0());
            be.write(buffers.y, conditioning(b.startFrame(), fb));
            if (buffers.audio != null) be.write(buffers.audio, b.audio());
            dit.refreshCache(step(buffers.x0, 0f, b.startFrame()), kv, text);
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

    /** A DiT call on the block's buffers: latents x, and the conditioning and audio denoise wrote. */
    private CausalDit.Step step(Buf x, float t, long startFrame) {
        int fb = settings.framesPerBlock();
        float[] ts = new float[fb];
        Arrays.fill(ts, t);                  // one timestep for every frame of the block
        return new CausalDit.Step(x, buffers.y, fb, latentH, latentW, ts, buffers.audio, startFrame);
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
