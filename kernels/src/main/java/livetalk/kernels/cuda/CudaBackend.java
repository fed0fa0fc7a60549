package livetalk.kernels.cuda;

import static livetalk.kernels.cuda.LaunchGeometry.*;

import java.lang.foreign.MemorySegment;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.DeviceMemoryUse;
import livetalk.kernels.KernelException;
import livetalk.kernels.PatchGrid;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Half;
import livetalk.tensor.Tensor;

/**
 * The NVIDIA backend: hand-written CUDA C kernels (sources in {@code kernels/src/main/cuda},
 * committed as PTX) driven through the driver API ({@link CudaDriver}). Matrix products and
 * attention run on the tensor cores with bf16 operands and float32 accumulation, as the official
 * model runs on GPUs; everything else (norms, activations, RoPE, the elementwise ops) stays float32.
 * Activations remain float32 {@link Buf}s on the device; an operand is rounded to bf16 into a
 * per-thread scratch buffer right before the product that reads it, unless it is already bf16:
 * with {@link #useBf16Operands} on, the model keeps the buffers between a producer and its product
 * in bf16 ({@link #operandDtype}), the producers (layer norm, modulate, the GEMM epilogue, the flash
 * kernels) write them rounded exactly as that conversion would, and the products read them as they
 * are: the same bits, one pass fewer.
 *
 * <p>This class holds what the ops share (the context, the per-thread {@link ScratchRegions}, the
 * kernel choices and their switches, buffers and weights) and hands each op to the family that
 * owns its kernels, one file each: the matrix products ({@link CudaGemm}), attention
 * ({@link CudaAttention}), the convolutions ({@link CudaConvolution}), the norms ({@link CudaNorms}),
 * elementwise.cu's ops ({@link CudaElementwise}), the sampler's step ({@link CudaSamplerOps}) and
 * the DiT's opt-in fusions ({@link CudaDitFusions}).
 *
 * <p>Numerics differ from the CPU and OpenCL backends by bf16 rounding: docs/numerics.md gives the
 * tolerances {@code verify --device cuda} applies and how they were derived.
 */
public final class CudaBackend implements Backend {
    /** Threads per block of the elementwise and conversion kernels. */
    static final int BLOCK = 256;
    /** The name suffix of a kernel's instantiation that writes its output as bf16 (the .cu files' store_out). */
    static final String BF16_OUT = "_bf16out";

    private final CudaContext ctx;
    private final ThreadLocal<ScratchRegions> scratch;
    /** The families of ops in files of their own (package access: tests launch a flash kernel directly). */
    final CudaGemm gemms;
    final CudaAttention attentions;
    final CudaConvolution convolutions;
    private final CudaDitFusions ditFusions;
    private final CudaNorms norms;
    private final CudaElementwise elementwise;
    private final CudaSamplerOps samplerOps;

    /** The flash kernels' warps per block, 4 or 8: see {@link #useFlashWarps}. */
    private volatile int flashWarps = 8;
    /** The kernel linear and linearGelu run on: see {@link #useGemm}; set in the constructor. */
    private volatile GemmKernel gemmKernel;
    /** How the TMA GEMM's blocks take its tiles: see {@link #useGemmSchedule}. */
    private volatile TmaTileSchedule gemmSchedule = TmaTileSchedule.TILES;
    /** The mma.sync kernels' k step now: {@link LaunchGeometry#gemmDepthFor} the device, unless a test chose. */
    private volatile int gemmDepth;
    /** The kernel attention's flash path runs on at head size 128: see {@link #useFlash}; set in the constructor. */
    private volatile FlashKernel flashKernel;
    /**
     * Into how many key ranges the TMA flash attention splits ({@link #useFlashSplits}): 1, never;
     * 0, chosen per shape by {@link LaunchGeometry#flashSplits} (the default with the TMA attention,
     * set in the constructor); or that many whenever the keys allow.
     */
    private volatile int flashSplit = 1;
    /** How conv3d forms its patches: see {@link ConvLayout}; set in the constructor. */
    private volatile ConvLayout convLayout;
    /** Whether the VAE's norm is applied as its convolutions' copy is written: see {@link #useVaeFuse}. */
    private volatile boolean vaeFuse;
    /** Whether {@link #operandDtype} is BF16: see {@link #useBf16Operands}. */
    private volatile boolean bf16Operands = BF16_OPERANDS_DEFAULT;
    /** The default of {@link #bf16Operands}: {@link CudaSwitches#FUSE_ENV}, read once, when this class loads. */
    private static final boolean BF16_OPERANDS_DEFAULT = CudaSwitches.fuseConfigured();

    /** The first CUDA device; threads may have streams of their own when {@link CudaSwitches#STREAMS_ENV} says 2. */
    public CudaBackend() {
        this(CudaSwitches.streamsConfigured());
    }

