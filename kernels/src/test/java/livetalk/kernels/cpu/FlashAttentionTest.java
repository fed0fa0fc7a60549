package livetalk.kernels.cpu;

import java.util.SplittableRandom;
import livetalk.kernels.Buf;
import livetalk.tensor.DType;
import livetalk.tensor.Half;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/**
 * Streaming-softmax attention against the written-out reference (double logits, double sums).
 * The outputs are convex combinations of V rows (|v| ≤ 1); the float logits carry an error of
 * ~headDim·ulp, which moves the softmax weights by about that relative amount, so 1e-5 of
 * max|ref| leaves a margin of ~10×.
 */
class FlashAttentionTest {
    static final int[] HEAD_DIMS = {16, 32, 64, 128, 8, 24, 40, 3};

    @Test
    void matchesReferenceOnRandomShapes() {
        Props.forAll("attention random", 40, 21, rnd -> check(rnd, 1 + rnd.nextInt(70), rnd.nextInt(150), 1 + rnd.nextInt(3),
                HEAD_DIMS[rnd.nextInt(HEAD_DIMS.length)], false));
    }

    @Test
    void matchesReferenceWithMaskingBias() {
        Props.forAll("attention masked", 30, 22, rnd -> check(rnd, 1 + rnd.nextInt(50), 1 + rnd.nextInt(140), 1 + rnd.nextInt(3),
                HEAD_DIMS[rnd.nextInt(HEAD_DIMS.length)], true));
    }

