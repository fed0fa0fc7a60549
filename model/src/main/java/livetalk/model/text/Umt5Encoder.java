package livetalk.model.text;

import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.tensor.Tensor;

/**
 * The umT5 encoder ({@code wan/modules/t5.py: T5Encoder}, docs/model.md#umt5) on a {@link Backend}.
 * Weights keep their file dtype (bf16 for the official {@code .pth}); the token embedding is
 * gathered row by row from the mapped tensor, never widened as a whole.
 *
 * <pre>
 * x = E[ids]                                    [n, dim]
 * per block: x += o(attn(N1(x)))  (no 1/√d, + relative-position bias + key mask)
 *            x += fc2(fc1(N2(x)) ⊙ gelu_tanh(gate(N2(x))))
 * x = N(x)
 * </pre>
 */
public final class Umt5Encoder {
    private final Backend be;
    private final Umt5Config cfg;
    private final Tensor embedding;     // [vocab, dim], file dtype
    private final Weight finalNorm;
    private final Block[] blocks;
    private final float[] sharedPos;    // [buckets, heads] when shared_pos

    private record Block(Weight norm1, Weight q, Weight k, Weight v, Weight o, Weight norm2,
                         Weight gate, Weight fc1, Weight fc2, float[] pos) {
    }

    public Umt5Encoder(Backend be, Checkpoint ckpt, Umt5Config cfg) {
        this.be = be;
        this.cfg = cfg;
        this.embedding = expect(ckpt, "token_embedding.weight", cfg.vocab(), cfg.dim());
        this.finalNorm = be.weight(expect(ckpt, "norm.weight", cfg.dim()));
        this.sharedPos = cfg.sharedPos() ? expect(ckpt, "pos_embedding.embedding.weight", cfg.buckets(), cfg.heads()).toFloatArray() : null;
        blocks = new Block[cfg.layers()];
        for (int i = 0; i < blocks.length; i++) {
            String p = "blocks." + i + ".";
            blocks[i] = new Block(
                    w(ckpt, p + "norm1.weight", cfg.dim()),
                    w(ckpt, p + "attn.q.weight", cfg.dimAttn(), cfg.dim()),
                    w(ckpt, p + "attn.k.weight", cfg.dimAttn(), cfg.dim()),
                    w(ckpt, p + "attn.v.weight", cfg.dimAttn(), cfg.dim()),
                    w(ckpt, p + "attn.o.weight", cfg.dim(), cfg.dimAttn()),
                    w(ckpt, p + "norm2.weight", cfg.dim()),
                    w(ckpt, p + "ffn.gate.0.weight", cfg.dimFfn(), cfg.dim()),
                    w(ckpt, p + "ffn.fc1.weight", cfg.dimFfn(), cfg.dim()),
                    w(ckpt, p + "ffn.fc2.weight", cfg.dim(), cfg.dimFfn()),
                    cfg.sharedPos() ? null : expect(ckpt, p + "pos_embedding.embedding.weight", cfg.buckets(), cfg.heads()).toFloatArray());
        }
    }

    public Umt5Config config() {
        return cfg;
    }

    private Weight w(Checkpoint c, String name, long... shape) {
        return be.weight(expect(c, name, shape));
    }

    private static Tensor expect(Checkpoint c, String name, long... shape) {
        Tensor t = c.get(name);
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new CheckpointException(c.path() + ": tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape())
                    + ", expected " + java.util.Arrays.toString(shape));
        }
        return t;
    }

    /** The relative-position bias of block {@code layer} (no mask), {@code [heads, n, n]}. */
    public float[] positionBias(int layer, int n) {
        float[] out = new float[cfg.heads() * n * n];
        RelativePositionBias.fill(out, cfg.sharedPos() ? sharedPos : blocks[layer].pos(), cfg.buckets(), cfg.heads(), n, cfg.maxDist(), null);
        return out;
    }

    /**
     * {@code T5Encoder(ids, mask)}: all {@code ids.length} positions, keys with mask 0 masked out.
     * Returns {@code [n, dim]}; rows of padding positions are computed too (as officially).
     */
    public float[] forward(long[] ids, long[] mask) {
        int n = ids.length;
        float[] keyBias = new float[n];
        for (int j = 0; j < n; j++) keyBias[j] = mask[j] == 0 ? Float.NEGATIVE_INFINITY : 0f;   // finfo.min officially
        return run(ids, n, keyBias);
    }

    /**
     * What {@code WanTextEncoder} hands the DiT: {@code [seqLen, dim]} with rows from
     * {@code length} on set to 0 (docs/model.md#tokenizer). Padding keys are masked, so the first
     * {@code length} rows do not depend on the padding: only those positions are computed.
     */
    public float[] promptEmbeds(long[] ids, int length, int seqLen) {
        if (length < 1 || length > seqLen || length > ids.length) {
            throw new IllegalArgumentException("prompt length " + length + " outside [1, " + Math.min(seqLen, ids.length) + "]");
        }
        float[] head = run(java.util.Arrays.copyOf(ids, length), length, null);
        return java.util.Arrays.copyOf(head, seqLen * cfg.dim());
    }

    private float[] run(long[] ids, int n, float[] keyBias) {
        int d = cfg.dim(), da = cfg.dimAttn(), f = cfg.dimFfn(), heads = cfg.heads();
        Buf x = be.alloc((long) n * d), h = be.alloc((long) n * d), t = be.alloc((long) n * d);
        Buf q = be.alloc((long) n * da), k = be.alloc((long) n * da), v = be.alloc((long) n * da), o = be.alloc((long) n * da);
        Buf a = be.alloc((long) n * f), g = be.alloc((long) n * f);
        Buf bias = be.alloc((long) heads * n * n);
        float[] biasHost = new float[heads * n * n];
        be.write(x, gather(ids));                                      // [n, d]
        for (int i = 0; i < blocks.length; i++) {
            Block b = blocks[i];
            if (i == 0 || !cfg.sharedPos()) {
                RelativePositionBias.fill(biasHost, cfg.sharedPos() ? sharedPos : b.pos(), cfg.buckets(), heads, n, cfg.maxDist(), keyBias);
                be.write(bias, biasHost);                              // [heads, n, n]
            }
            be.rmsNorm(x, h, n, d, cfg.eps(), b.norm1());
            be.linear(h, q, n, b.q(), null);
            be.linear(h, k, n, b.k(), null);
            be.linear(h, v, n, b.v(), null);
            be.attention(q, k, v, o, n, n, heads, cfg.headDim(), 1.0f, bias);   // T5: no 1/√d
            be.linear(o, t, n, b.o(), null);
            be.add(x, t, x);
            be.rmsNorm(x, h, n, d, cfg.eps(), b.norm2());
            be.linear(h, a, n, b.fc1(), null);                         // [n, f]
            be.linear(h, g, n, b.gate(), null);
            be.gelu(g, g, true);
            be.mul(a, g, a);
            be.linear(a, t, n, b.fc2(), null);                         // [n, d]
            be.add(x, t, x);
        }
        be.rmsNorm(x, x, n, d, cfg.eps(), finalNorm);
        return be.read(x);
    }

    /** Embedding rows for {@code ids}, read from the mapped table one row at a time. */
    private float[] gather(long[] ids) {
        int d = cfg.dim();
        float[] out = new float[ids.length * d];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= cfg.vocab()) {
                throw new IllegalArgumentException("token id " + ids[i] + " outside the vocabulary [0, " + cfg.vocab() + ")");
            }
            float[] row = embedding.select(0, ids[i]).toFloatArray();
            System.arraycopy(row, 0, out, i * d, d);
        }
        return out;
    }
}
