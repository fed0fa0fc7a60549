package livetalk.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.dit.TextCache;
import livetalk.model.vae.StreamingDecoder;
import livetalk.model.vae.VaeConfig;
import livetalk.model.vae.WanVae;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.testkit.DitWeights;
import livetalk.testkit.VaeWeights;
import org.junit.jupiter.api.Test;

/**
 * The streaming pipeline on a small random DiT and VAE (docs/sampler.md#streaming): a block's
 * latents go to the decoder before its clean pass, and its frames reach the sink latent frame by
 * latent frame; none of that may change a bit of what a block-at-a-time run (denoise, refresh,
 * then decode the whole block) makes.
 */
class StreamingPipelineTest {
    private static final Backend BE = new CpuBackend();
    private static final int H = 2, W = 4, FRAME = 16 * H * W, PIX = 3 * 8 * H * 8 * W, BLOCKS = 3;

    /** One small model pair with its conditioning, and the frames of the block-at-a-time reference run. */
    private record Fixture(CausalDit dit, WanVae vae, CausalInference.Settings settings, StreamingPipeline.Conditioning cond, float[] reference) {
    }

    private static Fixture fixture(long seed, DType kv) {
        SplittableRandom rnd = new SplittableRandom(seed);
        DitConfig cfg = new DitConfig(32, 48, 2 + rnd.nextInt(2), 1, 33, 16, 1, 2, 2, 8, 16, 6, 4, 8, 1, 1e-6, 10000);
        CausalDit dit = new CausalDit(BE, DitWeights.checkpoint(cfg, rnd.nextLong(), DType.F32), cfg);
        WanVae vae = WanVae.load(VaeWeights.checkpoint(VaeWeights.generate(new VaeConfig(2 + rnd.nextInt(2), 16, List.of(1, 2, 4, 4), 1,
                List.of(false, true, true)), rnd.nextLong())), BE);
        CausalInference.Settings st = new CausalInference.Settings(3, 6, 3, kv);    // the window rolls at block 2
        int frames = 3 * BLOCKS;
        TextCache text = dit.encodeText(Props.normal(rnd, 5 * cfg.textDim()), 5);
        var cond = new StreamingPipeline.Conditioning(Props.normal(rnd, FRAME), H, W, Props.normal(rnd, cfg.numAudioProjs() * frames * cfg.dim()),
                frames, text);

        // the order before streaming: 4 steps and the clean pass (nextBlock), then one push of the whole block
        CausalInference inf = new CausalInference(dit, st, FlowMatchSchedule.official(), steps(), new SeededNoise(2));
        inf.start(cond.refLatent(), H, W, text);
        StreamingDecoder dec = vae.decoder(H, W);
        SeededNoise initial = new SeededNoise(1);
        float[] ref = new float[0];
        for (int b = 0; b < BLOCKS; b++) {
            float[] lat = inf.nextBlock(initial.next(3 * FRAME), inf.audioSlice(cond.audio(), frames, 3 * b, 3));
            float[] px = dec.push(lat, 3);
            ref = Arrays.copyOf(ref, ref.length + px.length);
            System.arraycopy(px, 0, ref, ref.length - px.length, px.length);
        }
        inf.freeMemory();
        assertEquals((1 + 4 * (frames - 1)) * PIX, ref.length);
        return new Fixture(dit, vae, st, cond, ref);
    }

    private static float[] steps() {
        return FlowMatchSchedule.official().embeddingTimesteps(true);
    }

    /** What the sink saw: each call's first index, frame count, and the DiT calls finished when it came. */
    private record Arrival(int first, int n, int ditCalls) {
    }

    private static class Recorder implements StreamingPipeline.FrameSink {
        final List<Arrival> arrivals = new ArrayList<>();
        final AtomicInteger ditCalls;
        float[] frames = new float[0];

        Recorder(AtomicInteger ditCalls) {
            this.ditCalls = ditCalls;
        }

