package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * bf16 operand buffers ({@link CudaBackend#useBf16Operands}): a producer that writes bf16 must give,
 * bit for bit, its float32 output rounded by {@code toBf16} (the rounding the products apply to a
 * float32 input), and a product that reads a bf16 input must give, bit for bit, what it gives for the
 * float32 input it came from. Exact equality is the point: with it, switching the operands to bf16
 * changes no result (docs/numerics.md#fused-bf16-operands). Shapes are ragged and the bf16 buffers are
 * views at random element offsets, so the scalar stores, the odd row lengths and the misaligned
 * views (which the products re-lay instead of reading in place) are all exercised.
 */
class CudaFusedOperandTest extends CudaTestBase {

    @Test
    void switchSetsTheOperandDtype() {
        try {
            cuda.useBf16Operands(true);
            assertEquals(DType.BF16, cuda.operandDtype());
            cuda.useBf16Operands(false);
            assertEquals(DType.F32, cuda.operandDtype());
        } finally {
            cuda.useBf16Operands(CudaSwitches.parseFuse(System.getenv(CudaSwitches.FUSE_ENV)));
        }
    }

    @Test
    void layerNormWritesItsRoundedFloat32Output() {
        Props.forAll("cuda layerNorm bf16 out", 20, 701, rnd -> {
            int rows = 1 + rnd.nextInt(50), dim = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 3000), n = rows * dim;
            DType dt = rnd.nextBoolean() ? DType.F32 : DType.BF16;
            Weight g = rnd.nextBoolean() ? cuda.weight(Tensor.wrap(Props.uniform(rnd, dim, 1), dim).to(dt)) : null;
            Weight b = rnd.nextBoolean() ? cuda.weight(Tensor.wrap(Props.uniform(rnd, dim, 1), dim).to(dt)) : null;
            Buf x = place(rnd, Props.uniform(rnd, n, 3)).gpu(), yf = place(rnd, new float[n]).gpu(), yb = bf16Out(rnd, n);
            cuda.fill(yf, Float.NaN);
            cuda.layerNorm(x, yf, rows, dim, 1e-6f, g, b);
            cuda.layerNorm(x, yb, rows, dim, 1e-6f, g, b);
            assertSameBits(rounded(yf), cuda.read(yb), "layerNorm " + rows + "x" + dim + (g != null ? " gamma" : "") + (b != null ? " beta" : ""));
        });
    }

    @Test
    void modulateWritesItsRoundedFloat32Output() {
        Props.forAll("cuda modulate bf16 out", 20, 702, rnd -> {
            int rows = 1 + rnd.nextInt(60), dim = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 2000), n = rows * dim;
            Buf x = place(rnd, Props.uniform(rnd, n, 4)).gpu(), shift = place(rnd, Props.uniform(rnd, dim, 1)).gpu();
            Buf scale = place(rnd, Props.uniform(rnd, dim, 1)).gpu(), yf = place(rnd, new float[n]).gpu(), yb = bf16Out(rnd, n);
            cuda.fill(yf, Float.NaN);
            cuda.modulate(x, shift, scale, yf, rows, dim);
            cuda.modulate(x, shift, scale, yb, rows, dim);
            assertSameBits(rounded(yf), cuda.read(yb), "modulate " + rows + "x" + dim);
        });
    }

    /** linear and linearGelu into bf16 (the FFN's hidden layer): the epilogue's value, rounded as toBf16 rounds. */
    @Test
    void linearWritesItsRoundedFloat32Output() {
        DType[] dtypes = {DType.F32, DType.BF16, DType.F16};
        Props.forAll("cuda linear bf16 out", 40, 703, rnd -> {
            int rows = 1 + rnd.nextInt(rnd.nextBoolean() ? 9 : 300);
            int in = 1 + rnd.nextInt(rnd.nextBoolean() ? 40 : 300), out = 1 + rnd.nextInt(rnd.nextBoolean() ? 12 : 290);
            DType dt = dtypes[rnd.nextInt(3)];
            Weight w = cuda.weight(Tensor.wrap(Props.uniform(rnd, out * in, 1), out, in).to(dt));
            Weight bias = rnd.nextBoolean() ? cuda.weight(Tensor.wrap(Props.uniform(rnd, out, 1), out).to(dt)) : null;
            boolean gelu = rnd.nextBoolean();
            Buf x = place(rnd, Props.uniform(rnd, rows * in, 2)).gpu(), yf = place(rnd, new float[rows * out]).gpu();
            Buf yb = bf16Out(rnd, rows * out);
            cuda.fill(yf, Float.NaN);
            linear(x, yf, rows, w, bias, gelu);
            linear(x, yb, rows, w, bias, gelu);
            assertSameBits(rounded(yf), cuda.read(yb), "linear " + rows + "x" + in + "->" + out + " " + dt + (gelu ? " gelu" : ""));
        });
    }

    /**
     * A bf16 input is the float32 input rounded, which is what the product makes of the float32 input:
     * the same outputs, float32 or bf16, whether the bf16 rows are read in place (in a multiple of 8,
     * 16-byte aligned) or re-laid first (odd widths, misaligned views).
     */
    @Test
    void linearReadsABf16InputAsTheFloat32ItCameFrom() {
        Props.forAll("cuda linear bf16 in", 40, 704, rnd -> {
            int rows = 1 + rnd.nextInt(rnd.nextBoolean() ? 9 : 300);
            int in = rnd.nextBoolean() ? 8 * (1 + rnd.nextInt(40)) : 1 + rnd.nextInt(300), out = 1 + rnd.nextInt(290);
            Weight w = cuda.weight(Tensor.wrap(Props.uniform(rnd, out * in, 1), out, in).to(DType.BF16));
            Weight bias = rnd.nextBoolean() ? cuda.weight(Tensor.wrap(Props.uniform(rnd, out, 1), out)) : null;
            boolean gelu = rnd.nextBoolean(), outBf16 = rnd.nextBoolean();
            Buf xf = place(rnd, Props.uniform(rnd, rows * in, 2)).gpu(), xb = bf16Copy(rnd, xf);
            Buf ya = outBf16 ? bf16Out(rnd, rows * out) : cuda.alloc((long) rows * out);
            Buf yb = outBf16 ? bf16Out(rnd, rows * out) : cuda.alloc((long) rows * out);
            linear(xf, ya, rows, w, bias, gelu);
            linear(xb, yb, rows, w, bias, gelu);
            assertSameBits(cuda.read(ya), cuda.read(yb), "linear bf16 in " + rows + "x" + in + "->" + out + (gelu ? " gelu" : "")
                    + (outBf16 ? " bf16 out" : ""));
        });
    }

    /** Every attention path with a bf16 out: flash (d 64, 128, 4 and 8 warps), two products (other d), generic (a bias, odd d). */
    @Test
    void attentionWritesItsRoundedFloat32Output() {
        int[] headDims = {64, 128, 64, 128, 8, 16, 80, 6, 128};
        try {
            Props.forAll("cuda attention bf16 out", 30, 705, rnd -> {
                int hd = headDims[rnd.nextInt(headDims.length)], heads = 1 + rnd.nextInt(3), w = heads * hd;
                int nq = 1 + rnd.nextInt(rnd.nextBoolean() ? 20 : 200), nk = 1 + rnd.nextInt(rnd.nextBoolean() ? 30 : 300);
                boolean withBias = hd % 8 != 0 || rnd.nextInt(5) == 0, bf16Kv = rnd.nextBoolean();
                cuda.useFlashWarps(rnd.nextBoolean() ? 4 : 8);
                float scale = (float) (1 / Math.sqrt(hd));
                Buf q = place(rnd, Props.normal(rnd, nq * w)).gpu(), k = kv(rnd, nk * w, bf16Kv), v = kv(rnd, nk * w, bf16Kv);
                Buf bias = withBias ? place(rnd, Props.uniform(rnd, heads * nq * nk, 2)).gpu() : null;
                Buf of = place(rnd, new float[nq * w]).gpu(), ob = bf16Out(rnd, nq * w);
                cuda.fill(of, Float.NaN);
                cuda.attention(q, k, v, of, nq, nk, heads, hd, scale, bias);
                cuda.attention(q, k, v, ob, nq, nk, heads, hd, scale, bias);
                assertSameBits(rounded(of), cuda.read(ob), "attention bf16 out nq=" + nq + " nk=" + nk + " heads=" + heads + " hd=" + hd
                        + (withBias ? " bias" : "") + (bf16Kv ? " bf16 kv" : ""));
            });
        } finally {
            cuda.useFlashWarps(8);
        }
    }

    /**
     * A bf16 q: the tensor-core paths round q anyway, so it gives what the float32 q gives; the generic
     * path widens it, so it gives what the float32 path gives for the rounded q.
     */
    @Test
    void attentionReadsABf16QueryAsItsRounding() {
        int[] headDims = {64, 128, 16, 80, 6, 128};
        try {
            Props.forAll("cuda attention bf16 q", 24, 706, rnd -> {
                int hd = headDims[rnd.nextInt(headDims.length)], heads = 1 + rnd.nextInt(3), w = heads * hd;
                int nq = 1 + rnd.nextInt(200), nk = 1 + rnd.nextInt(300);
                boolean withBias = hd % 8 != 0 || rnd.nextInt(5) == 0, outBf16 = rnd.nextBoolean();
                cuda.useFlashWarps(rnd.nextBoolean() ? 4 : 8);
                float scale = (float) (1 / Math.sqrt(hd));
                float[] qv = Props.normal(rnd, nq * w);
                boolean generic = withBias;   // every head size here that takes no bias is a multiple of 8
                Buf qf = place(rnd, generic ? bf16(qv) : qv).gpu(), qb = bf16Copy(rnd, place(rnd, qv).gpu());
                Buf k = kv(rnd, nk * w, rnd.nextBoolean()), v = kv(rnd, nk * w, k.dtype() == DType.BF16);
                Buf bias = withBias ? place(rnd, Props.uniform(rnd, heads * nq * nk, 2)).gpu() : null;
                Buf oa = outBf16 ? bf16Out(rnd, nq * w) : cuda.alloc((long) nq * w), ob = outBf16 ? bf16Out(rnd, nq * w) : cuda.alloc((long) nq * w);
                cuda.attention(qf, k, v, oa, nq, nk, heads, hd, scale, bias);
                cuda.attention(qb, k, v, ob, nq, nk, heads, hd, scale, bias);
                assertSameBits(cuda.read(oa), cuda.read(ob), "attention bf16 q nq=" + nq + " nk=" + nk + " hd=" + hd + (withBias ? " bias" : "")
                        + (outBf16 ? " bf16 out" : ""));
            });
        } finally {
            cuda.useFlashWarps(8);
        }
    }

    /**
     * The DiT block's chain at a DiT-like width, once with float32 operands and once with bf16 ones:
     * LN + modulate → q, k, v → flash attention → output projection, and LN + modulate → linearGelu
     * → linear. The float32 results at the end must be the same bits.
     */
    @Test
    void ditBlockChainIsBitIdentical() {
        Props.forAll("cuda fused dit chain", 1, 707, rnd -> {
            int n = 700, d = 768, heads = 6, ffn = 2048, nk = 900;
            Weight[] w = {wt(rnd, d, d), wt(rnd, d, d), wt(rnd, d, d), wt(rnd, d, d), wt(rnd, ffn, d), wt(rnd, d, ffn)};
            Weight[] b = {bt(rnd, d), bt(rnd, d), bt(rnd, d), bt(rnd, d), bt(rnd, ffn), bt(rnd, d)};
            Buf x = cuda.upload(Props.normal(rnd, n * d)), shift = cuda.upload(Props.uniform(rnd, d, 1)), scale = cuda.upload(Props.uniform(rnd, d, 1));
            Buf kCache = kv(rnd, nk * d, true), vCache = kv(rnd, nk * d, true);
            float[][] results = new float[2][];
            for (int pass = 0; pass < 2; pass++) {
                DType op = pass == 0 ? DType.F32 : DType.BF16;
                Buf h = cuda.alloc((long) n * d), hOp = op == DType.F32 ? h : cuda.alloc((long) n * d, op);
                Buf q = cuda.alloc((long) n * d), kNew = cuda.alloc((long) n * d), vNew = cuda.alloc((long) n * d);
                Buf attn = cuda.alloc((long) n * d, op), hidden = cuda.alloc((long) n * ffn, op), out = cuda.alloc(2L * n * d);
                cuda.layerNorm(x, h, n, d, 1e-6f, null, null);
                cuda.modulate(h, shift, scale, hOp, n, d);
                cuda.linear(hOp, q, n, w[0], b[0]);
                cuda.linear(hOp, kNew, n, w[1], b[1]);
                cuda.linear(hOp, vNew, n, w[2], b[2]);
                cuda.attention(q, kCache, vCache, attn, n, nk, heads, d / heads, (float) (1 / Math.sqrt(d / heads)), null);
                cuda.linear(attn, out.view(0, (long) n * d), n, w[3], b[3]);
                cuda.linearGelu(hOp, hidden, n, w[4], b[4]);
                cuda.linear(hidden, out.view((long) n * d, (long) n * d), n, w[5], b[5]);
                float[] r = cuda.read(out), kv = cuda.read(kNew), vv = cuda.read(vNew);
                results[pass] = new float[r.length + kv.length + vv.length];
                System.arraycopy(r, 0, results[pass], 0, r.length);
                System.arraycopy(kv, 0, results[pass], r.length, kv.length);
                System.arraycopy(vv, 0, results[pass], r.length + kv.length, vv.length);
            }
            assertSameBits(results[0], results[1], "DiT block chain, float32 vs bf16 operands");
        });
    }

    /**
     * Every other op keeps requiring float32, with a message that says where bf16 is taken. A row
     * norm's output may be bf16 (the cross-attention's q, normed straight into its operand buffer:
     * CudaNormRopeTest), so only a bf16 input to rmsNorm is refused here.
     */
    @Test
    void otherOpsRefuseBf16Buffers() {
        int n = 64;
        Buf f = cuda.alloc(n), h = cuda.alloc(n, DType.BF16), tab = cuda.alloc(n / 2);   // tab: rope's [2, 16] cos and sin
        Runnable[] ops = {
            () -> cuda.add(h, f, f), () -> cuda.add(f, f, h), () -> cuda.gelu(h, f, true), () -> cuda.silu(f, h),
            () -> cuda.rmsNorm(h, f, 2, 32, 1e-6f, null),
            () -> cuda.layerNorm(h, f, 2, 32, 1e-6f, null, null), () -> cuda.modulate(h, f.view(0, 32), f.view(32, 32), f, 2, 32),
            () -> cuda.modulate(f, h.view(0, 32), f.view(32, 32), f, 2, 32), () -> cuda.rope(h, 2, 1, 32, tab, tab),
            () -> cuda.gatedAdd(h, f, f.view(0, 32), 2, 32), () -> cuda.addRow(f, f.view(0, 32), h, 2, 32), () -> cuda.fill(h, 0f),
            () -> cuda.write(h, new float[n]), () -> cuda.toBf16(h, h), () -> cuda.transpose(h, f, 8, 8),
        };
        for (Runnable op : ops) {
            KernelException e = assertThrows(KernelException.class, op::run);
            assertTrue(e.getMessage().contains("bf16") && (e.getMessage().contains("float32") || e.getMessage().contains("F32")), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void linear(Buf x, Buf y, int rows, Weight w, Weight bias, boolean gelu) {
        if (gelu) cuda.linearGelu(x, y, rows, w, bias);
        else cuda.linear(x, y, rows, w, bias);
    }

    /**
     * A bf16 view at a random element offset, pre-filled with a non-zero pattern: offset 0 half the
     * time (16-byte aligned: a product reads such rows in place), else 1–7 (re-laid first).
     */
    static Buf bf16Out(SplittableRandom rnd, int n) {
        int pad = rnd.nextBoolean() ? 0 : 1 + rnd.nextInt(7);
        Buf b = cuda.alloc(n + pad + 3L, DType.BF16);
        float[] junk = new float[n + pad + 3];
        java.util.Arrays.fill(junk, -12345f);
        cuda.toBf16(cuda.upload(junk), b);
        return b.view(pad, n);
    }

    /** x rounded into a bf16 view at a random offset (toBf16: the rounding the products apply to a float32 input). */
    private static Buf bf16Copy(SplittableRandom rnd, Buf x) {
        Buf b = bf16Out(rnd, (int) x.size());
        cuda.toBf16(x, b);
        return b;
    }

    /** Keys or values of a cache: float32, or bf16 storage as the DiT's default KV cache. */
    private static Buf kv(SplittableRandom rnd, int n, boolean bf16) {
        Buf f = place(rnd, Props.normal(rnd, n)).gpu();
        if (!bf16) return f;
        Buf b = cuda.alloc(n, DType.BF16);
        cuda.toBf16(f, b);
        return b;
    }

    /** The float32 buffer's values rounded to bf16 by the backend's toBf16, read back. */
    static float[] rounded(Buf f32) {
        Buf b = cuda.alloc(f32.size(), DType.BF16);
        cuda.toBf16(f32, b);
        return cuda.read(b);
    }

    private static Weight wt(SplittableRandom rnd, int out, int in) {
        return cuda.weight(Tensor.wrap(Props.normal(rnd, out * in), out, in).to(DType.BF16));
    }

    private static Weight bt(SplittableRandom rnd, int n) {
        return cuda.weight(Tensor.wrap(Props.uniform(rnd, n, 1), n));
    }

    /** Equal bit patterns everywhere (NaN payloads included); the first difference is reported. */
    static void assertSameBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": lengths");
        for (int i = 0; i < expected.length; i++) {
            int e = Float.floatToRawIntBits(expected[i]), a = Float.floatToRawIntBits(actual[i]);
            if (e != a) {
                int count = 0;
                for (int j = i; j < expected.length; j++) if (Float.floatToRawIntBits(expected[j]) != Float.floatToRawIntBits(actual[j])) count++;
                throw new AssertionError(what + ": " + count + " of " + expected.length + " values differ, first at " + i + ": expected "
                        + expected[i] + " (0x" + Integer.toHexString(e) + "), got " + actual[i] + " (0x" + Integer.toHexString(a) + ")");
            }
        }
    }
}
