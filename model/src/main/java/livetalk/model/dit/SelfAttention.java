package livetalk.model.dit;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;

/**
 * Causal self-attention through the KV cache (spec §2.4, §3.5): q and k are RMS-normalised over
 * the full width (before the head split), rotated by 3-D RoPE with absolute positions; the new
 * rotated k and raw v are written into the cache slots of this call, then the call's queries
 * attend to every valid slot (sinks, rolling frames and the block itself, no mask).
 */
final class SelfAttention {
    private final Backend be;
    private final int dim, heads, headDim, layer;
    private final float eps;
    private final Weight q, qb, k, kb, v, vb, o, ob, normQ, normK;

    SelfAttention(Backend be, Checkpoint ck, DitConfig cfg, int layer) {
        this.be = be;
        this.dim = cfg.dim();
        this.heads = cfg.numHeads();
        this.headDim = cfg.headDim();
        this.layer = layer;
        this.eps = (float) cfg.eps();
        String p = "blocks." + layer + ".self_attn.";
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

    /** Writes this call's K/V into the cache only (the last layer of the clean t = 0 pass). */
    void writeKv(Buf h, int n, KvCache kv, Buf cos, Buf sin) {
        Buf kNew = kv.newKeys(layer), vNew = kv.newValues(layer);   // [n, D] slots of this call
        be.linear(h, kNew, n, k, kb);
        be.rmsNorm(kNew, kNew, n, dim, eps, normK);
        be.rope(kNew, n, heads, headDim, cos, sin);                 // stored after RoPE
        be.linear(h, vNew, n, v, vb);                               // stored raw
        if (kv.bf16Storage()) {
            be.roundBf16(kNew, kNew);
            be.roundBf16(vNew, vNew);
        }
    }

    /** {@code out [n, D] = Wo·Attn(q(h), cache K, cache V) + bo}; {@code qs, attn} are {@code [n, D]} scratch. */
    void forward(Buf h, Buf out, int n, KvCache kv, Buf cos, Buf sin, Buf qs, Buf attn) {
        be.linear(h, qs, n, q, qb);
        be.rmsNorm(qs, qs, n, dim, eps, normQ);
        be.rope(qs, n, heads, headDim, cos, sin);
        writeKv(h, n, kv, cos, sin);
        int nk = kv.localEnd();
        be.attention(qs, kv.keys(layer), kv.values(layer), attn, n, nk, heads, headDim, (float) (1.0 / Math.sqrt(headDim)), null);
        be.linear(attn, out, n, o, ob);
    }
}
