package livetalk.cli.verify;

import java.util.List;
import livetalk.io.Checkpoint;
import livetalk.io.image.PortraitPreprocess;
import livetalk.io.image.RgbImage;
import livetalk.kernels.Backend;
import livetalk.model.dit.CausalDit;
import livetalk.model.vae.WanVae;
import livetalk.sampler.ReplayNoise;
import livetalk.sampler.StreamingPipeline;
import livetalk.tensor.Tensor;

/**
 * {@code causal_rollout} end to end through {@link StreamingPipeline}, the code path
 * {@code generate} runs: the u8 reference image → preprocessing → VAE encode; the stand-in wav2vec
 * hidden states → audio projection; the prompt embeddings; the recorded initial noise and re-noise
 * draws; block-by-block denoising with streamed decoding → the returned {@code video} in [0, 1].
 */
final class RolloutEndToEndCheck implements GoldenCheck {
    @Override
    public String stem() {
        return "causal_rollout";
    }

    @Override
    public void run(GoldenDir dir, Backend backend, Report report) {
        if (!dir.has(stem(), "video")) return;                         // nothing to compare against
        try {
            runEndToEnd(dir, backend, report);
        } catch (GoldenDir.Missing m) {
            report.skip(stem() + "/e2e_video", m.getMessage());
        }
    }

    private void runEndToEnd(GoldenDir dir, Backend backend, Report report) {
        String s = stem();
        Checkpoint file = dir.file(s);

        // Preprocessing: the u8 image [H, W, 3] → planar [0, 1] → resize/crop → [-1, 1].
        Tensor u8 = dir.tensor(s, "ref_image_u8");
        int hgt = (int) u8.dim(0), wid = (int) u8.dim(1);
        Tensor video = file.get("video");                              // [1, T, 3, H', W']
        int outH = (int) video.dim(3), outW = (int) video.dim(4), frames = (int) video.dim(1);
        float[] planar = u8.permute(2, 0, 1).contiguous().toFloatArray();
        for (int i = 0; i < planar.length; i++) planar[i] /= 255f;
        float[] pixels = PortraitPreprocess.prepare(new RgbImage(wid, hgt, planar), outH, outW);
        if (file.contains("ref_image_pixels")) report.compare(s, "e2e_ref_image_pixels", dir.floats(s, "ref_image_pixels"), pixels);

        CausalDit dit = GoldenDit.load(dir, backend);
        WanVae vae = VaeGolden.load(dir, backend);
        RolloutTrace trace = new RolloutTrace(dir, s, dit);
        if (trace.audioFeatures == null) throw new GoldenDir.Missing("no wav2vec hidden states in " + s + ".safetensors");
        StreamingPipeline pipe = new StreamingPipeline(dit, vae, trace.settings, dir.tensor(s, "denoising_step_list").toFloatArray(), true);
        StreamingPipeline.Conditioning cond = pipe.condition(pixels, outH, outW, trace.audioFeatures, trace.audioFrames, trace.text);

        int pixFrame = 3 * outH * outW;
        float[] got = new float[frames * pixFrame];
        List<float[]> initial = trace.initialNoiseBlocks().subList(0, cond.latentFrames() / trace.settings.framesPerBlock());
        pipe.run(cond, frames, new ReplayNoise(initial), new ReplayNoise(trace.draws), (px, n, first) -> {
            for (int i = 0; i < n * pixFrame; i++) got[first * pixFrame + i] = Math.max(0f, Math.min(1f, px[i] * 0.5f + 0.5f));
        }, null, () -> false);
        report.compare(s, "e2e_video", video.toFloatArray(), got);
    }
}