    @Test
    void manyQueryBlocksAndKeyBlocks() {
        // Several query blocks per task (grouped), several key blocks, on one thread and on the default pool.
        int saved = Parallel.threads();
        try {
            for (int t : new int[] {1, saved}) {
                Parallel.setThreads(t);
                Props.forAll("attention large, threads " + t, 3, 24 + t, rnd -> check(rnd, 130 + rnd.nextInt(300), 1 + rnd.nextInt(300),
                        1 + rnd.nextInt(2), HEAD_DIMS[rnd.nextInt(HEAD_DIMS.length)], rnd.nextBoolean()));
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void noKeysGivesZeros() {
        Props.forAll("attention nk=0", 5, 23, rnd -> check(rnd, 1 + rnd.nextInt(40), 0, 2, 16, false));
    }

    /** bf16 K and V (the KV cache) are widened inside the kernel: the result must match the reference run on their float32 values. */
    @Test
    void bf16KeysAndValuesMatchReferenceOnTheirValues() {
        onOneThreadAndAll(t -> Props.forAll("attention bf16 kv, threads " + t, 25, 26 + t, rnd -> check(rnd, 1 + rnd.nextInt(200),
                rnd.nextInt(300), 1 + rnd.nextInt(3), HEAD_DIMS[rnd.nextInt(HEAD_DIMS.length)], rnd.nextBoolean(), true)));
    }

    /** {@code body(t)} with the pool at one thread, then at its own count, restored after. */
    private static void onOneThreadAndAll(java.util.function.IntConsumer body) {
        int saved = Parallel.threads();
        try {
            for (int t : new int[] {1, saved}) {
                Parallel.setThreads(t);
                body.accept(t);
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /**
     * Keys and values stored in float32 or in bf16 take the same tiles: holding the same values (ones
     * bf16 represents), both give the same bits, with and without bias, on one thread and on all.
     */
    @Test
    void float32AndBf16StorageOfTheSameValuesGiveTheSameBits() {
        onOneThreadAndAll(t -> Props.forAll("attention f32 vs bf16 storage, threads " + t, 20, 40 + t, rnd -> {
            int heads = 1 + rnd.nextInt(3), d = HEAD_DIMS[rnd.nextInt(HEAD_DIMS.length)], w = heads * d;
            int nq = 1 + rnd.nextInt(3 * FlashAttention.QB), nk = rnd.nextInt(3 * FlashAttention.KB);
            float[] q = Props.uniform(rnd, nq * w, 2), k = Props.uniform(rnd, nk * w, 2), v = Props.uniform(rnd, nk * w, 1);
            for (int i = 0; i < k.length; i++) {
                k[i] = Half.roundToBf16(k[i]);
                v[i] = Half.roundToBf16(v[i]);
            }
            float[] bias = rnd.nextBoolean() ? null : Props.uniform(rnd, heads * nq * nk, 3);
            int kOff = rnd.nextInt(5), vOff = rnd.nextInt(5);
            float[] kPadded = new float[kOff + k.length], vPadded = new float[vOff + v.length];
            System.arraycopy(k, 0, kPadded, kOff, k.length);
            System.arraycopy(v, 0, vPadded, vOff, v.length);
            java.lang.foreign.MemorySegment kh = java.lang.foreign.Arena.ofAuto().allocate(2L * k.length + 2, 2);
            java.lang.foreign.MemorySegment vh = java.lang.foreign.Arena.ofAuto().allocate(2L * v.length + 2, 2);
            Bf16.narrow(k, 0, kh, 0, k.length);
            Bf16.narrow(v, 0, vh, 0, v.length);
            float scale = (float) (1 / Math.sqrt(d));
            float[] f32 = new float[nq * w], bf16 = new float[nq * w];
            FlashAttention.attention(q, 0, FlashAttention.Rows.f32(kPadded, kOff), FlashAttention.Rows.f32(vPadded, vOff),
                    f32, 0, nq, nk, heads, d, scale, bias, 0);
            FlashAttention.attention(q, 0, FlashAttention.Rows.bf16(kh, 0), FlashAttention.Rows.bf16(vh, 0),
                    bf16, 0, nq, nk, heads, d, scale, bias, 0);
            for (int i = 0; i < f32.length; i++) {
                if (Float.floatToRawIntBits(f32[i]) != Float.floatToRawIntBits(bf16[i])) {
                    throw new AssertionError("float32 storage differs from bf16 at " + i + ": " + f32[i] + " vs " + bf16[i]
                            + " (nq=" + nq + " nk=" + nk + " heads=" + heads + " d=" + d + ")");
                }
            }
        }));
    }

    /**
     * The working arrays a thread keeps between calls (FlashAttention.Workspace) carry nothing from
     * one call to the next: a call gives the same bits before and after calls of other shapes (other
     * head sizes, group sizes, key counts, with NaN and infinite inputs that would poison any value
     * left behind), on one thread and on all.
     */
    @Test
    void aThreadsWorkingArraysCarryNothingBetweenCalls() {
        onOneThreadAndAll(t -> Props.forAll("attention after other calls, threads " + t, 10, 41 + t, rnd -> {
            int heads = 1 + rnd.nextInt(3), d = HEAD_DIMS[rnd.nextInt(HEAD_DIMS.length)], w = heads * d;
            int nq = 1 + rnd.nextInt(3 * FlashAttention.QB), nk = 1 + rnd.nextInt(2 * FlashAttention.KB);
            float[] q = Props.uniform(rnd, nq * w, 2), k = Props.uniform(rnd, nk * w, 2), v = Props.uniform(rnd, nk * w, 1);
            float scale = (float) (1 / Math.sqrt(d));
            float[] first = new float[nq * w], again = new float[nq * w];
            FlashAttention.attention(q, 0, k, 0, v, 0, first, 0, nq, nk, heads, d, scale, null, 0);
            for (int other = 0; other < 3; other++) {
                int d2 = HEAD_DIMS[rnd.nextInt(HEAD_DIMS.length)], w2 = heads * d2;
                int nq2 = 1 + rnd.nextInt(4 * FlashAttention.QB), nk2 = 1 + rnd.nextInt(3 * FlashAttention.KB);
                float[] q2 = Props.uniform(rnd, nq2 * w2, 2), k2 = Props.uniform(rnd, nk2 * w2, 2), v2 = Props.uniform(rnd, nk2 * w2, 1);
                q2[rnd.nextInt(q2.length)] = Float.NaN;
                v2[rnd.nextInt(v2.length)] = Float.POSITIVE_INFINITY;
                FlashAttention.attention(q2, 0, FlashAttention.Rows.f32(k2, 0), FlashAttention.Rows.f32(v2, 0), new float[nq2 * w2], 0,
                        nq2, nk2, heads, d2, scale, null, 0, 1 + rnd.nextInt(16));
            }
            FlashAttention.attention(q, 0, k, 0, v, 0, again, 0, nq, nk, heads, d, scale, null, 0);
            for (int i = 0; i < first.length; i++) {
                if (Float.floatToRawIntBits(first[i]) != Float.floatToRawIntBits(again[i])) {
                    throw new AssertionError("the call's output changed after calls of other shapes, at " + i + ": " + again[i] + " vs "
                            + first[i] + " (nq=" + nq + " nk=" + nk + " heads=" + heads + " d=" + d + ")");
                }
            }
        }));
    }

    /**
     * The query group size (sized from the L2, so it differs between machine kinds) must not move a
     * bit: every group size gives the output of a group of one, with and without bias, on float32
     * and bf16 keys and values. One thread, so that a task has several query blocks and a group of
     * one reuses its state (checked against the reference too).
     */
    @Test
    void groupSizeDoesNotChangeTheBits() {
        int saved = Parallel.threads();
        Parallel.setThreads(1);
        try {
            groupSizes();
        } finally {
            Parallel.setThreads(saved);
        }
    }

    private static void groupSizes() {
        Props.forAll("attention group sizes", 12, 27, rnd -> {
            int heads = 1 + rnd.nextInt(2), d = HEAD_DIMS[rnd.nextInt(HEAD_DIMS.length)], w = heads * d;
            int nq = 1 + rnd.nextInt(12 * FlashAttention.QB), nk = rnd.nextInt(3 * FlashAttention.KB);
            float[] q = Props.uniform(rnd, nq * w, 2), k = Props.uniform(rnd, nk * w, 2), v = Props.uniform(rnd, nk * w, 1);
            float[] bias = rnd.nextBoolean() ? null : Props.uniform(rnd, heads * nq * nk, 3);
            FlashAttention.Rows kr = FlashAttention.Rows.f32(k, 0), vr = FlashAttention.Rows.f32(v, 0);
            if (rnd.nextBoolean()) {
                java.lang.foreign.MemorySegment kh = java.lang.foreign.Arena.ofAuto().allocate(2L * k.length + 2, 2);
                java.lang.foreign.MemorySegment vh = java.lang.foreign.Arena.ofAuto().allocate(2L * v.length + 2, 2);
                Bf16.narrow(k, 0, kh, 0, k.length);
                Bf16.narrow(v, 0, vh, 0, v.length);
                kr = FlashAttention.Rows.bf16(kh, 0);
                vr = FlashAttention.Rows.bf16(vh, 0);
            }
            float scale = (float) (1 / Math.sqrt(d));
            float[] one = new float[nq * w];
            FlashAttention.attention(q, 0, kr, vr, one, 0, nq, nk, heads, d, scale, bias, 0, 1);
            float[] ref = new float[nq * w];
            float[] kv = k.clone(), vv = v.clone();
            if (kr.h() != null) {
                for (int i = 0; i < kv.length; i++) {
                    kv[i] = Half.roundToBf16(kv[i]);
                    vv[i] = Half.roundToBf16(vv[i]);
                }
            }
            ReferenceKernels.attention(q, 0, kv, 0, vv, 0, ref, 0, nq, nk, heads, d, scale, bias, 0);
            Props.assertClose(ref, one, 1e-5, "attention, group of one, nq=" + nq + " nk=" + nk + " d=" + d);
            for (int g : new int[] {2, 3, 4, 16, FlashAttention.group(d)}) {
                float[] got = new float[nq * w];
                FlashAttention.attention(q, 0, kr, vr, got, 0, nq, nk, heads, d, scale, bias, 0, g);
                for (int i = 0; i < got.length; i++) {
                    if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(one[i])) {
                        throw new AssertionError("group " + g + " differs from group 1 at " + i + ": " + got[i] + " vs " + one[i]
                                + " (nq=" + nq + " nk=" + nk + " heads=" + heads + " d=" + d + ")");
                    }
                }
            }
        });
    }

    static void check(SplittableRandom rnd, int nq, int nk, int heads, int d, boolean withBias) {
        check(rnd, nq, nk, heads, d, withBias, false);
    }

    static void check(SplittableRandom rnd, int nq, int nk, int heads, int d, boolean withBias, boolean bf16Kv) {
        int w = heads * d;
        float[] q = Props.uniform(rnd, nq * w, 2), k = Props.uniform(rnd, nk * w, 2), v = Props.uniform(rnd, nk * w, 1);
        if (bf16Kv) {   // the values bf16 storage can hold, so the reference sees exactly what the kernel reads
            for (int i = 0; i < k.length; i++) {
                k[i] = Half.roundToBf16(k[i]);
                v[i] = Half.roundToBf16(v[i]);
            }
        }
        float scale = (float) (1 / Math.sqrt(d));
        float[] bias = null;
        if (withBias) {
            bias = Props.uniform(rnd, heads * nq * nk, 3);
            int mode = rnd.nextInt(3);
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < nq; i++) {
                    // Some rows fully masked, others masked on a random subset or causally.
                    boolean all = rnd.nextInt(5) == 0;
                    for (int j = 0; j < nk; j++) {
                        boolean masked = all || (mode == 0 && rnd.nextInt(3) == 0) || (mode == 1 && j > i);
                        if (masked) bias[(h * nq + i) * nk + j] = Float.NEGATIVE_INFINITY;
                    }
                }
            }
        }
        Buf qb = Bufs.view(rnd, q), kb = bf16Kv ? bf16View(rnd, k) : Bufs.view(rnd, k), vb = bf16Kv ? bf16View(rnd, v) : Bufs.view(rnd, v);
        Buf ob = Bufs.garbage(rnd, nq * w);
        Buf bb = bias == null ? null : Bufs.view(rnd, bias);
        Bufs.BE.attention(qb, kb, vb, ob, nq, nk, heads, d, scale, bb);
        float[] ref = new float[nq * w];
        ReferenceKernels.attention(q, 0, k, 0, v, 0, ref, 0, nq, nk, heads, d, scale, bias, 0);
        float[] got = Bufs.read(ob);
        Props.assertClose(ref, got, 1e-5, "attention nq=" + nq + " nk=" + nk + " heads=" + heads + " d=" + d + (withBias ? " masked" : "") + (bf16Kv ? " bf16 kv" : ""));
        for (int i = 0; i < got.length; i++) {
            if (Float.isNaN(got[i])) throw new AssertionError("NaN at " + i);
            if (ref[i] == 0f && got[i] != 0f) throw new AssertionError("fully masked output " + i + " is " + got[i] + ", not 0");
        }
    }

    /** {@code x} (bf16-exact values) in a bf16 buffer at a random offset of a larger one. */
    static Buf bf16View(SplittableRandom rnd, float[] x) {
        int off = rnd.nextInt(17);
        Buf all = Bufs.BE.alloc(off + x.length + rnd.nextInt(5), DType.BF16), view = all.view(off, x.length);
        Bufs.BE.toBf16(Bufs.BE.upload(x), view);
        return view;
    }
}
