package livetalk.session;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import livetalk.io.image.PortraitPreprocess;
import livetalk.io.image.RgbImage;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.KvCache;
import livetalk.model.vae.StreamingDecoder;
import livetalk.sampler.CausalInference;
import livetalk.sampler.DecodeWorker;
import livetalk.sampler.SeededNoise;

/**
 * One live conversation's generator on a shared {@link ModelSet}: its own KV cache with the
 * identity sinks (never reset), reference latent, text context, VAE decoding state, noise streams
 * and clock. Audio goes in a block at a time; the block's frames can be had latent frame by latent
 * frame as they are decoded.
 *
 * <p><b>Two stages.</b> A block's DiT work (audio conditioning, 4 denoising steps, then the clean
 * pass that refreshes the KV cache) runs on the calling thread under the model set's fair model
 * lock, so several sessions take turns at those boundaries. Its decode runs on the session's own
 * decode thread (a {@link DecodeWorker}, which owns the session's {@link StreamingDecoder}) under
 * the VAE lock, one latent frame at a time, never under the model lock. {@link #submit} returns
 * once the block's clean pass is done, so the decode of block k runs beside the clean pass of
 * block k and the denoising of block k+1 (docs/sampler.md#streaming); at most two blocks are in
 * the decode thread's hands, and a third submit waits. {@link #next} is the one-block-at-a-time
 * order instead: denoise, decode, clean pass, then return the block.
 *
 * <p><b>Threads and locks.</b> {@code next}, {@code submit} and {@link #switchPrompt} come from one
 * thread at a time (the session's producer). Frame callbacks run on the decode thread holding
 * neither lock, so they may take either; hence nothing may wait for this session's decode thread
 * (submit, next, {@link #close}) while holding the model lock, the VAE lock, or a monitor that a
 * frame callback takes. The locks themselves are taken model first, then VAE ({@link ModelSet}).
 *
 * <p>Shapes: latents {@code [3, C, h, w]}; frames handed out as 8-bit RGB {@code [S, S, 3]} each.
 */
public final class LiveSession implements AutoCloseable {
    /**
     * One generated block: frames {@code [firstFrame, firstFrame + rgb.length)} and their audio, on the same clock.
     *
     * @param computeSeconds from the start of its denoising until both its clean pass and its last frame were done
     * @param ditSeconds     its DiT stage: audio conditioning, denoising and clean pass (waits for the model lock not counted)
     * @param decodeSeconds  its decode stage, on the decode thread: decoding, conversion to 8-bit RGB and the frame callbacks
     *                       (block 0's wait for its own latents, after the portrait's frame, not counted)
     */
    public record Block(long index, long firstFrame, byte[][] rgb, int size, float[] pcm, long pcmStart, double computeSeconds,
                        double ditSeconds, double decodeSeconds) {
        /**
         * The block's time on the busier of its two stages: what a block costs when blocks are
         * {@linkplain LiveSession#submit submitted} one after another, since the stages of successive blocks
         * overlap. Below the block's media time the session keeps up with real time.
         */
        public double stageSeconds() {
            return Math.max(ditSeconds, decodeSeconds);
        }
    }

    private static final AtomicLong SESSIONS = new AtomicLong();

    private final ModelSet models;
    private final int size;
    private final CausalInference inference;
    private final DecodeWorker decoder;
    private volatile boolean closed;             // set under the model lock by close, which then frees the KV cache
    private final SeededNoise initialNoise;
    private final AudioTimeline timeline = new AudioTimeline(6 * BlockClock.SAMPLE_RATE);
    private final int frameSize;
    /** The portrait's latent {@code [C, h, w]}: block 0's latent frame 0 (docs/sampler.md#block-loop). */
    private final float[] referenceLatent;
    private String prompt;
    private long block;
    /** What a block's DiT work (denoising or clean pass) failed with: the cache is then half written, and the session cannot go on. */
    private volatile Throwable failed;
    /** The initial noise of a block whose denoising was given up: the block's next try takes it. */
    private float[] retryNoise;

