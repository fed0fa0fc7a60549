package livetalk.model.dit;

import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.tensor.DType;

/**
 * Activation buffers of one DiT call, allocated once for a token count and reused by every
 * layer and every call of the same size. Letters: F frames, N tokens, D width.
 *
 * <p>The buffers that only carry a GEMM operand from its producer to its product ({@code hOp},
 * {@code attn}, {@code ffn}) are in the backend's {@link Backend#operandDtype()}: float32 everywhere
 * but CUDA with bf16 operands on, where the producers write bf16 and the products read it without
 * a conversion pass (docs/numerics.md#fused-bf16-operands). On float32 backends {@code hOp} is
 * {@code h} itself, so nothing changes there.
 */
final class Workspace {
    final int tokens, frames;
    final Buf x;        // [N, D] residual stream
    final Buf h;        // [N, D] normed input of a sub-layer, float32
    final Buf hOp;      // [N, D] the modulated (or affine-normed) input as the projections' operand; == h when float32
    final Buf q;        // [N, D] queries
    final Buf qOp;      // [N, D] the queries as the attention's bf16 operand where the backend fuses norm and RoPE; else q
    final Buf attn;     // [N, D] attention output before Wo (operand dtype)
    final Buf out;      // [N, D] sub-layer output
    final Buf ffn;      // [N, ffn] FFN hidden layer after GELU (operand dtype)
    final Buf mod;      // [F, 6D] modulation + tmod of one block
    final Buf temb;     // [F, D]
    final Buf tmod;     // [F, 6D]
    final Buf headMod;  // [F, 2D] head modulation + temb
    final Buf headOut;  // [N, patchOut]
    final Buf patchIn;  // [N, inDim·ph·pw] patchified input
    final Buf timeHidden; // [F, D]
    final Buf cos, sin; // [N, headDim/2] RoPE tables of the call
    /**
     * Timestep sinusoids {@code [F, freqDim]} by the call's timesteps, most recently used last. A
     * sampler uses the same few timesteps in every block (4 steps and the clean pass), so each is
     * written once instead of once per call: a write between two calls would wait for the device.
     */
    private final java.util.LinkedHashMap<java.util.List<Float>, Buf> sinusoids = new java.util.LinkedHashMap<>(16, 0.75f, true);
    /** More distinct timestep lists than a sampler uses; the least recently used is freed past it. */
    static final int SINUSOIDS_KEPT = 8;
    private final Backend be;
    private final int freqDim;
    /** What cos and sin hold: the tables of this start frame and token grid (none yet: gridH 0). */
    private long ropeStart;
    private int ropeH, ropeW;

    boolean holdsRope(long startFrame, int gridH, int gridW) {
        return ropeH == gridH && ropeW == gridW && ropeStart == startFrame && gridH > 0;
    }

    void ropeWritten(long startFrame, int gridH, int gridW) {
        ropeStart = startFrame;
        ropeH = gridH;
        ropeW = gridW;
    }

    /** The sinusoids of these per-frame timesteps, on the backend (written on first use). */
    Buf sinusoids(float[] timesteps) {
        java.util.List<Float> key = new java.util.ArrayList<>(timesteps.length);
        for (float t : timesteps) key.add(t);
        Buf b = sinusoids.get(key);
        if (b == null) {
            if (sinusoids.size() == SINUSOIDS_KEPT) {
                var eldest = sinusoids.entrySet().iterator();
                be.free(eldest.next().getValue());
                eldest.remove();
            }
            b = be.upload(TimeEmbedding.sinusoids(timesteps, freqDim));
            sinusoids.put(key, b);
        }
        return b;
    }

    /** Frees every buffer (the workspace must not be used afterwards). */
    void free() {
        for (Buf b : buffers()) be.free(b);
        sinusoids.clear();
    }

    /** Device bytes held. */
    long bytes() {
        long n = 0;
        for (Buf b : buffers()) n += b.size() * b.dtype().byteSize();
        return n;
    }

    /** Each allocation once ({@code hOp} is {@code h} on float32 backends). */
    private java.util.List<Buf> buffers() {
        java.util.List<Buf> all = new java.util.ArrayList<>(java.util.List.of(x, h, q, attn, out, ffn, mod, temb, tmod, headMod, headOut,
                patchIn, timeHidden, cos, sin));
        all.addAll(sinusoids.values());
        if (hOp != h) all.add(hOp);
        if (qOp != q) all.add(qOp);
        return all;
    }

    Workspace(Backend be, DitConfig cfg, int frames, int tokens) {
        this.be = be;
        this.tokens = tokens;
        this.frames = frames;
        this.freqDim = cfg.freqDim();
        long nd = (long) tokens * cfg.dim();
        DType op = be.operandDtype();
        x = be.alloc(nd);
        h = be.alloc(nd);
        hOp = op == DType.F32 ? h : be.alloc(nd, op);
        q = be.alloc(nd);
        qOp = be.fusesNormRope() && op == DType.BF16 ? be.alloc(nd, op) : q;
        attn = be.alloc(nd, op);
        out = be.alloc(nd);
        ffn = be.alloc((long) tokens * cfg.ffnDim(), op);
        mod = be.alloc(6L * frames * cfg.dim());
        temb = be.alloc((long) frames * cfg.dim());
        tmod = be.alloc(6L * frames * cfg.dim());
        headMod = be.alloc(2L * frames * cfg.dim());
        headOut = be.alloc((long) tokens * cfg.patchOut());
        patchIn = be.alloc((long) tokens * cfg.inDim() * cfg.patchH() * cfg.patchW());
        timeHidden = be.alloc((long) frames * cfg.dim());
        cos = be.alloc((long) tokens * (cfg.headDim() / 2));
        sin = be.alloc((long) tokens * (cfg.headDim() / 2));
    }
}
