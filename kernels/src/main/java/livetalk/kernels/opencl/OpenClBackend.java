package livetalk.kernels.opencl;

import static org.jocl.CL.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.DeviceMemoryException;
import livetalk.kernels.DeviceMemoryUse;
import livetalk.kernels.KernelException;
import livetalk.kernels.PatchGrid;
import livetalk.kernels.Weight;
import livetalk.kernels.cpu.SamplerKernels;
import livetalk.tensor.DType;
import livetalk.tensor.Half;
import livetalk.tensor.Tensor;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * The OpenCL backend: hand-written kernels (the {@code .cl} resources of this package) on one
 * device, one in-order command queue. Ops only enqueue work; nothing returns to the host until
 * {@link #read} (which waits for the queue). Ops may be called from several threads (the streaming
 * pipeline decodes on a second thread): they are serialised on the one in-order queue, so every
 * op sees the effects of all ops enqueued before it, whichever thread enqueued them.
 *
 * <p>The kernels are the portable path, written for any OpenCL 1.2 device and tested on PoCL
 * (OpenCL on the CPU). Choices by shape: the gemm tile (64 or 128), the attention kernel (by head
 * size) and its query block (by the device's local memory). There are no vendor-specific (e.g.
 * NVIDIA tensor-core) paths.
 */
public final class OpenClBackend implements Backend {
    /** Work-group size of the elementwise and norm kernels (NT in norms.cl). */
    private static final int GROUP = 256;
    /** Tile sizes of gemm.cl (TS and RTS): one group of RTS×RTS items per TS×TS output tile. */
    private static final int GEMM_TS = 64, GEMM_RTS = 16;
    /** The large-tile variant (TS = 128, 8×8 per item), used for matrices of at least one such tile. */
    private static final int GEMM_TS_LARGE = 128;
    private static final int[] ATTN_ACC_DIMS = {64, 128, 512};

    private final ClDevice device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final ClProgram program;
    private final Set<ClMem.Release> live = ClMem.newLiveSet();
    /** Bound to unused optional pointer arguments (a missing bias or gamma). */
    private final ClMem dummy;
    private volatile boolean closed;
    /**
     * Device memory is released when its buffers are garbage-collected, but the Java heap does not
     * feel device memory: after allocating a quarter of the device's memory, ask for a collection.
     */
    private final AtomicLong allocatedSinceGc = new AtomicLong();
    /** Which gemm variant linear() uses: null = by shape; tests force one to cover both. */
    Boolean forceLargeTiles;
    /** Local memory the attention tiles may use, if not the device's (tests imitate a GPU's 48 KiB). */
    Long localMemLimit;
    /** Whether subtractScaled runs on the device (it has cl_khr_fp64); tests turn it off to cover the host path. */
    boolean deviceFloat64;

    /** The first OpenCL GPU, else the first device of any kind. */
    public OpenClBackend() {
        this(ClDevice.choose(false));
    }

    OpenClBackend(ClDevice device) {
        this.device = device;
        this.deviceFloat64 = device.extensions().contains("cl_khr_fp64");
        int[] err = new int[1];
        context = clCreateContext(null, 1, new cl_device_id[]{device.id()}, null, null, err);
        ClErrors.check(err[0], "clCreateContext");
        @SuppressWarnings("deprecation") // clCreateCommandQueue is the OpenCL 1.2 call, which every driver has
        cl_command_queue q = clCreateCommandQueue(context, device.id(), 0, err);
        queue = q;
        if (err[0] != CL_SUCCESS) {
            clReleaseContext(context);
            ClErrors.check(err[0], "clCreateCommandQueue");
        }
        try {
            program = new ClProgram(context, device.id(), "-cl-std=CL1.2");
        } catch (RuntimeException e) {
            clReleaseCommandQueue(queue);
            clReleaseContext(context);
            throw e;
        } finally {
            JvmSignalHandlers.jvm().restore(); // the build ran the driver's compiler
        }
        dummy = allocMem(Sizeof.cl_float * 4);
    }