    /**
     * Encodes the portrait and starts the session's decode thread ({@link #close} ends it).
     *
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
            float[] ref;
            models.vaeLock().lock();                                            // the lock order: model, then VAE
            try {
                ref = models.vae().encode(pixels, 1, size, size);               // [1, C, h, w]
            } finally {
                models.vaeLock().unlock();
            }
            referenceLatent = java.util.Arrays.copyOf(ref, frameSize);
            inference.start(referenceLatent.clone(), h, w, text);
        } catch (RuntimeException | Error e) {
            inference.freeMemory();      // a device that is full gets its memory back now, not at a collection
            throw e;
        } finally {
            models.lock().unlock();
        }
        // last, so that a failure above leaves no thread behind
        this.decoder = new DecodeWorker(models.vae().decoder(h, w), models.vae().backend(), models.vaeLock(), true,
                "livetalk-live-decode-" + SESSIONS.incrementAndGet());
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

    /** Blocks handed to the decode thread and not yet done, 0 to {@link DecodeWorker#IN_HAND}. */
    public int blocksInHand() {
        return decoder.inHand();
    }

    /** Whether a {@link #submit} now would wait for the decode thread (it holds {@link DecodeWorker#IN_HAND} blocks). */
    public boolean submitWouldWait() {
        return decoder.inHand() >= DecodeWorker.IN_HAND;
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
     * order and before the block's cache refresh, which runs last (docs/sampler.md#streaming): one
     * block at a time, without overlap. The returned block holds all of them again. {@code early}
     * runs on the session's decode thread, holding neither lock, while this thread waits. If it
     * throws, it is not called again for the block, the block is still finished (decoded and
     * committed, so that the session stays whole), and the exception is thrown then. If the
     * decode itself fails, that is thrown instead, and so it is by every later call: the
     * decoder's history lacks the block.
     */
    public Block next(float[] pcm, float[] audioConditioning, FrameGroups early) {
        Handover h = denoiseAndHandOver(pcm, audioConditioning, early, () -> false);
        Decoded d;
        try {
            d = h.decoded().join();
        } catch (CompletionException | CancellationException e) {
            throw unwrap(e);
        }
        Committed c = commit();
        Block out = new Block(h.index(), h.first(), d.rgb(), size, pcm, BlockClock.pcmStart(h.index()), (c.endNanos() - h.startNanos()) / 1e9,
                h.ditSeconds() + c.seconds(), d.seconds());
        if (d.earlyFailure() != null) throw d.earlyFailure();
        return out;
    }

    /**
     * Starts the next block and returns once its DiT work is done, leaving its decode to the
     * session's decode thread: the block's frames go to {@code early} there as they are decoded,
     * as for {@link #next(float[], float[], FrameGroups)}, while the caller goes on (with the next
     * block, typically). Waits first while two blocks are still in the decode thread's hands.
     * Frames come out in block order and are the bits {@code next} gives: the decode sees the
     * same latents, and the clean pass only changes what the next block attends to.
     *
     * <p>Throws what the DiT work throws, and what an earlier block's decode failed with (the
     * session cannot go on). The future completes with the block once its frames are all out and
     * its clean pass is done; it fails with what {@code early} threw (the block still finished, as
     * for {@code next}), with the decode's failure, or, for a block the session was
     * {@linkplain #close closed} before it was decoded, with a {@link CancellationException}.
     *
     * @param audioConditioning as for {@link #next(float[], float[])}
     */
    public CompletableFuture<Block> submit(float[] pcm, float[] audioConditioning, FrameGroups early) {
        return submit(pcm, audioConditioning, early, () -> false);
    }

    /**
     * As {@link #submit(float[], float[], FrameGroups)}, giving the block up if {@code abandon}
     * says so before one of its denoising steps (block 0 excepted: its first frame is already with
     * the decoder): then it returns null, having handed nothing to the decoder, and the session is
     * as if the block had not been started. Its audio is forgotten; the next call makes the same
     * block (the same index, initial noise and re-noising draws) from the audio it brings. A live
     * stream gives up a block that a reply overtook ({@link LiveStream}): its frames would not be
     * shown, and it held the reply back. {@code abandon} runs on this thread under the model lock.
     */
    public CompletableFuture<Block> submit(float[] pcm, float[] audioConditioning, FrameGroups early, BooleanSupplier abandon) {
        Handover h = denoiseAndHandOver(pcm, audioConditioning, early, abandon);
        if (h == null) return null;
        // the clean pass runs beside the block's decode; its failure reaches the caller through the future too
        CompletableFuture<Committed> committed = new CompletableFuture<>();
        try {
            committed.complete(commit());
        } catch (RuntimeException | Error e) {
            committed.completeExceptionally(e);
        }
        return h.decoded().thenCombine(committed, (d, c) -> {
            if (d.earlyFailure() != null) throw d.earlyFailure();
            return new Block(h.index(), h.first(), d.rgb(), size, pcm, BlockClock.pcmStart(h.index()),
                    (Math.max(c.endNanos(), d.endNanos()) - h.startNanos()) / 1e9, h.ditSeconds() + c.seconds(), d.seconds());
        });
    }

    /**
     * Ends the session's decode thread. Blocks handed over but not yet decoded are dropped, and the
     * block being decoded stops at its next latent frame (their futures fail with a
     * {@link CancellationException}): a closed session's frames are never shown, and decoding
     * them would only hold the VAE from the other sessions. Returns once the thread has ended
     * (at most one latent frame's decode later). Not for a barge-in: a session that goes on must
     * decode every block it handed over, since the decoder is causal and a skipped block would
     * change every later frame (the server drops a cut turn's frames instead of sending them).
     * Then frees the session's KV cache (2.8 GB on a GPU at the official window), under the model
     * lock, so that it never disappears under DiT work of this session: device memory is not
     * returned by a garbage collection soon enough to leave it to one, and a server that opens and
     * closes sessions must stay flat. Idempotent; later calls to {@code next}, {@code submit},
     * {@link #switchPrompt} and {@link #sinkHash} throw {@link IllegalStateException}, and a block
     * between its denoising and its clean pass when the session closes fails the same way.
     * Not to be called holding either model lock or a monitor a frame callback takes (see the class comment).
     */
    @Override
    public void close() {
        decoder.close();
        models.lock().lock();
        try {
            closed = true;
            inference.freeMemory();
        } finally {
            models.lock().unlock();
        }
    }

    /** Under the model lock: whether {@link #close} has run (its cache is gone). */
    private void requireOpen() {
        if (closed) throw new IllegalStateException("the live session was closed");
    }

    /** A block whose DiT denoising is done and whose latents are with the decode thread. */
    private record Handover(long index, long first, long startNanos, double ditSeconds, CompletableFuture<Decoded> decoded) {
    }

    /** A block's frames as the decode thread made them; {@code earlyFailure}: what the frame callback threw, if it did. */
    private record Decoded(byte[][] rgb, double seconds, long endNanos, RuntimeException earlyFailure) {
    }

    private record Committed(double seconds, long endNanos) {
    }

    /**
     * The first half of a block: audio conditioning and denoising under the model lock, then the
     * latents to the decode thread. Block 0 goes to the decode thread first: its latent frame 0 is
     * the reference latent (docs/sampler.md#streaming), so the session's first frame is decoded
     * while the steps run, and the rest once they are done. Null if the block was given up ({@code abandon}).
     */
    private Handover denoiseAndHandOver(float[] pcm, float[] audioConditioning, FrameGroups early, BooleanSupplier abandon) {
        if (pcm.length != samplesForNextBlock()) {
            throw new IllegalArgumentException(pcm.length + " samples for block " + block + ", expected " + samplesForNextBlock());
        }
        decoder.checkUsable();                   // closed, or an earlier decode failed: no model work for nothing
        Throwable f = failed;
        if (f != null) throw new IllegalStateException("an earlier block of this session failed: " + f, f);
        long index = block, first = BlockClock.firstFrame(index), t0;
        CompletableFuture<float[]> latents = new CompletableFuture<>();
        CompletableFuture<Decoded> decoded = null;
        models.lock().lock();
        try {
            requireOpen();
            t0 = System.nanoTime();
            // block 0 is the first job, so this cannot wait for the decode thread while holding the lock
            if (index == 0) decoded = decoder.submit(() -> decode(latents, first, early));
            long audioEnd = timeline.end();
            timeline.append(pcm);
            float[] audio = audioConditioning != null ? audioConditioning
                    : StreamingFeatures.condition(models.wav2vec(), models.dit().audioProjection(), timeline, block);
            float[] noise = retryNoise != null ? retryNoise : initialNoise.next(SamplingPlan.FRAMES_PER_BLOCK * frameSize);
            retryNoise = null;
            float[] x0 = inference.denoise(noise, audio, index == 0 ? () -> false : abandon);   // [3, C, h, w]
            if (x0 == null) {                    // given up: nothing was handed over; the next try makes this block again
                timeline.truncate(audioEnd);
                retryNoise = noise;
                return null;
            }
            latents.complete(x0);
        } catch (RuntimeException | Error e) {
            // the decoder already took the reference frame: its job fails, and with it the session's decoding, as it must
            latents.completeExceptionally(e);
            if (!closed) failed = e;
            throw e;
        } finally {
            models.lock().unlock();
        }
        double dit = (System.nanoTime() - t0) / 1e9;
        // without the model lock: this may wait for the decode thread, whose frame callbacks may take it
        if (decoded == null) decoded = decoder.submit(() -> decode(latents, first, early));
        return new Handover(index, first, t0, dit, decoded);
    }

    /** The second half: the clean pass, which only the next block needs. */
    private Committed commit() {
        models.lock().lock();
        try {
            requireOpen();
            long t0 = System.nanoTime();
            inference.commit();
            block++;
            long end = System.nanoTime();
            return new Committed((end - t0) / 1e9, end);
        } catch (RuntimeException | Error e) {
            if (!closed) failed = e;
            throw e;
        } finally {
            models.lock().unlock();
        }
    }

    /**
     * On the decode thread: the block latent frame by latent frame (the same bits as one push of
     * the block), each group out at once. Block 0's latent frame 0 is the reference latent, taken
     * before the block's latents exist; the rest waits for them.
     */
    private Decoded decode(CompletableFuture<float[]> block, long first, FrameGroups early) {
        long t0 = System.nanoTime(), waited = 0;
        int plane = 3 * size * size;
        java.util.List<byte[]> rgb = new java.util.ArrayList<>();
        RuntimeException failed = null;
        for (int f = 0; f < SamplingPlan.FRAMES_PER_BLOCK; f++) {
            float[] latent;
            if (first == 0 && f == 0) {
                latent = referenceLatent;
            } else {
                // only block 0 gets here before its latents exist (it started with the portrait):
                // that wait is the DiT stage's time, not the decode's
                long w0 = System.nanoTime();
                float[] all = block.join();
                waited += System.nanoTime() - w0;
                latent = java.util.Arrays.copyOfRange(all, f * frameSize, (f + 1) * frameSize);
            }
            float[] px = decoder.push(latent, 1);   // [n, 3, S, S]
            byte[][] group = new byte[px.length / plane][];
            for (int i = 0; i < group.length; i++) group[i] = Frames.toRgb8(px, i * plane, size, size);
            if (early != null && failed == null) {
                try {
                    early.accept(first + rgb.size(), group);
                } catch (RuntimeException e) {
                    failed = e;
                }
            }
            rgb.addAll(java.util.Arrays.asList(group));
        }
        long end = System.nanoTime();
        return new Decoded(rgb.toArray(new byte[0][]), (end - t0 - waited) / 1e9, end, failed);
    }

    private static RuntimeException unwrap(RuntimeException e) {
        if (e instanceof CompletionException && e.getCause() != null) {
            if (e.getCause() instanceof RuntimeException re) return re;
            if (e.getCause() instanceof Error err) throw err;
            return new IllegalStateException(e.getCause());
        }
        return e;
    }

    /** Switches the prompt: the new text context from now on, the rolling window re-cached with it, the sinks kept. */
    public void switchPrompt(String newPrompt) {
        if (newPrompt.equals(prompt)) return;
        var text = models.textContext(newPrompt);
        models.lock().lock();
        try {
            requireOpen();
            inference.recache(text);
            prompt = newPrompt;
        } finally {
            models.lock().unlock();
        }
    }

    /** SHA-256 (hex, 16 digits) of every layer's sink K/V: identical across turns if the sinks are never touched. */
    public String sinkHash() {
        models.lock().lock();
        try {
            requireOpen();
            KvCache kv = inference.kvCache();
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

    /** Sink frames held by the KV cache now (the configured count once that many frames exist; 0 once closed). */
    public int sinkFrames() {
        KvCache kv = inference.kvCache();
        if (kv == null) return 0;
        return (int) Math.min(kv.sinkFrames(), kv.localEnd() / kv.frameSeqLength());
    }

    /** Bytes this session holds of its own: the KV cache, the audio ring and the re-cache history (the model set is shared). */
    public long memoryBytes() {
        KvCache kv = inference.kvCache();
        if (kv == null) return 0;                 // closed: the KV cache is freed; the host buffers go with the session object
        long kvBytes = 2L * kv.layers() * kv.capacity() * kv.dim() * (kv.dtype() == livetalk.tensor.DType.BF16 ? 2 : 4);
        long history = (long) Math.ceilDiv(kv.localAttnFrames(), SamplingPlan.FRAMES_PER_BLOCK) * SamplingPlan.FRAMES_PER_BLOCK * frameSize * 4;
        return kvBytes + timeline.bytes() + history;
    }
}
