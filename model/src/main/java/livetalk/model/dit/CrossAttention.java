package livetalk.model.dit;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;

/**
 * Cross-attention to the text context (spec §2.4): q from the image tokens, k and v from all
 * text positions (no mask, padding included). K/V depend only on the prompt, so they are
 * computed once per prompt by {@link #textKv} and cached in a {@link TextCache}.
 */
final class CrossAttention {
    private final Backend be;
    private final int dim, heads, headDim;
    private final float eps;
    private final Weight q, qb, k, kb, v, vb, o, ob, normQ, normK;

    CrossAttention(Backend be, Checkpoint ck, DitConfig cfg, int layer) {
        this.be = be;
        this.dim = cfg.dim();
        this.heads = cfg.numHeads();
        this.headDim = cfg.headDim();
        this.eps = (float) cfg.eps();
        String p = "blocks." + layer + ".cross_attn.";
        q = be.weight(ck.get(p + "q.weight"));
        qb = be.weight(ck.get(p + "q.bias"));
        k = be.weight(ck.get(p + "k.weight"));
        kb = be.weight(ck.get(p + "k.bias"));
        v = be.weight(ck.get(p + "v.weight"));
        vb = be.weight(ck.get(p + "v.bias"));
        o = be.weight(ck.get(p + "o.weight"));
        ob = be.weight(ck.get(p + "o.bias"));
        normQ = be.weight(ck.get(p + "norm_q.weight"));
        normK = be.weight(ck.get(p + "norm_k.weight"));
    }

    /** {@code k = RMSNorm(Wk·ctx + bk)}, {@code v = Wv·ctx + bv}, each {@code [L, D]}. */
    void textKv(Buf ctx, int len, Buf kOut, Buf vOut) {
        be.linear(ctx, kOut, len, k, kb);
        be.rmsNorm(kOut, kOut, len, dim, eps, normK);
        be.linear(ctx, vOut, len, v, vb);
    }

    /** {@code out [n, D] = Wo·Attn(RMSNorm(Wq·x + bq), K, V) + bo}; {@code qs, attn} are scratch. */
    void forward(Buf x, Buf out, int n, Buf textK, Buf textV, int len, Buf qs, Buf attn) {
        be.linear(x, qs, n, q, qb);
        be.rmsNorm(qs, qs, n, dim, eps, normQ);
        be.attention(qs, textK, textV, attn, n, len, heads, headDim, (float) (1.0 / Math.sqrt(headDim)), null);
        be.linear(attn, out, n, o, ob);
    }
}
