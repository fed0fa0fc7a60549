package livetalk.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.KernelException;
import livetalk.kernels.PatchGrid;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * The CPU backend: activations in Java float arrays, weights read from their (mapped) tensors.
 * The ops run the Vector API kernels of this package ({@link Gemm}, {@link FlashAttention},
 * {@link Norms}, {@link Activations}, {@link Rope}, {@link Elementwise}) on the {@link Parallel}
 * pool; {@link ReferenceKernels} holds the scalar versions they are tested against.
 */
public final class CpuBackend implements Backend {

    /** A backend on every available processor. */
    public CpuBackend() {
        this(allCores());
    }

    /**
     * A backend whose kernels run on {@code threads} threads (1 = all on the calling thread). The
     * kernels share one process-wide pool, so the count is the last constructed backend's.
     */
    public CpuBackend(int threads) {
        Parallel.setThreads(threads);
    }

    /** The default thread count: the available processors, or the {@code livetalk.threads} system property. */
    public static int allCores() {
        return Parallel.defaultThreads();
    }

    /**
     * The GEMM's micro-kernel alone, {@code calls} times on the calling thread on data held in L1:
     * the ceiling of a loop with the kernels' loads at this moment (on a shared machine it can sit
     * far below the FMA loop's), for {@code bench}. Returns the FLOPs done.
     */
    public static double gemmMicroKernelAlone(int calls) {
        return Gemm.kernelAlone(calls);
    }

    @Override
    public String name() {
        return "cpu";
    }

    // ------------------------------------------------------------------ memory

    @Override
    public Buf alloc(long n) {
        if (n < 0 || n > Integer.MAX_VALUE - 8) {
            throw new KernelException("cannot allocate a CPU buffer of " + n + " floats");
        }
        return new CpuBuf(new float[(int) n]);
    }

    @Override
    public Buf alloc(long n, DType dtype) {
        return switch (dtype) {
            case F32 -> alloc(n);
            case BF16 -> CpuBf16Buf.allocate(n);
            default -> throw new KernelException("buffers hold F32 or BF16, not " + dtype);
        };
    }

    @Override
    public void toBf16(Buf src, Buf dst) {
        CpuBuf s = CpuBuf.of(src);
        CpuBf16Buf d = CpuBf16Buf.of(dst);
        requireSize("toBf16", s.len(), d.len());
        Parallel.forRange(s.len(), 1 << 14, (i0, i1) -> Bf16.narrow(s.a(), s.off() + i0, d.seg(), d.off() + i0, i1 - i0));
    }

    @Override
    public Buf upload(float[] data) {
        return new CpuBuf(data.clone());
    }

    @Override
    public void write(Buf dst, float[] src) {
        CpuBuf d = CpuBuf.of(dst);
        requireSize("write", src.length, d.len());
        System.arraycopy(src, 0, d.a(), d.off(), d.len());
    }

    @Override
    public float[] read(Buf src) {
        if (src instanceof CpuBf16Buf h) {
            if (h.len() > Integer.MAX_VALUE - 8) throw new KernelException("read of " + h.len() + " values (at most 2^31 - 9 at once)");
            float[] out = new float[(int) h.len()];
            Bf16.widen(h.seg(), h.off(), out, 0, out.length);
            return out;
        }
        CpuBuf s = CpuBuf.of(src);
        return Arrays.copyOfRange(s.a(), s.off(), s.off() + s.len());
    }

    @Override
    public void copy(Buf src, Buf dst) {
        if (src instanceof CpuBf16Buf hs) {
            CpuBf16Buf hd = CpuBf16Buf.of(dst);
            requireSize("copy", hs.len(), hd.len());
            MemorySegment.copy(hs.seg(), 2 * hs.off(), hd.seg(), 2 * hd.off(), 2 * hs.len());
            return;
        }
        CpuBuf s = CpuBuf.of(src), d = CpuBuf.of(dst);
        requireSize("copy", s.len(), d.len());
        System.arraycopy(s.a(), s.off(), d.a(), d.off(), s.len());
    }

    @Override
    public void fill(Buf dst, float value) {
        CpuBuf d = CpuBuf.of(dst);
        Arrays.fill(d.a(), d.off(), d.off() + d.len(), value);
    }