    /**
     * The first CUDA device, with or without streams per thread whatever the environment says
     * (tests). Its kernels are the fastest the device runs ({@link #useFastestKernels}), then
     * those the process's switches name ({@link CudaSwitches#apply}).
     */
    CudaBackend(boolean streamsPerThread) {
        String why = CudaDriver.unavailableReason();
        if (why != null) throw new KernelException(why);
        ctx = new CudaContext(0, streamsPerThread);
        scratch = ThreadLocal.withInitial(() -> new ScratchRegions(ctx));
        gemms = new CudaGemm(this, ctx);
        attentions = new CudaAttention(this, ctx, gemms);
        convolutions = new CudaConvolution(this, ctx);
        ditFusions = new CudaDitFusions(this, ctx);
        norms = new CudaNorms(this, ctx);
        elementwise = new CudaElementwise(this, ctx);
        samplerOps = new CudaSamplerOps(this, ctx);
        useGemmDepth(gemmDepthFor(ctx.smemOptin));
        attentions.allowFlashSharedMemory();
        useFastestKernels();
        CudaSwitches.apply(this);
    }

    /**
     * The defaults: the fastest kernels this device runs (docs/cuda-performance.md#defaults). On
     * compute capability 9.0, as run 10 chose them (each the same bits as the kernel before it, or for
     * the key split within the bf16 bounds, and faster): the TMA GEMM with its tile width by waves in
     * its persistent kernels, the TMA flash attention in ping-pong with its keys split by shape, the
     * TMA convolution in ping-pong, and the VAE's norm and residual adds fused into the convolutions;
     * and, as run 11 chose them, the DiT's q/k norm with RoPE and its layer norm with the modulation
     * in one pass each. Elsewhere mma.sync and the fast convolution, with the same fusions. Asking
     * the device loads the sm_90a modules there; a family whose module does not load takes the next
     * kernel.
     */
    private void useFastestKernels() {
        gemmKernel = tmaGemmUnavailableReason() == null ? GemmKernel.TMA_WAVES
                : wgmmaUnavailableReason() == null ? GemmKernel.WGMMA : GemmKernel.MMA_SYNC;
        gemmSchedule = gemmKernel.tma() ? TmaTileSchedule.PERSISTENT : TmaTileSchedule.TILES;
        flashKernel = flashWgmmaUnavailableReason() == null ? FlashKernel.TMA_PINGPONG : FlashKernel.MMA_SYNC;
        flashSplit = flashKernel.tma() ? 0 : 1;
        convLayout = convUnavailableReason(ConvLayout.TMA_PINGPONG) == null ? ConvLayout.TMA_PINGPONG
                : convUnavailableReason(ConvLayout.WGMMA) == null ? ConvLayout.WGMMA
                : convUnavailableReason(ConvLayout.FAST) == null ? ConvLayout.FAST : ConvLayout.IMPLICIT;
        vaeFuse = convLayout.channelsLast();
        ditFusions.useNormRope(true);   // run 11: the same bits, 3.9 % faster alone
        ditFusions.useNormMod(true);    // 1.6 %; the residual epilogue, 1.5 % slower alone, stays off
    }

    // ------------------------------------------------------------------ the kernel choices and their switches

    /**
     * Chooses the kernel of {@code linear} and {@code linearGelu}; a wgmma one on a device that
     * cannot run it fails with the reason ({@link #wgmmaUnavailableReason}).
     */
    public void useGemm(GemmKernel kernel) {
        if (kernel.wgmma()) {
            String why = kernel.tma() ? tmaGemmUnavailableReason() : wgmmaUnavailableReason();
            if (why != null) throw new KernelException("GEMM " + kernel + ": " + why);
        }
        this.gemmKernel = kernel;
    }

    /** The kernel {@code linear} and {@code linearGelu} run on now. */
    public GemmKernel gemmKernel() {
        return gemmKernel;
    }

    /**
     * How the TMA GEMM's blocks take its tiles: a block per tile, or gemm_tma_sm90.cu's persistent
     * or ping-pong kernels ({@link TmaTileSchedule}; the same bits). Only where the GEMM is the TMA
     * one; elsewhere it changes nothing.
     */
    public void useGemmSchedule(TmaTileSchedule schedule) {
        this.gemmSchedule = java.util.Objects.requireNonNull(schedule);
    }

    /** How the TMA GEMM's blocks take its tiles ({@link #useGemmSchedule}). */
    public TmaTileSchedule gemmSchedule() {
        return gemmSchedule;
    }

    /**
     * Null when the wgmma GEMM can run on this device (compute capability 9.0, and its sm_90a
     * module loaded: done here, on first ask), else why not, in one line.
     */
    public String wgmmaUnavailableReason() {
        return gemms.wgmmaUnavailableReason();
    }

    /**
     * Null when the TMA GEMM can run on this device (compute capability 9.0, and its sm_90a module
     * gemm_tma_sm90 loaded: done here, on first ask, so that a process that never selects it never
     * compiles it), else why not, in one line.
     */
    public String tmaGemmUnavailableReason() {
        return gemms.tmaUnavailableReason();
    }

