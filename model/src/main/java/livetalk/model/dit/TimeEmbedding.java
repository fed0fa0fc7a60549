package livetalk.model.dit;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;

/**
 * Timestep embedding (docs/model.md#dit-forward step 3, docs/numerics.md#time-embedding): a {@code freqDim}-wide sinusoid of the raw
 * timestep (cos first, then sin, float64), {@code temb = W2·SiLU(W1·e + b1) + b2} ({@code [F, D]})
 * and {@code tmod = Wp·SiLU(temb) + bp} ({@code [F, 6D]}).
 */
final class TimeEmbedding {
    private final Backend be;
    private final int freqDim, dim;
    private final Weight w0, b0, w2, b2, wp, bp;

    TimeEmbedding(Backend be, Checkpoint ck, DitConfig cfg) {
        this.be = be;
        this.freqDim = cfg.freqDim();
        this.dim = cfg.dim();
        w0 = be.weight(ck.get("time_embedding.0.weight"));
        b0 = be.weight(ck.get("time_embedding.0.bias"));
        w2 = be.weight(ck.get("time_embedding.2.weight"));
        b2 = be.weight(ck.get("time_embedding.2.bias"));
        wp = be.weight(ck.get("time_projection.1.weight"));
        bp = be.weight(ck.get("time_projection.1.bias"));
    }

    /**
     * {@code [cos(t·ω_k), sin(t·ω_k)]}, {@code ω_k = 10000^(−k/(freqDim/2))}, computed in float64 and
     * rounded once to float32 (the golden run's dtype; officially bf16, docs/sampler.md#timesteps).
     */
    static float[] sinusoid(int freqDim, double t, float[] out, int off) {
        int half = freqDim / 2;
        for (int k = 0; k < half; k++) {
            double a = t * Math.pow(10000.0, -(double) k / half);
            out[off + k] = (float) Math.cos(a);
            out[off + half + k] = (float) Math.sin(a);
        }
        return out;
    }

    /** The sinusoids of per-frame timesteps, {@code [F, freqDim]}. */
    static float[] sinusoids(float[] timesteps, int freqDim) {
        float[] e = new float[timesteps.length * freqDim];
        for (int i = 0; i < timesteps.length; i++) sinusoid(freqDim, timesteps[i], e, i * freqDim);
        return e;
    }

    /** Fills {@code temb [F, D]} and {@code tmod [F, 6D]} from the sinusoids {@code eb [F, freqDim]}; {@code hidden} is scratch. */
    void forward(Buf eb, int f, Buf hidden, Buf temb, Buf tmod) {
        be.linear(eb, hidden, f, w0, b0);
        be.silu(hidden, hidden);
        be.linear(hidden, temb, f, w2, b2);       // temb
        be.silu(temb, hidden);                    // SiLU(temb), temb itself is kept for the head
        be.linear(hidden, tmod, f, wp, bp);       // [F, 6D]: shift, scale, gate (msa), shift, scale, gate (mlp)
    }
}
