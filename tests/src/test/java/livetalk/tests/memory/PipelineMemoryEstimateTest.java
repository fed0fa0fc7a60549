package livetalk.tests.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import livetalk.io.MemoryCheckpoint;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.vae.WanVae;
import livetalk.sampler.CausalInference;
import livetalk.sampler.FlowMatchSchedule;
import livetalk.sampler.SeededNoise;
import livetalk.sampler.StreamingPipeline;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import livetalk.testkit.DitWeights;
import livetalk.testkit.VaeWeights;
import org.junit.jupiter.api.Test;

/**
 * Where the GPU memory of {@code bench-pipeline --device cuda} goes, worked out without a GPU: the
 * same pipeline (official 1.3B DiT with bf16 weights, official VAE with float32 weights, 512×512,
 * the official block geometry, decode overlapped on a second thread) on {@link DeviceMemoryModel},
 * which books every allocation the CUDA backend would make, with its defaults (bf16 operands).
 * Prints the peak by category and by owner (docs/cuda-performance.md#gpu-memory quotes it), and
 * checks that the whole pipeline stays within 8 GB and that no model code uses a buffer after it
 * was freed.
 */
class PipelineMemoryEstimateTest {
    private static final int SIZE = 512;

    /** Zero tensors of the right shapes, all views of one zeroed segment: nothing reads them. */
    private static MemoryCheckpoint zeros(String label, Map<String, long[]> shapes, DType dtype, MemorySegment zero) {
        Map<String, Tensor> t = new HashMap<>();
        shapes.forEach((name, shape) -> t.put(name, Tensor.of(dtype, zero.asSlice(0, Tensor.numel(shape) * dtype.byteSize()), shape)));
        return new MemoryCheckpoint(label, t, Map.of());
    }

    static DeviceMemoryModel runPipeline(int blocks) {
        DeviceMemoryModel be = new DeviceMemoryModel(DType.BF16);
        DitConfig cfg = DitWeights.official1_3B();
        MemorySegment zero = Arena.ofAuto().allocate(64L << 20);
        CausalDit model = new CausalDit(be, zeros("dit", DitWeights.shapes(cfg), DType.BF16, zero), cfg);
        WanVae vae = WanVae.load(zeros("vae", VaeWeights.shapes(VaeWeights.official()), DType.F32, zero), be);
        CausalInference.Settings settings = CausalInference.Settings.official();
        StreamingPipeline pipe = new StreamingPipeline(model, vae, settings, FlowMatchSchedule.official().embeddingTimesteps(true), true);
        int latentFrames = blocks * settings.framesPerBlock(), audioFrames = pipe.audioFramesFor(latentFrames);
        var text = model.encodeText(new float[512 * cfg.textDim()], 512);
        var cond = pipe.condition(new float[3 * SIZE * SIZE], SIZE, SIZE, new float[audioFrames * cfg.audioInputDim()], audioFrames, text);
        pipe.run(cond, 1 + 4 * (latentFrames - 1), new SeededNoise(1), new SeededNoise(2), (f, n, first) -> { }, null, () -> false);
        return be;
    }

    /**
     * What a finished pipeline leaves: the decode thread's scratch regions and the decoder's causal
     * history go with its worker (DecodeWorker.close), so once the calling thread trims its own
     * scratch no scratch is left, and no history: a server opening and closing sessions stays flat.
     */
    @Test
    void aFinishedPipelineLeavesNoScratchAndNoHistory() {
        DeviceMemoryModel be = runPipeline(2);
        be.trimMemory();
        assertEquals(0, be.live(DeviceMemoryModel.Kind.SCRATCH), "scratch left after the run:\n" + be.report());
        assertEquals(0, be.liveOwnedBy("BUFFERS_BF16 VAE decode: vae.CausalConv3d") + be.liveOwnedBy("BUFFERS_F32 VAE decode: vae.CausalConv3d"),
                "decoder history left after the run:\n" + be.report());
    }

    @Test
    void wholePipelinePeak() {
        DeviceMemoryModel be = runPipeline(6);
        System.out.print("bench-pipeline device memory (model of the CUDA backend), " + SIZE + "x" + SIZE + ", 6 blocks:\n" + be.report());
        // issue 13's target, 8 GB in decimal units (7.45 GiB); the model gives 7.40 GiB, as the stub driver's books do
        assertTrue(be.peakBytes() <= 8_000_000_000L, "peak " + be.peakBytes() + " bytes:\n" + be.report());
    }
}