    /**
     * Chooses the mma.sync kernels' k step, 64 (gemm.cu) or 32 (gemm_k32.cu, loaded here on first
     * use): the same function and the same bits. The constructor takes the device's; tests force 32
     * on a device that could take 64, to check those kernels there.
     */
    void useGemmDepth(int depth) {
        gemms.prepareDepth(depth);
        gemmDepth = depth;
    }

    /** The mma.sync kernels' k step now (64 or 32). */
    int gemmDepth() {
        return gemmDepth;
    }

    /**
     * Chooses the kernel of attention's flash path at head size 128 (64 always takes mma.sync); the
     * wgmma one on a device that cannot run it fails with the reason ({@link #flashWgmmaUnavailableReason}).
     */
    public void useFlash(FlashKernel kernel) {
        if (kernel.wgmma()) {
            String why = flashWgmmaUnavailableReason();
            if (why != null) throw new KernelException("flash attention " + kernel + ": " + why);
        }
        this.flashKernel = kernel;
    }

    /** The kernel attention's flash path runs on now at head size 128. */
    public FlashKernel flashKernel() {
        return flashKernel;
    }

    /**
     * Chooses the flash attention's warps per block, 4 (64 queries) or 8 (128 queries, the
     * default: faster at d = 128 on an H200). Both compute the same function; tests cover each and
     * bench-gpu times each.
     */
    public void useFlashWarps(int flashWarps) {
        if (flashWarps != 4 && flashWarps != 8) throw new KernelException("flash attention warps " + flashWarps + " (4 or 8)");
        this.flashWarps = flashWarps;
    }

    /** The mma.sync flash kernels' warps per block now ({@link #useFlashWarps}). */
    int flashWarps() {
        return flashWarps;
    }

    /**
     * Null when the wgmma flash attention can run on this device (compute capability 9.0, and its
     * sm_90a module attention_sm90 loaded: done here, on first ask), else why not, in one line.
     */
    public String flashWgmmaUnavailableReason() {
        return attentions.wgmmaUnavailableReason();
    }

    /**
     * Splits the TMA flash attention's keys into {@code splits} ranges, each a block of its own,
     * merged by a second kernel ({@code flash_combine_d128}): more blocks for the same work, so the
     * last wave of a grid that fills the device 2.2 times over (288 blocks on 132 SMs at the DiT's
     * shape) is not mostly idle. 0 chooses per shape ({@link LaunchGeometry#flashSplits}); 1 turns it off. The
     * merge adds float32 roundings, so the output differs from the unsplit kernel's in the last bits.
     */
    public void useFlashSplits(int splits) {
        if (splits < 0 || splits > MAX_FLASH_SPLITS) throw new KernelException("flash attention splits " + splits + " (0 = by shape, 1 to " + MAX_FLASH_SPLITS + ")");
        this.flashSplit = splits;
    }

    /** The split setting ({@link #useFlashSplits}): 0 by shape, 1 off, or a count. */
    public int flashSplitSetting() {
        return flashSplit;
    }

    /** How many key ranges the TMA flash attention takes now for this shape (1: unsplit). */
    public int flashSplitsAt(int nq, int nk, int heads) {
        int tiles = (nk + 127) / 128;
        int s = flashSplit == 0 ? flashSplits(nq, nk, heads, ctx.multiprocessors) : Math.min(flashSplit, tiles);
        return Math.max(1, s);
    }

    /** Chooses how conv3d forms its GEMM; a layout this device cannot run fails with the reason ({@link #convUnavailableReason}). */
    public void useConvLayout(ConvLayout layout) {
        String why = convUnavailableReason(layout);
        if (why != null) throw new KernelException("conv3d " + layout + ": " + why);
        this.convLayout = layout;
    }

    /** How conv3d forms its GEMM now. */
    public ConvLayout convLayout() {
        return convLayout;
    }

    /**
     * Null when {@code layout} can run on this device, else why not, in one line: FAST needs its
     * module conv.ptx, WGMMA that and conv_sm90.ptx, which only a compute capability 9.0 device
     * loads, TMA those and conv_tma_sm90.ptx (WGMMA's kernel runs the convolutions TMA's cannot take)
     * (each loaded here, on first ask).
     */
    public String convUnavailableReason(ConvLayout layout) {
        return convolutions.unavailableReason(layout);
    }

    /**
     * Null when the fast convolution can run on this device (its module conv.ptx loaded: done here,
     * on first ask, so that the default path neither pays its JIT time nor depends on it), else why not.
     */
    public String fastConvUnavailableReason() {
        return convolutions.fastUnavailableReason();
    }

    /**
     * Whether the VAE's copies are fused into its convolutions' channels-last copy: {@link
     * #conv3dNormSilu} applies the norm as the copy is written (conv_pad_cl_norm, after
     * rms_scale_channels) instead of running {@code rms_norm_channels}, the copy and the history's
     * update apart, and {@link #conv3dUpsample2x} reads x where the upsample would have
     * (conv_pad_cl_up2) instead of writing the upsampled frame: the same bits, with less memory
     * traffic around the VAE's convolutions. Only where the copy exists (layout FAST, WGMMA or TMA,
     * stride 1); elsewhere the ops are the unfused sequences either way. On by default where the
     * layout has the copy (run 10: the same bits, the latent frame 15 % faster); {@link
     * CudaSwitches#VAE_FUSE_ENV}{@code =0} turns it off.
     */
    public void useVaeFuse(boolean on) {
        this.vaeFuse = on;
    }

