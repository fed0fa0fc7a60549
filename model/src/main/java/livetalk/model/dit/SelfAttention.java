package livetalk.model.dit;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.tensor.DType;

/**
 * Causal self-attention through the KV cache (docs/model.md#dit-block, docs/sampler.md#kv-cache): q and k are RMS-normalised over
 * the full width (before the head split), rotated by 3-D RoPE with absolute positions; the new
 * rotated k and raw v are written into the cache slots of this call, then the call's queries
 * attend to every valid slot (sinks, rolling frames and the block itself, no mask).
 */
final class SelfAttention {
    private final Backend be;
    private final int heads, headDim, layer;
    private final AttentionWeights w;

    SelfAttention(Backend be, Checkpoint ck, DitConfig cfg, int layer) {
        this.be = be;
        this.heads = cfg.numHeads();
        this.headDim = cfg.headDim();
        this.layer = layer;
        this.w = AttentionWeights.load(be, ck, cfg, "blocks." + layer + ".self_attn.");
    }

    /** Writes this call's K/V into the cache only (the last layer of the clean t = 0 pass). */
    void writeKv(Buf h, int n, KvCache kv, Buf cos, Buf sin) {
        Buf kNew = kv.newKeys(layer);                               // [n, D] float32: this call's slots or staging
        if (be.fusesNormRope() && kv.dtype() == DType.BF16) {
            // straight into the bf16 slots, the same bits as rounding the float32 staging (store):
            // k normed, rotated and rounded in one pass, v from the product's bf16 epilogue
            w.keyProjection(h, kNew, n);
            be.rmsNormRope(kNew, kv.keySlots(layer), n, w.dim(), w.eps(), w.normK(), heads, headDim, cos, sin);
            w.value(h, kv.valueSlots(layer), n);
            return;
        }
        w.key(h, kNew, n);
        be.rope(kNew, n, heads, headDim, cos, sin);                 // stored after RoPE
        w.value(h, kv.newValues(layer), n);                         // stored raw
        kv.store(layer);                                            // into the cache's dtype
    }

    /**
     * {@code res.x [n, D] += (Wo·Attn(q(h), cache K, cache V) + bo)·gate}; {@code out, qs, attn} are
     * {@code [n, D]} scratch, {@code qOp} the queries as the attention's operand (bf16 where the backend
     * {@linkplain Backend#fusesNormRope fuses} the norm and RoPE; otherwise qs itself).
     */
    void forward(Buf h, Buf out, Residual res, int n, KvCache kv, Buf cos, Buf sin, Buf qs, Buf qOp, Buf attn) {
        Buf q = qs;
        if (be.fusesNormRope()) {
            w.queryProjection(h, qs, n);
            be.rmsNormRope(qs, qOp, n, w.dim(), w.eps(), w.normQ(), heads, headDim, cos, sin);
            q = qOp;
        } else {
            w.query(h, qs, n);
            be.rope(qs, n, heads, headDim, cos, sin);
        }
        writeKv(h, n, kv, cos, sin);
        int nk = kv.localEnd();
        be.attention(q, kv.keys(layer), kv.values(layer), attn, n, nk, heads, headDim, (float) (1.0 / Math.sqrt(headDim)), null);
        w.output(attn, out, n, res);
    }
}