    /** True when an OpenCL GPU is present (for {@code --device auto}); never throws. */
    public static boolean gpuPresent() {
        try {
            return ClDevice.list().stream().anyMatch(ClDevice::gpu);
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** Null when an OpenCL device is usable, else why not (for tests and messages); never throws. */
    public static String unavailableReason() {
        try {
            List<ClDevice> all = ClDevice.list();
            return all.isEmpty() ? "no OpenCL device found on any platform" : null;
        } catch (RuntimeException | LinkageError e) {
            return e.getMessage();
        }
    }

    @Override
    public String name() {
        return "opencl:" + device.name();
    }

    /** The device's platform, name and vendor, for messages. */
    public String deviceDescription() {
        return device.platformName() + " / " + device.name() + " (" + device.vendor() + (device.gpu() ? ", GPU" : "") + ")";
    }

    // ------------------------------------------------------------------ memory

    @Override
    public Buf alloc(long n) {
        if (n < 0 || n > Integer.MAX_VALUE - 8) throw new KernelException("cannot allocate an OpenCL buffer of " + n + " floats");
        ClBuf b = new ClBuf(allocMem(Math.max(1, n) * Sizeof.cl_float), 0, n, this);
        fill(b, 0f);
        return b;
    }

    @Override
    public Buf alloc(long n, DType dtype) {
        if (dtype == DType.F32) return alloc(n);
        if (dtype != DType.BF16) throw new KernelException("buffers hold F32 or BF16, not " + dtype);
        if (n < 0 || n > Integer.MAX_VALUE - 8) throw new KernelException("cannot allocate an OpenCL buffer of " + n + " bf16 values");
        ClBuf b = new ClBuf(allocMem(Math.max(4, 2 * n)), 0, n, this, DType.BF16);
        if (n > 0) {
            ClErrors.check(clEnqueueFillBuffer(queue, b.mem.mem, Pointer.to(new short[]{0}), Sizeof.cl_short, 0, 2 * n, 0, null, null),
                    "clEnqueueFillBuffer");
        }
        return b;
    }

    @Override
    public void toBf16(Buf src, Buf dst) {
        ClBuf s = buf(src), d = anyBuf(dst);
        if (d.dtype != DType.BF16) throw new KernelException("toBf16: the destination must be a bf16 buffer, found " + d.dtype);
        requireSize("toBf16", s.len, d.len);
        if (s.len == 0) return;
        launch("f32_to_bf16").arg(s).arg(d).arg(s.len).run1d(s.len, GROUP);
    }

    @Override
    public Buf upload(float[] data) {
        ClBuf b = new ClBuf(allocMem(Math.max(1, data.length) * (long) Sizeof.cl_float), 0, data.length, this);
        write(b, data);
        return b;
    }

    @Override
    public void write(Buf dst, float[] src) {
        ClBuf d = buf(dst);
        requireSize("write", src.length, d.len);
        if (src.length == 0) return;
        ClErrors.check(clEnqueueWriteBuffer(queue, d.mem.mem, CL_TRUE, d.off * Sizeof.cl_float, (long) src.length * Sizeof.cl_float,
                Pointer.to(src), 0, null, null), "clEnqueueWriteBuffer");
    }

    @Override
    public float[] read(Buf src) {
        ClBuf s = anyBuf(src);
        float[] out = new float[(int) s.len];
        if (s.len == 0) return out;
        if (s.dtype == DType.BF16) {
            short[] h = new short[(int) s.len];
            ClErrors.check(clEnqueueReadBuffer(queue, s.mem.mem, CL_TRUE, s.off * 2, s.len * 2, Pointer.to(h), 0, null, null),
                    "clEnqueueReadBuffer");
            JvmSignalHandlers.jvm().restoreIfSegvChanged();
            for (int i = 0; i < h.length; i++) out[i] = Half.bf16ToF32(h[i]);
            return out;
        }
        ClErrors.check(clEnqueueReadBuffer(queue, s.mem.mem, CL_TRUE, s.off * Sizeof.cl_float, s.len * Sizeof.cl_float,
                Pointer.to(out), 0, null, null), "clEnqueueReadBuffer");
        JvmSignalHandlers.jvm().restoreIfSegvChanged(); // the wait ran the queued kernels, which may have compiled
        return out;
    }

    @Override
    public void copy(Buf src, Buf dst) {
        ClBuf s = anyBuf(src), d = anyBuf(dst);
        if (s.dtype != d.dtype) throw new KernelException("copy: " + s.dtype + " buffer into a " + d.dtype + " buffer (use toBf16)");
        requireSize("copy", s.len, d.len);
        if (s.len == 0 || (s.mem == d.mem && s.off == d.off)) return;
        long e = s.elemBytes(), bytes = s.len * e;
        if (s.mem == d.mem && s.off < d.off + d.len && d.off < s.off + s.len) {
            // clEnqueueCopyBuffer rejects overlapping regions: go through a scratch buffer.
            ClMem tmp = allocMem(bytes);
            ClErrors.check(clEnqueueCopyBuffer(queue, s.mem.mem, tmp.mem, s.off * e, 0, bytes, 0, null, null), "clEnqueueCopyBuffer");
            ClErrors.check(clEnqueueCopyBuffer(queue, tmp.mem, d.mem.mem, 0, d.off * e, bytes, 0, null, null), "clEnqueueCopyBuffer");
            return;
        }
        ClErrors.check(clEnqueueCopyBuffer(queue, s.mem.mem, d.mem.mem, s.off * e, d.off * e, bytes, 0, null, null),
                "clEnqueueCopyBuffer");
    }

    @Override
    public void fill(Buf dst, float value) {
        ClBuf d = buf(dst);
        if (d.len == 0) return;
        ClErrors.check(clEnqueueFillBuffer(queue, d.mem.mem, Pointer.to(new float[]{value}), Sizeof.cl_float, d.off * Sizeof.cl_float,
                d.len * Sizeof.cl_float, 0, null, null), "clEnqueueFillBuffer");
    }

    @Override
    public Weight weight(Tensor t) {
        if (!t.dtype().isFloat()) throw new KernelException("weight of dtype " + t.dtype() + " (expected F32, BF16 or F16)");
        Tensor c = t.contiguous();
        long bytes = c.byteSize();
        ClMem m = allocMem(Math.max(bytes, 4));
        MemorySegment seg = c.segment();
        try (Arena arena = Arena.ofConfined()) {
            long chunk = 1L << 28;
            for (long pos = 0; pos < bytes; pos += chunk) {
                long n = Math.min(chunk, bytes - pos);
                MemorySegment part = seg.asSlice(pos, n);
                if (!part.isNative()) part = arena.allocate(n).copyFrom(part); // JOCL needs direct memory
                ByteBuffer bb = part.asByteBuffer();
                ClErrors.check(clEnqueueWriteBuffer(queue, m.mem, CL_TRUE, pos, n, Pointer.to(bb), 0, null, null), "clEnqueueWriteBuffer(weight)");
            }
        }
        return new ClWeight(m, c, this);
    }

    // ------------------------------------------------------------------ dense layers

    @Override
    public void linear(Buf x, Buf out, int rows, Weight w, Weight bias) {
        ClBuf xb = buf(x), ob = buf(out);
        ClWeight cw = weight(w), cb = bias == null ? null : weight(bias);
        int outDim = (int) cw.shape()[0];
        if (outDim == 0) throw new KernelException("linear: weight with 0 outputs");
        long inL = cw.numel() / outDim;
        if (inL > Integer.MAX_VALUE) throw new KernelException("linear: input width " + inL + " too large");
        int in = (int) inL;
        requireSize("linear input", (long) rows * in, xb.len);
        requireSize("linear output", (long) rows * outDim, ob.len);
        if (cb != null) requireSize("linear bias", outDim, cb.numel());
        if (rows == 0) return;
        // The large tile reuses each staged value 8 times instead of 4; it needs a matrix of at least
        // one such tile to pay off. On PoCL it measured 1.5-3x faster than the 64 tile at 256-512 rows;
        // on GPUs it is the usual choice for register-rich devices (not measured yet).
        boolean large = forceLargeTiles != null ? forceLargeTiles : rows >= GEMM_TS_LARGE && outDim >= GEMM_TS_LARGE;
        int ts = large ? GEMM_TS_LARGE : GEMM_TS;
        launch(large ? "linear_t128" : "linear").arg(xb).arg(ob).mem(cw.mem.mem).arg(cw.code())
                .mem(cb == null ? dummy.mem : cb.mem.mem).arg(cb == null ? 0 : cb.code()).arg(cb != null)
                .arg(rows).arg(in).arg(outDim)
                .run(new long[]{ClLaunch.roundUp(outDim, ts) / ts * GEMM_RTS, ClLaunch.roundUp(rows, ts) / ts * GEMM_RTS},
                        new long[]{GEMM_RTS, GEMM_RTS});
    }

    @Override
    public void attention(Buf q, Buf k, Buf v, Buf out, int nq, int nk, int heads, int headDim, float scale, Buf bias) {
        ClBuf qb = buf(q), kb = anyBuf(k), vb = anyBuf(v), ob = buf(out);
        if (kb.dtype != vb.dtype) throw new KernelException("attention: k is " + kb.dtype + " but v is " + vb.dtype);
        long w = (long) heads * headDim;
        requireSize("attention q", nq * w, qb.len);
        requireSize("attention k", nk * w, kb.len);
        requireSize("attention v", nk * w, vb.len);
        requireSize("attention out", nq * w, ob.len);
        ClBuf bb = bias == null ? null : buf(bias);
        if (bb != null) requireSize("attention bias", (long) heads * nq * nk, bb.len);
        if (nq == 0 || heads == 0 || headDim == 0) return;
        int accDim = 0;
        for (int d : ATTN_ACC_DIMS) {
            if (headDim <= d) {
                accDim = d;
                break;
            }
        }
        if (accDim == 0) throw new KernelException("attention: head dimension " + headDim + " above the OpenCL kernel's limit of 512");
        // Head sizes 64 and 128 (umT5, wav2vec2, the DiT) get the kernels compiled for exactly that size.
        // A bf16 KV cache gets the variants that read ushort and widen as they stage (attention.cl).
        String name = (headDim == accDim && accDim <= 128 ? "attention_e" + accDim : "attention_d" + accDim)
                + (kb.dtype == DType.BF16 ? "_bf16" : "");
        cl_kernel kernel = program.kernel(name);
        // bk keys per tile is fixed by the kernel (BK in attention.cl); bq queries (one item each)
        // as many as fit the device's local memory next to the key and value tiles.
        int bk = accDim == 512 ? 8 : 16;
        long budget = (localMemLimit != null ? localMemLimit : device.localMemBytes()) - 1024;
        long maxGroup = Math.min(device.maxWorkGroup(), kernelWorkGroup(kernel));
        int bq = 32;
        while (bq > 1 && (bq > maxGroup || (long) (bq + 2 * bk) * headDim * Sizeof.cl_float > budget)) bq /= 2;
        if (bq > maxGroup || (long) (bq + 2 * bk) * headDim * Sizeof.cl_float > budget) {
            throw new KernelException("attention: head dimension " + headDim + " does not fit the device's local memory ("
                    + device.localMemBytes() + " bytes) or work-group limit for " + name);
        }
        new ClLaunch(queue, kernel, name).arg(qb).arg(kb).arg(vb).arg(ob)
                .mem(bb == null ? dummy.mem : bb.mem.mem).arg(bb == null ? 0L : bb.off).arg(bb != null)
                .arg(nq).arg(nk).arg(heads).arg(headDim).arg(scale)
                .local((long) bq * headDim).local((long) bk * headDim).local((long) bk * headDim)
                .run(new long[]{ClLaunch.roundUp(nq, bq), heads}, new long[]{bq, 1});
    }

    // ------------------------------------------------------------------ norms

    @Override
    public void layerNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma, Weight beta) {
        ClBuf xb = buf(x), ob = buf(out);
        requireSize("layerNorm input", (long) rows * dim, xb.len);
        requireSize("layerNorm output", (long) rows * dim, ob.len);
        ClWeight g = gamma == null ? null : weight(gamma), b = beta == null ? null : weight(beta);
        if (g != null) requireSize("layerNorm gamma", dim, g.numel());
        if (b != null) requireSize("layerNorm beta", dim, b.numel());
        if (rows == 0 || dim == 0) return;
        launch("layer_norm").arg(xb).arg(ob).arg(dim).arg(eps)
                .mem(g == null ? dummy.mem : g.mem.mem).arg(g == null ? 0 : g.code()).arg(g != null)
                .mem(b == null ? dummy.mem : b.mem.mem).arg(b == null ? 0 : b.code()).arg(b != null)
                .run(new long[]{(long) rows * GROUP}, new long[]{GROUP});
    }

    @Override
    public void rmsNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma) {
        ClBuf xb = buf(x), ob = buf(out);
        requireSize("rmsNorm input", (long) rows * dim, xb.len);
        requireSize("rmsNorm output", (long) rows * dim, ob.len);
        ClWeight g = gamma == null ? null : weight(gamma);
        if (g != null) requireSize("rmsNorm gamma", dim, g.numel());
        if (rows == 0 || dim == 0) return;
        launch("rms_norm").arg(xb).arg(ob).arg(dim).arg(eps)
                .mem(g == null ? dummy.mem : g.mem.mem).arg(g == null ? 0 : g.code()).arg(g != null)
                .run(new long[]{(long) rows * GROUP}, new long[]{GROUP});
    }

