package livetalk.cli.verify;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.model.dit.AudioProjection;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.dit.KvCache;
import livetalk.sampler.CausalInference;
import livetalk.sampler.FlowMatchSchedule;
import livetalk.sampler.ReplayNoise;

/**
 * A whole causal rollout ({@code CausalInferencePipeline.forward}, docs/sampler.md#block-loop) from the trace's
 * inputs: the stand-in wav2vec hidden states through the audio projection, the reference latent
 * and prompt embeddings, the initial noise and every recorded re-noise draw replayed in order.
 * Sizes, window, sink and the step list come from the file. Compares whatever the file holds of:
 * audio_proj_in/out, cond_audio, cond_image, each call's x_in / flow_pred / x0_pred and KV
 * indices, each block's latents and layer-0 KV cache, output_latents. ({@code ref_latent} and
 * {@code video} belong to the VAE checks.)
 */
final class RolloutCheck implements GoldenCheck {
    private final String stem;

    RolloutCheck(String stem) {
        this.stem = stem;
    }

    @Override
    public String stem() {
        return stem;
    }

    @Override
    public void run(GoldenDir dir, Backend backend, Report report) {
        String s = stem;
        CausalDit dit = GoldenDit.load(dir, backend);
        RolloutTrace trace = new RolloutTrace(dir, s, dit);
        Checkpoint file = trace.file;
        int frames = trace.num("rollout_config", "num_frames"), h = trace.num("rollout_config", "latent_h");
        int w = trace.num("rollout_config", "latent_w"), perBlock = trace.settings.framesPerBlock();
        DitConfig cfg = dit.config();
        int c = cfg.outDim(), frameSize = c * h * w;

        // schedule: shift 5 (official constant), step count from the file
        float[] schedT = file.get("scheduler_timesteps").toFloatArray();
        FlowMatchSchedule sched = new FlowMatchSchedule(FlowMatchSchedule.OFFICIAL_SHIFT, schedT.length);
        report.compare(s, "scheduler_sigmas", file.get("scheduler_sigmas").toFloatArray(), sched.sigmas());
        report.compare(s, "scheduler_timesteps", schedT, sched.timesteps());
        float[] steps = file.get("denoising_step_list").toFloatArray();

        // audio: cat(last, hs0..hsN) → pad → AudioPack → LayerNorm → audio_cond_projs
        AudioProjection ap = dit.audioProjection();
        if (file.contains("audio_proj_in")) {                    // [1, C, 4F, 1, 1]
            float[] padded = ap.padFront(trace.audioFeatures, trace.audioFrames);
            report.compare(s, "audio_proj_in", file.get("audio_proj_in").toFloatArray(),
                    GoldenDit.transposeLast2(padded, padded.length / cfg.audioInputDim(), cfg.audioInputDim()));
        }
        float[] packed = ap.pack(trace.audioFeatures, trace.audioFrames);   // [F, hidden]
        report.compare(s, "audio_proj_out", file.get("audio_proj_out").toFloatArray(), packed);
        int latentFrames = packed.length / cfg.audioHidden();
        float[] audio = ap.condition(packed, latentFrames);      // [nProj, F, D]
        report.compare(s, "cond_audio", file.get("cond_audio").toFloatArray(), audio);

        float[] ref = file.get("ref_latent").toFloatArray();     // [1, 1, C, h, w]
        report.compare(s, "cond_image", file.get("cond_image").toFloatArray(),
                CausalInference.conditioning(ref, c, h, w, 0, frames));

        ReplayNoise noise = new ReplayNoise(trace.draws);
        CausalInference inf = new CausalInference(dit, trace.settings, sched, steps, noise);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> calls = (List<Map<String, Object>>) trace.meta.get("calls");
        int[] callNo = {0};
        inf.setListener((block, step, t, xIn, flow, x0) -> {
            int k = callNo[0]++;
            String p = String.format("call%03d_", k);
            if (step >= 0) {
                cmp(report, file, p + "x_in", xIn);
                cmp(report, file, p + "flow_pred", flow);
                cmp(report, file, p + "x0_pred", x0);
            }
            KvCache kv = inf.kvCache();
            if (calls != null && k < calls.size()) {
                Map<String, Object> rec = calls.get(k);
                report.compareExact(s, p + "kv_indices",
                        new long[] {RolloutTrace.num(rec, "kv_global_end_index_after"), RolloutTrace.num(rec, "kv_local_end_index_after")},
                        new long[] {kv.globalEnd(), kv.localEnd()});
            }
            if (step < 0) {
                cmp(report, file, "kv_block" + block + "_layer0_k", backend.read(kv.keys(0)));
                cmp(report, file, "kv_block" + block + "_layer0_v", backend.read(kv.values(0)));
            }
        });
        inf.start(Arrays.copyOf(ref, frameSize), h, w, trace.text);
        List<float[]> blockNoise = trace.initialNoiseBlocks();
        float[] out = new float[frames * frameSize];
        for (int b = 0; b < frames / perBlock; b++) {
            float[] lat = inf.nextBlock(blockNoise.get(b), inf.audioSlice(audio, latentFrames, b * perBlock, perBlock));
            cmp(report, file, "block" + b + "_latents", lat);
            System.arraycopy(lat, 0, out, b * perBlock * frameSize, lat.length);
        }
        if (noise.used() != trace.draws.size()) {
            report.fail(s + "/rng", "used " + noise.used() + " of " + trace.draws.size() + " recorded draws");
        }
        report.compare(s, "output_latents", file.get("output_latents").toFloatArray(), out);
    }

    private void cmp(Report report, Checkpoint file, String name, float[] actual) {
        if (file.contains(name)) report.compare(stem, name, file.get(name).toFloatArray(), actual);
    }
}