    /** Whether the VAE's norm is fused into its convolutions' copy ({@link #useVaeFuse}). */
    public boolean vaeFuse() {
        return vaeFuse;
    }

    /** The DiT's opt-in fused passes and their switches (docs/cuda-performance.md#defaults). */
    public CudaDitFusions ditFusions() {
        return ditFusions;
    }

    @Override
    public boolean fusesNormRope() {
        return ditFusions.normRope() && bf16Operands;
    }

    /**
     * Whether the model keeps GEMM operands between their producer and their product in bf16
     * ({@link #operandDtype} BF16): the modulated norm output read by q, k, v and the FFN, the
     * affine norm output read by the cross-attention's q, the attention outputs read by the output
     * projections, the FFN's hidden layer. Results are bit for bit those with it off: every product
     * rounds its input to bf16 anyway, and the producers round the same way
     * (docs/numerics.md#fused-bf16-operands). Default: on, unless {@code LIVETALK_CUDA_FUSE=0} is
     * in the environment. It applies to buffers the model allocates afterwards, so set it before
     * the model's first call.
     */
    public void useBf16Operands(boolean on) {
        this.bf16Operands = on;
    }

    @Override
    public DType operandDtype() {
        return bf16Operands ? DType.BF16 : DType.F32;
    }

    /**
     * BF16: conv3d rounds every input frame to bf16 before its product (the padded clip, the
     * patch matrix), and attention without a bias at head sizes that are multiples of 8 its k and
     * v (toBf16Rows, the same rounding as toBf16), so inputs kept in bf16 give the same bits from
     * half the memory. Tied to {@link #useBf16Operands} (the same idea for the buffers between a
     * producer and its product): validated with it in run 7 and on by default since; off, the
     * history and text K/V stay float32.
     */
    @Override
    public DType productInputDtype() {
        return operandDtype();
    }

    // ------------------------------------------------------------------ the device: its name, memory figures, timing

    /** Null when a CUDA device can be used, else why not; never throws. */
    public static String unavailableReason() {
        try {
            return CudaDriver.unavailableReason();
        } catch (RuntimeException | LinkageError e) {
            return e.toString();
        }
    }

    @Override
    public String name() {
        return "cuda:" + ctx.name;
    }

    /** Name, compute capability, multiprocessors and memory, for messages. */
    public String deviceDescription() {
        return ctx.name + " (sm_" + ctx.ccMajor + ctx.ccMinor + ", " + ctx.multiprocessors + " SMs, "
                + (ctx.totalMemory >> 20) + " MiB, driver " + CudaDriver.driverVersion() + ")";
    }

    /** Device memory held by this backend's live buffers and weights, in bytes. */
    public long liveBytes() {
        return ctx.liveBytes();
    }

    @Override
    public DeviceMemoryUse deviceMemory() {
        ctx.makeCurrent();
        long[] info = CudaDriver.memInfo();
        return new DeviceMemoryUse(ctx.liveBytes(), info[0], info[1]);
    }

    /** What holds the device memory now and at the peak, and the driver's figures ({@link CudaMemoryReport}). */
    public CudaMemoryReport memoryReport() {
        return ctx.memoryReport();
    }

    /** Starts the peak figures of {@link #memoryReport} again from what is live now. */
    public void resetMemoryPeak() {
        ctx.resetPeak();
    }

    /** Whether threads may run on streams of their own ({@link #concurrentQueue}): {@link CudaSwitches#STREAMS_ENV}. */
    public boolean streamsPerThread() {
        return ctx.lanesEnabled;
    }

    /** Waits until every queued kernel has finished (for timing). */
    public void synchronize() {
        ctx.makeCurrent();
        CudaDriver.synchronize();
    }

    /** Starts timing every kernel launch on the GPU (until {@link #profileReport()}). */
    public void startProfile() {
        ctx.profile = new KernelProfile();
    }

    /** GPU milliseconds per kernel since {@link #startProfile()}, one line each, most first; stops profiling. */
    public String profileReport() {
        KernelProfile p = ctx.profile;
        ctx.profile = null;
        if (p == null) return "(no profile was started)\n";
        ctx.makeCurrent();
        CudaDriver.synchronize();
        return p.report();
    }

    /** A GPU timer: {@code record()} before and after, then {@link Timer#elapsedMs}. */
    public Timer timer() {
        ctx.makeCurrent();
        return new Timer(CudaDriver.event(), CudaDriver.event());
    }

    public final class Timer {
        private final MemorySegment start, end;

        private Timer(MemorySegment start, MemorySegment end) {
            this.start = start;
            this.end = end;
        }

        /** Recorded on the calling thread's stream: time its own work. */
        public void start() {
            ctx.makeCurrent();
            CudaDriver.record(start, ctx.stream());
        }

