package livetalk.kernels.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Multi-head attention with a streaming ("online", flash-style) softmax: for each head and block of
 * {@link #QB} queries, keys are visited in blocks of {@link #KB}; only a {@code [KB, QB]} tile of
 * logits ever exists. Tasks are (head, query chunk) pairs spread over the pool; inside a task, a
 * group of query blocks ({@link #group}) advances together through the keys, so each block of K
 * and V is copied into contiguous tiles (widened, from the bf16 cache) once per group while it sits
 * in L2 (at 15360 keys a head's K and V are 15 MB).
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
    /** Queries per block: four vectors of lanes (K and V are streamed once per block, so wider blocks halve that traffic). */
    static final int QB = 4 * VL;
    /**
     * Keys per block: the logit tile of KB·QB floats fills the L1 data cache (126 keys ≈ 32 KiB on the
     * AMD machines); more keys per block amortise loading the output accumulators in P·V. A multiple
     * of the logits kernel's 6-key step, so that no key of a full block takes a tail step: at the
     * DiT shape 126 keys ran at 71–74 % of the FMA peak, 128 (a 2-key tail) at 69–71 %, on the 2-core
     * AMD EPYC (`./livetalk bench --only peak,attention`, interleaved). At most 126 on every machine:
     * the block boundaries set where the online softmax rescales, so they set the float results,
     * and with one value everywhere a seed gives the same video bits on every machine kind we run on
     * (the Intel kind's 48 KiB L1 would allow 192).
     */
    static final int KB = Integer.getInteger("livetalk.attn.kb", CacheInfo.fit(CacheInfo.L1D / (QB * 4L), 6, 60, 126));
    private static final FloatVector NEG_INF = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    private static final float LOG2E = 1.44269504088896341f;

    private FlashAttention() {
    }

    /**
     * Keys or values, {@code [nk, heads·d]} from element {@code off}: float32 ({@code f}) or bf16
     * storage ({@code h}, the KV cache), exactly one of the two non-null.
     */
    record Rows(float[] f, MemorySegment h, long off) {
        static Rows f32(float[] a, int off) {
            return new Rows(a, null, off);
        }

        static Rows bf16(MemorySegment a, long off) {
            return new Rows(null, a, off);
        }

        /** {@code dst[dOff + i]} = element {@code from + i} (from the start of the storage), widened or copied, for {@code i < n}. */
        void read(long from, float[] dst, int dOff, int n) {
            if (h != null) Bf16.widen(h, from, dst, dOff, n);
            else System.arraycopy(f, (int) from, dst, dOff, n);
        }
    }

    static void attention(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff,
                          int nq, int nk, int heads, int d, float scale, float[] bias, int biasOff) {
        attention(q, qOff, Rows.f32(k, kOff), Rows.f32(v, vOff), out, outOff, nq, nk, heads, d, scale, bias, biasOff);
    }

    static void attention(float[] q, int qOff, Rows k, Rows v, float[] out, int outOff,
                          int nq, int nk, int heads, int d, float scale, float[] bias, int biasOff) {
        attention(q, qOff, k, v, out, outOff, nq, nk, heads, d, scale, bias, biasOff, group(d));
    }

    /** As above with {@code groupSize} query blocks per pass over the keys: any size gives the same bits. */
    static void attention(float[] q, int qOff, Rows k, Rows v, float[] out, int outOff,
                          int nq, int nk, int heads, int d, float scale, float[] bias, int biasOff, int groupSize) {
        if (nq == 0 || heads == 0 || d == 0) return;
        int threads = Parallel.threads();
        int blocks = (nq + QB - 1) / QB;
        // At least one query chunk per thread in each head, and tasks ordered head-major, so the threads
        // work on the same head at the same time and share its K and V (15 MB at 15360 keys) in L3.
        int chunksPerHead = Math.min(blocks, Math.max(threads, (4 * threads + heads - 1) / heads));
        int blocksPerChunk = (blocks + chunksPerHead - 1) / chunksPerHead;
        int chunks = (blocks + blocksPerChunk - 1) / blocksPerChunk;
        Parallel.forEach(heads * chunks, t -> {
            int h = t / chunks, c = t % chunks;
            int i0 = c * blocksPerChunk * QB, i1 = Math.min(nq, i0 + blocksPerChunk * QB);
            int groupLen = Math.min(groupSize, blocksPerChunk);
            Workspace ws = WORKSPACE.get().fit(groupLen, d);
            for (int i = i0; i < i1; i += groupLen * QB) {
                int n = Math.min(groupLen, (i1 - i + QB - 1) / QB);
                for (int g = 0; g < n; g++) {
                    int start = i + g * QB;
                    ws.group[g].start(q, qOff, heads * d, h, d, scale, start, Math.min(QB, i1 - start));
                }
                run(ws.group, n, ws.s, k, v, ws.kt, ws.vt, out, outOff, nq, nk, heads, d, bias, biasOff, h);
            }
        });
    }

    /**
     * A task's working arrays, kept per thread for its next task: a group's query blocks (packed
     * queries, outputs, softmax state: 64 KiB a block at d = 128), the logit tile, and the K and V
     * tiles, into which K and V are copied (from float32) or widened (from bf16) a key block at a
     * time and then used by every query block of the group (2·d work per key per group against the
     * 4·d·group·QB FLOPs of the logits and P·V). Allocated per task they were about 1.2 MB of garbage
     * a task, 24 tasks a layer at the DiT's shape. Everything is written before it is read
     * ({@link QueryBlock#start}, the logits, the tile copies), so nothing carries from one task to the next.
     */
    private static final class Workspace {
        QueryBlock[] group = new QueryBlock[0];
        int d = -1;
        final float[] s = new float[KB * QB];
        float[] kt = new float[0], vt = new float[0];

        Workspace fit(int groupLen, int d) {
            if (d != this.d) {
                group = new QueryBlock[0];
                kt = new float[KB * d];
                vt = new float[KB * d];
                this.d = d;
            }
            if (group.length < groupLen) {
                QueryBlock[] more = java.util.Arrays.copyOf(group, groupLen);
                for (int g = group.length; g < groupLen; g++) more[g] = new QueryBlock(d);
                group = more;
            }
            return this;
        }
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private static final Integer GROUP_OVERRIDE = Integer.getInteger("livetalk.attn.group");   // read once, like the block sizes

    /**
     * Query blocks handled together, each block of K and V widened into its tiles once for all of
     * them: as many as hold 1.5 MiB of packed queries and outputs (2·QB·d floats a block), from 4 to
     * 24; 24 at d = 128, which makes the DiT's query chunk on 2 threads (24 blocks) one group.
     *
     * <p>Why not the L2: a group's queries and outputs are read once per key block against the
     * 4·QB·KB·d FLOPs each block does with it (about 10 µs), so reading them from L3 costs little,
     * while every further group widens K and V again, from rows 3 KiB apart in the cache's layout.
     * Measured at the DiT's self-attention shape with bf16 K/V, interleaved pairs in one process
     * (medians of 9–15 pairs), the same bits: on the 2-core Intel Xeon (2 MiB L2) 24 against 16
     * 1.002–1.044 × on 2 threads, 1.038 on one (the copy 7.5 % → 4 % of the time); on the 2-core
     * Zen 5 (1 MiB L2) 24 against 12, the three quarters of its L2 the rule used to give, 1.005,
     * 1.032, 1.043 on 2 threads, 1.028 on one (2026-11-29). No result depends on it (the key blocks
     * and their order are the same). {@code livetalk.attn.group} overrides it, for tuning.
     */
    static int group(int d) {
        if (GROUP_OVERRIDE != null && GROUP_OVERRIDE > 0) return GROUP_OVERRIDE;
        long perBlock = 2L * QB * d * Float.BYTES;
        return (int) Math.max(4, Math.min(24, GROUP_BYTES / perBlock));
    }

    /** The packed queries and outputs one group may hold: see {@link #group}. */
    private static final long GROUP_BYTES = 3L << 19;

    /** One block of queries: packed queries, running output and softmax state. */
    private static final class QueryBlock {
        final float[] qt, o, m = new float[QB], l = new float[QB], alpha = new float[QB];
        int i0, qb;

        QueryBlock(int d) {
            qt = new float[d * QB];
            o = new float[QB * d];
        }

        /** Packs {@code qt[dd][lane] = scale · q[i0 + lane, h·d + dd]} (lanes past qb stay 0; their results are dropped) and resets the state. */
        void start(float[] q, int qOff, int w, int h, int d, float scale, int i0, int qb) {
            this.i0 = i0;
            this.qb = qb;
            java.util.Arrays.fill(qt, 0f);
            for (int i = 0; i < qb; i++) {
                int src = qOff + (i0 + i) * w + h * d;
                for (int dd = 0; dd < d; dd++) qt[dd * QB + i] = q[src + dd] * scale;
            }
            java.util.Arrays.fill(o, 0f);
            java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(l, 0f);
        }
    }

    private static void run(QueryBlock[] group, int n, float[] s, Rows k, Rows v, float[] kt, float[] vt, float[] out, int outOff,
                            int nq, int nk, int heads, int d, float[] bias, int biasOff, int h) {
        int w = heads * d;
        for (int j0 = 0; j0 < nk; j0 += KB) {
            int kb = Math.min(KB, nk - j0);
            // The block's keys and values of head h, rows of w floats in the caller's layout, into the
            // tiles: K as rows of d, V in column chunks of P·V's width (4 vectors): chunk dc holds rows
            // [kb][width] from dc·KB. In place, rows w floats apart (6 KiB in the DiT) fell in a few L1
            // sets and the V rows a P·V pass reads were half rows 512 bytes apart: float32 K/V ran at 51-57 %
            // of the one-thread peak against 61-71 % for the bf16 ones, already tiled, and at 66-71 % tiled
            // (2-core Intel Xeon, `bench --threads 1`, interleaved). The same values in the same order: the
            // same bits.
            long kRow = k.off() + (long) j0 * w + h * d, vRow = v.off() + (long) j0 * w + h * d;
            for (int j = 0; j < kb; j++) k.read(kRow + (long) j * w, kt, j * d, d);
            for (int dc = 0; dc < d; dc += PV) {
                int width = Math.min(PV, d - dc);
                for (int j = 0; j < kb; j++) v.read(vRow + (long) j * w + dc, vt, dc * KB + j * width, width);
            }
            for (int g = 0; g < n; g++) {
                QueryBlock qb = group[g];
                logits(qb.qt, kt, d, kb, s);
                if (bias != null) {
                    for (int i = 0; i < qb.qb; i++) {
                        int b = biasOff + (h * nq + qb.i0 + i) * nk + j0;
                        for (int j = 0; j < kb; j++) s[j * QB + i] += bias[b + j];
                    }
                }
                softmaxStep(s, kb, qb.m, qb.l, qb.alpha);
                accumulate(s, vt, d, kb, qb.qb, qb.o, qb.alpha);
            }
        }
        for (int g = 0; g < n; g++) {
            QueryBlock qb = group[g];
            for (int i = 0; i < qb.qb; i++) {
                int dst = outOff + (qb.i0 + i) * w + h * d;
                float li = qb.l[i];
                if (li == 0f) java.util.Arrays.fill(out, dst, dst + d, 0f);
                else Elementwise.scaleTo(qb.o, i * d, out, dst, d, 1f / li);
            }
        }
    }

    /** {@code s[j][lane] = Σ_dd k[j, dd] · qt[dd][lane]} for the kb keys of the tile (rows of d): six keys × four lane vectors at a time. */
    static void logits(float[] qt, float[] k, int d, int kb, float[] s) {
        int j = 0;
        for (; j + 6 <= kb; j += 6) {
            int r0 = j * d, r1 = r0 + d, r2 = r1 + d, r3 = r2 + d, r4 = r3 + d, r5 = r4 + d;
            FloatVector z = FloatVector.zero(F);
            FloatVector a0 = z, b0 = z, c0 = z, e0 = z, a1 = z, b1 = z, c1 = z, e1 = z, a2 = z, b2 = z, c2 = z, e2 = z;
            FloatVector a3 = z, b3 = z, c3 = z, e3 = z, a4 = z, b4 = z, c4 = z, e4 = z, a5 = z, b5 = z, c5 = z, e5 = z;
            for (int dd = 0; dd < d; dd++) {
                int qo = dd * QB;
                FloatVector q0 = FloatVector.fromArray(F, qt, qo), q1 = FloatVector.fromArray(F, qt, qo + VL);
                FloatVector q2 = FloatVector.fromArray(F, qt, qo + 2 * VL), q3 = FloatVector.fromArray(F, qt, qo + 3 * VL);
                FloatVector x = FloatVector.broadcast(F, k[r0 + dd]);
                a0 = q0.fma(x, a0); b0 = q1.fma(x, b0); c0 = q2.fma(x, c0); e0 = q3.fma(x, e0);
                x = FloatVector.broadcast(F, k[r1 + dd]);
                a1 = q0.fma(x, a1); b1 = q1.fma(x, b1); c1 = q2.fma(x, c1); e1 = q3.fma(x, e1);
                x = FloatVector.broadcast(F, k[r2 + dd]);
                a2 = q0.fma(x, a2); b2 = q1.fma(x, b2); c2 = q2.fma(x, c2); e2 = q3.fma(x, e2);
                x = FloatVector.broadcast(F, k[r3 + dd]);
                a3 = q0.fma(x, a3); b3 = q1.fma(x, b3); c3 = q2.fma(x, c3); e3 = q3.fma(x, e3);
                x = FloatVector.broadcast(F, k[r4 + dd]);
                a4 = q0.fma(x, a4); b4 = q1.fma(x, b4); c4 = q2.fma(x, c4); e4 = q3.fma(x, e4);
                x = FloatVector.broadcast(F, k[r5 + dd]);
                a5 = q0.fma(x, a5); b5 = q1.fma(x, b5); c5 = q2.fma(x, c5); e5 = q3.fma(x, e5);
            }
            int t = j * QB;
            a0.intoArray(s, t); b0.intoArray(s, t + VL); c0.intoArray(s, t + 2 * VL); e0.intoArray(s, t + 3 * VL);
            t += QB;
            a1.intoArray(s, t); b1.intoArray(s, t + VL); c1.intoArray(s, t + 2 * VL); e1.intoArray(s, t + 3 * VL);
            t += QB;
            a2.intoArray(s, t); b2.intoArray(s, t + VL); c2.intoArray(s, t + 2 * VL); e2.intoArray(s, t + 3 * VL);
            t += QB;
            a3.intoArray(s, t); b3.intoArray(s, t + VL); c3.intoArray(s, t + 2 * VL); e3.intoArray(s, t + 3 * VL);
            t += QB;
            a4.intoArray(s, t); b4.intoArray(s, t + VL); c4.intoArray(s, t + 2 * VL); e4.intoArray(s, t + 3 * VL);
            t += QB;
            a5.intoArray(s, t); b5.intoArray(s, t + VL); c5.intoArray(s, t + 2 * VL); e5.intoArray(s, t + 3 * VL);
        }
        for (; j < kb; j++) {
            int r = j * d;
            FloatVector a = FloatVector.zero(F), b = a, c = a, e = a;
            for (int dd = 0; dd < d; dd++) {
                FloatVector x = FloatVector.broadcast(F, k[r + dd]);
                int qo = dd * QB;
                a = FloatVector.fromArray(F, qt, qo).fma(x, a);
                b = FloatVector.fromArray(F, qt, qo + VL).fma(x, b);
                c = FloatVector.fromArray(F, qt, qo + 2 * VL).fma(x, c);
                e = FloatVector.fromArray(F, qt, qo + 3 * VL).fma(x, e);
            }
            int t = j * QB;
            a.intoArray(s, t);
            b.intoArray(s, t + VL);
            c.intoArray(s, t + 2 * VL);
            e.intoArray(s, t + 3 * VL);
        }
    }

    /**
     * One step of the online softmax over the block's logits, lane-wise: new max, the factor
     * {@code alpha = exp(m_old − m_new)} for what was accumulated so far, {@code s ← exp(s − m_new)}
     * and {@code l ← l·alpha + Σ s}. Each exp is taken as {@code 2^(x·log2 e)} (VecMath.exp2): x ≤ 0
     * here, and the base-2 form needs no range reduction by ln 2. The logits and their max stay in
     * natural units, so only the exponent's last bits move, not the logits (as they would with
     * log2 e folded into the query scale, which doubles the error at logits in the thousands).
     *
     * <p>Two methods, one {@code exp2} each, and the second never inlined into the first (a
     * CompileCommand in the JVM flags, pom.xml): in one method, C2 sometimes reached its node
     * limit while inlining (NodeCountInliningCutoff) before the second {@code exp2}, which the
     * forced inlining does not override, and then called it on boxed vectors. That happened in 2 of
     * 3 runs, depending on the profile: a 4-layer forward's attention took 12–16 s instead of 8
     * and allocated about 1 GB/s (2-core Intel Xeon, {@code -XX:+PrintInlining}, JFR).
     */
    static void softmaxStep(float[] s, int kb, float[] m, float[] l, float[] alpha) {
        for (int half = 0; half < QB; half += VL) {
            FloatVector mOld = FloatVector.fromArray(F, m, half);
            // The max in four independent chains: one chain waits a max's latency per key (126 a block),
            // four keep the loads flowing. A max is exact and its result does not depend on the order
            // (NaN if any is, +0 over -0), so the chains give the one chain's value.
            FloatVector m0 = mOld, m1 = mOld, m2 = mOld, m3 = mOld;
            int j = 0;
            for (; j + 4 <= kb; j += 4) {
                int r = j * QB + half;
                m0 = m0.max(FloatVector.fromArray(F, s, r));
                m1 = m1.max(FloatVector.fromArray(F, s, r + QB));
                m2 = m2.max(FloatVector.fromArray(F, s, r + 2 * QB));
                m3 = m3.max(FloatVector.fromArray(F, s, r + 3 * QB));
            }
            for (; j < kb; j++) m0 = m0.max(FloatVector.fromArray(F, s, j * QB + half));
            FloatVector mNew = m0.max(m1).max(m2.max(m3));
            // Against -Infinity itself exp would see -inf − (-inf) = NaN; 0 gives exp(-inf) = 0 instead.
            FloatVector ref = mNew.blend(0f, mNew.compare(VectorOperators.EQ, NEG_INF));
            VecMath.exp2(mOld.sub(ref).mul(LOG2E)).intoArray(alpha, half);
            mNew.intoArray(m, half);
        }
        exponentiate(s, kb, m, l, alpha);
    }

    /** The rest of {@link #softmaxStep}, given the new max m and alpha: {@code s ← exp(s − m)}, {@code l ← l·alpha + Σ s}. */
    private static void exponentiate(float[] s, int kb, float[] m, float[] l, float[] alpha) {
        for (int half = 0; half < QB; half += VL) {
            FloatVector mNew = FloatVector.fromArray(F, m, half);
            // as in softmaxStep, written out: a helper taking a vector would meet the same inlining limit
            FloatVector ref = mNew.blend(0f, mNew.compare(VectorOperators.EQ, NEG_INF));
            FloatVector sum = FloatVector.zero(F);
            for (int j = 0; j < kb; j++) {
                FloatVector p = VecMath.exp2(FloatVector.fromArray(F, s, j * QB + half).sub(ref).mul(LOG2E));
                p.intoArray(s, j * QB + half);
                sum = sum.add(p);
            }
            FloatVector.fromArray(F, l, half).mul(FloatVector.fromArray(F, alpha, half)).add(sum).intoArray(l, half);
        }
    }

    /**
     * {@code o[i, :] = alpha[i] · o[i, :] + Σ_j s[j][i] · v[j, :]} for the block's queries: six (then
     * four) queries × 4 vectors of d, or one masked vector. The online softmax's rescaling by alpha
     * is applied as the accumulators are loaded into registers, not in a pass of its own over o (the
     * same single rounding of {@code o·alpha}, one read and write of o per key block fewer). V is the
     * tile in column chunks (chunk dc: rows of PV floats, or of the rest, from dc·KB).
     */
    static void accumulate(float[] s, float[] v, int d, int kb, int qb, float[] o, float[] alpha) {
        int dc = 0;
        for (; dc + PV <= d; dc += PV) {
            int base = dc * KB;
            int i = 0;
            for (; i < qb && i + 6 <= QB; i += 6) pv6x4(s, v, base, d, kb, i, o, dc, alpha);
            for (; i < qb; i += 4) pv4x4(s, v, base, d, kb, i, o, dc, alpha);
        }
        int tailBase = dc * KB, tailStride = d - dc;
        for (int dv = dc; dv < d; dv += VL) {
            VectorMask<Float> mask = F.indexInRange(dv, d);
            for (int i = 0; i < qb; i += 4) pv4x1(s, v, tailBase + dv - dc, tailStride, d, kb, i, o, dv, mask, alpha);
        }
    }

    /** P·V's column chunk: 4 vectors of d. */
    static final int PV = 4 * VL;

    /**
     * Six queries × four vectors of d: 24 accumulators, 10 loads per 24 FMAs. V's rows in the chunk are
     * PV floats apart, a constant, so C2 hoists the loads' range checks out of the key loop (with the
     * stride a parameter the loop kept an imul and two compares; no speed change was measurable).
     */
    private static void pv6x4(float[] s, float[] v, int vBase, int d, int kb, int i, float[] o, int dc, float[] alpha) {
        int p0 = i * d + dc, p1 = p0 + d, p2 = p1 + d, p3 = p2 + d, p4 = p3 + d, p5 = p4 + d;
        float a0 = alpha[i], a1 = alpha[i + 1], a2 = alpha[i + 2], a3 = alpha[i + 3], a4 = alpha[i + 4], a5 = alpha[i + 5];
        FloatVector o00 = FloatVector.fromArray(F, o, p0).mul(a0), o01 = FloatVector.fromArray(F, o, p0 + VL).mul(a0);
        FloatVector o02 = FloatVector.fromArray(F, o, p0 + 2 * VL).mul(a0), o03 = FloatVector.fromArray(F, o, p0 + 3 * VL).mul(a0);
        FloatVector o10 = FloatVector.fromArray(F, o, p1).mul(a1), o11 = FloatVector.fromArray(F, o, p1 + VL).mul(a1);
        FloatVector o12 = FloatVector.fromArray(F, o, p1 + 2 * VL).mul(a1), o13 = FloatVector.fromArray(F, o, p1 + 3 * VL).mul(a1);
        FloatVector o20 = FloatVector.fromArray(F, o, p2).mul(a2), o21 = FloatVector.fromArray(F, o, p2 + VL).mul(a2);
        FloatVector o22 = FloatVector.fromArray(F, o, p2 + 2 * VL).mul(a2), o23 = FloatVector.fromArray(F, o, p2 + 3 * VL).mul(a2);
        FloatVector o30 = FloatVector.fromArray(F, o, p3).mul(a3), o31 = FloatVector.fromArray(F, o, p3 + VL).mul(a3);
        FloatVector o32 = FloatVector.fromArray(F, o, p3 + 2 * VL).mul(a3), o33 = FloatVector.fromArray(F, o, p3 + 3 * VL).mul(a3);
        FloatVector o40 = FloatVector.fromArray(F, o, p4).mul(a4), o41 = FloatVector.fromArray(F, o, p4 + VL).mul(a4);
        FloatVector o42 = FloatVector.fromArray(F, o, p4 + 2 * VL).mul(a4), o43 = FloatVector.fromArray(F, o, p4 + 3 * VL).mul(a4);
        FloatVector o50 = FloatVector.fromArray(F, o, p5).mul(a5), o51 = FloatVector.fromArray(F, o, p5 + VL).mul(a5);
        FloatVector o52 = FloatVector.fromArray(F, o, p5 + 2 * VL).mul(a5), o53 = FloatVector.fromArray(F, o, p5 + 3 * VL).mul(a5);
        for (int j = 0; j < kb; j++) {
            int r = vBase + j * PV, t = j * QB + i;
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
            p = FloatVector.broadcast(F, s[t + 4]);
            o40 = v0.fma(p, o40); o41 = v1.fma(p, o41); o42 = v2.fma(p, o42); o43 = v3.fma(p, o43);
            p = FloatVector.broadcast(F, s[t + 5]);
            o50 = v0.fma(p, o50); o51 = v1.fma(p, o51); o52 = v2.fma(p, o52); o53 = v3.fma(p, o53);
        }
        o00.intoArray(o, p0); o01.intoArray(o, p0 + VL); o02.intoArray(o, p0 + 2 * VL); o03.intoArray(o, p0 + 3 * VL);
        o10.intoArray(o, p1); o11.intoArray(o, p1 + VL); o12.intoArray(o, p1 + 2 * VL); o13.intoArray(o, p1 + 3 * VL);
        o20.intoArray(o, p2); o21.intoArray(o, p2 + VL); o22.intoArray(o, p2 + 2 * VL); o23.intoArray(o, p2 + 3 * VL);
        o30.intoArray(o, p3); o31.intoArray(o, p3 + VL); o32.intoArray(o, p3 + 2 * VL); o33.intoArray(o, p3 + 3 * VL);
        o40.intoArray(o, p4); o41.intoArray(o, p4 + VL); o42.intoArray(o, p4 + 2 * VL); o43.intoArray(o, p4 + 3 * VL);
        o50.intoArray(o, p5); o51.intoArray(o, p5 + VL); o52.intoArray(o, p5 + 2 * VL); o53.intoArray(o, p5 + 3 * VL);
    }

    private static void pv4x4(float[] s, float[] v, int vBase, int d, int kb, int i, float[] o, int dc, float[] alpha) {
        int p0 = i * d + dc, p1 = p0 + d, p2 = p1 + d, p3 = p2 + d;
        float a0 = alpha[i], a1 = alpha[i + 1], a2 = alpha[i + 2], a3 = alpha[i + 3];
        FloatVector o00 = FloatVector.fromArray(F, o, p0).mul(a0), o01 = FloatVector.fromArray(F, o, p0 + VL).mul(a0);
        FloatVector o02 = FloatVector.fromArray(F, o, p0 + 2 * VL).mul(a0), o03 = FloatVector.fromArray(F, o, p0 + 3 * VL).mul(a0);
        FloatVector o10 = FloatVector.fromArray(F, o, p1).mul(a1), o11 = FloatVector.fromArray(F, o, p1 + VL).mul(a1);
        FloatVector o12 = FloatVector.fromArray(F, o, p1 + 2 * VL).mul(a1), o13 = FloatVector.fromArray(F, o, p1 + 3 * VL).mul(a1);
        FloatVector o20 = FloatVector.fromArray(F, o, p2).mul(a2), o21 = FloatVector.fromArray(F, o, p2 + VL).mul(a2);
        FloatVector o22 = FloatVector.fromArray(F, o, p2 + 2 * VL).mul(a2), o23 = FloatVector.fromArray(F, o, p2 + 3 * VL).mul(a2);
        FloatVector o30 = FloatVector.fromArray(F, o, p3).mul(a3), o31 = FloatVector.fromArray(F, o, p3 + VL).mul(a3);
        FloatVector o32 = FloatVector.fromArray(F, o, p3 + 2 * VL).mul(a3), o33 = FloatVector.fromArray(F, o, p3 + 3 * VL).mul(a3);
        for (int j = 0; j < kb; j++) {
            int r = vBase + j * PV, t = j * QB + i;
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

    private static void pv4x1(float[] s, float[] v, int vBase, int w, int d, int kb, int i, float[] o, int dc, VectorMask<Float> mask,
                              float[] alpha) {
        int p0 = i * d + dc, p1 = p0 + d, p2 = p1 + d, p3 = p2 + d;
        float a0 = alpha[i], a1 = alpha[i + 1], a2 = alpha[i + 2], a3 = alpha[i + 3];
        FloatVector o0 = FloatVector.fromArray(F, o, p0, mask).mul(a0), o1 = FloatVector.fromArray(F, o, p1, mask).mul(a1);
        FloatVector o2 = FloatVector.fromArray(F, o, p2, mask).mul(a2), o3 = FloatVector.fromArray(F, o, p3, mask).mul(a3);
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
