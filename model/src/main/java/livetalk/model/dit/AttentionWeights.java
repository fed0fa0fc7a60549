package livetalk.model.dit;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;

/**
 * The projections both DiT attentions share (docs/model.md#dit-block): q, k, v, o with biases, and the q/k
 * RMSNorms over the full width (before the head split, eps from the config).
 */
record AttentionWeights(Backend be, int dim, float eps, Weight q, Weight qb, Weight k, Weight kb, Weight v, Weight vb,
                        Weight o, Weight ob, Weight normQ, Weight normK) {

    /** Loads {@code PREFIX{q,k,v,o}.{weight,bias}} and {@code PREFIXnorm_{q,k}.weight}. */
    static AttentionWeights load(Backend be, Checkpoint ck, DitConfig cfg, String prefix) {
        return new AttentionWeights(be, cfg.dim(), (float) cfg.eps(),
                w(be, ck, prefix + "q.weight"), w(be, ck, prefix + "q.bias"),
                w(be, ck, prefix + "k.weight"), w(be, ck, prefix + "k.bias"),
                w(be, ck, prefix + "v.weight"), w(be, ck, prefix + "v.bias"),
                w(be, ck, prefix + "o.weight"), w(be, ck, prefix + "o.bias"),
                w(be, ck, prefix + "norm_q.weight"), w(be, ck, prefix + "norm_k.weight"));
    }

    private static Weight w(Backend be, Checkpoint ck, String name) {
        return be.weight(ck.get(name));
    }

    /** {@code out [n, D] = RMSNorm_q(Wq·x + bq)}. */
    void query(Buf x, Buf out, int n) {
        be.linear(x, out, n, q, qb);
        be.rmsNorm(out, out, n, dim, eps, normQ);
    }

    /** {@code out [n, D] = Wq·x + bq}: the query before its norm (which {@code Backend.rmsNormRope} then applies with RoPE). */
    void queryProjection(Buf x, Buf out, int n) {
        be.linear(x, out, n, q, qb);
    }

    /** {@code out [n, D] = Wk·x + bk}, as {@link #queryProjection}. */
    void keyProjection(Buf x, Buf out, int n) {
        be.linear(x, out, n, k, kb);
    }

    /** {@code out [n, D] = RMSNorm_k(Wk·x + bk)}. */
    void key(Buf x, Buf out, int n) {
        be.linear(x, out, n, k, kb);
        be.rmsNorm(out, out, n, dim, eps, normK);
    }

    /** {@code out [n, D] = Wv·x + bv}. */
    void value(Buf x, Buf out, int n) {
        be.linear(x, out, n, v, vb);
    }

    /**
     * Drops the device copies of what {@link #key} and {@link #value} read (a device backend makes
     * them again on their next use): for the cross-attention, whose K/V are made once per prompt.
     */
    void releaseKeyValue() {
        for (Weight w : new Weight[] {k, kb, v, vb, normK}) be.release(w);
    }

    /** {@code res.x [n, D] += (Wo·attn + bo)·gate}; {@code scratch} {@code [n, D]} float32 where a backend may put the product first. */
    void output(Buf attn, Buf scratch, int n, Residual res) {
        res.addProduct(be, attn, scratch, n, o, ob);
    }
}
