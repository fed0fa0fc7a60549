package livetalk.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import livetalk.kernels.Buf;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

class OpenClAttentionTest extends OpenClTestBase {

    @Test
    void attentionMatchesReferenceWithAndWithoutBias() {
        int[] headDims = {4, 16, 64, 80, 128, 384};
        Props.forAll("opencl attention", 24, 21, rnd -> {
            int hd = headDims[rnd.nextInt(headDims.length)];
            if (hd % 2 == 1) hd++;
            int heads = 1 + rnd.nextInt(hd >= 128 ? 2 : 4);
            int nq = 1 + rnd.nextInt(70), nk = 1 + rnd.nextInt(70);
            int w = heads * hd;
            float scale = (float) (1 / Math.sqrt(hd));
            OpenClFixture.Pair q = OpenClFixture.place(cpu, cl, rnd, Props.normal(rnd, nq * w));
            OpenClFixture.Pair k = OpenClFixture.place(cpu, cl, rnd, Props.normal(rnd, nk * w));
            OpenClFixture.Pair v = OpenClFixture.place(cpu, cl, rnd, Props.normal(rnd, nk * w));
            OpenClFixture.Pair o = OpenClFixture.place(cpu, cl, rnd, new float[nq * w]);
            OpenClFixture.Pair bias = null;
            if (rnd.nextBoolean()) {
                float[] b = Props.uniform(rnd, heads * nq * nk, 2);
                // Mask some logits, and some whole rows (those must come out as zeros).
                for (int i = 0; i < b.length; i++) if (rnd.nextInt(4) == 0) b[i] = Float.NEGATIVE_INFINITY;
                for (int h = 0; h < heads; h++) {
                    if (rnd.nextInt(3) == 0) {
                        int row = rnd.nextInt(nq);
                        for (int j = 0; j < nk; j++) b[(h * nq + row) * nk + j] = Float.NEGATIVE_INFINITY;
                    }
                }
                bias = OpenClFixture.place(cpu, cl, rnd, b);
            }
            cpu.attention(q.cpu(), k.cpu(), v.cpu(), o.cpu(), nq, nk, heads, hd, scale, bias == null ? null : bias.cpu());
            cl.attention(q.cl(), k.cl(), v.cl(), o.cl(), nq, nk, heads, hd, scale, bias == null ? null : bias.cl());
            Props.assertClose(cpu.read(o.cpu()), cl.read(o.cl()), 1e-5,
                    "attention nq=" + nq + " nk=" + nk + " heads=" + heads + " hd=" + hd + (bias != null ? " bias" : ""));
        });
    }

    /** bf16 K and V (the KV cache): the _bf16 kernels widen while staging; every variant against the CPU backend on the same bf16 buffers. */
    @Test
    void bf16KeysAndValuesMatchTheCpuBackend() {
        for (int hd : new int[]{6, 64, 96, 128, 200}) {
            Props.forAll("opencl attention bf16 kv hd=" + hd, 2, 27 + hd, rnd -> {
                int nq = 1 + rnd.nextInt(40), nk = 1 + rnd.nextInt(60), heads = 2, w = heads * hd;
                float[] q = Props.normal(rnd, nq * w), k = Props.normal(rnd, nk * w), v = Props.normal(rnd, nk * w);
                int off = rnd.nextInt(9);
                Buf kc = cpu.alloc(off + nk * w, DType.BF16).view(off, (long) nk * w), vc = cpu.alloc((long) nk * w, DType.BF16);
                Buf kl = cl.alloc(off + nk * w, DType.BF16).view(off, (long) nk * w), vl = cl.alloc((long) nk * w, DType.BF16);
                cpu.toBf16(cpu.upload(k), kc);
                cpu.toBf16(cpu.upload(v), vc);
                cl.toBf16(cl.upload(k), kl);
                cl.toBf16(cl.upload(v), vl);
                Buf oc = cpu.alloc((long) nq * w), ol = cl.alloc((long) nq * w);
                float scale = (float) (1 / Math.sqrt(hd));
                cpu.attention(cpu.upload(q), kc, vc, oc, nq, nk, heads, hd, scale, null);
                cl.attention(cl.upload(q), kl, vl, ol, nq, nk, heads, hd, scale, null);
                Props.assertClose(cpu.read(oc), cl.read(ol), 1e-5, "attention bf16 kv hd=" + hd);
            });
        }
    }

