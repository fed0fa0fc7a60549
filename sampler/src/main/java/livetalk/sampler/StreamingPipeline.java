package livetalk.sampler;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import livetalk.model.dit.AudioProjection;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.TextCache;
import livetalk.model.vae.WanVae;

/**
 * The LiveTalk inference path after the encoders (docs/model.md#reference-image, docs/sampler.md#overview, docs/sampler.md#block-loop, docs/model.md#streaming-decode), streaming: each block
 * of latent frames goes to the decoder as soon as its last denoising step is done, before the
 * clean pass that refreshes the KV cache, and its frames reach the sink latent frame by latent
 * frame as they are decoded. With overlap on, decoding block k runs on a second thread (a
 * {@link DecodeWorker}) while the cache is refreshed with block k and block k+1 is denoised
 * (docs/sampler.md#streaming).
 *
 * <p>Layouts: reference pixels {@code [3, H, W]} in [−1, 1]; latents {@code [F, C, h, w]};
 * audio features {@code [L, A]} with {@code L = 4F − 3}; frames handed out {@code [n, 3, H, W]}
 * in [−1, 1].
 */
public final class StreamingPipeline {

    /** Everything a generation is conditioned on, computed once (the prompt and image parts are reusable). */
    public record Conditioning(float[] refLatent, int latentH, int latentW, float[] audio, int latentFrames, TextCache text) {
    }

    /**
     * Receives decoded frames in order, one latent frame's worth per call: {@code frames [n, 3, H, W]},
     * {@code first} = index of the first one (n = 1 for latent frame 0, then 4, fewer at the end of a truncated run).
     */
    public interface FrameSink {
        void accept(float[] frames, int n, int first) throws Exception;
    }

    /** Told after every block has been decoded and delivered (on the decode thread when overlap is on). */
    public interface Progress {
        void blockDone(int blocksDone, int blocksTotal, int framesDelivered);
    }

    /**
     * What a run produced. {@code blocks}: blocks whose frames were all delivered; {@code firstFrameSeconds}:
     * from the start of {@link #run} to the first frame delivered.
     */
    /**
     * @param firstFrameSeconds          until the first frame was delivered: the reference frame, decoded
     *                                   before block 0's steps (its latent is the reference's, docs/sampler.md#streaming)
     * @param firstGeneratedFrameSeconds until the first frame the DiT made (video frame 1, after block 0's steps)
     */
    public record Result(int blocks, int pixelFrames, double firstFrameSeconds, double firstGeneratedFrameSeconds, double seconds,
                         boolean cancelled) {
        public double framesPerSecond() {
            return seconds > 0 ? pixelFrames / seconds : 0;
        }
    }

    /** Latent frames [from, to) of a block to the decoder and on to the sink; false once the run is stopping. */
    @FunctionalInterface
    private interface LatentFrames {
        boolean push(float[] latents, int from, int to);
    }

    private final CausalDit dit;
    private final WanVae vae;
    private final CausalInference.Settings settings;
    private final float[] stepTimesteps;
    private final boolean overlap;
    private volatile CausalInference.CallListener listener;

    /**
     * @param stepTimesteps the timesteps the DiT sees per step (bf16-rounded in the reference run, docs/sampler.md#timesteps)
     * @param overlap       decode on a second thread while the cache is refreshed and the next block denoised
     */
    public StreamingPipeline(CausalDit dit, WanVae vae, CausalInference.Settings settings, float[] stepTimesteps, boolean overlap) {
        this.dit = dit;
        this.vae = vae;
        this.settings = settings;
        this.stepTimesteps = stepTimesteps.clone();
        this.overlap = overlap;
    }

    /**
     * Observes every DiT call of the runs that start after this (on the thread that runs them;
     * null: none), as {@link CausalInference#setListener}: for tests and profiling.
     */
    public void setCallListener(CausalInference.CallListener listener) {
        this.listener = listener;
    }

