package livetalk.cli.verify;

import livetalk.kernels.Backend;
import livetalk.model.vae.WanVae;
import livetalk.tensor.Tensor;

/**
 * {@code vae_encode}: {@code WanVAEWrapper.encode_to_latent} of a single image (the reference
 * image path) and of a clip encoded in chunks 1, 4, 4 (docs/model.md#vae-encoder).
 */
final class VaeEncodeCheck implements GoldenCheck {
    @Override
    public String stem() {
        return "vae_encode";
    }

    @Override
    public void run(GoldenDir dir, Backend backend, Report report) {
        WanVae vae = VaeGolden.load(dir, backend);
        String s = stem();
        VaeGolden.compareStats(dir, s, report);

        Tensor image = dir.tensor(s, "image");                          // [1, 3, T, H, W]
        int t = (int) image.dim(2), h = (int) image.dim(3), w = (int) image.dim(4);
        float[] pixels = VaeGolden.frameMajor(image);
        if (dir.has(s, "image_mu_unnormalized")) {
            report.compare(s, "image_mu_unnormalized", VaeGolden.frameMajor(dir.tensor(s, "image_mu_unnormalized")),
                    vae.encodeMu(pixels, t, h, w));
        } else {
            report.skip(s + "/image_mu_unnormalized", "tensor 'image_mu_unnormalized' is not in " + s + ".safetensors");
        }
        report.compare(dir, s, "image_latent", () -> vae.encode(pixels, t, h, w));   // [1, F, z, h, w]
        report.compare(dir, s, "clip_latent", () -> {
            Tensor clip = dir.tensor(s, "clip");
            return vae.encode(VaeGolden.frameMajor(clip), (int) clip.dim(2), (int) clip.dim(3), (int) clip.dim(4));
        });
    }
}