    // ------------------------------------------------------------------ activations

    @Override
    public void gelu(Buf x, Buf out, boolean tanh) {
        ClBuf xb = buf(x), ob = buf(out);
        requireSize("gelu", xb.len, ob.len);
        if (xb.len == 0) return;
        launch("gelu").arg(xb).arg(ob).arg(xb.len).arg(tanh).run1d(xb.len, GROUP);
    }

    @Override
    public void silu(Buf x, Buf out) {
        ClBuf xb = buf(x), ob = buf(out);
        requireSize("silu", xb.len, ob.len);
        if (xb.len == 0) return;
        launch("silu").arg(xb).arg(ob).arg(xb.len).run1d(xb.len, GROUP);
    }

    // ------------------------------------------------------------------ rope

    @Override
    public void rope(Buf x, int rows, int heads, int headDim, Buf cos, Buf sin) {
        ClBuf xb = buf(x), cb = buf(cos), sb = buf(sin);
        requireSize("rope x", (long) rows * heads * headDim, xb.len);
        requireSize("rope cos", (long) rows * (headDim / 2), cb.len);
        requireSize("rope sin", (long) rows * (headDim / 2), sb.len);
        long n = (long) rows * heads * (headDim / 2);
        if (n == 0) return;
        launch("rope").arg(xb).arg(rows).arg(heads).arg(headDim).arg(cb).arg(sb).run1d(n, GROUP);
    }

