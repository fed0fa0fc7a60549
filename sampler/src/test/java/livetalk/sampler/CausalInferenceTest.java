package livetalk.sampler;

import livetalk.testkit.DitWeights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.dit.KvCache;
import livetalk.model.dit.TextCache;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/** The block loop on small random DiTs. */
class CausalInferenceTest {
    private final Backend be = new CpuBackend();

    private static DitConfig randomConfig(SplittableRandom rnd) {
        int heads = 1 + rnd.nextInt(2);
        int layers = 2 + rnd.nextInt(3);
        return new DitConfig(32 * heads, 48, layers, heads, 33, 16, 1, 2, 2, 8, 16, 6, 4, 8, 1 + rnd.nextInt(layers / 2),
                1e-6, 10000);
    }

    @Test
    void blocksOneAtATimeEqualOneRun() {
        Props.forAll("blocks-one-at-a-time", 3, 21, rnd -> {
            DitConfig cfg = randomConfig(rnd);
            CausalDit dit = new CausalDit(be, DitWeights.checkpoint(cfg, rnd.nextLong(), DType.F32), cfg);
            int h = 2 * (1 + rnd.nextInt(2)), w = 2 * (1 + rnd.nextInt(2)), fpb = 1 + rnd.nextInt(3);
            int window = fpb + 1 + rnd.nextInt(4), sink = rnd.nextInt(window - fpb + 1);
            if (sink >= window) sink = window - 1;
            int blocks = 2 + rnd.nextInt(4), frames = blocks * fpb, frame = 16 * h * w;
            float[] ref = Props.normal(rnd, frame), noise = Props.normal(rnd, frames * frame);
            float[] audio = Props.normal(rnd, cfg.numAudioProjs() * frames * cfg.dim());
            TextCache text = dit.encodeText(Props.normal(rnd, 5 * cfg.textDim()), 5);
            CausalInference.Settings st = new CausalInference.Settings(fpb, window, sink);
            FlowMatchSchedule sched = FlowMatchSchedule.official();
            long seed = rnd.nextLong();

            CausalInference one = new CausalInference(dit, st, sched, sched.embeddingTimesteps(true), new SeededNoise(seed));
            one.start(ref, h, w, text);
            float[] all = one.generate(noise, audio, frames);

            // a second sampler that first runs an unrelated video, then restarts and goes block by block
            CausalInference step = new CausalInference(dit, st, sched, sched.embeddingTimesteps(true), new SeededNoise(seed + 1));
            step.start(Props.normal(rnd, frame), h, w, text);
            step.nextBlock(Props.normal(rnd, fpb * frame), step.audioSlice(audio, frames, 0, fpb));
            step = new CausalInference(dit, st, sched, sched.embeddingTimesteps(true), new SeededNoise(seed));
            step.start(ref, h, w, text);
            for (int b = 0; b < blocks; b++) {
                float[] bn = java.util.Arrays.copyOfRange(noise, b * fpb * frame, (b + 1) * fpb * frame);
                float[] lat = step.nextBlock(bn, step.audioSlice(audio, frames, b * fpb, fpb));
                assertArrayEquals(java.util.Arrays.copyOfRange(all, b * fpb * frame, (b + 1) * fpb * frame), lat, "block " + b);
            }
            // frame 0 of the video is the reference latent exactly (docs/sampler.md#block-loop)
            assertArrayEquals(ref, java.util.Arrays.copyOf(all, frame));
        });
    }

