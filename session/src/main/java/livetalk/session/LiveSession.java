package livetalk.session;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import livetalk.io.image.PortraitPreprocess;
import livetalk.io.image.RgbImage;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.KvCache;
import livetalk.model.vae.StreamingDecoder;
import livetalk.sampler.CausalInference;
import livetalk.sampler.SeededNoise;

/**
 * One live conversation's generator on a shared {@link ModelSet}: its own KV cache with the
 * identity sinks (never reset), reference latent, text context, VAE decoding state, noise streams
 * and clock. Audio goes in a block at a time ({@link #next}); its frames can be had latent frame
 * by latent frame as they are decoded, before the block's cache refresh. Every model call holds
 * the model set's fair lock, so several sessions take turns at block boundaries.
 *
 * <p>Shapes: latents {@code [3, C, h, w]}; frames handed out as 8-bit RGB {@code [S, S, 3]} each.
 */
public final class LiveSession {
    /** One generated block: frames {@code [firstFrame, firstFrame + rgb.length)} and their audio, on the same clock. */
    public record Block(long index, long firstFrame, byte[][] rgb, int size, float[] pcm, long pcmStart, double computeSeconds) {
    }

    private final ModelSet models;
    private final int size;
    private final CausalInference inference;
    private final StreamingDecoder decoder;
    private final SeededNoise initialNoise;
    private final AudioTimeline timeline = new AudioTimeline(6 * BlockClock.SAMPLE_RATE);
    private final int frameSize;
    private String prompt;
    private long block;

    /**
     * @param portrait the reference image (any size: resized and centre-cropped as offline)
     * @param size     frame size in pixels, a multiple of 16 (512 for the published model)
     */
    public LiveSession(ModelSet models, SamplingPlan plan, RgbImage portrait, int size, String prompt, long seed) {
        this.models = models;
        this.size = size;
        float[] pixels = PortraitPreprocess.prepare(portrait, size, size);     // [3, S, S] in [-1, 1]
        var text = models.textContext(prompt);
        this.prompt = prompt;
        CausalDit dit = models.dit();
        int s = models.vae().config().spatialFactor(), h = size / s, w = size / s;
        this.frameSize = dit.config().outDim() * h * w;
        // the same two noise streams as generate, so a session's first blocks are reproducible from its seed
        this.initialNoise = new SeededNoise(seed);
        this.inference = new CausalInference(dit, plan.settings(), plan.schedule(), plan.stepTimesteps(),
                new SeededNoise(seed ^ 0x9E3779B97F4A7C15L));
        models.lock().lock();
        try {
            float[] ref = models.vae().encode(pixels, 1, size, size);           // [1, C, h, w]
            inference.start(java.util.Arrays.copyOf(ref, frameSize), h, w, text);
            this.decoder = models.vae().decoder(h, w);
        } finally {
            models.lock().unlock();
        }
    }

    /** Index of the next block. */
    public long blockIndex() {
        return block;
    }

    /** Audio samples the next block takes (its frames' span at 16 kHz). */
    public int samplesForNextBlock() {
        return BlockClock.pcmSamples(block);
    }

    public String prompt() {
        return prompt;
    }

    public int size() {
        return size;
    }

    /**
     * Generates the next block from its audio ({@link #samplesForNextBlock} samples at 16 kHz,
     * which are also the block's playback audio).
     */
    public Block next(float[] pcm) {
        return next(pcm, null);
    }

    /**
     * As {@link #next(float[])}, with the block's audio conditioning {@code [nProj, 3, D]} given
     * instead of computed from the stream (null: computed). Lets a test feed the offline
     * conditioning and check that the live generator is the offline one.
     */
    public Block next(float[] pcm, float[] audioConditioning) {
        return next(pcm, audioConditioning, null);
    }

    /** Receives a block's frames while the block is being made: frames {@code [firstFrame, firstFrame + rgb.length)}. */
    public interface FrameGroups {
        void accept(long firstFrame, byte[][] rgb);
    }