    // ------------------------------------------------------------------ elementwise

    @Override
    public void add(Buf a, Buf b, Buf out) {
        binary("add", a, b, out);
    }

    @Override
    public void mul(Buf a, Buf b, Buf out) {
        binary("mul", a, b, out);
    }

    private void binary(String op, Buf a, Buf b, Buf out) {
        ClBuf x = buf(a), y = buf(b), o = buf(out);
        requireSize(op, x.len, y.len);
        requireSize(op, x.len, o.len);
        if (x.len == 0) return;
        launch(op).arg(x).arg(y).arg(o).arg(x.len).run1d(x.len, GROUP);
    }

    @Override
    public void axpby(float alpha, Buf a, float beta, Buf b, Buf out) {
        ClBuf x = buf(a), y = buf(b), o = buf(out);
        requireSize("axpby", x.len, y.len);
        requireSize("axpby", x.len, o.len);
        if (x.len == 0) return;
        launch("axpby").arg(alpha).arg(x).arg(beta).arg(y).arg(o).arg(x.len).run1d(x.len, GROUP);
    }

    @Override
    public void addRow(Buf x, Buf vec, Buf out, int rows, int dim) {
        ClBuf xb = buf(x), vb = buf(vec), ob = buf(out);
        requireSize("addRow x", (long) rows * dim, xb.len);
        requireSize("addRow vec", dim, vb.len);
        requireSize("addRow out", (long) rows * dim, ob.len);
        long n = (long) rows * dim;
        if (n == 0) return;
        launch("add_row").arg(xb).arg(vb).arg(ob).arg(n).arg(dim).run1d(n, GROUP);
    }

