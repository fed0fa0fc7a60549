package livetalk.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out[r, o] = Σ_k x[r, k] · W[o, k] + b[o]} with x {@code [M, K]} (float32, row-major) and
 * W {@code [N, K]} read from its memory-mapped tensor in its own dtype.
 *
 * <p>Blocked like GotoBLAS/BLIS, with the roles chosen so that the weight is read (and widened)
 * once: each task owns a chunk of output columns (at most {@link #MAX_PANELS_PER_TASK} panels of
 * NR) and all rows. It first packs its slice of W into a thread-local buffer, per k-block of
 * {@link #KC} and panel laid out {@code [k][NR]} (transposed and widened to float; only the
 * chunk's slice, never the whole weight). Then, for each block of {@link #MC} rows, for each
 * k-block and panel, the micro-kernel sweeps the rows MR at a time: it keeps an MR × NR tile of
 * out in 24 vector registers and for each k broadcasts MR values of x and loads NR/VL vectors of
 * the panel (24 FMAs per 10 loads). The panel (32 KiB) stays in L1 over the row block, the row
 * block's tile of out stays in L2 over the k-blocks, in a contiguous thread-local buffer that is
 * copied to out once. The row block's slice of x for the k-block is copied into a thread-local
 * buffer with rows exactly {@link #KC} apart (see {@link #kernel} for why).
 * Rows ≤ {@link #GEMV_ROWS} (a matrix-vector product, memory-bound) take a dot-product path.
 *
 * <p>Block sizes can be overridden for tuning with the system properties {@code livetalk.gemm.kc},
 * {@code livetalk.gemm.mc} and {@code livetalk.gemm.nc} (read once, at class initialisation).
 */
final class Gemm {
    static final VectorSpecies<Float> F = Widen.F;
    static final int VL = Widen.VL;
    static final int MR = 6;
    static final int NR = 4 * VL;
    /**
     * k-block: an NR-wide panel of KC rows fills the L1 data cache (KC·NR·4 bytes: 128 rows = 32 KiB
     * on the AMD machines, with 512-bit vectors). At most 128 on every machine: each k-block's
     * products are summed in registers and then added to out, so KC sets the float results, and
     * with one value everywhere a seed gives the same video bits on every machine kind we run on
     * (the Intel kind's 48 KiB L1 would allow 192). The row and column blocks below do not change
     * any result and follow the caches freely.
     */
    static final int KC = Integer.getInteger("livetalk.gemm.kc", CacheInfo.fit(CacheInfo.L1D / (NR * 4L), 16, 64, 128));
    /** Row block: the block's rows of out stay in L2 across the k-blocks (C traffic once per block, not once per KC). */
    static final int MC = Math.max(MR, Integer.getInteger("livetalk.gemm.mc", 192) / MR * MR);
    /**
     * Widest column chunk of one task: its MC × NC tile of out takes half the L2 (the other half holds
     * the rows of x and the panels): 640 columns for a 1 MiB L2, 1344 for 2 MiB.
     */
    static final int MAX_PANELS_PER_TASK = Math.max(1, Integer.getInteger("livetalk.gemm.nc",
            CacheInfo.fit(CacheInfo.L2 / 2 / (MC * 4L), NR, NR, 64 * NR)) / NR);
    static final int GEMV_ROWS = 4;

    /** Per thread: a row block's tile of out, {@code [panel][MC][NR]} (at most 1 MB with a 2 MiB L2). */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> PANELS = ThreadLocal.withInitial(() -> new float[0]);
    /** Per thread: a row block's slice of x for one k-block, {@code [MC][KC]}. */
    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[MC * KC]);
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[MR * NR]);
    /** Per thread: {@link #pack}'s VL weight rows of a k-block and its gather offsets. */
    private static final ThreadLocal<float[]> PACK_ROWS = ThreadLocal.withInitial(() -> new float[VL * KC]);
    private static final ThreadLocal<int[]> PACK_STRIDE = ThreadLocal.withInitial(() -> new int[VL]);

    private Gemm() {
    }

    static void linear(float[] x, int xOff, float[] out, int outOff, int m, int k, int n, CpuWeight w, CpuWeight bias) {
        if (m == 0 || n == 0) return;
        float[] b = bias == null ? null : Widen.all(bias);
        if (m <= GEMV_ROWS) {
            Parallel.forRange(n, 64, (lo, hi) -> gemv(x, xOff, out, outOff, m, k, n, w, b, lo, hi));
            return;
        }
        int panels = (n + NR - 1) / NR;
        int threads = Parallel.threads();
        // Enough column chunks for two per thread (balance), a multiple of the thread count, each at most
        // MAX_PANELS_PER_TASK wide; when there are fewer panels than threads, rows are split too.
        int chunks = Math.max(2 * threads, (panels + MAX_PANELS_PER_TASK - 1) / MAX_PANELS_PER_TASK);
        chunks = ((chunks + threads - 1) / threads) * threads;
        chunks = Math.min(chunks, panels);
        int perChunk = (panels + chunks - 1) / chunks;
        int colTasks = (panels + perChunk - 1) / perChunk;
        int rowTasks = colTasks >= threads ? 1 : Math.max(1, Math.min((2 * threads + colTasks - 1) / colTasks, m / (4 * MR)));
        int rowsPer = ((m + rowTasks - 1) / rowTasks + MR - 1) / MR * MR;
        int rowTaskCount = (m + rowsPer - 1) / rowsPer;
        Parallel.forEach(colTasks * rowTaskCount, t -> {
            int c = t % colTasks, r = t / colTasks;
            int n0 = c * perChunk * NR, n1 = Math.min(n, n0 + perChunk * NR);
            int m0 = r * rowsPer, m1 = Math.min(m, m0 + rowsPer);
            block(x, xOff, out, outOff, m0, m1, k, n, n0, n1, w, b);
        });
    }

    /** Rows {@code [m0, m1)} × columns {@code [n0, n1)} of out (n1 - n0 ≤ MAX_PANELS_PER_TASK·NR). */
    private static void block(float[] x, int xOff, float[] out, int outOff, int m0, int m1, int k, int n, int n0, int n1,
                              CpuWeight w, float[] b) {
        int nc = n1 - n0;
        if (k == 0) {   // no k-block to write out: it is the bias (or 0)
            for (int r = m0; r < m1; r++) {
                int o = outOff + r * n + n0;
                if (b == null) java.util.Arrays.fill(out, o, o + nc, 0f);
                else System.arraycopy(b, n0, out, o, nc);
            }
            return;
        }
        int panels = (nc + NR - 1) / NR;
        // The chunk's whole weight slice, packed once: k-block pc holds panels·NR·kc floats from offset pc·panels·NR.
        int need = k * panels * NR;
        float[] bp = PANELS.get();
        if (bp.length < need) {
            bp = new float[need];
            PANELS.set(bp);
        }
        float[] scratch = SCRATCH.get(), packRows = PACK_ROWS.get();
        int[] packStride = PACK_STRIDE.get();
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            for (int p = 0; p < panels; p++) {
                pack(w, k, n0 + p * NR, Math.min(NR, nc - p * NR), pc, kc, bp, pc * panels * NR + p * kc * NR, packRows, packStride);
            }
        }
        // Row blocks of MC outermost: the block's tile of out (MC × chunk) stays in L2 across all k-blocks,
        // in a buffer of its own, cb[panel][row][NR], copied to out after the last k-block. There a
        // micro-kernel's 6 × NR tile is 1.5 KB in a row; in out its rows lie n floats apart, and with n
        // a multiple of 1024 they shared a few L1 sets with the x rows and pushed the panel out of L1
        // (the six DiT shapes 1-13 % faster on the Intel Xeon, interleaved pairs; the same bits).
        // Each panel (KC·NR floats, L1) sweeps the block's rows.
        float[] cb = TILE.get();
        if (cb.length < MC * panels * NR) {
            cb = new float[MC * panels * NR];
            TILE.set(cb);
        }
        float[] xs = ROWS.get();
        int full = m0 + (m1 - m0) / MR * MR;
        for (int ic = m0; ic < m1; ic += MC) {
            int icEnd = Math.min(m1, ic + MC), icFull = Math.min(full, icEnd);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                for (int r = ic; r < icFull; r++) System.arraycopy(x, xOff + r * k + pc, xs, (r - ic) * KC, kc);
                for (int p = 0; p < panels; p++) {
                    int cols = Math.min(NR, nc - p * NR);
                    int b0 = pc * panels * NR + p * kc * NR;
                    int col = n0 + p * NR;
                    boolean first = pc == 0;
                    int r = ic;
                    for (; r < icFull; r += MR) {
                        int c = (p * MC + r - ic) * NR;
                        if (cols == NR) kernel(xs, (r - ic) * KC, bp, b0, kc, cb, c, NR, first, b, col);
                        else edge(xs, (r - ic) * KC, KC, MR, bp, b0, kc, cb, c, NR, cols, scratch, first, b, col);
                    }
                    if (r < icEnd) edge(x, xOff + r * k + pc, k, icEnd - r, bp, b0, kc, cb, (p * MC + r - ic) * NR, NR, cols, scratch, first, b, col);
                }
            }
            for (int r = ic; r < icEnd; r++) {
                for (int p = 0; p < panels; p++) {
                    System.arraycopy(cb, (p * MC + r - ic) * NR, out, outOff + r * n + n0 + p * NR, Math.min(NR, nc - p * NR));
                }
            }
        }
    }

    /**
     * {@code bp[off + kk·NR + j] = W[o0 + j, pc + kk]}, zero for {@code j ≥ cols}. A vector's width
     * of weight rows at a time is widened into {@code rows} ({@code [VL][kc]}, contiguous reads), then
     * each kk's VL values are gathered across those rows into one vector store. Storing element by
     * element instead, NR floats apart, took 5 % of a [3072,1536]·[1536,1536]^T product on one
     * thread; gathering takes 2.5 % (2-core Intel Xeon, phase timers in a copy of this class,
     * 2026-11-29). The values are only moved: the same bits.
     */
    private static void pack(CpuWeight w, int k, int o0, int cols, int pc, int kc, float[] bp, int off, float[] rows, int[] stride) {
        for (int i = 0; i < VL; i++) stride[i] = i * kc;
        for (int j0 = 0; j0 < NR; j0 += VL) {
            for (int jj = 0; jj < VL; jj++) {
                if (j0 + jj < cols) Widen.run(w, (long) (o0 + j0 + jj) * k + pc, kc, rows, jj * kc);
                else java.util.Arrays.fill(rows, jj * kc, (jj + 1) * kc, 0f);
            }
            for (int kk = 0; kk < kc; kk++) FloatVector.fromArray(F, rows, kk, stride, 0).intoArray(bp, off + kk * NR + j0);
        }
    }

    /**
     * The MR × NR micro-kernel: {@code c[i, :] += Σ_kk a[i, kk] · bp[kk, :]}, 24 accumulators, with the
     * MR rows of a {@link #KC} floats apart from {@code aOff}. For the
     * first k-block ({@code first}) c is not read: the sums are added to the bias columns from
     * {@code col} (or to +0 without one), the same additions a cleared or bias-filled out would get, so
     * out is never filled beforehand and its first pass costs no reads.
     *
     * <p>Why the rows are copied KC apart: then the six values broadcast each step sit at constant
     * offsets from one index, and C2 addresses them straight from it. With x's rows read in place,
     * {@code lda} apart, it spent an address addition per row and step (46 µops a step against 40):
     * alone, with everything in L1, the copied form ran 1.3-1.4× faster (2-core Intel Xeon, one
     * pinned thread, interleaved in one process), and in place the rows' stride (6 or 35 KiB at the
     * DiT's shapes) also put them in few L1 sets. A whole product gained less (one thread,
     * [3072,1536]·[1536,1536]^T, interleaved: median 1.06 in a busy stretch, 1.00 in a quiet one),
     * the panels' and the tile's trips through L2 weighing more there. The same products in the
     * same order: the same bits.
     */
    private static void kernel(float[] a, int aOff, float[] bp, int bOff, int kc, float[] c, int cOff, int ldc,
                               boolean first, float[] bias, int col) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
        for (int ia = aOff, bb = bOff, end = aOff + kc; ia < end; ia++, bb += NR) {
            FloatVector b0 = FloatVector.fromArray(F, bp, bb);
            FloatVector b1 = FloatVector.fromArray(F, bp, bb + VL);
            FloatVector b2 = FloatVector.fromArray(F, bp, bb + 2 * VL);
            FloatVector b3 = FloatVector.fromArray(F, bp, bb + 3 * VL);
            FloatVector v = FloatVector.broadcast(F, a[ia]);
            c00 = b0.fma(v, c00); c01 = b1.fma(v, c01); c02 = b2.fma(v, c02); c03 = b3.fma(v, c03);
            v = FloatVector.broadcast(F, a[ia + KC]);
            c10 = b0.fma(v, c10); c11 = b1.fma(v, c11); c12 = b2.fma(v, c12); c13 = b3.fma(v, c13);
            v = FloatVector.broadcast(F, a[ia + 2 * KC]);
            c20 = b0.fma(v, c20); c21 = b1.fma(v, c21); c22 = b2.fma(v, c22); c23 = b3.fma(v, c23);
            v = FloatVector.broadcast(F, a[ia + 3 * KC]);
            c30 = b0.fma(v, c30); c31 = b1.fma(v, c31); c32 = b2.fma(v, c32); c33 = b3.fma(v, c33);
            v = FloatVector.broadcast(F, a[ia + 4 * KC]);
            c40 = b0.fma(v, c40); c41 = b1.fma(v, c41); c42 = b2.fma(v, c42); c43 = b3.fma(v, c43);
            v = FloatVector.broadcast(F, a[ia + 5 * KC]);
            c50 = b0.fma(v, c50); c51 = b1.fma(v, c51); c52 = b2.fma(v, c52); c53 = b3.fma(v, c53);
        }
        // Stores written out: a helper taking vectors would not be inlined here and would box them. The
        // first k-block adds its sums to the bias (or +0), the others to what the tile holds.
        FloatVector i0 = z, i1 = z, i2 = z, i3 = z;
        if (first && bias != null) {
            i0 = FloatVector.fromArray(F, bias, col);
            i1 = FloatVector.fromArray(F, bias, col + VL);
            i2 = FloatVector.fromArray(F, bias, col + 2 * VL);
            i3 = FloatVector.fromArray(F, bias, col + 3 * VL);
        }
        int o0 = cOff;
        c00.add(first ? i0 : FloatVector.fromArray(F, c, o0)).intoArray(c, o0);
        c01.add(first ? i1 : FloatVector.fromArray(F, c, o0 + VL)).intoArray(c, o0 + VL);
        c02.add(first ? i2 : FloatVector.fromArray(F, c, o0 + 2 * VL)).intoArray(c, o0 + 2 * VL);
        c03.add(first ? i3 : FloatVector.fromArray(F, c, o0 + 3 * VL)).intoArray(c, o0 + 3 * VL);
        int o1 = cOff + ldc;
        c10.add(first ? i0 : FloatVector.fromArray(F, c, o1)).intoArray(c, o1);
        c11.add(first ? i1 : FloatVector.fromArray(F, c, o1 + VL)).intoArray(c, o1 + VL);
        c12.add(first ? i2 : FloatVector.fromArray(F, c, o1 + 2 * VL)).intoArray(c, o1 + 2 * VL);
        c13.add(first ? i3 : FloatVector.fromArray(F, c, o1 + 3 * VL)).intoArray(c, o1 + 3 * VL);
        int o2 = cOff + 2 * ldc;
        c20.add(first ? i0 : FloatVector.fromArray(F, c, o2)).intoArray(c, o2);
        c21.add(first ? i1 : FloatVector.fromArray(F, c, o2 + VL)).intoArray(c, o2 + VL);
        c22.add(first ? i2 : FloatVector.fromArray(F, c, o2 + 2 * VL)).intoArray(c, o2 + 2 * VL);
        c23.add(first ? i3 : FloatVector.fromArray(F, c, o2 + 3 * VL)).intoArray(c, o2 + 3 * VL);
        int o3 = cOff + 3 * ldc;
        c30.add(first ? i0 : FloatVector.fromArray(F, c, o3)).intoArray(c, o3);
        c31.add(first ? i1 : FloatVector.fromArray(F, c, o3 + VL)).intoArray(c, o3 + VL);
        c32.add(first ? i2 : FloatVector.fromArray(F, c, o3 + 2 * VL)).intoArray(c, o3 + 2 * VL);
        c33.add(first ? i3 : FloatVector.fromArray(F, c, o3 + 3 * VL)).intoArray(c, o3 + 3 * VL);
        int o4 = cOff + 4 * ldc;
        c40.add(first ? i0 : FloatVector.fromArray(F, c, o4)).intoArray(c, o4);
        c41.add(first ? i1 : FloatVector.fromArray(F, c, o4 + VL)).intoArray(c, o4 + VL);
        c42.add(first ? i2 : FloatVector.fromArray(F, c, o4 + 2 * VL)).intoArray(c, o4 + 2 * VL);
        c43.add(first ? i3 : FloatVector.fromArray(F, c, o4 + 3 * VL)).intoArray(c, o4 + 3 * VL);
        int o5 = cOff + 5 * ldc;
        c50.add(first ? i0 : FloatVector.fromArray(F, c, o5)).intoArray(c, o5);
        c51.add(first ? i1 : FloatVector.fromArray(F, c, o5 + VL)).intoArray(c, o5 + VL);
        c52.add(first ? i2 : FloatVector.fromArray(F, c, o5 + 2 * VL)).intoArray(c, o5 + 2 * VL);
        c53.add(first ? i3 : FloatVector.fromArray(F, c, o5 + 3 * VL)).intoArray(c, o5 + 3 * VL);
    }

    /**
     * The micro-kernel alone, {@code calls} times on the calling thread over six rows and one panel
     * that stay in L1 (no packing, no tile traffic, nothing to wait for): the most a loop with the
     * kernel's loads reaches at this moment, for {@code bench}. Returns the FLOPs done.
     */
    static double kernelAlone(int calls) {
        float[] a = new float[MR * KC], bp = new float[KC * NR], c = new float[MR * NR];
        java.util.Arrays.fill(a, 1e-3f);
        java.util.Arrays.fill(bp, 1e-3f);
        for (int i = 0; i < calls; i++) kernel(a, 0, bp, 0, KC, c, 0, NR, false, null, 0);
        if (c[0] < 0) throw new AssertionError();   // keeps the sums alive: they only grow
        return 2.0 * MR * NR * KC * calls;
    }

    /** Edge tiles (fewer than MR rows or NR columns): one row at a time through a scratch row; {@code first} as in {@link #kernel}. */
    private static void edge(float[] a, int aOff, int lda, int rows, float[] bp, int bOff, int kc, float[] c, int cOff, int ldc,
                             int cols, float[] scratch, boolean first, float[] bias, int col) {
        for (int i = 0; i < rows; i++) {
            FloatVector z = FloatVector.zero(F);
            FloatVector s0 = z, s1 = z, s2 = z, s3 = z;
            int ai = aOff + i * lda;
            for (int kk = 0; kk < kc; kk++) {
                int bb = bOff + kk * NR;
                FloatVector v = FloatVector.broadcast(F, a[ai + kk]);
                s0 = FloatVector.fromArray(F, bp, bb).fma(v, s0);
                s1 = FloatVector.fromArray(F, bp, bb + VL).fma(v, s1);
                s2 = FloatVector.fromArray(F, bp, bb + 2 * VL).fma(v, s2);
                s3 = FloatVector.fromArray(F, bp, bb + 3 * VL).fma(v, s3);
            }
            s0.intoArray(scratch, 0);
            s1.intoArray(scratch, VL);
            s2.intoArray(scratch, 2 * VL);
            s3.intoArray(scratch, 3 * VL);
            int ci = cOff + i * ldc;
            if (!first) for (int j = 0; j < cols; j++) c[ci + j] += scratch[j];
            else if (bias == null) for (int j = 0; j < cols; j++) c[ci + j] = 0f + scratch[j];
            else for (int j = 0; j < cols; j++) c[ci + j] = bias[col + j] + scratch[j];
        }
    }

    /** Few rows: each output is a dot product of a widened weight row with up to 4 rows of x. */
    private static void gemv(float[] x, int xOff, float[] out, int outOff, int m, int k, int n, CpuWeight w, float[] b, int lo, int hi) {
        float[] row = new float[k];
        float[] lanes = new float[VL];
        int r1 = Math.min(1, m - 1), r2 = Math.min(2, m - 1), r3 = Math.min(3, m - 1);
        int x0 = xOff, x1 = xOff + r1 * k, x2 = xOff + r2 * k, x3 = xOff + r3 * k;
        for (int o = lo; o < hi; o++) {
            Widen.run(w, (long) o * k, k, row, 0);
            FloatVector z = FloatVector.zero(F);
            FloatVector s0 = z, s1 = z, s2 = z, s3 = z;
            int kk = 0;
            for (; kk <= k - VL; kk += VL) {
                FloatVector wv = FloatVector.fromArray(F, row, kk);
                s0 = FloatVector.fromArray(F, x, x0 + kk).fma(wv, s0);
                s1 = FloatVector.fromArray(F, x, x1 + kk).fma(wv, s1);
                s2 = FloatVector.fromArray(F, x, x2 + kk).fma(wv, s2);
                s3 = FloatVector.fromArray(F, x, x3 + kk).fma(wv, s3);
            }
            // reduceLanes(ADD) leaves the float summation order unspecified (the JIT intrinsic and the
            // interpreted fallback differ in the last bit), so lanes are summed in a fixed order.
            float d0 = sumLanes(s0, lanes), d1 = sumLanes(s1, lanes), d2 = sumLanes(s2, lanes), d3 = sumLanes(s3, lanes);
            for (; kk < k; kk++) {
                float wk = row[kk];
                d0 += x[x0 + kk] * wk;
                d1 += x[x1 + kk] * wk;
                d2 += x[x2 + kk] * wk;
                d3 += x[x3 + kk] * wk;
            }
            float bo = b == null ? 0f : b[o];
            out[outOff + o] = d0 + bo;
            if (m > 1) out[outOff + n + o] = d1 + bo;
            if (m > 2) out[outOff + 2 * n + o] = d2 + bo;
            if (m > 3) out[outOff + 3 * n + o] = d3 + bo;
        }
    }

    /** The lanes of {@code v} added left to right: the same result in every JIT tier. */
    private static float sumLanes(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = 0f;
        for (float l : lanes) s += l;
        return s;
    }
}