    /** Latent frames needed for {@code pixelFrames} output frames, rounded up to whole blocks (docs/model.md#frame-counts: T = 1 + 4(F−1)). */
    public int latentFramesFor(int pixelFrames) {
        int tf = vae.config().temporalFactor(), fb = settings.framesPerBlock();
        int f = 1 + Math.ceilDiv(Math.max(pixelFrames, 1) - 1, tf);
        return Math.ceilDiv(f, fb) * fb;
    }

    /** Audio feature frames the DiT needs for {@code latentFrames}: one per output video frame, {@code 4F − 3}. */
    public int audioFramesFor(int latentFrames) {
        return vae.config().temporalFactor() * latentFrames - (vae.config().temporalFactor() - 1);
    }

    /**
     * Encodes the reference image and projects the audio features (docs/model.md#reference-image steps 5–6, docs/model.md#audio-projection).
     *
     * @param refPixels     {@code [3, H, W]} in [−1, 1], already resized and cropped
     * @param audioFeatures {@code [L, A]}, {@code cat(last, hs0..hsN)} per video frame, L = 4F − 3
     * @param text          the prompt's cache from {@link CausalDit#encodeText}
     */
    public Conditioning condition(float[] refPixels, int height, int width, float[] audioFeatures, int audioFrames, TextCache text) {
        float[] refLatent = vae.encode(refPixels, 1, height, width);      // [1, C, h, w]
        int s = vae.config().spatialFactor();
        AudioProjection ap = dit.audioProjection();
        float[] packed = ap.pack(audioFeatures, audioFrames);              // [F, hidden]
        int latentFrames = packed.length / dit.config().audioHidden();
        float[] audio = ap.condition(packed, latentFrames);                // [nProj, F, D]
        return new Conditioning(refLatent, height / s, width / s, audio, latentFrames, text);
    }