    @Override
    public void modulate(Buf x, Buf shift, Buf scale, Buf out, int rows, int dim) {
        ClBuf xb = buf(x), sh = buf(shift), sc = buf(scale), ob = buf(out);
        requireSize("modulate x", (long) rows * dim, xb.len);
        requireSize("modulate shift", dim, sh.len);
        requireSize("modulate scale", dim, sc.len);
        requireSize("modulate out", (long) rows * dim, ob.len);
        long n = (long) rows * dim;
        if (n == 0) return;
        launch("modulate").arg(xb).arg(sh).arg(sc).arg(ob).arg(n).arg(dim).run1d(n, GROUP);
    }

    @Override
    public void gatedAdd(Buf x, Buf y, Buf gate, int rows, int dim) {
        ClBuf xb = buf(x), yb = buf(y), gb = buf(gate);
        requireSize("gatedAdd x", (long) rows * dim, xb.len);
        requireSize("gatedAdd y", (long) rows * dim, yb.len);
        requireSize("gatedAdd gate", dim, gb.len);
        long n = (long) rows * dim;
        if (n == 0) return;
        launch("gated_add").arg(xb).arg(yb).arg(gb).arg(n).arg(dim).run1d(n, GROUP);
    }

    // ================================================================== VAE: convolutions, channel norm, resampling
    // Kernels in vae.cl. The *Impl methods take the convolution as plain ints (cin, cout, kernel,
    // strides, front, top and left padding; bottom/right padding only enter through hOut and wOut).

