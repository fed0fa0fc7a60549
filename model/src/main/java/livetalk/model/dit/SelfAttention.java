package livetalk.model.dit;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;

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
        Buf kNew = kv.newKeys(layer), vNew = kv.newValues(layer);   // [n, D] float32: this call's slots or staging
        w.key(h, kNew, n);
        be.rope(kNew, n, heads, headDim, cos, sin);                 // stored after RoPE
        w.value(h, vNew, n);                                        // stored raw
        kv.store(layer);                                            // into the cache's dtype
    }

    /** {@code out [n, D] = Wo·Attn(q(h), cache K, cache V) + bo}; {@code qs, attn} are {@code [n, D]} scratch. */
    void forward(Buf h, Buf out, int n, KvCache kv, Buf cos, Buf sin, Buf qs, Buf attn) {
        w.query(h, qs, n);
        be.rope(qs, n, heads, headDim, cos, sin);
        writeKv(h, n, kv, cos, sin);
        int nk = kv.localEnd();
        be.attention(qs, kv.keys(layer), kv.values(layer), attn, n, nk, heads, headDim, (float) (1.0 / Math.sqrt(headDim)), null);
        w.output(attn, out, n);
    }
}
