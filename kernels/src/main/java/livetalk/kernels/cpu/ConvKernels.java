package livetalk.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import livetalk.kernels.Conv3dSpec;

/**
 * Fast CPU kernels for the VAE section of the backend, checked against {@link VaeReferenceKernels}.
 *
 * <p>conv3d works one output row (frame t, row y) per task, in parallel over rows: it gathers the
 * receptive field of the row into a panel {@code P[k][x]} (k = ((dt·kh + dy)·kw + dx)·cin + c, x the
 * output column, zero where the input is padding; an im2col of a single row, where a stride-1 conv
 * stores each padded input row once for its kw taps, see {@code row}) and multiplies it by
 * the weight repacked as {@code W[k][o]} (by k-block, then in groups of {@link #GROUP} output channels, {@link #weightAt}),
 * a GEMM with the output columns in vector lanes. K is
 * blocked so a panel block stays in L2. Taps that fall on front time padding are skipped entirely,
 * so the first frame of a causal conv costs a third of a full one.
 *
 * <p>One copy of every weight (docs/kernels.md#kernel-families): the weight stays in its file dtype
 * and each call packs it into {@code W[k][o]} order in a working buffer of the calling thread, reused by
 * the next call (it grows to the largest conv weight, 27 MB for 512 → 512 channels 3×3×3). Packing
 * reads the weight once per call; the call does {@code 2·outputPixels} FLOPs per weight element
 * (at least 2·64·64 at the VAE's latent resolution), so the packing is well under 1 % of the call.
 */
final class ConvKernels {
    private ConvKernels() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * The columns one tile takes: 4 vectors. Every width the VAE runs at 512×512 video (64, 128, 256,
     * 512) is a whole number of 4-vector strips with 16 lanes; 3-vector strips computed 12 % of
     * columns for nothing at 128 and 256 and a third at 64.
     */
    private static final int STRIP = 4 * L;
    /**
     * Output channels per tile and per group of the packed weight: 6 × 4 vectors, 24 accumulators
     * (4 panel loads and 6 broadcasts per 24 FMAs). The decoder's 96, 192 and 384 channels are whole
     * groups.
     */
    static final int GROUP = 6;
    /**
     * K rows per block: the block's packed strip, KC·STRIP floats, takes half the L1 data cache (64
     * rows = 16 KiB of a 32 KiB L1d with AVX-512, 96 of a 48 KiB one); the tiles' weights stream
     * through the rest. The k-block changes no result: the sums go on in acc.
     */
    private static final int KC = CacheInfo.fit(CacheInfo.L1D / 2 / ((long) STRIP * 4), 16, 32, 512);

