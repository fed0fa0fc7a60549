package livetalk.model.dit;

import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;

/**
 * One causal DiT block (docs/model.md#dit-block). Per frame f, {@code (sh1, sc1, g1, sh2, sc2, g2) =
 * modulation + tmod[f]}:
 * <pre>
 *   X += g1 · SelfAttn(LN1(X)·(1+sc1) + sh1)      norm1: no affine
 *   X += CrossAttn(LN3(X), text)                   norm3: affine, no modulation, no gate
 *   X += g2 · FFN(LN2(X)·(1+sc2) + sh2)            norm2: no affine; FFN = Linear, GELU-tanh, Linear
 * </pre>
 */
final class DitBlock {
    private final Backend be;
    private final int dim, layer;
    private final float eps;
    private final Buf modulation;     // [6D]
    private final Weight norm3W, norm3B, ffn0, ffn0b, ffn2, ffn2b;
    private final SelfAttention selfAttn;
    private final CrossAttention crossAttn;

    DitBlock(Backend be, Checkpoint ck, DitConfig cfg, int layer) {
        this.be = be;
        this.dim = cfg.dim();
        this.layer = layer;
        this.eps = (float) cfg.eps();
        String p = "blocks." + layer + ".";
        modulation = be.upload(ck.get(p + "modulation").toFloatArray());
        norm3W = be.weight(ck.get(p + "norm3.weight"));
        norm3B = be.weight(ck.get(p + "norm3.bias"));
        ffn0 = be.weight(ck.get(p + "ffn.0.weight"));
        ffn0b = be.weight(ck.get(p + "ffn.0.bias"));
        ffn2 = be.weight(ck.get(p + "ffn.2.weight"));
        ffn2b = be.weight(ck.get(p + "ffn.2.bias"));
        selfAttn = new SelfAttention(be, ck, cfg, layer);
        crossAttn = new CrossAttention(be, ck, cfg, layer);
    }

    /** This layer's cross-attention K/V of the embedded prompt {@code emb} ({@code [len, D]} each), once per prompt. */
    void textKv(Buf emb, int len, Buf k, Buf v) {
        crossAttn.textKv(emb, len, k, v);
    }

    /** Drops the device copies of the weights only {@link #textKv} reads, until its next call. */
    void releaseTextWeights() {
        crossAttn.releaseTextWeights();
    }

    /** Updates {@code ws.x} in place, with {@code perFrame} tokens per frame and the call's RoPE tables in {@code ws}. */
    void forward(Workspace ws, int perFrame, KvCache kv, TextCache text) {
        int n = ws.tokens, frames = ws.frames;
        be.addRow(ws.tmod, modulation, ws.mod, frames, 6 * dim);   // every frame's modulation: tmod[f] + modulation (a sum, so the same bits either order)

        // The sub-layers' inputs (ws.hOp), the attention outputs (ws.attn) and the FFN's hidden layer
        // (ws.ffn) are GEMM operands in the backend's operand dtype (Workspace): written by their
        // producer, read only by products.

        // self-attention: LN1, modulate per frame, attend, gated residual
        normModulate(ws, perFrame, 0);
        selfAttn.forward(ws.hOp, ws.out, gated(ws, perFrame, 2), n, kv, ws.cos, ws.sin, ws.q, ws.qOp, ws.attn);

        // cross-attention: affine LN3, no gate
        be.layerNorm(ws.x, ws.hOp, n, dim, eps, norm3W, norm3B);
        crossAttn.forward(ws.hOp, ws.out, Residual.plain(ws.x), n, text.k[layer], text.v[layer], text.length, ws.q, ws.qOp, ws.attn);

        // FFN: LN2, modulate per frame, GELU-tanh MLP, gated residual
        normModulate(ws, perFrame, 3);
        be.linearGelu(ws.hOp, ws.ffn, n, ffn0, ffn0b);
        gated(ws, perFrame, 5).addProduct(be, ws.ffn, ws.out, n, ffn2, ffn2b);
    }

    /** The clean-pass shortcut for the last layer: only this call's K/V are needed (docs/sampler.md#block-loop). */
    void writeKvOnly(Workspace ws, int perFrame, KvCache kv) {
        int n = ws.tokens, frames = ws.frames;
        be.addRow(ws.tmod, modulation, ws.mod, frames, 6 * dim);   // every frame's modulation: tmod[f] + modulation (a sum, so the same bits either order)
        normModulate(ws, perFrame, 0);
        selfAttn.writeKv(ws.hOp, n, kv, ws.cos, ws.sin);
    }

    /**
     * {@code hOp[f] = LN(x[f])·(1 + mod[f, chunk+1]) + mod[f, chunk]} for every frame (LN without
     * affine, through ws.h); hOp is h itself (in place) on float32 backends, else its bf16 operand buffer.
     */
    private void normModulate(Workspace ws, int perFrame, int chunk) {
        be.layerNormModulateFrames(ws.x, ws.h, eps, chunks(ws, chunk), chunks(ws, chunk + 1), 6L * dim, ws.hOp, ws.frames, perFrame, dim);
    }

    /** {@code x[f] += out[f] · mod[f, chunk]} for every frame: the gated residual of a sub-layer. */
    private Residual gated(Workspace ws, int perFrame, int chunk) {
        return new Residual(ws.x, chunks(ws, chunk), 6L * dim, perFrame);
    }

    /** Modulation chunk {@code chunk} of every frame: mod is [frames, 6, dim], so frame f's is 6·dim further. */
    private Buf chunks(Workspace ws, int chunk) {
        return ws.mod.view(chunk * (long) dim, (6L * (ws.frames - 1) + 1) * dim);
    }
}
