package livetalk.cli.verify;

import livetalk.kernels.Backend;
import livetalk.model.vae.WanVae;
import livetalk.tensor.Tensor;

/**
 * The VAE ends of {@code causal_rollout}: the reference image encoded into {@code ref_latent}, and
 * the output latents decoded into the returned {@code video} ({@code decode_to_pixel} → ×0.5+0.5 →
 * clamp to [0, 1], docs/model.md#video-output). The DiT parts of the same file are another check's.
 */
final class RolloutVaeCheck implements GoldenCheck {
    @Override
    public String stem() {
        return "causal_rollout";
    }

    @Override
    public void run(GoldenDir dir, Backend backend, Report report) {
        String s = stem();
        WanVae vae;
        try {
            vae = VaeGolden.load(dir, backend);
        } catch (GoldenDir.Missing m) {
            for (String name : new String[] {"ref_latent", "video"}) {
                if (dir.has(s, name)) report.skip(s + "/" + name, "no VAE weights: " + m.getMessage());
            }
            return;
        }
        if (dir.has(s, "ref_latent")) {
            report.compare(dir, s, "ref_latent", () -> {
                Tensor img = dir.tensor(s, "ref_image_pixels");          // [1, 3, 1, H, W]
                return vae.encode(VaeGolden.frameMajor(img), (int) img.dim(2), (int) img.dim(3), (int) img.dim(4));
            });
        }
        if (dir.has(s, "video")) {
            report.compare(dir, s, "video", () -> {
                Tensor lat = dir.tensor(s, "output_latents");            // [1, F, z, h, w]
                float[] px = vae.decode(lat.toFloatArray(), (int) lat.dim(1), (int) lat.dim(3), (int) lat.dim(4));
                for (int i = 0; i < px.length; i++) px[i] = Math.max(0f, Math.min(1f, px[i] * 0.5f + 0.5f));
                return px;
            });
        }
    }
}