    @Override
    public Weight weight(Tensor t) {
        return new CpuWeight(t);
    }

    // ------------------------------------------------------------------ dense layers

    @Override
    public void linear(Buf x, Buf out, int rows, Weight w, Weight bias) {
        CpuBuf xb = CpuBuf.of(x), ob = CpuBuf.of(out);
        CpuWeight cw = CpuWeight.of(w), cb = CpuWeight.of(bias);
        long[] s = cw.shape();
        int outDim = (int) s[0];
        int in = (int) (cw.numel() / outDim);
        requireSize("linear input", (long) rows * in, xb.len());
        requireSize("linear output", (long) rows * outDim, ob.len());
        if (cb != null) requireSize("linear bias", outDim, cb.numel());
        Gemm.linear(xb.a(), xb.off(), ob.a(), ob.off(), rows, in, outDim, cw, cb);
    }

    @Override
    public void attention(Buf q, Buf k, Buf v, Buf out, int nq, int nk, int heads, int headDim, float scale, Buf bias) {
        CpuBuf qb = CpuBuf.of(q), ob = CpuBuf.of(out);
        long w = (long) heads * headDim;
        requireSize("attention q", nq * w, qb.len());
        requireSize("attention k", nk * w, k.size());
        requireSize("attention v", nk * w, v.size());
        requireSize("attention out", nq * w, ob.len());
        CpuBuf bb = bias == null ? null : CpuBuf.of(bias);
        if (bb != null) requireSize("attention bias", (long) heads * nq * nk, bb.len());
        FlashAttention.attention(qb.a(), qb.off(), rows(k), rows(v), ob.a(), ob.off(), nq, nk, heads, headDim,
                scale, bb == null ? null : bb.a(), bb == null ? 0 : bb.off());
    }

    /** Keys or values of either dtype, for {@link FlashAttention}. */
    private static FlashAttention.Rows rows(Buf b) {
        if (b instanceof CpuBf16Buf h) return FlashAttention.Rows.bf16(h.seg(), h.off());
        CpuBuf f = CpuBuf.of(b);
        return FlashAttention.Rows.f32(f.a(), f.off());
    }

    // ------------------------------------------------------------------ norms