    /**
     * As {@link #next(float[], float[])}, handing the block's frames to {@code early} as they are
     * decoded, one latent frame's worth at a time (4 frames; 1 for the session's very first), in
     * order and before the block's cache refresh, which runs last (docs/sampler.md#streaming). The
     * returned block holds all of them again. {@code early} runs on this thread under the model
     * lock; if it throws, the block is still finished (decoded and committed, so that the session
     * stays whole) and the exception is thrown then.
     */
    public Block next(float[] pcm, float[] audioConditioning, FrameGroups early) {
        if (pcm.length != samplesForNextBlock()) {
            throw new IllegalArgumentException(pcm.length + " samples for block " + block + ", expected " + samplesForNextBlock());
        }
        models.lock().lock();
        try {
            long t0 = System.nanoTime(), first = BlockClock.firstFrame(block);
            timeline.append(pcm);
            float[] audio = audioConditioning != null ? audioConditioning
                    : StreamingFeatures.condition(models.wav2vec(), models.dit().audioProjection(), timeline, block);
            float[] latents = inference.denoise(initialNoise.next(SamplingPlan.FRAMES_PER_BLOCK * frameSize), audio);
            int plane = 3 * size * size;
            java.util.List<byte[]> rgb = new java.util.ArrayList<>();
            RuntimeException failed = null;
            // latent frame by latent frame (the same bits as one push of the block), all out before the clean pass
            for (int f = 0; f < SamplingPlan.FRAMES_PER_BLOCK; f++) {
                float[] px = decoder.push(java.util.Arrays.copyOfRange(latents, f * frameSize, (f + 1) * frameSize), 1);   // [n, 3, S, S]
                byte[][] group = new byte[px.length / plane][];
                for (int i = 0; i < group.length; i++) group[i] = Frames.toRgb8(java.util.Arrays.copyOfRange(px, i * plane, (i + 1) * plane), size, size);
                if (early != null && failed == null) {
                    try {
                        early.accept(first + rgb.size(), group);
                    } catch (RuntimeException e) {
                        failed = e;
                    }
                }
                rgb.addAll(java.util.Arrays.asList(group));
            }
            inference.commit();                      // the clean pass: only the next block needs it
            Block out = new Block(block, first, rgb.toArray(new byte[0][]), size, pcm, BlockClock.pcmStart(block), (System.nanoTime() - t0) / 1e9);
            block++;
            if (failed != null) throw failed;
            return out;
        } finally {
            models.lock().unlock();
        }
    }

    /** Switches the prompt: the new text context from now on, the rolling window re-cached with it, the sinks kept. */
    public void switchPrompt(String newPrompt) {
        if (newPrompt.equals(prompt)) return;
        var text = models.textContext(newPrompt);
        models.lock().lock();
        try {
            inference.recache(text);
            prompt = newPrompt;
        } finally {
            models.lock().unlock();
        }
    }

    /** SHA-256 (hex, 16 digits) of every layer's sink K/V: identical across turns if the sinks are never touched. */
    public String sinkHash() {
        KvCache kv = inference.kvCache();
        models.lock().lock();
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long sinkValues = Math.min((long) kv.sinkFrames() * kv.frameSeqLength(), kv.localEnd()) * kv.dim();
            var be = models.backend();
            for (int l = 0; l < kv.layers(); l++) {
                for (var buf : new livetalk.kernels.Buf[] {kv.keys(l), kv.values(l)}) {
                    float[] x = be.read(buf.view(0, sinkValues));
                    java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(4 * x.length);
                    bb.asFloatBuffer().put(x);
                    sha.update(bb.array());
                }
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            models.lock().unlock();
        }
    }

    /** Sink frames held by the KV cache now (the configured count once that many frames exist). */
    public int sinkFrames() {
        KvCache kv = inference.kvCache();
        return (int) Math.min(kv.sinkFrames(), kv.localEnd() / kv.frameSeqLength());
    }

    /** Bytes this session holds of its own: the KV cache, the audio ring and the re-cache history (the model set is shared). */
    public long memoryBytes() {
        KvCache kv = inference.kvCache();
        long kvBytes = 2L * kv.layers() * kv.capacity() * kv.dim() * (kv.dtype() == livetalk.tensor.DType.BF16 ? 2 : 4);
        long history = (long) Math.ceilDiv(kv.localAttnFrames(), SamplingPlan.FRAMES_PER_BLOCK) * SamplingPlan.FRAMES_PER_BLOCK * frameSize * 4;
        return kvBytes + timeline.bytes() + history;
    }
}
