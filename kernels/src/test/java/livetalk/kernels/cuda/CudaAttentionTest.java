package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.kernels.Buf;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

class CudaAttentionTest extends CudaTestBase {

    /**
     * The tensor-core path (head sizes 64 and 128, no bias) against the CPU on bf16-rounded q, k,
     * v. What remains is the rounding of the softmax weights P to bf16 before P·V (FlashAttention
     * does the same): each weight is off by at most 2^-9 of itself, and the output is a weighted
     * mean of values, so every output is within 2^-9·max|v| of the reference, plus float32 noise.
     */
    @Test
    void flashPathMatchesReferenceWithinBf16Weights() {
        Props.forAll("cuda flash attention", 30, 201, rnd -> {
            int hd = rnd.nextBoolean() ? 64 : 128;
            int heads = 1 + rnd.nextInt(3);
            int nq = 1 + rnd.nextInt(rnd.nextBoolean() ? 20 : 200), nk = 1 + rnd.nextInt(rnd.nextBoolean() ? 30 : 300);
            check(rnd, nq, nk, heads, hd, 4 * Math.sqrt(hd));
        });
    }

    @Test
    void ditShapedAttention() {
        Props.forAll("cuda flash attention large", 1, 202, rnd -> check(rnd, 600, 2100, 2, 128, Math.sqrt(128)));
    }

    /**
     * Other head sizes without a bias (the VAE's 384) take two tensor-core products around a row
     * softmax: the flash path's bound (q, k, v and P rounded to bf16), on one and several query blocks.
     */
    @Test
    void productPathMatchesReferenceWithinBf16Weights() {
        int[] headDims = {8, 16, 80, 384, 512};
        Props.forAll("cuda attention by products", 16, 206, rnd -> {
            int hd = headDims[rnd.nextInt(headDims.length)];
            check(rnd, 1 + rnd.nextInt(150), rnd.nextInt(8) == 0 ? 1 : 1 + rnd.nextInt(400), 1 + rnd.nextInt(2), hd, 4 * Math.sqrt(hd),
                    rnd.nextInt(3) == 0);
        });
    }

    @Test
    void vaeShapedAttention() {
        Props.forAll("cuda attention by products large", 1, 207, rnd -> check(rnd, 1024, 1024, 1, 384, Math.sqrt(384)));
    }

    /** A bf16 KV cache goes to the flash kernel as it is (no conversion): the same bound as float32 K/V rounded on the way in. */
    @Test
    void flashPathTakesBf16KeysAndValuesAsTheyAre() {
        Props.forAll("cuda flash attention bf16 kv", 20, 204, rnd -> {
            int hd = rnd.nextBoolean() ? 64 : 128;
            check(rnd, 1 + rnd.nextInt(200), 1 + rnd.nextInt(300), 1 + rnd.nextInt(3), hd, 4 * Math.sqrt(hd), true);
        });
    }

    /** bf16 K/V on the generic path (other head sizes, or a bias) are widened to float32 first: float32 tolerance. */
    @Test
    void genericPathWidensBf16KeysAndValues() {
        int[] headDims = {6, 16, 64, 80, 128, 384};
        Props.forAll("cuda attention generic bf16 kv", 12, 205, rnd -> {
            int hd = headDims[rnd.nextInt(headDims.length)], heads = 1 + rnd.nextInt(2), w = heads * hd;
            int nq = 1 + rnd.nextInt(70), nk = 1 + rnd.nextInt(300);
            float scale = (float) (1 / Math.sqrt(hd));
            float[] q = Props.normal(rnd, nq * w), k = bf16(Props.normal(rnd, nk * w)), v = bf16(Props.normal(rnd, nk * w));
            float[] b = Props.uniform(rnd, heads * nq * nk, 2);
            Buf oc = cpu.alloc((long) nq * w), og = cuda.alloc((long) nq * w);
            cpu.attention(cpu.upload(q), cpu.upload(k), cpu.upload(v), oc, nq, nk, heads, hd, scale, cpu.upload(b));
            cuda.attention(cuda.upload(q), bf16Buf(k), bf16Buf(v), og, nq, nk, heads, hd, scale, cuda.upload(b));
            Props.assertClose(cpu.read(oc), cuda.read(og), 1e-5, "attention bf16 kv nq=" + nq + " nk=" + nk + " hd=" + hd);
        });
    }

