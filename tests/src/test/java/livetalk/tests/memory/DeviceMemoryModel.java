package livetalk.tests.memory;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.PatchGrid;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * A backend that computes nothing and keeps the books of the CUDA backend's device memory, so that
 * where the GPU memory of a whole pipeline goes can be worked out (and checked in a test) on a
 * machine without a GPU. Every op checks that no buffer it is given was freed (a use after free in
 * model code fails here, where on a GPU it would silently read reused memory); reads return zeros.
 *
 * <p>What it models, from {@code livetalk.kernels.cuda.CudaBackend} (keep the two in step):
 * buffers ({@code alloc}: float32 4 bytes, bf16 2, rounded up to whole 32-bit words, at least
 * 16 bytes); weights made resident on first use in the form their kernel reads (a bf16 matrix
 * {@code rows × pad8(cols)} for products and convolutions, float32 for biases and norm gains);
 * the per-thread scratch regions ({@code ScratchRegions}: grown to 1.25× the request, the
 * old region freed) with the sizes each op asks for. Buffers that become unreachable stay counted
 * until {@link #free}d, as on the GPU where the cleaner frees them only after a garbage collection,
 * which device memory does not trigger.
 *
 * <p>Each allocation is charged to the first model class on the stack (e.g. {@code vae.Workspace},
 * {@code dit.KvCache}) under the phase it happened in (VAE encode, VAE decode, DiT), so the
 * report says which object holds the memory.
 */
final class DeviceMemoryModel implements Backend {
    /** The categories the CUDA backend counts. */
    enum Kind { WEIGHTS_BF16, WEIGHTS_F32, BUFFERS_F32, BUFFERS_BF16, SCRATCH }

    /** One device allocation. */
    final class Mem {
        final long bytes;
        final Kind kind;
        final String owner;
        boolean freed;

        Mem(long bytes, Kind kind) {
            this.bytes = Math.max(bytes, 16);
            this.kind = kind;
            this.owner = kind + " " + owner();
            charge(this, +1);
        }

        void free() {
            synchronized (DeviceMemoryModel.this) {
                if (freed) return;
                freed = true;
                charge(this, -1);
            }
        }
    }

    record FakeBuf(Mem mem, long off, long len, DType dtype) implements Buf {
        @Override
        public long size() {
            return len;
        }

        @Override
        public Buf view(long offset, long length) {
            if (offset < 0 || length < 0 || offset + length > len) throw new IllegalArgumentException("view outside the buffer");
            return new FakeBuf(mem, off + offset, length, dtype);
        }
    }

    final class FakeWeight implements Weight {
        final Tensor t;
        Mem bf16, f32;
        /** Released since its forms were last made: making one again counts in {@link #remadeWeights}. */
        boolean released;

        FakeWeight(Tensor t) {
            this.t = t;
        }

        @Override
        public Tensor tensor() {
            return t;
        }

        int rows() {
            return t.rank() == 0 ? 1 : (int) t.dim(0);
        }

        synchronized void matrix() {
            if (bf16 == null) {
                remade();
                bf16 = new Mem((long) rows() * pad8((int) (t.numel() / Math.max(1, rows()))) * 2, Kind.WEIGHTS_BF16);
            }
        }

        synchronized void vector() {
            if (f32 == null) {
                remade();
                f32 = new Mem(t.numel() * 4, Kind.WEIGHTS_F32);
            }
        }

        private void remade() {
            if (!released) return;
            released = false;
            synchronized (DeviceMemoryModel.this) {
                remadeWeights++;
            }
        }
    }

    private final Map<String, Long> live = new HashMap<>();
    private final long[] liveByKind = new long[Kind.values().length];
    private long liveTotal, peakTotal;
    private int remadeWeights;
    private Map<String, Long> atPeak = Map.of();
    private long[] kindsAtPeak = new long[Kind.values().length];
    private final ThreadLocal<Mem[]> scratch = ThreadLocal.withInitial(() -> new Mem[8]);
    private final DType operandDtype;

    DeviceMemoryModel(DType operandDtype) {
        this.operandDtype = operandDtype;
    }

    private synchronized void charge(Mem m, int sign) {
        live.merge(m.owner, sign * m.bytes, Long::sum);
        liveByKind[m.kind.ordinal()] += sign * m.bytes;
        liveTotal += sign * m.bytes;
        if (liveTotal > peakTotal) {
            peakTotal = liveTotal;
            atPeak = new HashMap<>(live);
            kindsAtPeak = liveByKind.clone();
        }
    }

    /** The phase and the first model class on the stack: where an allocation is charged. */
    private static String owner() {
        String[] found = new String[2];
        StackWalker.getInstance().forEach(f -> {
            String c = f.getClassName();
            if (found[0] == null && (c.startsWith("livetalk.model.") || c.startsWith("livetalk.sampler."))) {
                found[0] = c.substring(c.indexOf('.', 9) + 1);
            }
            if (found[1] == null) {
                if (c.endsWith("WanVae") && f.getMethodName().startsWith("encode")) found[1] = "VAE encode";
                else if (c.endsWith("WanVae") && f.getMethodName().startsWith("decode")) found[1] = "VAE decode";
                else if (c.endsWith("CausalDit") || c.endsWith("CausalInference")) found[1] = "DiT";
            }
        });
        return (found[1] == null ? "other" : found[1]) + ": " + (found[0] == null ? "?" : found[0]);
    }

    long peakBytes() {
        return peakTotal;
    }

    synchronized long liveBytes() {
        return liveTotal;
    }

    /** Bytes of kind {@code k} held now. */
    synchronized long live(Kind k) {
        return liveByKind[k.ordinal()];
    }

    /** Bytes held now whose owner label contains {@code part} (e.g. {@code "VAE decode: vae.CausalConv3d"}, the decoder's history). */
    synchronized long liveOwnedBy(String part) {
        return live.entrySet().stream().filter(e -> e.getKey().contains(part)).mapToLong(Map.Entry::getValue).sum();
    }

    /** Weights made resident again after a {@link #release}: each is an upload the device repeats. */
    synchronized int remadeWeights() {
        return remadeWeights;
    }

    synchronized long peak(Kind k) {
        return kindsAtPeak[k.ordinal()];
    }

    /** Bytes at the peak whose owner label contains {@code part}. */
    synchronized long atPeak(String part) {
        return atPeak.entrySet().stream().filter(e -> e.getKey().contains(part)).mapToLong(Map.Entry::getValue).sum();
    }

    /** The peak, by category, then by owner (entries over 1 MiB). */
    synchronized String report() {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "peak %.2f GiB (%.2f GB); now %.2f GiB%n", gib(peakTotal),
                peakTotal / 1e9, gib(liveTotal)));
        for (Kind k : Kind.values()) s.append(String.format(Locale.ROOT, "  %-13s %8.3f GiB%n", k, gib(kindsAtPeak[k.ordinal()])));
        new TreeMap<>(atPeak).forEach((owner, bytes) -> {
            if (bytes > (1 << 20)) s.append(String.format(Locale.ROOT, "    %-60s %8.3f GiB%n", owner, gib(bytes)));
        });
        return s.toString();
    }

    static double gib(long bytes) {
        return bytes / (double) (1L << 30);
    }

    static int pad8(int n) {
        return (n + 7) & ~7;
    }

    // ------------------------------------------------------------------ checks

    private static FakeBuf b(Buf x) {
        FakeBuf f = (FakeBuf) x;
        if (f.mem.freed) throw new IllegalStateException("use after free of a buffer of " + f.mem.bytes + " bytes (" + f.mem.owner + ")");
        return f;
    }

    private static FakeWeight w(Weight x) {
        return (FakeWeight) x;
    }

    /** ScratchRegions.region: grown to 1.25× the request, the old region freed. */
    private void region(int slot, long bytes) {
        Mem[] r = scratch.get();
        if (r[slot] == null || r[slot].bytes < bytes) {
            if (r[slot] != null) r[slot].free();
            r[slot] = new Mem(bytes + bytes / 4, Kind.SCRATCH);
        }
    }

    // ------------------------------------------------------------------ memory

    @Override
    public String name() {
        return "device memory model (CUDA)";
    }

    @Override
    public DType operandDtype() {
        return operandDtype;
    }

    /** As CudaBackend: the VAE's causal history in bf16. */
    @Override
    public DType productInputDtype() {
        return DType.BF16;
    }

    @Override
    public Buf alloc(long n) {
        return new FakeBuf(new Mem(n * 4, Kind.BUFFERS_F32), 0, n, DType.F32);
    }

    @Override
    public Buf alloc(long n, DType dtype) {
        if (dtype == DType.F32) return alloc(n);
        return new FakeBuf(new Mem((n + 1) / 2 * 4, Kind.BUFFERS_BF16), 0, n, DType.BF16);
    }

    @Override
    public void toBf16(Buf src, Buf dst) {
        b(src);
        b(dst);
    }

    @Override
    public Buf upload(float[] data) {
        return alloc(data.length);
    }

    @Override
    public void write(Buf dst, float[] src) {
        b(dst);
    }

    @Override
    public float[] read(Buf src) {
        return new float[(int) b(src).len];
    }

    @Override
    public void copy(Buf src, Buf dst) {
        b(src);
        b(dst);
    }

    @Override
    public void fill(Buf dst, float value) {
        b(dst);
    }

    @Override
    public Weight weight(Tensor t) {
        return new FakeWeight(t);
    }

    @Override
    public void free(Buf x) {
        b(x).mem.free();
    }

    @Override
    public void release(Weight x) {
        FakeWeight f = w(x);
        synchronized (f) {
            if (f.bf16 != null) f.bf16.free();
            if (f.f32 != null) f.f32.free();
            f.bf16 = f.f32 = null;
            f.released = true;
        }
    }

    /** CudaBackend.trimMemory: this thread's scratch regions freed. */
    @Override
    public void trimMemory() {
        Mem[] r = scratch.get();
        for (int i = 0; i < r.length; i++) {
            if (r[i] != null) r[i].free();
            r[i] = null;
        }
    }

    // ------------------------------------------------------------------ ops: only their memory

    @Override
    public void linear(Buf x, Buf out, int rows, Weight weight, Weight bias) {
        FakeBuf xb = b(x);
        b(out);
        FakeWeight fw = w(weight);
        fw.matrix();
        if (bias != null) w(bias).vector();
        int ld = pad8((int) (fw.t.numel() / fw.rows()));
        // operand(): a bf16 buffer laid out at stride ld goes in as it is; else rounded into region 0
        if (!(xb.dtype == DType.BF16 && ld == fw.t.numel() / fw.rows())) region(0, (long) rows * ld * 2);
    }

    @Override
    public void attention(Buf q, Buf k, Buf v, Buf out, int nq, int nk, int heads, int headDim, float scale, Buf bias) {
        FakeBuf qb = b(q), kb = b(k), ob = b(out);
        b(v);
        if (bias != null) b(bias);
        int width = heads * headDim;
        boolean bf16Kv = kb.dtype == DType.BF16;
        if (bias == null && (headDim == 64 || headDim == 128)) {
            if (qb.dtype != DType.BF16) region(0, (long) nq * width * 2);
            if (!bf16Kv) {
                region(1, (long) nk * width * 2);
                region(2, (long) nk * width * 2);
            }
            return;
        }
        if (ob.dtype == DType.BF16) region(6, Math.max(4, ob.len * 4));
        if (bias == null && headDim % 8 == 0) {
            int ldp = pad8(nk);
            if (qb.dtype != DType.BF16) region(0, (long) nq * width * 2);
            if (!bf16Kv) {
                region(1, (long) nk * width * 2);
                region(2, (long) nk * width * 2);
            }
            long rows = Math.max(1, Math.min(nq, (4L << 20) / Math.max(ldp, 1)));
            region(4, rows * Math.max(ldp, 1) * 4);
            region(5, rows * Math.max(ldp, 1) * 2);
        } else {
            if (qb.dtype == DType.BF16) region(0, qb.len * 4);
            if (bf16Kv) {
                region(1, kb.len * 4);
                region(2, kb.len * 4);
            }
        }
    }

    @Override
    public void layerNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma, Weight beta) {
        b(x);
        b(out);
        if (gamma != null) w(gamma).vector();
        if (beta != null) w(beta).vector();
    }

    @Override
    public void rmsNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma) {
        b(x);
        b(out);
        if (gamma != null) w(gamma).vector();
    }

    @Override
    public void gelu(Buf x, Buf out, boolean tanh) {
        b(x);
        b(out);
    }

    @Override
    public void silu(Buf x, Buf out) {
        b(x);
        b(out);
    }

    @Override
    public void rope(Buf x, int rows, int heads, int headDim, Buf cos, Buf sin) {
        b(x);
        b(cos);
        b(sin);
    }

    @Override
    public void add(Buf a, Buf bb, Buf out) {
        b(a);
        b(bb);
        b(out);
    }

    @Override
    public void mul(Buf a, Buf bb, Buf out) {
        add(a, bb, out);
    }

    @Override
    public void axpby(float alpha, Buf a, float beta, Buf bb, Buf out) {
        add(a, bb, out);
    }

    @Override
    public void addRow(Buf x, Buf vec, Buf out, int rows, int dim) {
        add(x, vec, out);
    }

    @Override
    public void modulate(Buf x, Buf shift, Buf scale, Buf out, int rows, int dim) {
        add(x, shift, out);
        b(scale);
    }

    @Override
    public void gatedAdd(Buf x, Buf y, Buf gate, int rows, int dim) {
        add(x, y, gate);
    }

    @Override
    public void conv3d(Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, Conv3dSpec s, Weight weight, Weight bias) {
        boolean hist16 = hist != null && histFrames > 0 && b(hist).dtype == DType.BF16;
        b(x);
        b(out);
        w(weight).matrix();
        if (bias != null) w(bias).vector();
        int kdim = s.cin() * s.kt() * s.kh() * s.kw();
        if (s.st() == 1 && s.sh() == 1 && s.sw() == 1) {
            // conv3dImplicit: one zero-padded bf16 copy of [padFront + history + frames] frames
            long plane = (long) (h + s.padTop() + s.padBottom()) * (w + s.padLeft() + s.padRight()) + s.kw();
            region(3, (long) (s.padFront() + histFrames + frames) * s.cin() * plane * 2);
        } else {
            // conv3dKn: a bf16 history widened into region 7, patches [K, pixels] in chunks of at most 128 Mi bf16 elements
            if (hist16) region(7, hist.size() * 4);
            long pixels = (long) s.outH(h) * s.outW(w);
            long chunk = Math.max(8, Math.min(pad8((int) Math.min(pixels, Integer.MAX_VALUE - 8)), (128L << 20) / kdim / 8 * 8));
            region(3, (long) kdim * pad8((int) Math.min(chunk, pixels)) * 2);
        }
    }

    @Override
    public void rmsNormChannels(Buf x, Buf out, int frames, int channels, int pixels, float eps, Weight gamma, boolean silu) {
        b(x);
        b(out);
        w(gamma).vector();
    }

    @Override
    public void upsampleNearest2x(Buf x, Buf out, int planes, int h, int w) {
        b(x);
        b(out);
    }

    @Override
    public void transpose(Buf x, Buf out, int rows, int cols) {
        b(x);
        b(out);
    }

    @Override
    public void patchify(Buf src, long frameStride, long channelStride, int channels, Buf out, int outChannels, int c0, PatchGrid g) {
        b(src);
        b(out);
    }

    @Override
    public void unpatchify(Buf tokens, int channels, Buf out, PatchGrid g) {
        b(tokens);
        b(out);
    }

    @Override
    public void subtractScaled(Buf a, double s, Buf b, Buf out) {
        b(a);
        b(b);
        b(out);
    }
}
