package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import livetalk.cli.demo.DemoAssets;
import livetalk.cli.demo.DemoModels;
import livetalk.io.audio.AudioLoader;
import livetalk.io.image.ImageFiles;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.session.AudioTimeline;
import livetalk.session.BlockClock;
import livetalk.session.LiveSession;
import livetalk.session.ModelLayout;
import livetalk.session.ModelSet;
import livetalk.session.SamplingPlan;
import livetalk.session.StreamingFeatures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How far the live path (audio in 0.75 s blocks, wav2vec2 on a rolling 2 s window) is from the
 * offline one (wav2vec2 over the whole clip), on the demo models with the demo's speech.
 *
 * <p>What is exact: a window that reaches back to the start equals the offline run on the clip that
 * ends at the block (so the window and packing arithmetic is right), and the live generator fed the
 * offline conditioning gives the offline frames bit for bit. What is not: offline wav2vec2 attends
 * over the whole clip, future included, and normalises over it; live features cannot see the
 * future and see only {@link StreamingFeatures#CONTEXT_FRAMES} frames back. The demo's random-weight
 * wav2vec2 mixes context far more than a trained one, so on it the difference is large (measured
 * 2026-11-27, espeak-ng speech, 8 blocks: features rel-L2 up to 1.05 against the whole clip, frames
 * mean |Δ| 26.6 of 255 with the bf16 KV cache). Those numbers are printed and bounded with a margin as a regression guard.
 */
class StreamingFeaturesTest {
    @TempDir
    static Path tmp;

    @Test
    void streamedFeaturesAndFramesStayCloseToOffline() throws Exception {
        Path cache = tmp.resolve("cache"), face = tmp.resolve("face.png"), wav = tmp.resolve("speech.wav");
        Path models = DemoModels.ensure(cache);
        DemoAssets.portrait(face);
        DemoAssets.speech(wav, 6);
        int blocks = 8, latentFrames = 3 * blocks;
        float[] speech = AudioLoader.loadMono(wav, 16000);
        long needed = BlockClock.pcmEnd(blocks - 1);
        float[] audio = java.util.Arrays.copyOf(speech, (int) needed);   // zero-padded if the speech is short, as offline
        try (Backend be = new CpuBackend(); ModelSet set = ModelSet.load(ModelLayout.resolve(models, null, null, null, null, null), be, cache, System.err)) {
            // ---- features
            float[] offline = set.audioFeatures(java.util.Arrays.copyOf(audio, (4 * latentFrames - 4) * 1000), latentFrames);
            int a = offline.length / (4 * latentFrames - 3);
            AudioTimeline t = new AudioTimeline(200000);
            double worst = 0, worstCausal = 0;
            for (int b = 0; b < blocks; b++) {
                t.append(java.util.Arrays.copyOfRange(audio, (int) BlockClock.pcmStart(b), (int) BlockClock.pcmEnd(b)));
                long first = BlockClock.firstFrame(b);
                float[] live = StreamingFeatures.features(set.wav2vec(), t, b, first);
                float[] ref = java.util.Arrays.copyOfRange(offline, (int) first * a, (int) (BlockClock.lastFrame(b) + 1) * a);
                double rel = relL2(live, ref);
                int fb = 3 * (b + 1);
                float[] prefix = set.audioFeatures(java.util.Arrays.copyOf(audio, (4 * fb - 4) * 1000), fb);
                float[] pref = java.util.Arrays.copyOfRange(prefix, (int) first * a, prefix.length);
                double causal = relL2(live, pref);
                System.out.printf("streaming features: block %d rel-L2 %.4f vs the whole clip, %.4f vs the clip up to the block%n", b, rel, causal);
                // within the window's reach the live features are the causal offline ones exactly
                if (BlockClock.lastFrame(b) <= StreamingFeatures.CONTEXT_FRAMES) assertEquals(0.0, causal, 1e-6, "block " + b);
                worstCausal = Math.max(worstCausal, causal);
                worst = Math.max(worst, rel);
            }
            System.out.printf("streaming features: worst rel-L2 %.4f vs the whole clip, %.4f vs the clip up to the block%n", worst, worstCausal);
            assertTrue(worst < 1.2 && worstCausal < 1.2, "rel-L2 bounded by the measured worst (1.05 / 1.02) plus a margin");

            // ---- frames: a live session fed the same audio vs the offline pipeline, same seed
            SamplingPlan plan = SamplingPlan.official();
            var portrait = ImageFiles.read(face);
            LiveSession live = new LiveSession(set, plan, portrait, 64, DemoAssets.PROMPT, 42);
            var pipe = new livetalk.sampler.StreamingPipeline(set.dit(), set.vae(), plan.settings(), plan.stepTimesteps(), false);
            float[] px = livetalk.io.image.PortraitPreprocess.prepare(portrait, 64, 64);
            var cond = pipe.condition(px, 64, 64, offline, 4 * latentFrames - 3, set.textContext(DemoAssets.PROMPT));
            java.util.List<byte[]> ref = new java.util.ArrayList<>();
            pipe.run(cond, 1 + 4 * (latentFrames - 1), new livetalk.sampler.SeededNoise(42), new livetalk.sampler.SeededNoise(42 ^ 0x9E3779B97F4A7C15L),
                    (f, n, first) -> {
                        int plane = 3 * 64 * 64;
                        for (int i = 0; i < n; i++) ref.add(livetalk.session.Frames.toRgb8(java.util.Arrays.copyOfRange(f, i * plane, (i + 1) * plane), 64, 64));
                    }, null, () -> false);
            double sum = 0;
            long count = 0;
            int frame = 0;
            for (int b = 0; b < blocks; b++) {
                LiveSession.Block blk = live.next(java.util.Arrays.copyOfRange(audio, (int) BlockClock.pcmStart(b), (int) BlockClock.pcmEnd(b)));
                assertEquals(frame, blk.firstFrame());
                for (byte[] rgb : blk.rgb()) {
                    byte[] r = ref.get(frame++);
                    for (int i = 0; i < rgb.length; i++) sum += Math.abs((rgb[i] & 0xFF) - (r[i] & 0xFF));
                    count += rgb.length;
                }
            }
            assertEquals(ref.size(), frame);
            live.close();                                // its decode thread
            double mad = sum / count;
            System.out.printf("streaming frames: mean |Δ| %.3f of 255 over %d frames%n", mad, frame);
            assertTrue(mad < 40, "live frames within 40/255 mean abs of offline: " + mad);

            // the same session fed the offline conditioning block by block: the live generator is the offline one, bit for bit
            LiveSession same = new LiveSession(set, plan, portrait, 64, DemoAssets.PROMPT, 42);
            frame = 0;
            for (int b = 0; b < blocks; b++) {
                int d = set.dit().config().dim(), np = set.dit().config().numAudioProjs();
                float[] c = new float[np * 3 * d];                          // [nProj, 3, D] of [nProj, F, D]
                for (int j = 0; j < np; j++) System.arraycopy(cond.audio(), (j * latentFrames + 3 * b) * d, c, j * 3 * d, 3 * d);
                LiveSession.Block blk = same.next(java.util.Arrays.copyOfRange(audio, (int) BlockClock.pcmStart(b), (int) BlockClock.pcmEnd(b)), c);
                for (byte[] rgb : blk.rgb()) assertArrayEquals(ref.get(frame), rgb, "frame " + frame++);
            }
            same.close();
        }
    }

    @Test
    void withTheWholePastAsContextAWindowEqualsOfflineOnTheSameClip() throws Exception {
        // the window arithmetic itself: a window reaching back to sample 0 is exactly the offline clip
        // that ends at the block's last frame, so its features must be equal (up to float rounding).
        Path cache = tmp.resolve("cache2"), wav = tmp.resolve("speech2.wav");
        Path models = DemoModels.ensure(cache);
        DemoAssets.speech(wav, 4);
        float[] speech = AudioLoader.loadMono(wav, 16000);
        float[] audio = java.util.Arrays.copyOf(speech, (int) BlockClock.pcmEnd(4));
        try (Backend be = new CpuBackend(); ModelSet set = ModelSet.load(ModelLayout.resolve(models, null, null, null, null, null), be, cache, System.err)) {
            AudioTimeline t = new AudioTimeline(200000);
            for (int b = 0; b < 5; b++) {
                t.append(java.util.Arrays.copyOfRange(audio, (int) BlockClock.pcmStart(b), (int) BlockClock.pcmEnd(b)));
                int f = 3 * (b + 1);
                float[] offline = set.audioFeatures(java.util.Arrays.copyOf(audio, (4 * f - 4) * 1000), f);
                int a = offline.length / (4 * f - 3);
                long first = BlockClock.firstFrame(b);
                float[] live = StreamingFeatures.features(set.wav2vec(), t, b, first, 100000);
                float[] ref = java.util.Arrays.copyOfRange(offline, (int) first * a, offline.length);
                assertEquals(0.0, relL2(live, ref), 1e-6, "block " + b);
            }
        }
    }

    static double relL2(float[] a, float[] b) {
        double d = 0, n = 0;
        for (int i = 0; i < a.length; i++) {
            d += (a[i] - b[i]) * (double) (a[i] - b[i]);
            n += b[i] * (double) b[i];
        }
        return Math.sqrt(d / n);
    }
}