    /**
     * Generates {@code c.latentFrames()} latent frames block by block and delivers the first
     * {@code pixelFrames} decoded frames to {@code sink}, one latent frame's worth at a time (1 frame
     * for latent frame 0, then 4 each), in order. A block's latents go to the decoder as soon as
     * its last denoising step is done; its cache refresh runs after that (beside the decode with
     * overlap on, after it with overlap off), so no frame waits for it (docs/sampler.md#streaming).
     *
     * @param initial   the initial noise of each block, drawn block by block ({@code [Fb, C, h, w]} per draw)
     * @param renoise   the re-noising draws between steps
     * @param sink      called on the decode thread when overlap is on
     * @param progress  told after each block's frames were all delivered (null: not told)
     * @param cancelled polled between blocks and between latent frames (from the decode thread too):
     *                  once it is true no further frame is delivered, and the run ends with the frames delivered so far
     */
    public Result run(Conditioning c, int pixelFrames, NoiseSource initial, NoiseSource renoise, FrameSink sink, Progress progress,
                      BooleanSupplier cancelled) {
        int fb = settings.framesPerBlock();
        if (c.latentFrames() % fb != 0) {
            throw new IllegalArgumentException(c.latentFrames() + " latent frames is not a multiple of the block size " + fb);
        }
        int blocks = c.latentFrames() / fb;
        int frameSize = dit.config().outDim() * c.latentH() * c.latentW();
        CausalInference inf = new CausalInference(dit, settings, FlowMatchSchedule.official(), stepTimesteps, renoise);
        inf.setListener(listener);
        inf.start(java.util.Arrays.copyOf(c.refLatent(), frameSize), c.latentH(), c.latentW(), c.text());
        int s = vae.config().spatialFactor();
        int pixFrame = 3 * c.latentH() * s * c.latentW() * s;

        long start = System.nanoTime();
        long[] firstFrameAt = {-1}, firstGeneratedAt = {-1};
        int[] delivered = {0};
        int[] decodedBlocks = {0};
        // set by whichever thread sees the cancellation first; the other stops at its next check
        AtomicBoolean stop = new AtomicBoolean();
        BooleanSupplier stopping = () -> {
            if (!stop.get() && cancelled.getAsBoolean()) stop.set(true);
            return stop.get();
        };
        // the VAE is this run's alone: no lock around its pushes
        try (DecodeWorker decoder = new DecodeWorker(vae.decoder(c.latentH(), c.latentW()), vae.backend(), null, overlap, "livetalk-decode")) {
            // Latent frame by latent frame: the decoder is causal per frame, so this gives the bits of
            // one push of the whole block, and each latent frame's frames leave as soon as they exist.
            // Latent frames [from, to) of a block; false once stopped.
            LatentFrames deliver = (latents, from, to) -> {
                for (int i = from; i < to && delivered[0] < pixelFrames; i++) {
                    if (stopping.getAsBoolean()) return false;
                    float[] px = decoder.push(java.util.Arrays.copyOfRange(latents, i * frameSize, (i + 1) * frameSize), 1);   // [n, 3, H, W]
                    int n = Math.min(px.length / pixFrame, pixelFrames - delivered[0]);
                    float[] out = n * pixFrame == px.length ? px : java.util.Arrays.copyOf(px, n * pixFrame);
                    try {
                        sink.accept(out, n, delivered[0]);
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    long now = System.nanoTime();
                    if (firstFrameAt[0] < 0) firstFrameAt[0] = now;
                    if (firstGeneratedAt[0] < 0 && delivered[0] + n > 1) firstGeneratedAt[0] = now;
                    delivered[0] += n;
                }
                return true;
            };
            // Block 0's latent frame 0 is the reference latent, set before every step and after the
            // last (docs/sampler.md#block-loop): its frame, the video's first, is decoded before the
            // steps run. With a decode thread block 0 stays one job (one of the two in hand): it
            // decodes the reference frame, then waits for the block's latents.
            CompletableFuture<float[]> block0 = new CompletableFuture<>();
            boolean early = blocks > 0 && !stopping.getAsBoolean();
            if (early) {
                float[] reference = java.util.Arrays.copyOf(c.refLatent(), frameSize);
                decoder.submit(() -> {
                    if (!deliver.push(reference, 0, 1) || !overlap) return null;
                    float[] latents = block0.join();            // null: the run ended before block 0's steps did
                    if (latents == null || !deliver.push(latents, 1, fb)) return null;
                    decodedBlocks[0] = 1;
                    if (progress != null) progress.blockDone(1, blocks, delivered[0]);
                    return null;
                });
            }
            try {
                for (int b = 0; b < blocks; b++) {
                    if (stopping.getAsBoolean()) break;
                    float[] latents = inf.denoise(initial.next(fb * frameSize), inf.audioSlice(c.audio(), c.latentFrames(), b * fb, fb));
                    int blockNo = b + 1, firstLatent = b == 0 && early ? 1 : 0;
                    if (b == 0 && early && overlap) {
                        block0.complete(latents);
                    } else {
                        // at most two blocks in the decoder's hands, the one it decodes and this one (submit waits
                        // for a third), so that neither this block's clean pass nor its decode waits for the previous decode
                        decoder.submit(() -> {
                            if (!deliver.push(latents, firstLatent, fb)) return null;
                            decodedBlocks[0] = blockNo;
                            if (progress != null) progress.blockDone(blockNo, blocks, delivered[0]);
                            return null;
                        });
                    }
                    // the clean pass only serves the next block: after the last one, or once stopped, it is skipped
                    if (blockNo < blocks && !stopping.getAsBoolean()) inf.commit();
                }
            } finally {
                block0.complete(null);   // no effect once block 0 was handed over; else lets its job end
            }
            decoder.finish();
        } finally {
            inf.freeMemory();   // this run's KV cache: nothing else holds it
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double first = firstFrameAt[0] < 0 ? Double.NaN : (firstFrameAt[0] - start) / 1e9;
        double generated = firstGeneratedAt[0] < 0 ? Double.NaN : (firstGeneratedAt[0] - start) / 1e9;
        return new Result(decodedBlocks[0], delivered[0], first, generated, seconds, stop.get());
    }
}