        public void stop() {
            ctx.makeCurrent();
            CudaDriver.record(end, ctx.stream());
        }

        public double elapsedMs() {
            ctx.makeCurrent();
            return CudaDriver.elapsedMs(start, end);
        }
    }

    @Override
    public void close() {
        ctx.makeCurrent();
        CudaDriver.synchronize();
    }

    // ------------------------------------------------------------------ memory

    @Override
    public Buf alloc(long n) {
        if (n < 0) throw new KernelException("cannot allocate " + n + " floats");
        CudaBuf b = new CudaBuf(new DeviceMemory(ctx, n * Float.BYTES, CudaMemoryReport.Use.BUFFERS_F32), 0, n);
        fill(b, 0f);
        return b;
    }

    @Override
    public Buf alloc(long n, DType dtype) {
        if (dtype == DType.F32) return alloc(n);
        if (dtype != DType.BF16) throw new KernelException("buffers hold F32 or BF16, not " + dtype);
        if (n < 0) throw new KernelException("cannot allocate " + n + " bf16 values");
        // 2 bytes per element, rounded up to whole 32-bit words so that one memset zeroes it.
        CudaBuf b = new CudaBuf(new DeviceMemory(ctx, (n + 1) / 2 * 4, CudaMemoryReport.Use.BUFFERS_BF16), 0, n, DType.BF16);
        ctx.makeCurrent();
        if (n > 0) ctx.profiled("memset", st -> CudaDriver.fill32(b.ptr(), 0, (n + 1) / 2, st));
        return b;
    }

    @Override
    public void toBf16(Buf src, Buf dst) {
        CudaBuf s = buf(src), d = anyBuf(dst);
        if (d.dtype != DType.BF16) throw new KernelException("toBf16: the destination must be a bf16 buffer, found " + d.dtype);
        requireSize("toBf16", s.len, d.len);
        if (s.len == 0) return;
        if (s.len > Integer.MAX_VALUE) throw new KernelException("toBf16 of " + s.len + " elements (at most 2^31 - 1 at once)");
        // One row of len elements: the GEMM-operand conversion, without padding.
        int n = (int) s.len;
        ctx.launch("f32_to_bf16_rows", ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0,
                ctx.args().ptr(s.ptr()).i64(n).ptr(d.ptr()).i32(n).i32(1).i32(n));
    }

    @Override
    public Buf upload(float[] data) {
        CudaBuf b = new CudaBuf(new DeviceMemory(ctx, (long) data.length * Float.BYTES, CudaMemoryReport.Use.BUFFERS_F32), 0, data.length);
        write(b, data);
        return b;
    }

    @Override
    public void write(Buf dst, float[] src) {
        CudaBuf d = buf(dst);
        requireSize("write", src.length, d.len);
        ctx.makeCurrent();
        if (src.length > 0) ctx.profiled("memcpy HtoD", st -> CudaDriver.copyToDevice(d.ptr(), MemorySegment.ofArray(src), (long) src.length * Float.BYTES, st));
    }

    @Override
    public float[] read(Buf src) {
        CudaBuf s = anyBuf(src);
        if (s.len > Integer.MAX_VALUE - 8) throw new KernelException("cannot read " + s.len + " floats into one array");
        float[] out = new float[(int) s.len];
        ctx.makeCurrent();
        if (out.length == 0) return out;
        if (s.dtype == DType.BF16) {
            short[] h = new short[out.length];
            ctx.profiled("memcpy DtoH", st -> CudaDriver.copyToHost(MemorySegment.ofArray(h), s.ptr(), (long) h.length * 2, st));
            for (int i = 0; i < h.length; i++) out[i] = Half.bf16ToF32(h[i]);
            return out;
        }
        ctx.profiled("memcpy DtoH", st -> CudaDriver.copyToHost(MemorySegment.ofArray(out), s.ptr(), (long) out.length * Float.BYTES, st));
        return out;
    }

    @Override
    public void copy(Buf src, Buf dst) {
        CudaBuf s = anyBuf(src), d = anyBuf(dst);
        if (s.dtype != d.dtype) throw new KernelException("copy: " + s.dtype + " buffer into a " + d.dtype + " buffer (use toBf16)");
        requireSize("copy", s.len, d.len);
        ctx.makeCurrent();
        if (s.len > 0) ctx.profiled("memcpy DtoD", st -> CudaDriver.copyOnDevice(d.ptr(), s.ptr(), s.len * s.dtype.byteSize(), st));
    }

    @Override
    public void fill(Buf dst, float value) {
        CudaBuf d = buf(dst);
        ctx.makeCurrent();
        if (d.len > 0) ctx.profiled("memset", st -> CudaDriver.fill32(d.ptr(), Float.floatToRawIntBits(value), d.len, st));
    }

    @Override
    public Weight weight(Tensor t) {
        if (!t.dtype().isFloat()) throw new KernelException("weight of dtype " + t.dtype() + " (expected F32, BF16 or F16)");
        return new CudaWeight(t.contiguous(), this);
    }