        @Override
        public synchronized void accept(float[] px, int n, int first) {
            assertEquals(n * PIX, px.length);
            arrivals.add(new Arrival(first, n, ditCalls.get()));
            frames = Arrays.copyOf(frames, frames.length + px.length);
            System.arraycopy(px, 0, frames, frames.length - px.length, px.length);
        }
    }

    private static StreamingPipeline pipeline(Fixture f, boolean overlap, AtomicInteger ditCalls) {
        StreamingPipeline pipe = new StreamingPipeline(f.dit(), f.vae(), f.settings(), steps(), overlap);
        pipe.setCallListener((block, step, t, xIn, flow, x0) -> ditCalls.incrementAndGet());
        return pipe;
    }

    @Test
    void framesAreTheBitsOfABlockAtATimeRun() {
        for (DType kv : new DType[] {DType.F32, DType.BF16}) {
            Fixture f = fixture(kv == DType.F32 ? 11 : 12, kv);
            int all = f.reference().length / PIX;
            for (boolean overlap : new boolean[] {false, true}) {
                for (int pixelFrames : new int[] {all, all - 1, 14, 10, 1}) {
                    AtomicInteger calls = new AtomicInteger();
                    Recorder sink = new Recorder(calls);
                    var r = pipeline(f, overlap, calls).run(f.cond(), pixelFrames, new SeededNoise(1), new SeededNoise(2), sink, null, () -> false);
                    String what = kv + ", overlap " + overlap + ", " + pixelFrames + " frames";
                    assertArrayEquals(Arrays.copyOf(f.reference(), pixelFrames * PIX), sink.frames, what);
                    assertEquals(pixelFrames, r.pixelFrames(), what);
                    assertEquals(BLOCKS, r.blocks(), what);
                    assertFalse(r.cancelled(), what);
                }
            }
        }
    }

    @Test
    void framesArriveLatentFrameByLatentFrameBeforeTheCleanPass() {
        // overlap off: one thread, so the order is exact: 4 steps, the block's frames, then its clean pass
        Fixture f = fixture(13, DType.F32);
        AtomicInteger calls = new AtomicInteger();
        Recorder sink = new Recorder(calls);
        int[] progress = new int[BLOCKS + 1];
        var r = pipeline(f, false, calls).run(f.cond(), f.reference().length / PIX, new SeededNoise(1), new SeededNoise(2), sink,
                (done, total, frames) -> progress[done] = frames, () -> false);
        List<Arrival> expected = new ArrayList<>();
        int first = 0;
        for (int b = 0; b < BLOCKS; b++) {
            for (int i = 0; i < 3; i++) {
                boolean reference = b == 0 && i == 0;               // the reference latent's frame: before any step
                int n = reference ? 1 : 4;
                expected.add(new Arrival(first, n, reference ? 0 : 5 * b + 4));   // blocks 0..b-1 with their clean passes, block b's 4 steps
                first += n;
            }
        }
        assertEquals(expected, sink.arrivals);
        assertEquals(5 * BLOCKS - 1, calls.get(), "no clean pass after the last block: nothing would read it");
        assertArrayEquals(new int[] {0, 9, 21, 33}, progress);
        assertTrue(r.firstFrameSeconds() > 0 && r.firstFrameSeconds() < r.firstGeneratedFrameSeconds()
                && r.firstGeneratedFrameSeconds() < r.seconds(), r.toString());
    }

