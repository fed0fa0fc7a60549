package livetalk.cli.verify;

import livetalk.kernels.Backend;
import livetalk.model.text.Umt5Config;
import livetalk.model.text.Umt5Encoder;
import livetalk.tensor.Tensor;

/**
 * {@code t5_forward}: the tiny umT5 encoder ({@code t5_tiny} weights, sizes from the shapes and
 * {@code t5_tiny.json}) on each prompt of the batch: the raw encoder output over all positions,
 * the prompt embeddings (rows past the length zeroed) and block 0's relative-position bias rows
 * for the first and the last query (docs/model.md#umt5, docs/numerics.md#umt5-attention).
 */
final class T5ForwardCheck implements GoldenCheck {
    @Override
    public String stem() {
        return "t5_forward";
    }

    @Override
    public void run(GoldenDir dir, Backend backend, Report report) {
        Umt5Config cfg = Umt5Config.infer(dir.file("t5_tiny"), dir.json("t5_tiny"));
        Umt5Encoder enc = new Umt5Encoder(backend, dir.file("t5_tiny"), cfg);
        Tensor ids = dir.tensor(stem(), "ids"), mask = dir.tensor(stem(), "mask");   // [B, L]
        long[] lens = dir.tensor(stem(), "seq_lens").toLongArray();
        int batch = (int) ids.dim(0), len = (int) ids.dim(1), d = cfg.dim();
        float[] raw = new float[batch * len * d], embeds = new float[batch * len * d];
        for (int b = 0; b < batch; b++) {
            long[] id = ids.select(0, b).toLongArray(), m = mask.select(0, b).toLongArray();
            System.arraycopy(enc.forward(id, m), 0, raw, b * len * d, len * d);
            System.arraycopy(enc.promptEmbeds(id, (int) lens[b], len), 0, embeds, b * len * d, len * d);
        }
        report.compare(dir, stem(), "encoder_out_raw", () -> raw);
        report.compare(dir, stem(), "prompt_embeds", () -> embeds);
        report.compare(dir, stem(), "block0_rel_pos_bias_rows", () -> biasRows(enc, cfg, len));   // [2, heads, L]: queries 0 and L-1
    }

    private static float[] biasRows(Umt5Encoder enc, Umt5Config cfg, int len) {
        float[] bias = enc.positionBias(0, len);                        // [heads, L, L]
        int heads = cfg.heads();
        float[] got = new float[2 * heads * len];
        int[] queries = {0, len - 1};
        for (int r = 0; r < 2; r++) {
            for (int h = 0; h < heads; h++) {
                System.arraycopy(bias, (h * len + queries[r]) * len, got, (r * heads + h) * len, len);
            }
        }
        return got;
    }
}