    @Test
    void everyKernelVariantIsCovered() {
        // 64 and 128 use the exact-size kernels, the others the bounded ones (acc of 64, 128, 512).
        for (int hd : new int[]{6, 64, 96, 128, 200, 512}) {
            Props.forAll("opencl attention hd=" + hd, 1, 23 + hd, rnd -> {
                int nq = 1 + rnd.nextInt(40), nk = 1 + rnd.nextInt(40), heads = 2;
                float[] q = Props.normal(rnd, nq * heads * hd), k = Props.normal(rnd, nk * heads * hd), v = Props.normal(rnd, nk * heads * hd);
                Buf oc = cpu.alloc((long) nq * heads * hd), ol = cl.alloc((long) nq * heads * hd);
                float scale = (float) (1 / Math.sqrt(hd));
                cpu.attention(cpu.upload(q), cpu.upload(k), cpu.upload(v), oc, nq, nk, heads, hd, scale, null);
                cl.attention(cl.upload(q), cl.upload(k), cl.upload(v), ol, nq, nk, heads, hd, scale, null);
                Props.assertClose(cpu.read(oc), cl.read(ol), 1e-5, "attention hd=" + hd);
            });
        }
    }

    @Test
    void smallLocalMemoryGivesSmallerQueryBlocks() {
        // With a GPU-like 48 KiB (or a tighter 24 KiB) the host shrinks the query block; results must not change.
        for (long limit : new long[]{48 << 10, 24 << 10}) {
            for (int hd : new int[]{128, 384}) {
                if (limit == 24 << 10 && hd == 384) continue; // 384 needs 2·8·384 floats of key/value tiles alone
                Props.forAll("opencl attention local " + limit + " hd=" + hd, 1, 24 + hd, rnd -> {
                    int nq = 1 + rnd.nextInt(50), nk = 1 + rnd.nextInt(50), heads = 1;
                    float[] q = Props.normal(rnd, nq * hd), k = Props.normal(rnd, nk * hd), v = Props.normal(rnd, nk * hd);
                    Buf oc = cpu.alloc((long) nq * hd), ol = cl.alloc((long) nq * hd);
                    cpu.attention(cpu.upload(q), cpu.upload(k), cpu.upload(v), oc, nq, nk, heads, hd, 0.1f, null);
                    cl.localMemLimit = limit;
                    try {
                        cl.attention(cl.upload(q), cl.upload(k), cl.upload(v), ol, nq, nk, heads, hd, 0.1f, null);
                    } finally {
                        cl.localMemLimit = null;
                    }
                    Props.assertClose(cpu.read(oc), cl.read(ol), 1e-5, "attention with " + limit + " B local, hd=" + hd);
                });
            }
        }
    }

    @Test
    void headDimAboveTheKernelLimitIsAClearError() {
        Buf b = cl.alloc(513);
        var e = org.junit.jupiter.api.Assertions.assertThrows(livetalk.kernels.KernelException.class,
                () -> cl.attention(b, b, b, cl.alloc(513), 1, 1, 1, 513, 1f, null));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("head dimension 513"), e.getMessage());
    }

    @Test
    void fullyMaskedRowsGiveZerosNotNaN() {
        int nq = 3, nk = 40, heads = 2, hd = 8;
        float[] b = new float[heads * nq * nk];
        java.util.Arrays.fill(b, Float.NEGATIVE_INFINITY);
        Buf q = cl.upload(new float[nq * heads * hd]), k = cl.upload(new float[nk * heads * hd]);
        float[] vv = new float[nk * heads * hd];
        java.util.Arrays.fill(vv, 1f);
        Buf v = cl.upload(vv), o = cl.alloc((long) nq * heads * hd);
        cl.fill(o, 7f);
        cl.attention(q, k, v, o, nq, nk, heads, hd, 1f, cl.upload(b));
        for (float x : cl.read(o)) assertEquals(0f, x);
    }

    @Test
    void largeLogitsStayFinite() {
        // Scaled logits around ±80 overflow exp() without the running-max subtraction.
        Props.forAll("opencl attention large logits", 2, 22, rnd -> {
            int nq = 20, nk = 50, heads = 1, hd = 16;
            float[] q = Props.uniform(rnd, nq * hd, 10), k = Props.uniform(rnd, nk * hd, 10), v = Props.normal(rnd, nk * hd);
            Buf oc = cpu.alloc(nq * hd), ol = cl.alloc(nq * hd);
            cpu.attention(cpu.upload(q), cpu.upload(k), cpu.upload(v), oc, nq, nk, heads, hd, 1f, null);
            cl.attention(cl.upload(q), cl.upload(k), cl.upload(v), ol, nq, nk, heads, hd, 1f, null);
            Props.assertClose(cpu.read(oc), cl.read(ol), 1e-5, "attention with large logits");
        });
    }
}