    @Override
    public void conv3d(Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, Conv3dSpec s, Weight weight, Weight bias) {
        if (histFrames < 0 || frames < 0) throw new KernelException("conv3d: negative frame count");
        conv3dImpl(hist, histFrames, x, frames, h, w, out,
                new int[]{s.cin(), s.cout(), s.kt(), s.kh(), s.kw(), s.st(), s.sh(), s.sw(), s.padFront(), s.padTop(), s.padLeft()},
                s.outFrames(histFrames + frames), s.outH(h), s.outW(w), weight, bias);
    }

    @Override
    public void rmsNormChannels(Buf x, Buf out, int frames, int channels, int pixels, float eps, Weight gamma, boolean silu) {
        rmsNormChannelsImpl(x, out, frames, channels, pixels, eps, gamma, silu);
    }

    @Override
    public void upsampleNearest2x(Buf x, Buf out, int planes, int h, int w) {
        upsampleNearest2xImpl(x, out, planes, h, w);
    }

    @Override
    public void transpose(Buf x, Buf out, int rows, int cols) {
        transposeImpl(x, out, rows, cols);
    }


    void conv3dImpl(Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, int[] spec, int tOut, int hOut, int wOut,
                    Weight weight, Weight bias) {
        int cin = spec[0], cout = spec[1], kt = spec[2], kh = spec[3], kw = spec[4];
        ClBuf xb = buf(x), ob = buf(out);
        ClBuf hb = histFrames > 0 ? buf(hist) : null;
        ClWeight cw = weight(weight), cb = bias == null ? null : weight(bias);
        long frame = (long) cin * h * w;
        if (histFrames < 0 || frames < 0) throw new KernelException("conv3d: negative frame count");
        if (hb != null) requireSize("conv3d history", histFrames * frame, hb.len);
        requireSize("conv3d input", frames * frame, xb.len);
        requireSize("conv3d weight", (long) cout * cin * kt * kh * kw, cw.numel());
        if (cb != null) requireSize("conv3d bias", cout, cb.numel());
        requireSize("conv3d output", (long) tOut * cout * hOut * wOut, ob.len);
        if ((long) cin * kt * kh * kw > Integer.MAX_VALUE || (long) hOut * wOut > Integer.MAX_VALUE) {
            throw new KernelException("conv3d: sizes beyond the OpenCL kernel's int indexing");
        }
        if ((long) tOut * hOut * wOut == 0) return;
        int p = hOut * wOut;
        launch("conv3d").mem(hb == null ? dummy.mem : hb.mem.mem).arg(hb == null ? 0L : hb.off).arg(histFrames).arg(xb).arg(ob)
                .mem(cw.mem.mem).arg(cw.code()).mem(cb == null ? dummy.mem : cb.mem.mem).arg(cb == null ? 0 : cb.code()).arg(cb != null)
                .arg(cin).arg(cout).arg(kt).arg(kh).arg(kw).arg(spec[5]).arg(spec[6]).arg(spec[7]).arg(spec[8]).arg(spec[9]).arg(spec[10])
                .arg(h).arg(w).arg(hOut).arg(wOut)
                .run(new long[]{ClLaunch.roundUp(p, GEMM_TS) / GEMM_TS * GEMM_RTS, ClLaunch.roundUp(cout, GEMM_TS) / GEMM_TS * GEMM_RTS, tOut},
                        new long[]{GEMM_RTS, GEMM_RTS, 1});
    }

