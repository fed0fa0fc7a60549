package livetalk.tests.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import livetalk.cli.demo.DemoAssets;
import livetalk.cli.demo.DemoModels;
import livetalk.io.image.ImageFiles;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.session.BlockClock;
import livetalk.session.LiveSession;
import livetalk.session.ModelLayout;
import livetalk.session.ModelSet;
import livetalk.session.SamplingPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live generator hands a block's frames out latent frame by latent frame, before the block's
 * cache refresh (docs/sampler.md#streaming): the groups come in order with the block clock's
 * indices, they are the block's frames, and taking them changes no bit of a session's frames or
 * cache. (That the live frames are the offline pipeline's, bit for bit, is StreamingFeaturesTest's.)
 */
class LiveSessionEarlyFramesTest {
    @TempDir
    Path tmp;

    @Test
    void framesLeaveAsTheyAreDecodedBeforeTheCleanPass() throws Exception {
        Path cache = tmp.resolve("cache"), face = tmp.resolve("face.png");
        DemoAssets.portrait(face);
        try (Backend be = new CpuBackend(); ModelSet set = ModelSet.load(ModelLayout.resolve(DemoModels.ensure(cache), null, null, null, null, null), be, cache, System.err)) {
            LiveSession early = new LiveSession(set, SamplingPlan.official(), ImageFiles.read(face), 32, "a person talking", 5);
            LiveSession whole = new LiveSession(set, SamplingPlan.official(), ImageFiles.read(face), 32, "a person talking", 5);
            for (int b = 0; b < 4; b++) {
                float[] pcm = LiveSessionMemoryTest.speech(early.samplesForNextBlock(), 170 + 10 * b);
                List<Long> firsts = new ArrayList<>();
                List<byte[]> frames = new ArrayList<>();
                String[] sinksDuringBlock0 = {null};
                LiveSession.Block got = early.next(pcm, null, (first, rgb) -> {
                    firsts.add(first);
                    frames.addAll(List.of(rgb));
                    // block 0 writes the first sink frames: while its frames are out, its clean pass has not run yet
                    if (first == 0) sinksDuringBlock0[0] = early.sinkHash();
                });
                long f0 = BlockClock.firstFrame(b);
                assertEquals(b == 0 ? List.of(0L, 1L, 5L) : List.of(f0, f0 + 4, f0 + 8), firsts, "block " + b);
                assertEquals(BlockClock.frames(b), frames.size());
                for (int i = 0; i < frames.size(); i++) assertArrayEquals(got.rgb()[i], frames.get(i), "block " + b + " frame " + i);
                if (b == 0) assertNotEquals(sinksDuringBlock0[0], early.sinkHash(), "block 0's clean pass ran after its frames were out");

                LiveSession.Block ref = whole.next(pcm);
                assertEquals(ref.firstFrame(), got.firstFrame());
                assertEquals(ref.rgb().length, got.rgb().length);
                for (int i = 0; i < ref.rgb().length; i++) assertArrayEquals(ref.rgb()[i], got.rgb()[i], "block " + b + " frame " + i);
            }
            assertEquals(whole.sinkHash(), early.sinkHash(), "the same cache after the same blocks");
            early.close();                               // each session's decode thread
            whole.close();
        }
    }
}
