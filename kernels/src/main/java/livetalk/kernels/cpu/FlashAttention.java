package livetalk.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Multi-head attention with a streaming ("online", flash-style) softmax: for each head and block of
 * {@link #QB} queries, keys are visited in blocks of {@link #KB}; only a {@code [KB, QB]} tile of
 * logits ever exists. Tasks are (head, query chunk) pairs spread over the pool.
 *
 * <p>Layout trick: the query block is packed transposed and pre-scaled, {@code qt[d][lane]}, so the
 * logits come out transposed, {@code s[key][lane]} with one query per vector lane. Then the
 * running max, the exponentials and the row sums of the softmax are plain lane-wise vector ops,
 * and {@code P·V} broadcasts one probability per query against rows of V (contiguous in d).
 *
 * <p>Masking: a logit of -Infinity contributes 0. While a query has seen only masked keys its
 * running max is -Infinity; the exponent is then taken against 0 (not -Infinity, which would give
 * NaN), and a query whose keys are all masked (or with nk = 0) outputs zeros, like the reference.
 */
final class FlashAttention {
    static final VectorSpecies<Float> F = Widen.F;
    static final int VL = Widen.VL;
    /** Queries per block: two vectors of lanes. */
    static final int QB = 2 * VL;
    /** Keys per block: the logit tile is KB·QB floats (16 KiB); 128 amortises loading the output accumulators in P·V. */
    static final int KB = Integer.getInteger("livetalk.attn.kb", 128);
    private static final FloatVector NEG_INF = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);

    private FlashAttention() {
    }

    static void attention(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff,
                          int nq, int nk, int heads, int d, float scale, float[] bias, int biasOff) {
        if (nq == 0 || heads == 0 || d == 0) return;
        int threads = Parallel.threads();
        int blocks = (nq + QB - 1) / QB;
        int chunksPerHead = Math.min(blocks, Math.max(1, (4 * threads + heads - 1) / heads));
        int blocksPerChunk = (blocks + chunksPerHead - 1) / chunksPerHead;
        int chunks = (blocks + blocksPerChunk - 1) / blocksPerChunk;
        Parallel.forEach(heads * chunks, t -> {
            int h = t / chunks, c = t % chunks;
            int i0 = c * blocksPerChunk * QB, i1 = Math.min(nq, i0 + blocksPerChunk * QB);
            Work wk = new Work(d);
            for (int i = i0; i < i1; i += QB) {
                block(q, qOff, k, kOff, v, vOff, out, outOff, nq, nk, heads, d, scale, bias, biasOff, h, i, Math.min(QB, i1 - i), wk);
            }
        });
    }

    /** Per-task scratch: the packed queries, one logit tile, the running output and softmax state. */
    private static final class Work {
        final float[] qt, s, o, m = new float[QB], l = new float[QB], alpha = new float[QB];

        Work(int d) {
            qt = new float[d * QB];
            s = new float[KB * QB];
            o = new float[QB * d];
        }
    }

    private static void block(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff,
                              int nq, int nk, int heads, int d, float scale, float[] bias, int biasOff, int h, int i0, int qb, Work wk) {
        int w = heads * d;
        float[] qt = wk.qt, s = wk.s, o = wk.o, m = wk.m, l = wk.l, alpha = wk.alpha;
        // qt[dd][lane] = scale · q[i0 + lane, h·d + dd]; lanes past qb stay 0 (their results are dropped).
        java.util.Arrays.fill(qt, 0f);
        for (int i = 0; i < qb; i++) {
            int src = qOff + (i0 + i) * w + h * d;
            for (int dd = 0; dd < d; dd++) qt[dd * QB + i] = q[src + dd] * scale;
        }
        java.util.Arrays.fill(o, 0f);
        java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(l, 0f);
        for (int j0 = 0; j0 < nk; j0 += KB) {
            int kb = Math.min(KB, nk - j0);
            logits(qt, k, kOff + j0 * w + h * d, w, d, kb, s);
            if (bias != null) {
                for (int i = 0; i < qb; i++) {
                    int b = biasOff + (h * nq + i0 + i) * nk + j0;
                    for (int j = 0; j < kb; j++) s[j * QB + i] += bias[b + j];
                }
            }
            softmaxStep(s, kb, m, l, alpha);
            for (int i = 0; i < qb; i++) {
                float a = alpha[i];
                if (a != 1f) Elementwise.scale(o, i * d, d, a);
            }
            accumulate(s, v, vOff + j0 * w + h * d, w, d, kb, qb, o);
        }
        for (int i = 0; i < qb; i++) {
            int dst = outOff + (i0 + i) * w + h * d;
            float li = l[i];
            if (li == 0f) java.util.Arrays.fill(out, dst, dst + d, 0f);
            else Elementwise.scaleTo(o, i * d, out, dst, d, 1f / li);
        }
    }

    /** {@code s[j][lane] = Σ_dd k[j, dd] · qt[dd][lane]} for the kb keys of the block, eight keys at a time. */
    static void logits(float[] qt, float[] k, int kBase, int w, int d, int kb, float[] s) {
        int j = 0;
        for (; j + 8 <= kb; j += 8) {
            int r0 = kBase + j * w, r1 = r0 + w, r2 = r1 + w, r3 = r2 + w, r4 = r3 + w, r5 = r4 + w, r6 = r5 + w, r7 = r6 + w;
            FloatVector z = FloatVector.zero(F);
            FloatVector a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z, a3 = z, b3 = z;
            FloatVector a4 = z, b4 = z, a5 = z, b5 = z, a6 = z, b6 = z, a7 = z, b7 = z;
            for (int dd = 0; dd < d; dd++) {
                FloatVector qa = FloatVector.fromArray(F, qt, dd * QB), qb = FloatVector.fromArray(F, qt, dd * QB + VL);
                FloatVector x = FloatVector.broadcast(F, k[r0 + dd]);
                a0 = qa.fma(x, a0); b0 = qb.fma(x, b0);
                x = FloatVector.broadcast(F, k[r1 + dd]);
                a1 = qa.fma(x, a1); b1 = qb.fma(x, b1);
                x = FloatVector.broadcast(F, k[r2 + dd]);
                a2 = qa.fma(x, a2); b2 = qb.fma(x, b2);
                x = FloatVector.broadcast(F, k[r3 + dd]);
                a3 = qa.fma(x, a3); b3 = qb.fma(x, b3);
                x = FloatVector.broadcast(F, k[r4 + dd]);
                a4 = qa.fma(x, a4); b4 = qb.fma(x, b4);
                x = FloatVector.broadcast(F, k[r5 + dd]);
                a5 = qa.fma(x, a5); b5 = qb.fma(x, b5);
                x = FloatVector.broadcast(F, k[r6 + dd]);
                a6 = qa.fma(x, a6); b6 = qb.fma(x, b6);
                x = FloatVector.broadcast(F, k[r7 + dd]);
                a7 = qa.fma(x, a7); b7 = qb.fma(x, b7);
            }
            int t = j * QB;
            a0.intoArray(s, t); b0.intoArray(s, t + VL);
            a1.intoArray(s, t + QB); b1.intoArray(s, t + QB + VL);
            a2.intoArray(s, t + 2 * QB); b2.intoArray(s, t + 2 * QB + VL);
            a3.intoArray(s, t + 3 * QB); b3.intoArray(s, t + 3 * QB + VL);
            a4.intoArray(s, t + 4 * QB); b4.intoArray(s, t + 4 * QB + VL);
            a5.intoArray(s, t + 5 * QB); b5.intoArray(s, t + 5 * QB + VL);
            a6.intoArray(s, t + 6 * QB); b6.intoArray(s, t + 6 * QB + VL);
            a7.intoArray(s, t + 7 * QB); b7.intoArray(s, t + 7 * QB + VL);
        }
        for (; j < kb; j++) {
            int r = kBase + j * w;
            FloatVector a = FloatVector.zero(F), b = a;
            for (int dd = 0; dd < d; dd++) {
                FloatVector x = FloatVector.broadcast(F, k[r + dd]);
                a = FloatVector.fromArray(F, qt, dd * QB).fma(x, a);
                b = FloatVector.fromArray(F, qt, dd * QB + VL).fma(x, b);
            }
            a.intoArray(s, j * QB);
            b.intoArray(s, j * QB + VL);
        }
    }

    /**
     * One step of the online softmax over the block's logits, lane-wise: new max, the factor
     * {@code alpha = exp(m_old − m_new)} for what was accumulated so far, {@code s ← exp(s − m_new)}
     * and {@code l ← l·alpha + Σ s}.
     */
    static void softmaxStep(float[] s, int kb, float[] m, float[] l, float[] alpha) {
        for (int half = 0; half < QB; half += VL) {
            FloatVector mOld = FloatVector.fromArray(F, m, half);
            FloatVector mNew = mOld;
            for (int j = 0; j < kb; j++) mNew = mNew.max(FloatVector.fromArray(F, s, j * QB + half));
            // Against -Infinity itself exp would see -inf − (-inf) = NaN; 0 gives exp(-inf) = 0 instead.
            FloatVector ref = mNew.blend(0f, mNew.compare(VectorOperators.EQ, NEG_INF));
            FloatVector a = mOld.sub(ref).lanewise(VectorOperators.EXP);
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < kb; j++) {
                FloatVector p = FloatVector.fromArray(F, s, j * QB + half).sub(ref).lanewise(VectorOperators.EXP);
                p.intoArray(s, j * QB + half);
                sum = sum.add(p);
            }
            FloatVector.fromArray(F, l, half).mul(a).add(sum).intoArray(l, half);
            mNew.intoArray(m, half);
            a.intoArray(alpha, half);
        }
    }

    /** {@code o[i, :] += Σ_j s[j][i] · v[j, :]} for the block's queries: four queries × up to 4 vectors of d. */
    static void accumulate(float[] s, float[] v, int vBase, int w, int d, int kb, int qb, float[] o) {
        int dc = 0;
        for (; dc + 4 * VL <= d; dc += 4 * VL) {
            for (int i = 0; i < qb; i += 4) pv4x4(s, v, vBase + dc, w, d, kb, i, o, dc);
        }
        for (; dc < d; dc += VL) {
            VectorMask<Float> mask = F.indexInRange(dc, d);
            for (int i = 0; i < qb; i += 4) pv4x1(s, v, vBase + dc, w, d, kb, i, o, dc, mask);
        }
    }

    private static void pv4x4(float[] s, float[] v, int vBase, int w, int d, int kb, int i, float[] o, int dc) {
        int p0 = i * d + dc, p1 = p0 + d, p2 = p1 + d, p3 = p2 + d;
        FloatVector o00 = FloatVector.fromArray(F, o, p0), o01 = FloatVector.fromArray(F, o, p0 + VL);
        FloatVector o02 = FloatVector.fromArray(F, o, p0 + 2 * VL), o03 = FloatVector.fromArray(F, o, p0 + 3 * VL);
        FloatVector o10 = FloatVector.fromArray(F, o, p1), o11 = FloatVector.fromArray(F, o, p1 + VL);
        FloatVector o12 = FloatVector.fromArray(F, o, p1 + 2 * VL), o13 = FloatVector.fromArray(F, o, p1 + 3 * VL);
        FloatVector o20 = FloatVector.fromArray(F, o, p2), o21 = FloatVector.fromArray(F, o, p2 + VL);
        FloatVector o22 = FloatVector.fromArray(F, o, p2 + 2 * VL), o23 = FloatVector.fromArray(F, o, p2 + 3 * VL);
        FloatVector o30 = FloatVector.fromArray(F, o, p3), o31 = FloatVector.fromArray(F, o, p3 + VL);
        FloatVector o32 = FloatVector.fromArray(F, o, p3 + 2 * VL), o33 = FloatVector.fromArray(F, o, p3 + 3 * VL);
        for (int j = 0; j < kb; j++) {
            int r = vBase + j * w, t = j * QB + i;
            FloatVector v0 = FloatVector.fromArray(F, v, r), v1 = FloatVector.fromArray(F, v, r + VL);
            FloatVector v2 = FloatVector.fromArray(F, v, r + 2 * VL), v3 = FloatVector.fromArray(F, v, r + 3 * VL);
            FloatVector p = FloatVector.broadcast(F, s[t]);
            o00 = v0.fma(p, o00); o01 = v1.fma(p, o01); o02 = v2.fma(p, o02); o03 = v3.fma(p, o03);
            p = FloatVector.broadcast(F, s[t + 1]);
            o10 = v0.fma(p, o10); o11 = v1.fma(p, o11); o12 = v2.fma(p, o12); o13 = v3.fma(p, o13);
            p = FloatVector.broadcast(F, s[t + 2]);
            o20 = v0.fma(p, o20); o21 = v1.fma(p, o21); o22 = v2.fma(p, o22); o23 = v3.fma(p, o23);
            p = FloatVector.broadcast(F, s[t + 3]);
            o30 = v0.fma(p, o30); o31 = v1.fma(p, o31); o32 = v2.fma(p, o32); o33 = v3.fma(p, o33);
        }
        o00.intoArray(o, p0); o01.intoArray(o, p0 + VL); o02.intoArray(o, p0 + 2 * VL); o03.intoArray(o, p0 + 3 * VL);
        o10.intoArray(o, p1); o11.intoArray(o, p1 + VL); o12.intoArray(o, p1 + 2 * VL); o13.intoArray(o, p1 + 3 * VL);
        o20.intoArray(o, p2); o21.intoArray(o, p2 + VL); o22.intoArray(o, p2 + 2 * VL); o23.intoArray(o, p2 + 3 * VL);
        o30.intoArray(o, p3); o31.intoArray(o, p3 + VL); o32.intoArray(o, p3 + 2 * VL); o33.intoArray(o, p3 + 3 * VL);
    }

    private static void pv4x1(float[] s, float[] v, int vBase, int w, int d, int kb, int i, float[] o, int dc, VectorMask<Float> mask) {
        int p0 = i * d + dc, p1 = p0 + d, p2 = p1 + d, p3 = p2 + d;
        FloatVector o0 = FloatVector.fromArray(F, o, p0, mask), o1 = FloatVector.fromArray(F, o, p1, mask);
        FloatVector o2 = FloatVector.fromArray(F, o, p2, mask), o3 = FloatVector.fromArray(F, o, p3, mask);
        for (int j = 0; j < kb; j++) {
            FloatVector x = FloatVector.fromArray(F, v, vBase + j * w, mask);
            int t = j * QB + i;
            o0 = x.fma(FloatVector.broadcast(F, s[t]), o0);
            o1 = x.fma(FloatVector.broadcast(F, s[t + 1]), o1);
            o2 = x.fma(FloatVector.broadcast(F, s[t + 2]), o2);
            o3 = x.fma(FloatVector.broadcast(F, s[t + 3]), o3);
        }
        o0.intoArray(o, p0, mask);
        o1.intoArray(o, p1, mask);
        o2.intoArray(o, p2, mask);
        o3.intoArray(o, p3, mask);
    }
}