    @Test
    void longSessionKeepsCacheBoundedWithSinks() {
        SplittableRandom rnd = new SplittableRandom(5);
        DitConfig cfg = randomConfig(rnd);
        CausalDit dit = new CausalDit(be, DitWeights.checkpoint(cfg, 3, DType.BF16), cfg);
        int h = 2, w = 4, frame = 16 * h * w;
        CausalInference.Settings st = new CausalInference.Settings(3, 8, 2);
        FlowMatchSchedule sched = FlowMatchSchedule.official();
        CausalInference inf = new CausalInference(dit, st, sched, sched.embeddingTimesteps(true), new SeededNoise(9));
        inf.start(Props.normal(rnd, frame), h, w, dit.encodeText(Props.normal(rnd, 4 * cfg.textDim()), 4));
        SeededNoise blockNoise = new SeededNoise(10);
        KvCache kv = inf.kvCache();
        for (int b = 0; b < 12; b++) {
            float[] lat = inf.nextBlock(blockNoise.next(3 * frame), new SeededNoise(b).next(cfg.numAudioProjs() * 3 * cfg.dim()));
            for (float v : lat) assertTrue(Float.isFinite(v));
            assertTrue(kv.localEnd() <= kv.capacity());
            assertEquals(kv, inf.kvCache(), "the cache object is reused, not regrown");
        }
        long[] slots = kv.slotTokens();
        int per = kv.frameSeqLength();
        // sinks: frames 0 and 1; then the most recent 6 frames (30..35)
        for (int i = 0; i < slots.length; i++) {
            long frameId = slots[i] / per;
            long expected = i / per < 2 ? i / per : 30 + (i / per - 2);
            assertEquals(expected, frameId, "slot " + i);
        }
    }

    /** Every layer's cached K and V, in slot order. */
    private float[][] cacheContents(KvCache kv) {
        float[][] out = new float[2 * kv.layers()][];
        for (int l = 0; l < kv.layers(); l++) {
            out[2 * l] = be.read(kv.keys(l));
            out[2 * l + 1] = be.read(kv.values(l));
        }
        return out;
    }

    private CausalInference runBlocks(CausalDit dit, DitConfig cfg, TextCache text, int blocks, long seed) {
        CausalInference inf = new CausalInference(dit, new CausalInference.Settings(3, 15, 9), FlowMatchSchedule.official(),
                FlowMatchSchedule.official().embeddingTimesteps(true), new SeededNoise(seed));
        SplittableRandom rnd = new SplittableRandom(seed);
        int h = 4, w = 4, frame = 16 * h * w;
        inf.start(Props.normal(rnd, frame), h, w, text);
        for (int b = 0; b < blocks; b++) inf.nextBlock(Props.normal(rnd, 3 * frame), Props.normal(rnd, cfg.numAudioProjs() * 3 * cfg.dim()));
        return inf;
    }

    @Test
    void recacheWithTheSamePromptBeforeAnyEvictionIsExact() {
        // 4 blocks = 12 frames in a 15-frame window: nothing was evicted, so each re-run block sees
        // exactly the context its first clean pass saw, and the rebuilt K/V must equal the old ones bit for bit.
        DitConfig cfg = randomConfig(new SplittableRandom(5));
        CausalDit dit = new CausalDit(be, DitWeights.checkpoint(cfg, 11, DType.F32), cfg);
        TextCache text = dit.encodeText(Props.normal(new SplittableRandom(6), 5 * cfg.textDim()), 5);
        CausalInference inf = runBlocks(dit, cfg, text, 4, 3);
        float[][] before = cacheContents(inf.kvCache());
        assertEquals(1, inf.recache(text), "one non-sink block (frames 9..11) is cached");
        float[][] after = cacheContents(inf.kvCache());
        for (int i = 0; i < before.length; i++) assertArrayEquals(before[i], after[i], "layer tensor " + i);
    }

    @Test
    void recacheWithANewPromptKeepsTheSinksAndRebuildsTheWindow() {
        DitConfig cfg = randomConfig(new SplittableRandom(7));
        CausalDit dit = new CausalDit(be, DitWeights.checkpoint(cfg, 12, DType.F32), cfg);
        TextCache text = dit.encodeText(Props.normal(new SplittableRandom(8), 5 * cfg.textDim()), 5);
        TextCache other = dit.encodeText(Props.normal(new SplittableRandom(9), 5 * cfg.textDim()), 5);
        CausalInference inf = runBlocks(dit, cfg, text, 7, 4);          // 21 frames: the window has rolled
        KvCache kv = inf.kvCache();
        long[] slots = kv.slotTokens();
        long end = kv.globalEnd();
        float[][] before = cacheContents(kv);
        assertEquals(2, inf.recache(other), "the two rolling blocks (frames 15..20) are re-run");
        float[][] after = cacheContents(kv);
        assertArrayEquals(slots, kv.slotTokens(), "same tokens in the same slots");
        assertEquals(end, kv.globalEnd());
        int sinkValues = 9 * kv.frameSeqLength() * kv.dim();
        for (int i = 0; i < before.length; i++) {
            assertArrayEquals(java.util.Arrays.copyOf(before[i], sinkValues), java.util.Arrays.copyOf(after[i], sinkValues), "sinks of " + i);
        }
        // layer 0's K/V depend only on the tokens' own input, but deeper layers see the new text
        boolean changed = false;
        for (int i = 2; i < before.length; i++) {
            changed |= !java.util.Arrays.equals(java.util.Arrays.copyOfRange(before[i], sinkValues, before[i].length),
                    java.util.Arrays.copyOfRange(after[i], sinkValues, after[i].length));
        }
        assertTrue(changed, "the rolling window's K/V were rebuilt with the new prompt");
        assertTrue(inf.text() == other);
    }