    void rmsNormChannelsImpl(Buf x, Buf out, int frames, int channels, int pixels, float eps, Weight gamma, boolean silu) {
        ClBuf xb = buf(x), ob = buf(out);
        ClWeight g = weight(gamma);
        long n = (long) frames * channels * pixels;
        requireSize("rmsNormChannels input", n, xb.len);
        requireSize("rmsNormChannels output", n, ob.len);
        requireSize("rmsNormChannels gamma", channels, g.numel());
        if (n == 0) return;
        launch("rms_norm_channels").arg(xb).arg(ob).arg(frames).arg(channels).arg(pixels).arg(eps)
                .mem(g.mem.mem).arg(g.code()).arg(silu).run1d((long) frames * pixels, GROUP);
    }

    void upsampleNearest2xImpl(Buf x, Buf out, int planes, int h, int w) {
        ClBuf xb = buf(x), ob = buf(out);
        requireSize("upsampleNearest2x input", (long) planes * h * w, xb.len);
        requireSize("upsampleNearest2x output", 4L * planes * h * w, ob.len);
        if (ob.len == 0) return;
        launch("upsample_nearest2x").arg(xb).arg(ob).arg(planes).arg(h).arg(w).run1d(ob.len, GROUP);
    }

    void transposeImpl(Buf x, Buf out, int rows, int cols) {
        ClBuf xb = buf(x), ob = buf(out);
        requireSize("transpose input", (long) rows * cols, xb.len);
        requireSize("transpose output", (long) rows * cols, ob.len);
        if (xb.len == 0) return;
        launch("transpose").arg(xb).arg(ob).arg(rows).arg(cols)
                .run(new long[]{ClLaunch.roundUp(cols, 16), ClLaunch.roundUp(rows, 16)}, new long[]{16, 16});
    }

    // ================================================================== end of the VAE section

    // ------------------------------------------------------------------ the sampler's step

    @Override
    public void patchify(Buf src, long frameStride, long channelStride, int channels, Buf out, int outChannels, int c0, PatchGrid g) {
        ClBuf sb = buf(src), ob = buf(out);
        g.checkPatchify(sb.len, frameStride, channelStride, channels, ob.len, outChannels, c0);
        long n = (long) g.frames() * channels * g.plane();
        if (n == 0) return;
        launch("patchify").arg(sb).arg(frameStride).arg(channelStride).arg(channels).arg(ob).arg(outChannels).arg(c0)
                .arg(g.frames()).arg(g.h()).arg(g.w()).arg(g.ph()).arg(g.pw()).run1d(n, GROUP);
    }

    @Override
    public void unpatchify(Buf tokens, int channels, Buf out, PatchGrid g) {
        ClBuf tb = buf(tokens), ob = buf(out);
        g.checkUnpatchify(tb.len, channels, ob.len);
        if (ob.len == 0) return;
        launch("unpatchify").arg(tb).arg(channels).arg(ob).arg(g.frames()).arg(g.h()).arg(g.w()).arg(g.ph()).arg(g.pw()).run1d(ob.len, GROUP);
    }

