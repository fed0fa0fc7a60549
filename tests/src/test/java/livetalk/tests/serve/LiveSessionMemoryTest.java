package livetalk.tests.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import livetalk.cli.demo.DemoAssets;
import livetalk.cli.demo.DemoModels;
import livetalk.io.image.ImageFiles;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.session.Conversation;
import livetalk.session.LiveSession;
import livetalk.session.ModelLayout;
import livetalk.session.ModelSet;
import livetalk.session.SamplingPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live session over 100 turns (each with a prompt switch, speech, then listening) keeps its
 * memory flat: the KV cache is a fixed ring, the audio timeline and re-cache history are bounded,
 * the VAE history is fixed after two latent frames. Also measures the demo's real-time factor at
 * the {@code serve --demo} size. Both numbers are printed (README quotes them).
 */
class LiveSessionMemoryTest {
    @TempDir
    Path tmp;

    static long usedHeap() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static float[] speech(int n, double hz) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (0.3 * Math.sin(2 * Math.PI * hz * i / 16000));
        return x;
    }

    @Test
    void memoryIsFlatOverAHundredTurnsAndTheDemoRunsInRealTime() throws Exception {
        Path cache = tmp.resolve("cache"), face = tmp.resolve("face.png");
        DemoAssets.portrait(face);
        try (Backend be = new CpuBackend(); ModelSet set = ModelSet.load(ModelLayout.resolve(DemoModels.ensure(cache), null, null, null, null, null), be, cache, System.err)) {
            String[] prompts = {"a person talking calmly", "a person talking with energy"};
            LiveSession live = new LiveSession(set, SamplingPlan.official(), ImageFiles.read(face), 32, "a person listening", 7);
            Conversation conv = new Conversation(7, prompts[0], "a person listening");
            long at10 = 0, blocks = 0;
            for (int turn = 1; turn <= 100; turn++) {
                long e = conv.startTurn(prompts[turn % 2]);
                conv.addSpeech(e, speech(9000, 150 + turn));
                conv.endSpeech(e);
                int listening = 0;
                while (listening < 1) {
                    Conversation.Take t = conv.take(live.samplesForNextBlock());
                    if (!t.prompt().equals(live.prompt())) live.switchPrompt(t.prompt());
                    live.next(t.pcm());
                    blocks++;
                    if (t.state() == Conversation.State.LISTENING) listening++;
                }
                if (turn == 10) at10 = usedHeap();
            }
            long at100 = usedHeap();
            live.close();                                // its decode thread
            assertEquals(100, conv.turns());
            System.out.printf("live session memory: %d blocks over 100 turns; heap after turn 10 %.1f MB, after turn 100 %.1f MB; session's own %.2f MB%n",
                    blocks, at10 / 1e6, at100 / 1e6, live.memoryBytes() / 1e6);
            assertTrue(at100 - at10 < 4_000_000, "heap grew by " + (at100 - at10) + " bytes from turn 10 to turn 100");

            // the demo's real-time factor at serve --demo's size (128): compute time / media time, after warm-up
            LiveSession demo = new LiveSession(set, SamplingPlan.official(), ImageFiles.read(face), 96, "a person listening", 8);
            for (int i = 0; i < 4; i++) demo.next(new float[demo.samplesForNextBlock()]);
            double compute = 0, media = 0;
            for (int i = 0; i < 12; i++) {
                LiveSession.Block b = demo.next(speech(demo.samplesForNextBlock(), 180));
                compute += b.computeSeconds();
                media += b.pcm().length / 16000.0;
            }
            double rtf = compute / media;
            demo.close();
            System.out.printf("serve --demo real-time factor at 96x96: %.3f (%.0f ms per 750 ms block, %d threads)%n", rtf, 1000 * compute / 12,
                    Runtime.getRuntime().availableProcessors());
            assertTrue(rtf < 1.0, "the demo runs at least in real time: " + rtf);
        }
    }
}
