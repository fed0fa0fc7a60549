package livetalk.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.SplittableRandom;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.vae.VaeConfig;
import livetalk.model.vae.WanVae;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.testkit.DitWeights;
import livetalk.testkit.VaeWeights;
import org.junit.jupiter.api.Test;

/** The warm-up block leaves no trace: a generation after it gives the same frames, bit for bit, as one without. */
class WarmUpTest {
    private final Backend be = new CpuBackend();

    @Test
    void generationAfterTheWarmUpIsUnchanged() {
        Props.forAll("warm-up-leaves-no-trace", 2, 31, rnd -> {
            int heads = 1 + rnd.nextInt(2);
            DitConfig cfg = new DitConfig(32 * heads, 48, 2 + rnd.nextInt(2), heads, 33, 16, 1, 2, 2, 8, 16, 6, 4, 8, 1, 1e-6, 10000);
            CausalDit dit = new CausalDit(be, DitWeights.checkpoint(cfg, rnd.nextLong(), DType.F32), cfg);
            WanVae vae = WanVae.load(VaeWeights.checkpoint(VaeWeights.generate(
                    new VaeConfig(2 + rnd.nextInt(2), 16, List.of(1, 2, 4, 4), 1, List.of(false, true, true)), rnd.nextLong())), be);
            CausalInference.Settings settings = new CausalInference.Settings(3, 9, 3);
            float[] steps = FlowMatchSchedule.official().embeddingTimesteps(true);
            int size = 32, blocks = 2;
            float[] ref = Props.normal(rnd, 3 * size * size), textIn = Props.normal(rnd, 4 * cfg.textDim());
            long seed = rnd.nextLong();

            byte[] cold = generate(dit, vae, settings, steps, size, blocks, ref, textIn, seed);
            double seconds = WarmUp.run(dit, vae, settings, steps);
            assertTrue(seconds >= 0);
            byte[] warm = generate(dit, vae, settings, steps, size, blocks, ref, textIn, seed);
            assertArrayEquals(cold, warm, "frames after the warm-up");
        });
    }

    /** Every frame of a {@code blocks}-block generation, as the bytes of its floats in order. */
    private static byte[] generate(CausalDit dit, WanVae vae, CausalInference.Settings settings, float[] steps, int size, int blocks,
                                   float[] ref, float[] textIn, long seed) {
        StreamingPipeline pipe = new StreamingPipeline(dit, vae, settings, steps, false);
        int latentFrames = blocks * settings.framesPerBlock(), audioFrames = pipe.audioFramesFor(latentFrames);
        var text = dit.encodeText(textIn, 4);
        var cond = pipe.condition(ref, size, size, Props.normal(new SplittableRandom(seed), audioFrames * dit.config().audioInputDim()),
                audioFrames, text);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        pipe.run(cond, 1 + 4 * (latentFrames - 1), new SeededNoise(seed), new SeededNoise(seed + 1), (frames, n, first) -> {
            for (int i = 0; i < frames.length; i++) {
                int bits = Float.floatToRawIntBits(frames[i]);
                out.write(bits);
                out.write(bits >>> 8);
                out.write(bits >>> 16);
                out.write(bits >>> 24);
            }
        }, null, () -> false);
        return out.toByteArray();
    }
}
