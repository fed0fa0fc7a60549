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
import livetalk.tensor.Tensor;

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
        FlowMatchSchedule sched = dir.has(s, "scheduler_timesteps")
                ? new FlowMatchSchedule(FlowMatchSchedule.OFFICIAL_SHIFT, (int) dir.tensor(s, "scheduler_timesteps").numel())
                : FlowMatchSchedule.official();
        report.compare(dir, s, "scheduler_sigmas", sched::sigmas);
        report.compare(dir, s, "scheduler_timesteps", sched::timesteps);
        float[] steps = dir.tensor(s, "denoising_step_list").toFloatArray();

        float[] audio = audioCondition(dir, dit, trace, report);  // [nProj, F, D]
        int latentFrames = audio.length / (cfg.numAudioProjs() * cfg.dim());

        float[] ref = refLatent(dir, backend);                   // [1, 1, C, h, w]
        report.compare(dir, s, "cond_image", () -> CausalInference.conditioning(ref, c, h, w, 0, frames));

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
        report.compare(dir, s, "output_latents", () -> out);
    }

    /**
     * The packed audio conditioning: cat(last, hs0..hsN) → pad → AudioPack → LayerNorm →
     * audio_cond_projs. Without the wav2vec hidden states it is derived from the golden
     * projection output, and without that taken from the golden {@code cond_audio}.
     */
    private float[] audioCondition(GoldenDir dir, CausalDit dit, RolloutTrace trace, Report report) {
        String s = stem;
        DitConfig cfg = dit.config();
        AudioProjection ap = dit.audioProjection();
        float[] packed;                                          // [F, hidden]
        if (trace.audioFeatures != null) {
            report.compare(dir, s, "audio_proj_in", () -> {      // [1, C, 4F, 1, 1]
                float[] padded = ap.padFront(trace.audioFeatures, trace.audioFrames);
                return GoldenDit.transposeLast2(padded, padded.length / cfg.audioInputDim(), cfg.audioInputDim());
            });
            float[] computed = ap.pack(trace.audioFeatures, trace.audioFrames);
            packed = computed;
            report.compare(dir, s, "audio_proj_out", () -> computed);
        } else if (dir.has(s, "audio_proj_out")) {
            String why = "no wav2vec hidden states in " + s + ".safetensors to compute it from; later stages start from it";
            report.skip(s + "/audio_proj_in", why);
            report.skip(s + "/audio_proj_out", why);
            packed = dir.floats(s, "audio_proj_out");
        } else {
            String why = "neither wav2vec hidden states nor audio_proj_out in " + s + ".safetensors";
            report.skip(s + "/audio_proj_out", why);
            report.skip(s + "/cond_audio", why + "; the golden cond_audio drives the rollout");
            return dir.floats(s, "cond_audio");
        }
        float[] audio = ap.condition(packed, packed.length / cfg.audioHidden());
        report.compare(dir, s, "cond_audio", () -> audio);
        return audio;
    }

    /** The reference latent: the golden {@code ref_latent}, or else the golden VAE's encoding of {@code ref_image_pixels}. */
    private float[] refLatent(GoldenDir dir, Backend backend) {
        if (dir.has(stem, "ref_latent")) return dir.floats(stem, "ref_latent");
        Tensor img = dir.tensor(stem, "ref_image_pixels");               // [1, 3, 1, H, W]
        return VaeGolden.load(dir, backend).encode(VaeGolden.frameMajor(img), (int) img.dim(2), (int) img.dim(3), (int) img.dim(4));
    }

    /** Per-call and per-block traces are compared when the file has them (a set may omit them all). */
    private void cmp(Report report, Checkpoint file, String name, float[] actual) {
        if (file.contains(name)) report.compare(stem, name, file.get(name).toFloatArray(), actual);
    }
}