    @Test
    void withOverlapTheReferenceFrameComesBeforeBlock0sSteps() {
        // block 0's first step (its listener call, on the main thread) holds until the sink has the
        // video's first frame: it is the reference latent's, so it must not need the steps
        Fixture f = fixture(18, DType.F32);
        CountDownLatch firstFrame = new CountDownLatch(1);
        AtomicBoolean waited = new AtomicBoolean();
        StreamingPipeline pipe = new StreamingPipeline(f.dit(), f.vae(), f.settings(), steps(), true);
        pipe.setCallListener((block, step, t, xIn, flow, x0) -> {
            if (block == 0 && step == 0) {
                try {
                    waited.set(firstFrame.await(60, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        float[][] got = {new float[0]};
        var r = pipe.run(f.cond(), f.reference().length / PIX, new SeededNoise(1), new SeededNoise(2), (px, n, first) -> {
            got[0] = Arrays.copyOf(got[0], got[0].length + px.length);
            System.arraycopy(px, 0, got[0], got[0].length - px.length, px.length);
            if (first == 0) firstFrame.countDown();
        }, null, () -> false);
        assertTrue(waited.get(), "the first frame waited for block 0's steps");
        assertArrayEquals(f.reference(), got[0], "the same frames as a block-at-a-time run");
        assertTrue(r.firstFrameSeconds() < r.firstGeneratedFrameSeconds(), r.toString());
    }

    @Test
    void withOverlapTheFramesDoNotWaitForTheCleanPass() throws Exception {
        // The clean pass of block 0 (its listener call, on the main thread) holds until the sink has
        // block 0's first frame: if the decode were only handed the block after its clean pass,
        // this would time out.
        Fixture f = fixture(14, DType.F32);
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch firstGenerated = new CountDownLatch(1);
        AtomicBoolean waited = new AtomicBoolean();
        List<Arrival> arrivals = new ArrayList<>();
        StreamingPipeline pipe = new StreamingPipeline(f.dit(), f.vae(), f.settings(), steps(), true);
        pipe.setCallListener((block, step, t, xIn, flow, x0) -> {
            if (block == 0 && step < 0) {
                try {
                    waited.set(firstGenerated.await(60, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            calls.incrementAndGet();
        });
        float[][] got = {new float[0]};
        pipe.run(f.cond(), f.reference().length / PIX, new SeededNoise(1), new SeededNoise(2), (px, n, first) -> {
            synchronized (arrivals) {
                arrivals.add(new Arrival(first, n, calls.get()));
            }
            got[0] = Arrays.copyOf(got[0], got[0].length + px.length);
            System.arraycopy(px, 0, got[0], got[0].length - px.length, px.length);
            if (first >= 1) firstGenerated.countDown();
        }, null, () -> false);
        assertTrue(waited.get(), "block 0's first generated frame came while its clean pass was held");
        assertEquals(0, arrivals.get(0).first());
        assertEquals(1, arrivals.get(0).n(), "the reference frame first");
        assertEquals(new Arrival(1, 4, 4), arrivals.get(1), "block 0's next frames after its 4 steps, before its clean pass");
        int first = 0;
        for (int i = 0; i < arrivals.size(); i++) {
            Arrival a = arrivals.get(i);
            assertEquals(first, a.first(), "in order, no gaps");
            int block = i / 3;
            if (i > 0) assertTrue(a.ditCalls() >= 5 * block + 4, "block " + block + "'s frames after its 4 steps: " + a);
            first += a.n();
        }
        assertEquals(3 * BLOCKS, arrivals.size(), "one call per latent frame");
        assertArrayEquals(f.reference(), got[0]);
    }

    @Test
    void aSlowDecodeHoldsNeitherTheNextStepsNorTheNextCleanPass() {
        // block 0's first frame is held in the sink until block 1's clean pass is done: the main
        // thread must get there with block 0 still in the decoder (two blocks in its hands)
        Fixture f = fixture(17, DType.F32);
        CountDownLatch block1Clean = new CountDownLatch(1);
        AtomicBoolean waited = new AtomicBoolean();
        StreamingPipeline pipe = new StreamingPipeline(f.dit(), f.vae(), f.settings(), steps(), true);
        pipe.setCallListener((block, step, t, xIn, flow, x0) -> {
            if (block == 1 && step < 0) block1Clean.countDown();
        });
        float[][] got = {new float[0]};
        pipe.run(f.cond(), f.reference().length / PIX, new SeededNoise(1), new SeededNoise(2), (px, n, first) -> {
            if (first == 0) waited.set(block1Clean.await(60, TimeUnit.SECONDS));
            got[0] = Arrays.copyOf(got[0], got[0].length + px.length);
            System.arraycopy(px, 0, got[0], got[0].length - px.length, px.length);
        }, null, () -> false);
        assertTrue(waited.get(), "block 1's clean pass ran while block 0's decode was held");
        assertArrayEquals(f.reference(), got[0]);
    }

    @Test
    void cancellingMidBlockStopsBetweenLatentFrames() {
        Fixture f = fixture(15, DType.F32);
        int all = f.reference().length / PIX;
        for (boolean overlap : new boolean[] {false, true}) {
            AtomicInteger calls = new AtomicInteger();
            AtomicBoolean cancel = new AtomicBoolean();
            Recorder sink = new Recorder(calls) {
                @Override
                public synchronized void accept(float[] px, int n, int first) {
                    super.accept(px, n, first);
                    if (first == 13) cancel.set(true);      // block 1's second latent frame (frames 13..16)
                }
            };
            int[] blocksDone = {0};
            var r = pipeline(f, overlap, calls).run(f.cond(), all, new SeededNoise(1), new SeededNoise(2), sink,
                    (done, total, frames) -> blocksDone[0] = done, cancel::get);
            String what = "overlap " + overlap;
            assertTrue(r.cancelled(), what);
            assertEquals(17, r.pixelFrames(), what + ": block 1's third latent frame is never delivered");
            assertEquals(17 * PIX, sink.frames.length, what);
            assertArrayEquals(Arrays.copyOf(f.reference(), 17 * PIX), sink.frames, what);
            assertEquals(1, r.blocks(), what + ": one whole block");
            assertEquals(1, blocksDone[0], what);
            assertEquals(List.of(0, 1, 5, 9, 13), sink.arrivals.stream().map(Arrival::first).toList(), what);
            if (!overlap) assertEquals(9, calls.get(), "block 0's 5 calls and block 1's 4 steps; its clean pass skipped");
        }
        // cancelled before anything: no frame, no DiT call
        AtomicInteger calls = new AtomicInteger();
        Recorder sink = new Recorder(calls);
        var r = pipeline(f, true, calls).run(f.cond(), all, new SeededNoise(1), new SeededNoise(2), sink, null, () -> true);
        assertTrue(r.cancelled());
        assertEquals(0, r.pixelFrames());
        assertEquals(0, calls.get());
        assertTrue(Double.isNaN(r.firstFrameSeconds()));
    }

    @Test
    void denoiseAndCommitMustAlternate() {
        Fixture f = fixture(16, DType.F32);
        CausalInference inf = new CausalInference(f.dit(), f.settings(), FlowMatchSchedule.official(), steps(), new SeededNoise(2));
        inf.start(f.cond().refLatent(), H, W, f.cond().text());
        float[] audio = inf.audioSlice(f.cond().audio(), f.cond().latentFrames(), 0, 3);
        var noCommit = assertThrows(IllegalStateException.class, inf::commit);
        assertTrue(noCommit.getMessage().contains("nothing to commit"), noCommit.getMessage());
        inf.denoise(new SeededNoise(1).next(3 * FRAME), audio);
        assertTrue(inf.uncommitted());
        assertEquals(0, inf.blockIndex(), "a block counts once it is committed");
        var twice = assertThrows(IllegalStateException.class, () -> inf.denoise(new SeededNoise(1).next(3 * FRAME), audio));
        assertTrue(twice.getMessage().contains("call commit()"), twice.getMessage());
        assertThrows(IllegalStateException.class, () -> inf.recache(f.cond().text()));
        inf.commit();
        assertFalse(inf.uncommitted());
        assertEquals(1, inf.blockIndex());
        assertThrows(IllegalStateException.class, inf::commit);
        // start() drops a block that was never committed
        inf.denoise(new SeededNoise(3).next(3 * FRAME), audio);
        inf.start(f.cond().refLatent(), H, W, f.cond().text());
        assertFalse(inf.uncommitted());
        assertEquals(0, inf.blockIndex());
        inf.freeMemory();
    }
}
