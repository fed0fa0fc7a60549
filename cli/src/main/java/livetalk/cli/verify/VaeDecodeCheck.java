package livetalk.cli.verify;

import java.util.Arrays;
import livetalk.kernels.Backend;
import livetalk.model.vae.StreamingDecoder;
import livetalk.model.vae.WanVae;
import livetalk.tensor.Tensor;

/**
 * {@code vae_decode}: {@code WanVAEWrapper.decode_to_pixel} one latent frame at a time with the
 * causal caches (docs/model.md#vae-decoder, docs/model.md#streaming-decode), its raw output before the clamp, and the streamed decode.
 */
final class VaeDecodeCheck implements GoldenCheck {
    /** The golden README defines {@code pixels_streamed} as a decode of z[:, :2], then z[:, 2:]. */
    static final int STREAM_SPLIT = 2;

    @Override
    public String stem() {
        return "vae_decode";
    }

    @Override
    public void run(GoldenDir dir, Backend backend, Report report) {
        WanVae vae = VaeGolden.load(dir, backend);
        String s = stem();
        VaeGolden.compareStats(dir, s, report);

        Tensor latents = dir.tensor(s, "latents");                      // [1, F, z, h, w]
        int f = (int) latents.dim(1), h = (int) latents.dim(3), w = (int) latents.dim(4);
        float[] z = latents.toFloatArray();
        float[] raw = vae.decodeRaw(z, f, h, w);
        if (dir.has(s, "decoder_raw")) {
            report.compare(s, "decoder_raw", VaeGolden.frameMajor(dir.tensor(s, "decoder_raw")), raw);
        } else {
            report.skip(s + "/decoder_raw", "tensor 'decoder_raw' is not in " + s + ".safetensors");
        }
        report.compare(dir, s, "pixels", () -> vae.decode(z, f, h, w));

        if (!dir.has(s, "pixels_streamed")) {
            report.skip(s + "/pixels_streamed", "tensor 'pixels_streamed' is not in " + s + ".safetensors");
        } else {
            int split = Math.min(STREAM_SPLIT, f), frame = z.length / f;
            StreamingDecoder dec = vae.decoder(h, w);
            float[] a = dec.push(Arrays.copyOfRange(z, 0, split * frame), split);
            float[] b = dec.push(Arrays.copyOfRange(z, split * frame, z.length), f - split);
            float[] both = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, both, a.length, b.length);
            report.compare(s, "pixels_streamed", dir.floats(s, "pixels_streamed"), both);
        }
    }
}
