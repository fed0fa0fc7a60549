package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import livetalk.cli.verify.GoldenDir;
import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.model.dit.AudioProjection;
import livetalk.model.dit.CausalDit;
import livetalk.sampler.CausalInference;
import livetalk.sampler.FlowMatchSchedule;
import livetalk.sampler.ReplayNoise;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Measures what bf16 KV-cache storage (the default, as in the reference run) costs on the main
 * golden rollout, against the float32 storage that parity runs use. Prints the error against the float32 golden
 * output and against our own float32 run; asserts only that it stays a small perturbation.
 */
class Bf16KvCostTest {
    @Test
    void bf16KvStaysCloseToFloat32() {
        for (String s : List.of("causal_rollout", "causal_rollout_bf16steps", "causal_rollout_small_window")) rollout(s);
    }

    @SuppressWarnings("unchecked")
    private static void rollout(String s) {
        try (GoldenDir dir = new GoldenDir(Path.of("golden")); Backend be = new CpuBackend()) {
            Checkpoint file = dir.file(s);
            Map<String, Object> rc = (Map<String, Object>) dir.json(s).get("rollout_config");
            int frames = ((Number) rc.get("num_frames")).intValue(), h = ((Number) rc.get("latent_h")).intValue();
            int w = ((Number) rc.get("latent_w")).intValue(), fpb = ((Number) rc.get("num_frame_per_block")).intValue();
            int window = ((Number) rc.get("local_attn_size")).intValue();
            Map<String, Object> meta = dir.json(s);
            int sink = ((Number) (meta.containsKey("sink_size") ? meta : rc).get("sink_size")).intValue();
            CausalDit dit = CausalDit.load(be, dir.file("dit_tiny"), dir.json("dit_tiny"));
            List<float[]> parts = new ArrayList<>();
            Tensor last = file.get("wav2vec_last_hidden_state");
            parts.add(last.toFloatArray());
            for (int i = 0; file.contains("wav2vec_hidden_states_" + i); i++) parts.add(file.get("wav2vec_hidden_states_" + i).toFloatArray());
            AudioProjection ap = dit.audioProjection();
            float[] packed = ap.pack(AudioProjection.stackFeatures(parts, (int) last.dim(1)), (int) last.dim(1));
            float[] audio = ap.condition(packed, frames);
            Tensor prompt = file.get("prompt_embeds");
            float[] golden = file.get("output_latents").toFloatArray();
            float[][] out = new float[2][];
            for (int mode = 0; mode < 2; mode++) {
                List<float[]> draws = new ArrayList<>();
                for (int i = 0; file.contains(String.format("rng_%03d", i)); i++) draws.add(file.get(String.format("rng_%03d", i)).toFloatArray());
                FlowMatchSchedule sched = FlowMatchSchedule.official();
                CausalInference inf = new CausalInference(dit, new CausalInference.Settings(fpb, window, sink, mode == 1 ? DType.BF16 : DType.F32), sched,
                        file.get("denoising_step_list").toFloatArray(), new ReplayNoise(draws));
                float[] ref = file.get("ref_latent").toFloatArray();
                inf.start(ref, h, w, dit.encodeText(prompt.toFloatArray(), (int) prompt.dim(1)));
                out[mode] = inf.generate(file.get("noise").toFloatArray(), audio, frames);
            }
            double[] vsGolden = err(golden, out[1]), vsF32 = err(out[0], out[1]), f32 = err(golden, out[0]);
            System.out.printf("bf16 KV on %s output_latents: vs golden max_abs=%.2e rel_l2=%.2e; vs our f32 max_abs=%.2e rel_l2=%.2e"
                    + " (f32 KV vs golden: max_abs=%.2e rel_l2=%.2e)%n", s, vsGolden[0], vsGolden[1], vsF32[0], vsF32[1], f32[0], f32[1]);
            assertTrue(vsGolden[1] < 5e-2, "bf16 KV drifts too far: rel_l2 " + vsGolden[1]);
            assertTrue(Arrays.equals(Arrays.copyOf(out[1], 16 * h * w), Arrays.copyOf(file.get("ref_latent").toFloatArray(), 16 * h * w)));
        }
    }

    private static double[] err(float[] ref, float[] act) {
        double max = 0, e = 0, r = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = act[i] - ref[i];
            max = Math.max(max, Math.abs(d));
            e += d * d;
            r += (double) ref[i] * ref[i];
        }
        return new double[] {max, Math.sqrt(e / r)};
    }
}