    /**
     * A block's steps stay on the device: after the block's inputs are written, nothing is read
     * back or written until its clean latents are read, once (docs/sampler.md#block-loop), with no
     * listener and with a timing-only one; and the results are those of a listener that reads
     * every value.
     */
    @Test
    void aBlocksStepsRunWithoutTheHost() {
        SplittableRandom rnd = new SplittableRandom(11);
        DitConfig cfg = randomConfig(rnd);
        java.util.List<String> ops = new java.util.ArrayList<>();
        Backend counting = new livetalk.kernels.ForwardingBackend(be) {
            @Override
            public String name() {
                return "counting";
            }

            @Override
            public float[] read(livetalk.kernels.Buf src) {
                ops.add("read");
                return super.read(src);
            }

            @Override
            public void write(livetalk.kernels.Buf dst, float[] src) {
                ops.add("write");
                super.write(dst, src);
            }

            @Override
            public livetalk.kernels.Buf upload(float[] data) {
                ops.add("upload");
                return super.upload(data);
            }

            @Override
            public void subtractScaled(livetalk.kernels.Buf a, double s, livetalk.kernels.Buf b, livetalk.kernels.Buf out) {
                ops.add("step");
                super.subtractScaled(a, s, b, out);
            }
        };
        CausalDit dit = new CausalDit(counting, DitWeights.checkpoint(cfg, 13, DType.F32), cfg);
        int h = 2, w = 4, frame = 16 * h * w, fpb = 3;
        float[] ref = Props.normal(rnd, frame);
        TextCache text = dit.encodeText(Props.normal(rnd, 4 * cfg.textDim()), 4);
        CausalInference.Settings st = new CausalInference.Settings(fpb, 9, 3);
        FlowMatchSchedule sched = FlowMatchSchedule.official();
        float[] audio = Props.normal(rnd, cfg.numAudioProjs() * fpb * cfg.dim());
        float[][] noise = {Props.normal(rnd, fpb * frame), Props.normal(rnd, fpb * frame)};

        float[][] results = new float[3][];
        for (int run = 0; run < 3; run++) {
            CausalInference inf = new CausalInference(dit, st, sched, sched.embeddingTimesteps(true), new SeededNoise(17));
            if (run == 1) inf.setListener(new CausalInference.CallListener() {
                @Override
                public void onCall(int block, int step, float t, float[] xIn, float[] flow, float[] x0) {
                    assertTrue(xIn == null && flow == null && x0 == null, "a timing-only listener gets no values");
                }

                @Override
                public boolean wantsValues() {
                    return false;
                }
            });
            if (run == 2) inf.setListener((block, step, t, xIn, flow, x0) -> assertTrue(step < 0 || flow != null, "values where asked for"));
            inf.start(ref, h, w, text);
            inf.nextBlock(noise[0], audio);                 // block 0: first uploads of the RoPE tables and sinusoids
            ops.clear();
            results[run] = inf.nextBlock(noise[1], audio);
            int first = ops.indexOf("step"), last = ops.lastIndexOf("read");
            if (run < 2) {
                assertEquals(1, java.util.Collections.frequency(ops, "read"), "one read per block: " + ops);
                assertEquals(4, java.util.Collections.frequency(ops.subList(first, last), "step"), "the 4 steps, then the read: " + ops);
                assertEquals(java.util.List.of("step"), ops.subList(first, last).stream().distinct().toList(),
                        "nothing written or read between the steps: " + ops);
            }
            inf.freeMemory();
        }
        assertArrayEquals(results[2], results[0], "the same latents whether or not a listener reads the values");
        assertArrayEquals(results[2], results[1]);
    }
}