    @Override
    public void free(Buf b) {
        anyBuf(b).mem.free();
    }

    @Override
    public void release(Weight w) {
        weight(w).release();
    }

    /** Frees this thread's scratch regions and returns the pool's unused memory to the device. */
    @Override
    public void trimMemory() {
        scratch.get().free();
        ctx.trimPool();
    }

    /**
     * With {@link CudaSwitches#STREAMS_ENV}=2: the calling thread issues to a CUDA stream of its own
     * until the scope is closed (the hazards this opens and how each is closed:
     * {@link CudaContext#release}, {@link #published}, docs/cuda-performance.md#streams). Otherwise,
     * or when the thread already has one, nothing changes.
     */
    @Override
    public Scope concurrentQueue() {
        CudaContext.Lane lane = ctx.openLane();
        return lane == null ? () -> { } : lane::close;
    }

    /** This thread's scratch regions. */
    ScratchRegions scratch() {
        return scratch.get();
    }

    /** A bf16 buffer widened to float32 in this thread's scratch region {@code slot}; returns its address. */
    long widenToScratch(CudaBuf b, int slot) {
        long dst = scratch.get().region(slot, Math.max(4, b.len * Float.BYTES));
        if (b.len > 0) {
            ctx.launch("weight_to_f32", ctx.gridFor(b.len, BLOCK), 1, 1, BLOCK, 0,
                    ctx.args().ptr(b.ptr()).i32(dtypeCode(DType.BF16)).ptr(dst).i64(b.len));
        }
        return dst;
    }

    /**
     * The tensor's bytes as they are in the file, on the device: the weight's form itself when
     * {@code use} says so, else staging that the caller converts and frees.
     */
    DeviceMemory uploadRaw(Tensor t, CudaMemoryReport.Use use) {
        DeviceMemory m = new DeviceMemory(ctx, t.byteSize(), use);
        ctx.makeCurrent();
        if (t.byteSize() > 0) ctx.profiled("memcpy HtoD (weight)", st -> CudaDriver.copyToDevice(m.ptr, t.segment(), t.byteSize(), st));
        return m;
    }

    /**
     * A weight form about to be published to every thread: with streams per thread it was made on
     * the uploading thread's stream, which another thread's stream does not wait for, so wait for
     * it here, once per form (weights are made on first use, so this costs the first call only).
     * With one stream for everything, stream order alone covers every reader.
     */
    DeviceMemory published(DeviceMemory m) {
        if (ctx.lanesEnabled) CudaDriver.synchronize(ctx.stream());
        return m;
    }

    static int dtypeCode(DType d) {
        return switch (d) {
            case F32 -> 0;
            case BF16 -> 1;
            case F16 -> 2;
            case I64 -> throw new KernelException("I64 weight");
        };
    }

    DeviceMemory uploadF32(Tensor t) {
        if (t.dtype() == DType.F32) return published(uploadRaw(t, CudaMemoryReport.Use.WEIGHTS_F32));
        DeviceMemory raw = uploadRaw(t, CudaMemoryReport.Use.STAGING);
        DeviceMemory m = new DeviceMemory(ctx, t.numel() * Float.BYTES, CudaMemoryReport.Use.WEIGHTS_F32);
        long n = t.numel();
        ctx.launch("weight_to_f32", ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0,
                ctx.args().ptr(raw.ptr).i32(dtypeCode(t.dtype())).ptr(m.ptr).i64(n));
        raw.free();
        return published(m);
    }

    DeviceMemory uploadBf16Matrix(Tensor t, int rows, int cols, int ld) {
        if (t.dtype() == DType.BF16 && ld == cols) return published(uploadRaw(t, CudaMemoryReport.Use.WEIGHTS_BF16));
        DeviceMemory raw = uploadRaw(t, CudaMemoryReport.Use.STAGING);
        DeviceMemory m = new DeviceMemory(ctx, (long) rows * ld * 2, CudaMemoryReport.Use.WEIGHTS_BF16);
        long n = (long) rows * ld;
        ctx.launch("weight_to_bf16", ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0,
                ctx.args().ptr(raw.ptr).i32(dtypeCode(t.dtype())).ptr(m.ptr).i32(ld).i64(rows).i32(cols));
        raw.free();
        return published(m);
    }

    // ------------------------------------------------------------------ dense layers and attention (CudaGemm, CudaAttention)

    @Override
    public void linear(Buf x, Buf out, int rows, Weight w, Weight bias) {
        gemms.linear(x, out, rows, w, bias, false);
    }

    /** GELU-tanh applied in the product's epilogue: the FFN's hidden layer is written once. */
    @Override
    public void linearGelu(Buf x, Buf out, int rows, Weight w, Weight bias) {
        gemms.linear(x, out, rows, w, bias, true);
    }

    @Override
    public void linearResidual(Buf a, Buf out, int rows, Weight w, Weight bias, Buf x, Buf gate, long stride, int rowsPerFrame) {
        if (ditFusions.residualEpilogue() && gemms.linearResidual(a, rows, w, bias, x, gate, stride, rowsPerFrame)) return;
        Backend.super.linearResidual(a, out, rows, w, bias, x, gate, stride, rowsPerFrame);
    }

