package livetalk.model.dit;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;

/**
 * Cross-attention to the text context (docs/model.md#dit-block): q from the image tokens, k and v from all
 * text positions (no mask, padding included). K/V depend only on the prompt, so they are
 * computed once per prompt by {@link #textKv} and cached in a {@link TextCache}.
 */
final class CrossAttention {
    private final Backend be;
    private final int heads, headDim;
    private final AttentionWeights w;

    CrossAttention(Backend be, Checkpoint ck, DitConfig cfg, int layer) {
        this.be = be;
        this.heads = cfg.numHeads();
        this.headDim = cfg.headDim();
        this.w = AttentionWeights.load(be, ck, cfg, "blocks." + layer + ".cross_attn.");
    }

    /** {@code k = RMSNorm(Wk·ctx + bk)}, {@code v = Wv·ctx + bv}, each {@code [L, D]}. */
    void textKv(Buf ctx, int len, Buf kOut, Buf vOut) {
        w.key(ctx, kOut, len);
        w.value(ctx, vOut, len);
    }

    /** Drops the device copies of the k and v projections until the next {@link #textKv}. */
    void releaseTextWeights() {
        w.releaseKeyValue();
    }

    /**
     * {@code res.x [n, D] += Wo·Attn(RMSNorm(Wq·x + bq), K, V) + bo}; {@code out, qs, attn} are
     * scratch, {@code qOp} the queries as the attention's operand: where the backend
     * {@linkplain Backend#fusesNormRope writes normed q and k in bf16} the norm writes them there,
     * otherwise qOp is qs itself.
     */
    void forward(Buf x, Buf out, Residual res, int n, Buf textK, Buf textV, int len, Buf qs, Buf qOp, Buf attn) {
        Buf q = qs;
        if (be.fusesNormRope()) {
            w.queryProjection(x, qs, n);
            be.rmsNorm(qs, qOp, n, w.dim(), w.eps(), w.normQ());   // the same values as in place, rounded as the attention would round them
            q = qOp;
        } else {
            w.query(x, qs, n);
        }
        be.attention(q, textK, textV, attn, n, len, heads, headDim, (float) (1.0 / Math.sqrt(headDim)), null);
        w.output(attn, out, n, res);
    }
}