    @Override
    public void layerNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma, Weight beta) {
        CpuBuf xb = CpuBuf.of(x), ob = CpuBuf.of(out);
        requireSize("layerNorm input", (long) rows * dim, xb.len());
        requireSize("layerNorm output", (long) rows * dim, ob.len());
        Norms.layerNorm(xb.a(), xb.off(), ob.a(), ob.off(), rows, dim, eps, small("layerNorm gamma", gamma, dim), small("layerNorm beta", beta, dim));
    }

    @Override
    public void rmsNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma) {
        CpuBuf xb = CpuBuf.of(x), ob = CpuBuf.of(out);
        requireSize("rmsNorm input", (long) rows * dim, xb.len());
        requireSize("rmsNorm output", (long) rows * dim, ob.len());
        Norms.rmsNorm(xb.a(), xb.off(), ob.a(), ob.off(), rows, dim, eps, small("rmsNorm gamma", gamma, dim));
    }

    // ------------------------------------------------------------------ activations

    @Override
    public void gelu(Buf x, Buf out, boolean tanh) {
        CpuBuf xb = CpuBuf.of(x), ob = CpuBuf.of(out);
        requireSize("gelu", xb.len(), ob.len());
        Activations.gelu(xb.a(), xb.off(), ob.a(), ob.off(), xb.len(), tanh);
    }

    @Override
    public void silu(Buf x, Buf out) {
        CpuBuf xb = CpuBuf.of(x), ob = CpuBuf.of(out);
        requireSize("silu", xb.len(), ob.len());
        Activations.silu(xb.a(), xb.off(), ob.a(), ob.off(), xb.len());
    }

    // ------------------------------------------------------------------ rope

    @Override
    public void rope(Buf x, int rows, int heads, int headDim, Buf cos, Buf sin) {
        CpuBuf xb = CpuBuf.of(x), cb = CpuBuf.of(cos), sb = CpuBuf.of(sin);
        requireSize("rope x", (long) rows * heads * headDim, xb.len());
        requireSize("rope cos", (long) rows * (headDim / 2), cb.len());
        requireSize("rope sin", (long) rows * (headDim / 2), sb.len());
        Rope.rope(xb.a(), xb.off(), rows, heads, headDim, cb.a(), cb.off(), sb.a(), sb.off());
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void add(Buf a, Buf b, Buf out) {
        CpuBuf x = CpuBuf.of(a), y = CpuBuf.of(b), o = CpuBuf.of(out);
        requireSize("add", x.len(), y.len());
        requireSize("add", x.len(), o.len());
        Elementwise.add(x.a(), x.off(), y.a(), y.off(), o.a(), o.off(), x.len());
    }

    @Override
    public void mul(Buf a, Buf b, Buf out) {
        CpuBuf x = CpuBuf.of(a), y = CpuBuf.of(b), o = CpuBuf.of(out);
        requireSize("mul", x.len(), y.len());
        requireSize("mul", x.len(), o.len());
        Elementwise.mul(x.a(), x.off(), y.a(), y.off(), o.a(), o.off(), x.len());
    }

    @Override
    public void axpby(float alpha, Buf a, float beta, Buf b, Buf out) {
        CpuBuf x = CpuBuf.of(a), y = CpuBuf.of(b), o = CpuBuf.of(out);
        requireSize("axpby", x.len(), y.len());
        requireSize("axpby", x.len(), o.len());
        Elementwise.axpby(alpha, x.a(), x.off(), beta, y.a(), y.off(), o.a(), o.off(), x.len());
    }

    @Override
    public void addRow(Buf x, Buf vec, Buf out, int rows, int dim) {
        CpuBuf xb = CpuBuf.of(x), vb = CpuBuf.of(vec), ob = CpuBuf.of(out);
        requireSize("addRow x", (long) rows * dim, xb.len());
        requireSize("addRow vec", dim, vb.len());
        requireSize("addRow out", (long) rows * dim, ob.len());
        Elementwise.addRow(xb.a(), xb.off(), vb.a(), vb.off(), ob.a(), ob.off(), rows, dim);
    }

    @Override
    public void modulate(Buf x, Buf shift, Buf scale, Buf out, int rows, int dim) {
        CpuBuf xb = CpuBuf.of(x), sh = CpuBuf.of(shift), sc = CpuBuf.of(scale), ob = CpuBuf.of(out);
        requireSize("modulate x", (long) rows * dim, xb.len());
        requireSize("modulate shift", dim, sh.len());
        requireSize("modulate scale", dim, sc.len());
        requireSize("modulate out", (long) rows * dim, ob.len());
        Elementwise.modulate(xb.a(), xb.off(), sh.a(), sh.off(), sc.a(), sc.off(), ob.a(), ob.off(), rows, dim);
    }

    @Override
    public void gatedAdd(Buf x, Buf y, Buf gate, int rows, int dim) {
        CpuBuf xb = CpuBuf.of(x), yb = CpuBuf.of(y), gb = CpuBuf.of(gate);
        requireSize("gatedAdd x", (long) rows * dim, xb.len());
        requireSize("gatedAdd y", (long) rows * dim, yb.len());
        requireSize("gatedAdd gate", dim, gb.len());
        Elementwise.gatedAdd(xb.a(), xb.off(), yb.a(), yb.off(), gb.a(), gb.off(), rows, dim);
    }

    /** The widened values of a norm's gamma or beta (null stays null), checked to hold {@code dim} values. */
    private static float[] small(String what, Weight w, int dim) {
        CpuWeight c = CpuWeight.of(w);
        if (c == null) return null;
        requireSize(what, dim, c.numel());
        return Widen.all(c);
    }

    // ================================================================== VAE: convolutions, channel norm, resampling
    // Fast versions in ConvKernels, scalar references in VaeReferenceKernels.

    @Override
    public void conv3d(Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, Conv3dSpec s, Weight weight, Weight bias) {
        CpuBuf xb = CpuBuf.of(x), ob = CpuBuf.of(out);
        CpuBuf hb = histFrames > 0 ? CpuBuf.of(hist) : null;
        CpuWeight cw = CpuWeight.of(weight), cb = CpuWeight.of(bias);
        long frame = (long) s.cin() * h * w;
        if (histFrames < 0 || frames < 0) throw new KernelException("conv3d: negative frame count");
        if (hb != null) requireSize("conv3d history", histFrames * frame, hb.len());
        requireSize("conv3d input", frames * frame, xb.len());
        requireSize("conv3d weight", s.weightSize(), cw.numel());
        if (cb != null) requireSize("conv3d bias", s.cout(), cb.numel());
        int tOut = s.outFrames(histFrames + frames);
        requireSize("conv3d output", (long) tOut * s.cout() * s.outH(h) * s.outW(w), ob.len());
        ConvKernels.conv3d(hb == null ? null : hb.a(), hb == null ? 0 : hb.off(), histFrames, xb.a(), xb.off(), frames, h, w,
                ob.a(), ob.off(), s, cw, cb);
    }

    @Override
    public void rmsNormChannels(Buf x, Buf out, int frames, int channels, int pixels, float eps, Weight gamma, boolean silu) {
        CpuBuf xb = CpuBuf.of(x), ob = CpuBuf.of(out);
        CpuWeight g = CpuWeight.of(gamma);
        long n = (long) frames * channels * pixels;
        requireSize("rmsNormChannels input", n, xb.len());
        requireSize("rmsNormChannels output", n, ob.len());
        requireSize("rmsNormChannels gamma", channels, g.numel());
        ConvKernels.rmsNormChannels(xb.a(), xb.off(), ob.a(), ob.off(), frames, channels, pixels, eps, g, silu);
    }

    @Override
    public void upsampleNearest2x(Buf x, Buf out, int planes, int h, int w) {
        CpuBuf xb = CpuBuf.of(x), ob = CpuBuf.of(out);
        requireSize("upsampleNearest2x input", (long) planes * h * w, xb.len());
        requireSize("upsampleNearest2x output", 4L * planes * h * w, ob.len());
        ConvKernels.upsampleNearest2x(xb.a(), xb.off(), ob.a(), ob.off(), planes, h, w);
    }

    @Override
    public void transpose(Buf x, Buf out, int rows, int cols) {
        CpuBuf xb = CpuBuf.of(x), ob = CpuBuf.of(out);
        requireSize("transpose input", (long) rows * cols, xb.len());
        requireSize("transpose output", (long) rows * cols, ob.len());
        ConvKernels.transpose(xb.a(), xb.off(), ob.a(), ob.off(), rows, cols);
    }

    // ------------------------------------------------------------------ the sampler's step

    @Override
    public void patchify(Buf src, long frameStride, long channelStride, int channels, Buf out, int outChannels, int c0, PatchGrid g) {
        CpuBuf sb = CpuBuf.of(src), ob = CpuBuf.of(out);
        g.checkPatchify(sb.len(), frameStride, channelStride, channels, ob.len(), outChannels, c0);
        SamplerKernels.patchify(sb.a(), sb.off(), frameStride, channelStride, channels, ob.a(), ob.off(), outChannels, c0, g);
    }

    @Override
    public void unpatchify(Buf tokens, int channels, Buf out, PatchGrid g) {
        CpuBuf tb = CpuBuf.of(tokens), ob = CpuBuf.of(out);
        g.checkUnpatchify(tb.len(), channels, ob.len());
        SamplerKernels.unpatchify(tb.a(), tb.off(), channels, ob.a(), ob.off(), g);
    }

    @Override
    public void subtractScaled(Buf a, double s, Buf b, Buf out) {
        CpuBuf ab = CpuBuf.of(a), bb = CpuBuf.of(b), ob = CpuBuf.of(out);
        requireSize("subtractScaled", ab.len(), bb.len());
        requireSize("subtractScaled", ab.len(), ob.len());
        SamplerKernels.subtractScaled(ab.a(), ab.off(), s, bb.a(), bb.off(), ob.a(), ob.off(), ab.len());
    }

    // ================================================================== end of the VAE section

    static void requireSize(String what, long expected, long found) {
        if (expected != found) {
            throw new KernelException(what + ": expected " + expected + " floats, found " + found);
        }
    }
}