    /**
     * q and out may be float32 or bf16 (operand buffers: {@link #useBf16Operands}); k and v float32
     * or bf16 (the KV cache), both of one dtype ({@link CudaAttention}).
     */
    @Override
    public void attention(Buf q, Buf k, Buf v, Buf out, int nq, int nk, int heads, int headDim, float scale, Buf bias) {
        attentions.attention(q, k, v, out, nq, nk, heads, headDim, scale, bias);
    }

    // ------------------------------------------------------------------ norms (CudaNorms; the fused ones CudaDitFusions)

    @Override
    public void layerNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma, Weight beta) {
        norms.layerNorm(x, out, rows, dim, eps, gamma, beta);
    }

    @Override
    public void rmsNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma) {
        norms.rmsNorm(x, out, rows, dim, eps, gamma);
    }

    @Override
    public void rmsNormRope(Buf x, Buf out, int rows, int dim, float eps, Weight gamma, int heads, int headDim, Buf cos, Buf sin) {
        if (ditFusions.normRope()) ditFusions.rmsNormRope(x, out, rows, dim, eps, gamma, heads, headDim, cos, sin);
        else Backend.super.rmsNormRope(x, out, rows, dim, eps, gamma, heads, headDim, cos, sin);
    }

    @Override
    public void layerNormModulateFrames(Buf x, Buf normed, float eps, Buf shift, Buf scale, long stride, Buf out, int frames,
                                        int rowsPerFrame, int dim) {
        if (ditFusions.normMod()) ditFusions.layerNormModulateFrames(x, eps, shift, scale, stride, out, frames, rowsPerFrame, dim);
        else Backend.super.layerNormModulateFrames(x, normed, eps, shift, scale, stride, out, frames, rowsPerFrame, dim);
    }

    @Override
    public void rmsNormChannels(Buf x, Buf out, int frames, int channels, int pixels, float eps, Weight gamma, boolean silu) {
        norms.rmsNormChannels(x, out, frames, channels, pixels, eps, gamma, silu);
    }

    @Override
    public void channelNormOverTime(Buf y, Buf out, int t, int c, float eps, Weight gamma, Weight beta) {
        norms.channelNormOverTime(y, out, t, c, eps, gamma, beta);
    }

    // ------------------------------------------------------------------ activations, RoPE, elementwise (CudaElementwise)

    @Override
    public void gelu(Buf x, Buf out, boolean tanh) {
        elementwise.gelu(x, out, tanh);
    }

    @Override
    public void silu(Buf x, Buf out) {
        elementwise.silu(x, out);
    }

    @Override
    public void rope(Buf x, int rows, int heads, int headDim, Buf cos, Buf sin) {
        elementwise.rope(x, rows, heads, headDim, cos, sin);
    }

    @Override
    public void add(Buf a, Buf b, Buf out) {
        elementwise.add(a, b, out);
    }

    @Override
    public void mul(Buf a, Buf b, Buf out) {
        elementwise.mul(a, b, out);
    }

    @Override
    public void axpby(float alpha, Buf a, float beta, Buf b, Buf out) {
        elementwise.axpby(alpha, a, beta, b, out);
    }

    @Override
    public void addRow(Buf x, Buf vec, Buf out, int rows, int dim) {
        elementwise.addRow(x, vec, out, rows, dim);
    }

    @Override
    public void modulate(Buf x, Buf shift, Buf scale, Buf out, int rows, int dim) {
        elementwise.modulate(x, shift, scale, out, rows, dim);
    }

    @Override
    public void gatedAdd(Buf x, Buf y, Buf gate, int rows, int dim) {
        elementwise.gatedAdd(x, y, gate, rows, dim);
    }

    @Override
    public void modulateFrames(Buf x, Buf shift, Buf scale, long stride, Buf out, int frames, int rowsPerFrame, int dim) {
        elementwise.modulateFrames(x, shift, scale, stride, out, frames, rowsPerFrame, dim);
    }

    @Override
    public void addRowFrames(Buf x, Buf vecs, long stride, Buf out, int frames, int rowsPerFrame, int dim) {
        elementwise.addRowFrames(x, vecs, stride, out, frames, rowsPerFrame, dim);
    }

    @Override
    public void gatedAddFrames(Buf x, Buf y, Buf gate, long stride, int frames, int rowsPerFrame, int dim) {
        elementwise.gatedAddFrames(x, y, gate, stride, frames, rowsPerFrame, dim);
    }

    @Override
    public void upsampleNearest2x(Buf x, Buf out, int planes, int h, int w) {
        elementwise.upsampleNearest2x(x, out, planes, h, w);
    }

    @Override
    public void transpose(Buf x, Buf out, int rows, int cols) {
        elementwise.transpose(x, out, rows, cols);
    }

    @Override
    public void columns1d(Buf x, int t, int channels, int c0, int cn, int kernel, int stride, int pad, int outT, Buf col) {
        elementwise.columns1d(x, t, channels, c0, cn, kernel, stride, pad, outT, col);
    }

    // ------------------------------------------------------------------ the sampler's step (CudaSamplerOps)

    @Override
    public void patchify(Buf src, long frameStride, long channelStride, int channels, Buf out, int outChannels, int c0, PatchGrid g) {
        samplerOps.patchify(src, frameStride, channelStride, channels, out, outChannels, c0, g);
    }

    @Override
    public void unpatchify(Buf tokens, int channels, Buf out, PatchGrid g) {
        samplerOps.unpatchify(tokens, channels, out, g);
    }

    @Override
    public void subtractScaled(Buf a, double s, Buf b, Buf out) {
        samplerOps.subtractScaled(a, s, b, out);
    }

    // ------------------------------------------------------------------ the VAE's convolutions (CudaConvolution)

    /** On the tensor cores in the layout {@link #useConvLayout} chose ({@link CudaConvolution}). */
    @Override
    public void conv3d(Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, Conv3dSpec s, Weight weight, Weight bias) {
        convolutions.conv3d(convLayout, hist, histFrames, x, frames, h, w, out, null, s, weight, bias);
    }

    /** The residual added in the convolution's epilogue where {@link CudaConvolution#fusesResidual} says so, else conv3d then add (the default). */
    @Override
    public void conv3dResidual(Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, Buf residual, Conv3dSpec s,
                               Weight weight, Weight bias) {
        ConvLayout layout = convLayout;
        if (convolutions.fusesResidual(layout, s)) convolutions.conv3d(layout, hist, histFrames, x, frames, h, w, out, residual, s, weight, bias);
        else Backend.super.conv3dResidual(hist, histFrames, x, frames, h, w, out, residual, s, weight, bias);
    }

    /**
     * Fused into the convolution's copy, the residual (if any) added in its epilogue, where {@link
     * CudaConvolution#fusesNorm} says so, else the unfused sequence (the default).
     */
    @Override
    public void conv3dNormSilu(Buf hist, int histFrames, int keep, Buf x, int frames, int h, int w, Weight gamma, float eps,
                               Buf normed, Buf out, Buf residual, Conv3dSpec s, Weight weight, Weight bias) {
        ConvLayout layout = convLayout;
        if (convolutions.fusesNorm(layout, s)) {
            convolutions.conv3dNormSilu(layout, hist, histFrames, keep, x, frames, h, w, gamma, eps, out, residual, s, weight, bias);
        } else {
            Backend.super.conv3dNormSilu(hist, histFrames, keep, x, frames, h, w, gamma, eps, normed, out, residual, s, weight, bias);
        }
    }

    /** None where the upsample is read in the convolution's copy ({@link CudaConvolution#fusesUpsample}). */
    @Override
    public long upsampleRoom(Conv3dSpec s, int h, int w) {
        return convolutions.fusesUpsample(convLayout, s) ? 0 : Backend.super.upsampleRoom(s, h, w);
    }

    /** Fused into the convolution's copy where {@link CudaConvolution#fusesUpsample} says so, else the unfused sequence (the default). */
    @Override
    public void conv3dUpsample2x(Buf x, int frames, int h, int w, Buf up, Buf out, Conv3dSpec s, Weight weight, Weight bias) {
        ConvLayout layout = convLayout;
        if (convolutions.fusesUpsample(layout, s)) convolutions.conv3dUpsample2x(layout, x, frames, h, w, out, s, weight, bias);
        else Backend.super.conv3dUpsample2x(x, frames, h, w, up, out, s, weight, bias);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * A float32 buffer: what every op takes but the storage ones (read, copy, toBf16), attention's k
     * and v, and the operand buffers of {@link #operandDtype} (linear's x and out, attention's q and
     * out, the norms' and modulate's out).
     */
    CudaBuf buf(Buf b) {
        CudaBuf c = anyBuf(b);
        if (c.dtype != DType.F32) {
            throw new KernelException("bf16 buffer " + b + " passed where float32 is required (bf16 is taken by the storage ops, as"
                    + " attention's k, v, q and out, linear's x and out, and the row norms' and modulate's out)");
        }
        return c;
    }

    CudaBuf anyBuf(Buf b) {
        if (b instanceof CudaBuf c) return c;
        throw new KernelException("buffer " + b + " does not belong to the CUDA backend");
    }

    CudaWeight weight(Weight w) {
        if (w instanceof CudaWeight c && c.owner() == this) return c;
        throw new KernelException("weight does not belong to this CUDA backend");
    }

    /** A weight used as a float32 vector of {@code n} elements. */
    long vector(Weight w, long n) {
        CudaWeight cw = weight(w);
        requireSize("parameter vector", n, cw.numel());
        return cw.f32Ptr();
    }

    static void requireSize(String what, long expected, long actual) {
        if (expected != actual) throw new KernelException(what + ": expected " + expected + " elements, found " + actual);
    }

    static int pad8(int n) {
        return (n + 7) & ~7;
    }
}