    /** {@code x} in a bf16 buffer of the CUDA backend. */
    private static Buf bf16Buf(float[] x) {
        Buf b = cuda.alloc(x.length, livetalk.tensor.DType.BF16);
        cuda.toBf16(cuda.upload(x), b);
        return b;
    }

    private static void check(java.util.SplittableRandom rnd, int nq, int nk, int heads, int hd, double logitScale) {
        check(rnd, nq, nk, heads, hd, logitScale, false);
    }

    private static void check(java.util.SplittableRandom rnd, int nq, int nk, int heads, int hd, double logitScale, boolean bf16Kv) {
        int w = heads * hd;
        float scale = (float) (logitScale / hd); // logits of order logitScale/√hd·…: peaked and flat rows both occur
        float[] q = Props.normal(rnd, nq * w), k = Props.normal(rnd, nk * w), v = Props.normal(rnd, nk * w);
        Buf oc = cpu.alloc((long) nq * w);
        cpu.attention(cpu.upload(bf16(q)), cpu.upload(bf16(k)), cpu.upload(bf16(v)), oc, nq, nk, heads, hd, scale, null);
        Pair qp = place(rnd, q), kp = place(rnd, k), vp = place(rnd, v), op = place(rnd, new float[nq * w]);
        cuda.fill(op.gpu(), Float.NaN);
        cuda.useFlashWarps(rnd.nextBoolean() ? 4 : 8);
        cuda.attention(qp.gpu(), bf16Kv ? bf16Buf(k) : kp.gpu(), bf16Kv ? bf16Buf(v) : vp.gpu(), op.gpu(), nq, nk, heads, hd, scale, null);
        float[] e = cpu.read(oc), a = cuda.read(op.gpu());
        double maxV = 0;
        for (float x : v) maxV = Math.max(maxV, Math.abs(bf16(new float[]{x})[0]));
        double tol = Math.scalb(maxV, -9) + 1e-5 * maxV;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs(e[i] - a[i]);
            int at = i;
            assertTrue(d <= tol, () -> "attention nq=" + nq + " nk=" + nk + " heads=" + heads + " hd=" + hd + ": index " + at
                    + " got " + a[at] + ", expected " + e[at] + " (|diff| " + d + " > " + tol + ")");
        }
    }

    /** Other head sizes and any bias take the float32 path: float32 tolerance against the CPU. */
    @Test
    void genericPathMatchesReferenceWithBiasAndMasks() {
        int[] headDims = {4, 16, 64, 80, 128, 384, 512};
        Props.forAll("cuda attention generic", 24, 203, rnd -> {
            int hd = headDims[rnd.nextInt(headDims.length)];
            int heads = 1 + rnd.nextInt(hd >= 128 ? 2 : 4);
            int nq = 1 + rnd.nextInt(70), nk = 1 + rnd.nextInt(300);
            int w = heads * hd;
            float scale = (float) (1 / Math.sqrt(hd));
            // without a bias, head sizes that are multiples of 8 take the tensor cores (tested below)
            boolean withBias = hd % 8 != 0 ? rnd.nextBoolean() : true;
            Pair q = place(rnd, Props.normal(rnd, nq * w)), k = place(rnd, Props.normal(rnd, nk * w));
            Pair v = place(rnd, Props.normal(rnd, nk * w)), o = place(rnd, new float[nq * w]);
            Pair bias = null;
            if (withBias) {
                float[] b = Props.uniform(rnd, heads * nq * nk, 2);
                for (int i = 0; i < b.length; i++) if (rnd.nextInt(4) == 0) b[i] = Float.NEGATIVE_INFINITY;
                for (int h = 0; h < heads; h++) {
                    if (rnd.nextInt(3) == 0) {
                        int row = rnd.nextInt(nq);
                        for (int j = 0; j < nk; j++) b[(h * nq + row) * nk + j] = Float.NEGATIVE_INFINITY;
                    }
                }
                bias = place(rnd, b);
            }
            cpu.attention(q.cpu(), k.cpu(), v.cpu(), o.cpu(), nq, nk, heads, hd, scale, bias == null ? null : bias.cpu());
            cuda.attention(q.gpu(), k.gpu(), v.gpu(), o.gpu(), nq, nk, heads, hd, scale, bias == null ? null : bias.gpu());
            Props.assertClose(cpu.read(o.cpu()), cuda.read(o.gpu()), 1e-5,
                    "attention nq=" + nq + " nk=" + nk + " heads=" + heads + " hd=" + hd + (bias != null ? " bias" : ""));
        });
    }
}
