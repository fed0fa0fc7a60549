package livetalk.cli.verify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import livetalk.io.Checkpoint;
import livetalk.io.image.PortraitPreprocess;
import livetalk.io.image.RgbImage;
import livetalk.kernels.Backend;
import livetalk.model.dit.AudioProjection;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.TextCache;
import livetalk.model.vae.WanVae;
import livetalk.sampler.CausalInference;
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

    @SuppressWarnings("unchecked")
    private void runEndToEnd(GoldenDir dir, Backend backend, Report report) {
        String s = stem();
        Checkpoint file = dir.file(s);
        Map<String, Object> meta = dir.json(s);
        Map<String, Object> rc = (Map<String, Object>) meta.get("rollout_config");
        int perBlock = num(rc, "num_frame_per_block"), window = num(rc, "local_attn_size");
        int sink = meta.containsKey("sink_size") ? num(meta, "sink_size") : num(rc, "sink_size");

        // Preprocessing: the u8 image [H, W, 3] → planar [0, 1] → resize/crop → [-1, 1].
        Tensor u8 = dir.tensor(s, "ref_image_u8");
        int hgt = (int) u8.dim(0), wid = (int) u8.dim(1);
        Tensor video = dir.tensor(s, "video");                              // [1, T, 3, H', W']
        int outH = (int) video.dim(3), outW = (int) video.dim(4), frames = (int) video.dim(1);
        float[] planar = u8.permute(2, 0, 1).contiguous().toFloatArray();
        for (int i = 0; i < planar.length; i++) planar[i] /= 255f;
        float[] pixels = PortraitPreprocess.prepare(new RgbImage(wid, hgt, planar), outH, outW);
        if (dir.has(s, "ref_image_pixels")) report.compare(s, "e2e_ref_image_pixels", dir.floats(s, "ref_image_pixels"), pixels);

        CausalDit dit = GoldenDit.load(dir, backend);
        WanVae vae = VaeGolden.load(dir, backend);
        StreamingPipeline pipe = new StreamingPipeline(dit, vae, new CausalInference.Settings(perBlock, window, sink),
                dir.tensor(s, "denoising_step_list").toFloatArray(), true);

        List<float[]> parts = new ArrayList<>();
        Tensor last = dir.tensor(s, "wav2vec_last_hidden_state");          // [1, L, H]
        int audioFrames = (int) last.dim(1);
        parts.add(last.toFloatArray());
        for (int i = 0; file.contains("wav2vec_hidden_states_" + i); i++) parts.add(dir.floats(s, "wav2vec_hidden_states_" + i));
        Tensor prompt = dir.tensor(s, "prompt_embeds");                     // [1, L, textDim]
        TextCache text = dit.encodeText(prompt.toFloatArray(), (int) prompt.dim(1));
        StreamingPipeline.Conditioning cond = pipe.condition(pixels, outH, outW,
                AudioProjection.stackFeatures(parts, audioFrames), audioFrames, text);

        // The reference draws the whole initial noise up front; replaying it block by block is the same.
        Tensor noise = dir.tensor(s, "noise");                              // [1, F, C, h, w]
        int blockSize = perBlock * (int) (noise.numel() / noise.dim(1));
        float[] all = noise.toFloatArray();
        List<float[]> initial = new ArrayList<>();
        for (int b = 0; b < cond.latentFrames() / perBlock; b++) initial.add(Arrays.copyOfRange(all, b * blockSize, (b + 1) * blockSize));
        List<float[]> draws = new ArrayList<>();
        for (int i = 0; file.contains(String.format("rng_%03d", i)); i++) draws.add(dir.floats(s, String.format("rng_%03d", i)));

        int pixFrame = 3 * outH * outW;
        float[] got = new float[frames * pixFrame];
        pipe.run(cond, frames, new ReplayNoise(initial), new ReplayNoise(draws), (px, n, first) -> {
            for (int i = 0; i < n * pixFrame; i++) got[first * pixFrame + i] = Math.max(0f, Math.min(1f, px[i] * 0.5f + 0.5f));
        }, null, () -> false);
        report.compare(s, "e2e_video", video.toFloatArray(), got);
    }

    private static int num(Map<String, Object> m, String key) {
        if (m.get(key) instanceof Number n) return n.intValue();
        throw new livetalk.io.CheckpointException("golden metadata: '" + key + "' missing or not a number");
    }
}