    /** In double on the device where it has cl_khr_fp64; elsewhere on the host (read, update, write), with the same bits. */
    @Override
    public void subtractScaled(Buf a, double s, Buf b, Buf out) {
        ClBuf ab = buf(a), bb = buf(b), ob = buf(out);
        requireSize("subtractScaled", ab.len, bb.len);
        requireSize("subtractScaled", ab.len, ob.len);
        if (ab.len == 0) return;
        if (deviceFloat64) {
            launch("subtract_scaled").arg(ab).arg(s).arg(bb).arg(ob).arg(ab.len).run1d(ab.len, GROUP);
            return;
        }
        float[] x = read(a), v = read(b);
        SamplerKernels.subtractScaled(x, 0, s, v, 0, x, 0, x.length);
        write(out, x);
    }

    // ------------------------------------------------------------------ plumbing

    /** Waits until every enqueued op has finished (for timing; {@link #read} waits by itself). */
    public void finish() {
        ClErrors.check(clFinish(queue), "clFinish");
        JvmSignalHandlers.jvm().restoreIfSegvChanged();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        clFinish(queue);
        for (ClMem.Release r : live.toArray(new ClMem.Release[0])) r.run();
        program.close();
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }

    private ClLaunch launch(String kernel) {
        return new ClLaunch(queue, program.kernel(kernel), kernel);
    }

    @Override
    public DeviceMemoryUse deviceMemory() {
        long held = 0;
        for (ClMem.Release r : live) held += r.bytes;
        return new DeviceMemoryUse(held, -1, device.globalMemBytes());
    }

    private ClMem allocMem(long bytes) {
        if (closed) throw new KernelException("OpenCL backend used after close()");
        int[] err = new int[1];
        cl_mem m = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, err);
        if (err[0] == CL_MEM_OBJECT_ALLOCATION_FAILURE || err[0] == CL_OUT_OF_RESOURCES) {
            DeviceMemoryException.reclaimUnreachable();     // then once more
            m = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, err);
            if (err[0] == CL_MEM_OBJECT_ALLOCATION_FAILURE || err[0] == CL_OUT_OF_RESOURCES) {
                throw new DeviceMemoryException("out of OpenCL device memory: " + DeviceMemoryException.size(bytes) + " asked for ("
                        + ClErrors.name(err[0]) + ")", bytes);
            }
        }
        ClErrors.check(err[0], "clCreateBuffer(" + bytes + " bytes)");
        if (allocatedSinceGc.addAndGet(bytes) > device.globalMemBytes() / 4) {
            allocatedSinceGc.set(0);
            System.gc();
        }
        return ClMem.track(m, bytes, live);
    }

    private long kernelWorkGroup(cl_kernel k) {
        long[] v = new long[1];
        ClErrors.check(clGetKernelWorkGroupInfo(k, device.id(), CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(v), null),
                "clGetKernelWorkGroupInfo");
        return v[0];
    }

    /** A float32 buffer of this backend: what every op but the storage ones takes. */
    private ClBuf buf(Buf b) {
        ClBuf c = anyBuf(b);
        if (c.dtype != DType.F32) throw new KernelException("bf16 buffer passed to an op that takes float32 (bf16 buffers are storage here: read, copy, toBf16,"
                + " attention's k and v; this backend's operandDtype() is F32)");
        return c;
    }

    /** A buffer of this backend, of either dtype. */
    private ClBuf anyBuf(Buf b) {
        if (b instanceof ClBuf c && c.owner == this) return c;
        if (b == null) throw new KernelException("null buffer");
        throw new KernelException("buffer of another backend (" + b.getClass().getSimpleName() + ") passed to the OpenCL backend");
    }

    private ClWeight weight(Weight w) {
        if (w instanceof ClWeight c && c.owner == this) return c;
        if (w == null) throw new KernelException("null weight");
        throw new KernelException("weight of another backend (" + w.getClass().getSimpleName() + ") passed to the OpenCL backend");
    }

    private static void requireSize(String what, long expected, long found) {
        if (expected != found) throw new KernelException(what + ": expected " + expected + " floats, found " + found);
    }
}
