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
}