    /** Per calling thread: the packed weight of the current call (grown, never shrunk). */
    private static final ThreadLocal<float[][]> PACKED = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    private static final class Scratch {
        float[] panel = new float[0];
        float[] strip = new float[KC * STRIP];
        float[] acc = new float[0];
        int[] rowOf = new int[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * {@code W[k][o]} with k = ((dt·kh + dy)·kw + dx)·cin + c, from PyTorch's {@code [o][c][dt][dy][dx]},
     * into the calling thread's working buffer (valid until its next call), at {@link #weightAt}.
     */
    static float[] packed(CpuWeight w, Conv3dSpec s) {
        int cin = s.cin(), cout = s.cout(), taps = s.kt() * s.kh() * s.kw();
        int size = Math.toIntExact(s.weightSize()), k = cin * taps;
        float[][] holder = PACKED.get();
        if (holder[0].length < size) holder[0] = new float[size];
        float[] q = holder[0];
        int[] from = new int[k];                          // k = tap·cin + c comes from W[o][c·taps + tap]
        for (int tap = 0; tap < taps; tap++) {
            for (int c = 0; c < cin; c++) from[tap * cin + c] = c * taps + tap;
        }
        Parallel.forRange(cout, 1, (o0, o1) -> {
            float[] row = new float[cin * taps];          // W[o][·], widened from the file dtype in one run
            for (int o = o0; o < o1; o++) {
                Widen.run(w, (long) o * cin * taps, row.length, row, 0);
                int stride = weightStride(o, cout);
                for (int kb0 = 0; kb0 < k; kb0 += KC) {
                    int at = weightAt(o, kb0, cout, k), kbEnd = Math.min(k, kb0 + KC);
                    for (int kk = kb0; kk < kbEnd; kk++, at += stride) q[at] = row[from[kk]];
                }
            }
        });
        return q;
    }

    /**
     * Where W[k][o] lies in the packed buffer: k in blocks of {@link #KC} at fixed boundaries (multiples
     * of KC), each block {@code [group][k in block][GROUP]} for the channels in whole groups of
     * GROUP, then {@code [k in block][rest]} for the channels past them. A tile of GROUP channels
     * over one k-block reads its weights as one contiguous run, consecutive k GROUP floats apart
     * ({@link #weightStride}), and the tiles of a k-block, which run in channel order, read the block
     * front to back: one stream for the hardware prefetcher per k-block and strip. With the groups
     * whole over all of K ({@code [group][k][GROUP]}), each tile's run was a few KB at a new place
     * a group's K·GROUP floats away, and at 384 channels (16 MB of weights, streamed from L3 for
     * every output row) a 3×3×3 conv ran about 9 % slower (2-core Intel Xeon, median of three runs
     * of 9–12 interleaved pairs: 1.075, 1.087, 1.097; 96 channels 1.04–1.08, 192 channels 0.96–1.07);
     * a whole 512×512 latent frame ({@code bench-vae --frames 2}, 7 interleaved pairs, a busy
     * machine in the last three): new/old 0.92 by the median, 0.80–1.07.
     * Groups rather than W[k][o] rows of cout floats: those touched a new cache line at every k
     * (the same machine, groups of 8 then: 14 % at 384 channels). The same values in the same order:
     * no result changes.
     */
    static int weightAt(int o, int k, int cout, int kTotal) {
        int kb0 = k / KC * KC, kLen = Math.min(KC, kTotal - kb0), full = cout / GROUP * GROUP;
        return o < full ? kb0 * cout + (o / GROUP) * kLen * GROUP + (k - kb0) * GROUP + o % GROUP
                        : kb0 * cout + full * kLen + (k - kb0) * (cout - full) + (o - full);
    }

    /** The distance between consecutive k of output channel o in the packed buffer (within a k-block). */
    static int weightStride(int o, int cout) {
        int full = cout / GROUP * GROUP;
        return o < full ? GROUP : cout - full;
    }

    static void conv3d(float[] hist, int histOff, int histFrames, float[] x, int xOff, int frames, int h, int w,
                       float[] out, int outOff, Conv3dSpec s, CpuWeight weight, CpuWeight bias) {
        int tOut = s.outFrames(histFrames + frames), hOut = s.outH(h), wOut = s.outW(w);
        float[] wk = packed(weight, s);
        float[] b = new float[s.cout()];
        if (bias != null) for (int o = 0; o < b.length; o++) b[o] = bias.at(o);
        Parallel.forEach(tOut * hOut, task -> {
            int t = task / hOut, y = task % hOut;
            row(hist, histOff, histFrames, x, xOff, h, w, out, outOff, s, wk, b, t, y, hOut, wOut);
        });
    }

    private static void row(float[] hist, int histOff, int histFrames, float[] x, int xOff, int h, int w,
                            float[] out, int outOff, Conv3dSpec s, float[] wk, float[] bias, int t, int y, int hOut, int wOut) {
        int cin = s.cin(), cout = s.cout(), kt = s.kt(), kh = s.kh(), kw = s.kw();
        // The row's width in whole strips, the only tiles there are: the columns past wOut are computed
        // and never stored. Narrower strips had tiles of their own, called far less often than the full
        // ones, so they ran interpreted long enough to be compiled on stack first; after that, on the
        // 2-core Intel build machine (2026-11-28, 3 runs of 3) C2's code for a 2-vector tile kept every
        // accumulator boxed (JFR: allocations in the inlined fma, 87 % of samples), and a 128×128 block
        // took 90–140 s instead of 30–45 s. Each column's sum is the same either way.
        int wp = (wOut + STRIP - 1) / STRIP * STRIP;
        int tapK = kh * kw * cin;                                 // k values per time tap
        int dtMin = Math.max(0, s.padFront() - t * s.st());       // taps before this one read zero frames
        int kBegin = Math.min(dtMin, kt) * tapK, kEnd = kt * tapK;
        Scratch sc = SCRATCH.get();
        if (sc.rowOf.length < kEnd - kBegin) sc.rowOf = new int[kEnd - kBegin];
        if (sc.acc.length < cout * wp) sc.acc = new float[cout * wp];
        int[] rowOf = sc.rowOf;
        float[] acc = sc.acc;
        int frame = cin * h * w;

        // 1. Gather the receptive field of output row (t, y): row k of the panel, P[k - kBegin][x], starts
        // at rowOf[k - kBegin]. With stride 1 the kw taps of one input row are the same padded row
        // shifted by dx, so it is stored once (wp + kw - 1 floats: column x of tap dx is element x + dx)
        // and rowOf points into it: a third of the panel a 3-wide kernel had, the part of the work that
        // is only memory traffic. Lanes past wOut read real values there instead of zeros; their sums
        // are never stored.
        boolean shared = s.sw() == 1;
        int rowLen = shared ? wp + kw - 1 : wp;
        int rows = shared ? (kt - Math.min(dtMin, kt)) * kh * cin : kEnd - kBegin;
        if (sc.panel.length < rows * rowLen) sc.panel = new float[rows * rowLen];
        float[] panel = sc.panel;
        for (int dt = dtMin; dt < kt; dt++) {
            int tau = t * s.st() + dt - s.padFront();
            float[] src = tau < histFrames ? hist : x;
            int fBase = tau < histFrames ? histOff + tau * frame : xOff + (tau - histFrames) * frame;
            for (int dy = 0; dy < kh; dy++) {
                int yi = y * s.sh() + dy - s.padTop();
                boolean inside = yi >= 0 && yi < h;
                for (int c = 0; c < cin; c++) {
                    int rowBase = fBase + (c * h + yi) * w;
                    if (shared) {
                        int p = (((dt - dtMin) * kh + dy) * cin + c) * rowLen;
                        int lo = Math.min(s.padLeft(), rowLen), n = inside ? Math.max(0, Math.min(w, rowLen - lo)) : 0;
                        java.util.Arrays.fill(panel, p, p + lo, 0f);
                        if (n > 0) System.arraycopy(src, rowBase, panel, p + lo, n);
                        java.util.Arrays.fill(panel, p + lo + n, p + rowLen, 0f);
                        for (int dx = 0; dx < kw; dx++) rowOf[((dt * kh + dy) * kw + dx) * cin + c - kBegin] = p + dx;
                        continue;
                    }
                    for (int dx = 0; dx < kw; dx++) {
                        int k = ((dt * kh + dy) * kw + dx) * cin + c - kBegin, p = k * wp;
                        rowOf[k] = p;
                        for (int xo = 0; xo < wp; xo++) {
                            int xi = xo * s.sw() + dx - s.padLeft();
                            panel[p + xo] = inside && xo < wOut && xi >= 0 && xi < w ? src[rowBase + xi] : 0f;
                        }
                    }
                }
            }
        }

        // 2. acc[o][x] = bias[o] + Σ_k W[k][o]·P[k][x], K blocked so a panel block stays in cache.
        for (int o = 0; o < cout; o++) java.util.Arrays.fill(acc, o * wp, o * wp + wp, bias[o]);
        // Loop order: a K block of KC rows, then a strip of columns, copied into a contiguous
        // [KC][STRIP] block (L1-resident), then all output-channel tiles over that block (the weight
        // block stays in L2). Why the copy: the tiles then address the strip and the weights as
        // k·STRIP and k·GROUP, which C2's range-check elimination hoists out of the loop. Read through
        // rowOf, every panel and weight load kept a compare and branch, the weight array lived in a
        // vector register for want of general ones (two vmovq a step) and the row and weight offsets
        // were an imul and loads from the stack: 16 integer operations per 24 FMAs (the JIT's code
        // under gdb), and a 3×3×3 conv ran at 55-60 % of the one-thread FMA peak (2-core Intel Xeon).
        float[] strip = sc.strip;
        // k-blocks end at multiples of KC, where the packed weight's blocks end (weightAt); the first
        // may start inside one, where taps on front padding are skipped
        for (int k0 = kBegin, k1; k0 < kEnd; k0 = k1) {
            k1 = Math.min(kEnd, (k0 / KC + 1) * KC);
            int kc = k1 - k0;
            for (int xv = 0; xv < wp; xv += STRIP) {
                for (int k = k0; k < k1; k++) {
                    int src = rowOf[k - kBegin] + xv, dst = (k - k0) * STRIP;
                    for (int j = 0; j < STRIP; j += L) FloatVector.fromArray(S, panel, src + j).intoArray(strip, dst + j);
                }
                int o = 0;
                for (; o + GROUP <= cout; o += GROUP) tile6x4(wk, strip, acc, kc, o, xv, weightAt(o, k0, cout, kEnd), wp);
                for (; o < cout; o++) tile1x4(wk, strip, acc, kc, o, xv, weightAt(o, k0, cout, kEnd), weightStride(o, cout), wp);
            }
        }

        // 3. Store the valid columns of the row.
        for (int o = 0; o < cout; o++) {
            System.arraycopy(acc, o * wp, out, outOff + ((t * cout + o) * hOut + y) * wOut, wOut);
        }
    }

    /**
     * Output channels o..o+5 × the strip's 4 vectors of columns (at xv in acc): 24 accumulators, over
     * the kc rows of the packed strip {@code strip[k·STRIP + j]} and the weights {@code wk[wb + k·GROUP + i]}.
     */
    private static void tile6x4(float[] wk, float[] strip, float[] acc, int kc, int o, int xv, int wb, int wp) {
        int a0 = o * wp + xv, a1 = a0 + wp, a2 = a1 + wp, a3 = a2 + wp, a4 = a3 + wp, a5 = a4 + wp;
        FloatVector c00 = FloatVector.fromArray(S, acc, a0), c01 = FloatVector.fromArray(S, acc, a0 + L), c02 = FloatVector.fromArray(S, acc, a0 + 2 * L), c03 = FloatVector.fromArray(S, acc, a0 + 3 * L);
        FloatVector c10 = FloatVector.fromArray(S, acc, a1), c11 = FloatVector.fromArray(S, acc, a1 + L), c12 = FloatVector.fromArray(S, acc, a1 + 2 * L), c13 = FloatVector.fromArray(S, acc, a1 + 3 * L);
        FloatVector c20 = FloatVector.fromArray(S, acc, a2), c21 = FloatVector.fromArray(S, acc, a2 + L), c22 = FloatVector.fromArray(S, acc, a2 + 2 * L), c23 = FloatVector.fromArray(S, acc, a2 + 3 * L);
        FloatVector c30 = FloatVector.fromArray(S, acc, a3), c31 = FloatVector.fromArray(S, acc, a3 + L), c32 = FloatVector.fromArray(S, acc, a3 + 2 * L), c33 = FloatVector.fromArray(S, acc, a3 + 3 * L);
        FloatVector c40 = FloatVector.fromArray(S, acc, a4), c41 = FloatVector.fromArray(S, acc, a4 + L), c42 = FloatVector.fromArray(S, acc, a4 + 2 * L), c43 = FloatVector.fromArray(S, acc, a4 + 3 * L);
        FloatVector c50 = FloatVector.fromArray(S, acc, a5), c51 = FloatVector.fromArray(S, acc, a5 + L), c52 = FloatVector.fromArray(S, acc, a5 + 2 * L), c53 = FloatVector.fromArray(S, acc, a5 + 3 * L);
        for (int k = 0; k < kc; k++) {
            int p = k * STRIP, q = wb + k * GROUP;
            FloatVector b0 = FloatVector.fromArray(S, strip, p), b1 = FloatVector.fromArray(S, strip, p + L);
            FloatVector b2 = FloatVector.fromArray(S, strip, p + 2 * L), b3 = FloatVector.fromArray(S, strip, p + 3 * L);
            FloatVector w = FloatVector.broadcast(S, wk[q]);
            c00 = b0.fma(w, c00); c01 = b1.fma(w, c01); c02 = b2.fma(w, c02); c03 = b3.fma(w, c03);
            w = FloatVector.broadcast(S, wk[q + 1]);
            c10 = b0.fma(w, c10); c11 = b1.fma(w, c11); c12 = b2.fma(w, c12); c13 = b3.fma(w, c13);
            w = FloatVector.broadcast(S, wk[q + 2]);
            c20 = b0.fma(w, c20); c21 = b1.fma(w, c21); c22 = b2.fma(w, c22); c23 = b3.fma(w, c23);
            w = FloatVector.broadcast(S, wk[q + 3]);
            c30 = b0.fma(w, c30); c31 = b1.fma(w, c31); c32 = b2.fma(w, c32); c33 = b3.fma(w, c33);
            w = FloatVector.broadcast(S, wk[q + 4]);
            c40 = b0.fma(w, c40); c41 = b1.fma(w, c41); c42 = b2.fma(w, c42); c43 = b3.fma(w, c43);
            w = FloatVector.broadcast(S, wk[q + 5]);
            c50 = b0.fma(w, c50); c51 = b1.fma(w, c51); c52 = b2.fma(w, c52); c53 = b3.fma(w, c53);
        }
        c00.intoArray(acc, a0); c01.intoArray(acc, a0 + L); c02.intoArray(acc, a0 + 2 * L); c03.intoArray(acc, a0 + 3 * L);
        c10.intoArray(acc, a1); c11.intoArray(acc, a1 + L); c12.intoArray(acc, a1 + 2 * L); c13.intoArray(acc, a1 + 3 * L);
        c20.intoArray(acc, a2); c21.intoArray(acc, a2 + L); c22.intoArray(acc, a2 + 2 * L); c23.intoArray(acc, a2 + 3 * L);
        c30.intoArray(acc, a3); c31.intoArray(acc, a3 + L); c32.intoArray(acc, a3 + 2 * L); c33.intoArray(acc, a3 + 3 * L);
        c40.intoArray(acc, a4); c41.intoArray(acc, a4 + L); c42.intoArray(acc, a4 + 2 * L); c43.intoArray(acc, a4 + 3 * L);
        c50.intoArray(acc, a5); c51.intoArray(acc, a5 + L); c52.intoArray(acc, a5 + 2 * L); c53.intoArray(acc, a5 + 3 * L);
    }

    /** One output channel past the last whole group × the strip's 4 vectors, weights {@code wk[wb + k·ws]}. */
    private static void tile1x4(float[] wk, float[] strip, float[] acc, int kc, int o, int xv, int wb, int ws, int wp) {
        int a0 = o * wp + xv;
        FloatVector c0 = FloatVector.fromArray(S, acc, a0), c1 = FloatVector.fromArray(S, acc, a0 + L);
        FloatVector c2 = FloatVector.fromArray(S, acc, a0 + 2 * L), c3 = FloatVector.fromArray(S, acc, a0 + 3 * L);
        for (int k = 0; k < kc; k++) {
            int p = k * STRIP;
            FloatVector w = FloatVector.broadcast(S, wk[wb + k * ws]);
            c0 = FloatVector.fromArray(S, strip, p).fma(w, c0);
            c1 = FloatVector.fromArray(S, strip, p + L).fma(w, c1);
            c2 = FloatVector.fromArray(S, strip, p + 2 * L).fma(w, c2);
            c3 = FloatVector.fromArray(S, strip, p + 3 * L).fma(w, c3);
        }
        c0.intoArray(acc, a0); c1.intoArray(acc, a0 + L); c2.intoArray(acc, a0 + 2 * L); c3.intoArray(acc, a0 + 3 * L);
    }

    // ------------------------------------------------------------------ channel norm, resampling, transpose

    static void rmsNormChannels(float[] x, int xOff, float[] out, int outOff, int frames, int channels, int pixels, float eps,
                                CpuWeight gamma, boolean silu) {
        final int block = 512;
        int blocks = (pixels + block - 1) / block;
        float scale = (float) Math.sqrt(channels);
        float[] g = new float[channels];
        for (int c = 0; c < channels; c++) g[c] = gamma.at(c);
        Parallel.forEach(frames * blocks, task -> {
            int t = task / blocks, p0 = (task % blocks) * block, n = Math.min(block, pixels - p0);
            int base = t * channels * pixels + p0;
            float[] inv = new float[n];
            for (int c = 0; c < channels; c++) {
                int i = xOff + base + c * pixels;
                for (int p = 0; p < n; p++) inv[p] += x[i + p] * x[i + p];
            }
            for (int p = 0; p < n; p++) inv[p] = scale / Math.max((float) Math.sqrt(inv[p]), eps);
            for (int c = 0; c < channels; c++) {
                int i = xOff + base + c * pixels, j = outOff + base + c * pixels;
                float gc = g[c];
                if (silu) {
                    int p = 0;
                    for (; p <= n - L; p += L) {
                        FloatVector v = FloatVector.fromArray(S, x, i + p).mul(FloatVector.fromArray(S, inv, p)).mul(gc);
                        v.div(VecMath.exp(v.neg()).add(1f)).intoArray(out, j + p);
                    }
                    for (; p < n; p++) {
                        float v = x[i + p] * inv[p] * gc;
                        out[j + p] = (float) (v / (1 + Math.exp(-v)));
                    }
                } else {
                    for (int p = 0; p < n; p++) out[j + p] = x[i + p] * inv[p] * gc;
                }
            }
        });
    }

    static void upsampleNearest2x(float[] x, int xOff, float[] out, int outOff, int planes, int h, int w) {
        Parallel.forEach(planes * h, task -> {
            int p = task / h, y = task % h;
            int src = xOff + (p * h + y) * w;
            int dst = outOff + (p * 2 * h + 2 * y) * 2 * w;
            for (int xi = 0; xi < w; xi++) {
                float v = x[src + xi];
                out[dst + 2 * xi] = v;
                out[dst + 2 * xi + 1] = v;
            }
            System.arraycopy(out, dst, out, dst + 2 * w, 2 * w);
        });
    }

    static void transpose(float[] x, int xOff, float[] out, int outOff, int rows, int cols) {
        final int b = 32;
        int rb = (rows + b - 1) / b;
        Parallel.forEach(rb, bi -> {
            int i0 = bi * b, i1 = Math.min(rows, i0 + b);
            for (int j0 = 0; j0 < cols; j0 += b) {
                int j1 = Math.min(cols, j0 + b);
                for (int i = i0; i < i1; i++) {
                    for (int j = j0; j < j1; j++) out[outOff + j * rows + i] = x[xOff + i * cols + j];
                }
            }
        });
    }
}
