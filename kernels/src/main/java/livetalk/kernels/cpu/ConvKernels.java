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
 * the weight repacked as {@code W[k][o]} (stored in groups of 8 output channels, {@link #weightBase}),
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
    /** The columns one tile takes: 3 vectors (tile8x3, tile4x3). */
    private static final int STRIP = 3 * L;
    /**
     * K rows per block: a 3-vector column strip of the panel block, KC·3·L floats, takes three
     * quarters of the L1 data cache (128 rows = 24 KiB of a 32 KiB L1d with AVX-512).
     */
    private static final int KC = CacheInfo.fit(CacheInfo.L1D * 3L / 4 / (3L * L * 4), 16, 64, 512);

    /** Per calling thread: the packed weight of the current call (grown, never shrunk). */
    private static final ThreadLocal<float[][]> PACKED = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    private static final class Scratch {
        float[] panel = new float[0];
        float[] acc = new float[0];
        int[] rowOf = new int[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * {@code W[k][o]} with k = ((dt·kh + dy)·kw + dx)·cin + c, from PyTorch's {@code [o][c][dt][dy][dx]},
     * into the calling thread's working buffer (valid until its next call), at
     * {@code weightBase(o, cout, K) + k·weightStride(o, cout)}.
     */
    static float[] packed(CpuWeight w, Conv3dSpec s) {
        int cin = s.cin(), cout = s.cout(), taps = s.kt() * s.kh() * s.kw();
        int size = Math.toIntExact(s.weightSize()), k = cin * taps;
        float[][] holder = PACKED.get();
        if (holder[0].length < size) holder[0] = new float[size];
        float[] q = holder[0];
        Parallel.forRange(cout, 1, (o0, o1) -> {
            float[] row = new float[cin * taps];          // W[o][·], widened from the file dtype in one run
            for (int o = o0; o < o1; o++) {
                Widen.run(w, (long) o * cin * taps, row.length, row, 0);
                int base = weightBase(o, cout, k), stride = weightStride(o, cout);
                for (int c = 0; c < cin; c++) {
                    for (int tap = 0; tap < taps; tap++) q[base + (tap * cin + c) * stride] = row[c * taps + tap];
                }
            }
        });
        return q;
    }

    /**
     * Where output channel o's weights start in the packed buffer: channels in groups of 8, each group's
     * {@code [k][8]} block contiguous, so a tile of 8 channels reads its weights as one stream (with
     * {@code W[k][o]} rows of cout floats it touched a new cache line at every k); the channels past the
     * last full group, {@code [k][rest]}, after them. The same values in the same order: no result
     * changes. On the 2-core Intel Xeon a 3×3×3 conv ran 14 % faster at 384 channels (weight rows of
     * 1.5 KB before), 7 % at 192, and the same at 96 (median of interleaved pairs in one JVM).
     */
    static int weightBase(int o, int cout, int k) {
        int full = cout / 8 * 8;
        return o < full ? (o / 8) * 8 * k + o % 8 : full * k + (o - full);
    }

    /** The distance between consecutive k of output channel o in the packed buffer. */
    static int weightStride(int o, int cout) {
        int full = cout / 8 * 8;
        return o < full ? 8 : cout - full;
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
        // The row's width in whole strips of 3 vectors, the only tiles there are: the columns past wOut
        // are computed and never stored. A strip of 2 or 1 vectors had tiles of its own, called far less
        // often than the 3-wide ones, so they ran interpreted long enough to be compiled on stack first;
        // after that, on the 2-core Intel build machine (2026-11-28, 3 runs of 3) C2's code for the 2-wide
        // tile kept every accumulator boxed (JFR: allocations in the inlined fma, 87 % of samples), and a
        // 128×128 block took 90–140 s instead of 30–45 s. Each column's sum is the same either way.
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
        // Loop order: a K block of KC rows, then a strip of 3 vectors of columns (KC·3·L floats stay
        // in L1), then all output-channel tiles over that strip (the weight block stays in L2).
        for (int k0 = kBegin; k0 < kEnd; k0 += KC) {
            int k1 = Math.min(kEnd, k0 + KC);
            for (int xv = 0; xv < wp; xv += STRIP) {
                int o = 0;
                for (; o + 8 <= cout; o += 8) tile8x3(wk, panel, rowOf, acc, k0, k1, kBegin, o, xv, weightBase(o, cout, kEnd), weightStride(o, cout), wp);
                for (; o + 4 <= cout; o += 4) tile4x3(wk, panel, rowOf, acc, k0, k1, kBegin, o, xv, weightBase(o, cout, kEnd), weightStride(o, cout), wp);
                for (; o < cout; o++) for (int v = 0; v < 3; v++) tile1x1(wk, panel, rowOf, acc, k0, k1, kBegin, o, xv + v * L, weightBase(o, cout, kEnd), weightStride(o, cout), wp);
            }
        }

        // 3. Store the valid columns of the row.
        for (int o = 0; o < cout; o++) {
            System.arraycopy(acc, o * wp, out, outOff + ((t * cout + o) * hOut + y) * wOut, wOut);
        }
    }

    private static void tile8x3(float[] wk, float[] panel, int[] rowOf, float[] acc, int k0, int k1, int kBegin, int o, int xv, int wb, int ws, int wp) {
        int a0 = o * wp + xv;
        FloatVector c00 = FloatVector.fromArray(S, acc, a0 + 0 * wp + 0 * L); FloatVector c01 = FloatVector.fromArray(S, acc, a0 + 0 * wp + 1 * L); FloatVector c02 = FloatVector.fromArray(S, acc, a0 + 0 * wp + 2 * L);
        FloatVector c10 = FloatVector.fromArray(S, acc, a0 + 1 * wp + 0 * L); FloatVector c11 = FloatVector.fromArray(S, acc, a0 + 1 * wp + 1 * L); FloatVector c12 = FloatVector.fromArray(S, acc, a0 + 1 * wp + 2 * L);
        FloatVector c20 = FloatVector.fromArray(S, acc, a0 + 2 * wp + 0 * L); FloatVector c21 = FloatVector.fromArray(S, acc, a0 + 2 * wp + 1 * L); FloatVector c22 = FloatVector.fromArray(S, acc, a0 + 2 * wp + 2 * L);
        FloatVector c30 = FloatVector.fromArray(S, acc, a0 + 3 * wp + 0 * L); FloatVector c31 = FloatVector.fromArray(S, acc, a0 + 3 * wp + 1 * L); FloatVector c32 = FloatVector.fromArray(S, acc, a0 + 3 * wp + 2 * L);
        FloatVector c40 = FloatVector.fromArray(S, acc, a0 + 4 * wp + 0 * L); FloatVector c41 = FloatVector.fromArray(S, acc, a0 + 4 * wp + 1 * L); FloatVector c42 = FloatVector.fromArray(S, acc, a0 + 4 * wp + 2 * L);
        FloatVector c50 = FloatVector.fromArray(S, acc, a0 + 5 * wp + 0 * L); FloatVector c51 = FloatVector.fromArray(S, acc, a0 + 5 * wp + 1 * L); FloatVector c52 = FloatVector.fromArray(S, acc, a0 + 5 * wp + 2 * L);
        FloatVector c60 = FloatVector.fromArray(S, acc, a0 + 6 * wp + 0 * L); FloatVector c61 = FloatVector.fromArray(S, acc, a0 + 6 * wp + 1 * L); FloatVector c62 = FloatVector.fromArray(S, acc, a0 + 6 * wp + 2 * L);
        FloatVector c70 = FloatVector.fromArray(S, acc, a0 + 7 * wp + 0 * L); FloatVector c71 = FloatVector.fromArray(S, acc, a0 + 7 * wp + 1 * L); FloatVector c72 = FloatVector.fromArray(S, acc, a0 + 7 * wp + 2 * L);
        for (int k = k0; k < k1; k++) {
            int p = rowOf[k - kBegin] + xv, q = wb + k * ws;
            FloatVector b0 = FloatVector.fromArray(S, panel, p + 0 * L); FloatVector b1 = FloatVector.fromArray(S, panel, p + 1 * L); FloatVector b2 = FloatVector.fromArray(S, panel, p + 2 * L);
            FloatVector w0 = FloatVector.broadcast(S, wk[q + 0]);
            c00 = b0.fma(w0, c00); c01 = b1.fma(w0, c01); c02 = b2.fma(w0, c02);
            FloatVector w1 = FloatVector.broadcast(S, wk[q + 1]);
            c10 = b0.fma(w1, c10); c11 = b1.fma(w1, c11); c12 = b2.fma(w1, c12);
            FloatVector w2 = FloatVector.broadcast(S, wk[q + 2]);
            c20 = b0.fma(w2, c20); c21 = b1.fma(w2, c21); c22 = b2.fma(w2, c22);
            FloatVector w3 = FloatVector.broadcast(S, wk[q + 3]);
            c30 = b0.fma(w3, c30); c31 = b1.fma(w3, c31); c32 = b2.fma(w3, c32);
            FloatVector w4 = FloatVector.broadcast(S, wk[q + 4]);
            c40 = b0.fma(w4, c40); c41 = b1.fma(w4, c41); c42 = b2.fma(w4, c42);
            FloatVector w5 = FloatVector.broadcast(S, wk[q + 5]);
            c50 = b0.fma(w5, c50); c51 = b1.fma(w5, c51); c52 = b2.fma(w5, c52);
            FloatVector w6 = FloatVector.broadcast(S, wk[q + 6]);
            c60 = b0.fma(w6, c60); c61 = b1.fma(w6, c61); c62 = b2.fma(w6, c62);
            FloatVector w7 = FloatVector.broadcast(S, wk[q + 7]);
            c70 = b0.fma(w7, c70); c71 = b1.fma(w7, c71); c72 = b2.fma(w7, c72);
        }
        c00.intoArray(acc, a0 + 0 * wp + 0 * L); c01.intoArray(acc, a0 + 0 * wp + 1 * L); c02.intoArray(acc, a0 + 0 * wp + 2 * L);
        c10.intoArray(acc, a0 + 1 * wp + 0 * L); c11.intoArray(acc, a0 + 1 * wp + 1 * L); c12.intoArray(acc, a0 + 1 * wp + 2 * L);
        c20.intoArray(acc, a0 + 2 * wp + 0 * L); c21.intoArray(acc, a0 + 2 * wp + 1 * L); c22.intoArray(acc, a0 + 2 * wp + 2 * L);
        c30.intoArray(acc, a0 + 3 * wp + 0 * L); c31.intoArray(acc, a0 + 3 * wp + 1 * L); c32.intoArray(acc, a0 + 3 * wp + 2 * L);
        c40.intoArray(acc, a0 + 4 * wp + 0 * L); c41.intoArray(acc, a0 + 4 * wp + 1 * L); c42.intoArray(acc, a0 + 4 * wp + 2 * L);
        c50.intoArray(acc, a0 + 5 * wp + 0 * L); c51.intoArray(acc, a0 + 5 * wp + 1 * L); c52.intoArray(acc, a0 + 5 * wp + 2 * L);
        c60.intoArray(acc, a0 + 6 * wp + 0 * L); c61.intoArray(acc, a0 + 6 * wp + 1 * L); c62.intoArray(acc, a0 + 6 * wp + 2 * L);
        c70.intoArray(acc, a0 + 7 * wp + 0 * L); c71.intoArray(acc, a0 + 7 * wp + 1 * L); c72.intoArray(acc, a0 + 7 * wp + 2 * L);
    }

    private static void tile4x3(float[] wk, float[] panel, int[] rowOf, float[] acc, int k0, int k1, int kBegin, int o, int xv, int wb, int ws, int wp) {
        int a0 = o * wp + xv, a1 = a0 + wp, a2 = a1 + wp, a3 = a2 + wp;
        FloatVector c00 = FloatVector.fromArray(S, acc, a0), c01 = FloatVector.fromArray(S, acc, a0 + L), c02 = FloatVector.fromArray(S, acc, a0 + 2 * L);
        FloatVector c10 = FloatVector.fromArray(S, acc, a1), c11 = FloatVector.fromArray(S, acc, a1 + L), c12 = FloatVector.fromArray(S, acc, a1 + 2 * L);
        FloatVector c20 = FloatVector.fromArray(S, acc, a2), c21 = FloatVector.fromArray(S, acc, a2 + L), c22 = FloatVector.fromArray(S, acc, a2 + 2 * L);
        FloatVector c30 = FloatVector.fromArray(S, acc, a3), c31 = FloatVector.fromArray(S, acc, a3 + L), c32 = FloatVector.fromArray(S, acc, a3 + 2 * L);
        for (int k = k0; k < k1; k++) {
            int p = rowOf[k - kBegin] + xv;
            FloatVector b0 = FloatVector.fromArray(S, panel, p), b1 = FloatVector.fromArray(S, panel, p + L), b2 = FloatVector.fromArray(S, panel, p + 2 * L);
            int q = wb + k * ws;
            FloatVector w0 = FloatVector.broadcast(S, wk[q]);
            c00 = b0.fma(w0, c00); c01 = b1.fma(w0, c01); c02 = b2.fma(w0, c02);
            FloatVector w1 = FloatVector.broadcast(S, wk[q + 1]);
            c10 = b0.fma(w1, c10); c11 = b1.fma(w1, c11); c12 = b2.fma(w1, c12);
            FloatVector w2 = FloatVector.broadcast(S, wk[q + 2]);
            c20 = b0.fma(w2, c20); c21 = b1.fma(w2, c21); c22 = b2.fma(w2, c22);
            FloatVector w3 = FloatVector.broadcast(S, wk[q + 3]);
            c30 = b0.fma(w3, c30); c31 = b1.fma(w3, c31); c32 = b2.fma(w3, c32);
        }
        c00.intoArray(acc, a0); c01.intoArray(acc, a0 + L); c02.intoArray(acc, a0 + 2 * L);
        c10.intoArray(acc, a1); c11.intoArray(acc, a1 + L); c12.intoArray(acc, a1 + 2 * L);
        c20.intoArray(acc, a2); c21.intoArray(acc, a2 + L); c22.intoArray(acc, a2 + 2 * L);
        c30.intoArray(acc, a3); c31.intoArray(acc, a3 + L); c32.intoArray(acc, a3 + 2 * L);
    }

    private static void tile1x1(float[] wk, float[] panel, int[] rowOf, float[] acc, int k0, int k1, int kBegin, int o, int xv, int wb, int ws, int wp) {
        int a0 = o * wp + xv;
        FloatVector c0 = FloatVector.fromArray(S, acc, a0);
        for (int k = k0; k < k1; k++) {
            c0 = FloatVector.fromArray(S, panel, rowOf[k - kBegin] + xv).fma(FloatVector.broadcast(S, wk[wb + k * ws]), c0);
        }
        c0.intoArray(acc, a0);
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
