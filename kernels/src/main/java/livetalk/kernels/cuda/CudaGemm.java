package livetalk.kernels.cuda;

import static livetalk.kernels.cuda.CudaBackend.BF16_OUT;
import static livetalk.kernels.cuda.CudaBackend.BLOCK;
import static livetalk.kernels.cuda.CudaBackend.requireSize;
import static livetalk.kernels.cuda.LaunchGeometry.*;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;

/**
 * The CUDA backend's matrix products ({@link CudaBackend#linear}, and the products inside attention):
 * bf16 operands, float32 accumulation, on the kernel {@link CudaBackend#useGemm} chose (mma.sync,
 * wgmma, or wgmma fed by TMA), with the bias and GELU in the epilogue and a float32 or bf16 output.
 * Operands are rounded to bf16 into the calling thread's scratch unless they already are bf16.
 */
final class CudaGemm {
    /** The mma.sync kernels' tile and block size (gemm.cu). */
    static final int GEMM_TILE = 128, GEMM_THREADS = 256;

    /** The wgmma kernels (gemm_sm90.cu) and the TMA-fed ones (gemm_tma_sm90.cu) at 128, 256 or 96 output columns per block. */
    static final String WGMMA_N128 = "gemm_bf16_tn_wgmma_n128", WGMMA_N256 = "gemm_bf16_tn_wgmma_n256";
    static final String TMA_N128 = "gemm_bf16_tn_tma_n128", TMA_N256 = "gemm_bf16_tn_tma_n256", TMA_N96 = "gemm_bf16_tn_tma_n96";
    private static final int TMA_THREADS = 384;

    private final CudaBackend be;
    private final CudaContext ctx;

    CudaGemm(CudaBackend be, CudaContext ctx) {
        this.be = be;
        this.ctx = ctx;
    }

    /** {@link CudaBackend#wgmmaUnavailableReason}: gemm_sm90's kernels, each allowed its shared memory, loaded on first ask. */
    String wgmmaUnavailableReason() {
        String[] kernels = {WGMMA_N128, WGMMA_N256, WGMMA_N128 + BF16_OUT, WGMMA_N256 + BF16_OUT};
        int[] smem = {wgmmaSmem(128), wgmmaSmem(256), wgmmaSmem(128), wgmmaSmem(256)};
        return ctx.loadHopperModule("gemm_sm90", kernels, smem);
    }

    /** {@link CudaBackend#tmaGemmUnavailableReason}: gemm_tma_sm90's kernels, loaded on first ask. */
    String tmaUnavailableReason() {
        // every kernel of the module, each allowed its ring: above the 48 KiB a launch gets by default
        java.util.Map<String, Integer> allowance = new java.util.LinkedHashMap<>();
        for (int bn : new int[] {128, 256, 96}) {
            for (TmaTileSchedule schedule : TmaTileSchedule.values()) {
                for (String suffix : TMA_SUFFIXES) allowance.put(tmaKernel(bn, schedule, suffix), tmaSmem(bn));
            }
        }
        return ctx.loadHopperModule("gemm_tma_sm90", allowance.keySet().toArray(String[]::new),
                allowance.values().stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Readies the mma.sync kernels at k step {@code depth} ({@link CudaBackend#useGemmDepth}): 64's
     * (gemm.cu, always loaded) allowed their shared memory, or gemm_k32 loaded; any other step fails.
     */
    void prepareDepth(int depth) {
        switch (depth) {
            case 64 -> {
                ctx.allowSharedMemory("gemm_bf16_tn_k64", gemmSmem(64));
                ctx.allowSharedMemory("gemm_bf16_tn_k64" + BF16_OUT, gemmSmem(64));
                ctx.allowSharedMemory("gemm_bf16_nn_k64", gemmNnSmem(64));
                ctx.allowSharedMemory("conv_implicit_k64", gemmNnSmem(64));
            }
            case 32 -> {
                String why = ctx.loadOnDemand("gemm_k32",
                        new String[]{"gemm_bf16_tn_k32", "gemm_bf16_tn_k32" + BF16_OUT, "gemm_bf16_nn_k32", "conv_implicit_k32"},
                        new int[]{gemmSmem(32), gemmSmem(32), gemmNnSmem(32), gemmNnSmem(32)}, false);
                if (why != null) throw new KernelException("the mma.sync GEMM cannot run here: " + why);
            }
            default -> throw new KernelException("mma.sync k step " + depth + " (64 or 32)");
        }
    }

    /** x and out may be float32 or bf16 (operand buffers: {@link CudaBackend#useBf16Operands}). */
    void linear(Buf x, Buf out, int rows, Weight w, Weight bias, boolean gelu) {
        CudaBuf xb = be.anyBuf(x), ob = be.anyBuf(out);
        CudaWeight cw = be.weight(w), cb = bias == null ? null : be.weight(bias);
        int outDim = cw.rows(), in = cw.cols(), ld = cw.ld();
        requireSize("linear input", (long) rows * in, xb.len);
        requireSize("linear output", (long) rows * outDim, ob.len);
        if (cb != null) requireSize("linear bias", outDim, cb.numel());
        if (rows == 0) return;
        long a = operand(xb, in, rows, in, ld, ScratchRegions.Q);
        long wPtr = cw.bf16Ptr(), bPtr = cb == null ? 0 : cb.f32Ptr();
        GemmKernel g = be.gemmKernel();
        boolean bf16Out = ob.dtype == DType.BF16;
        // a tensor map has at least one row and column: an empty product takes mma.sync, whose module is always loaded
        if (g.tma() && ld > 0 && outDim > 0) {
            gemmTma(g, a, ld, wPtr, ld, ob.ptr(), outDim, bPtr, cb == null ? 0 : 1, gelu, rows, outDim, ld, bf16Out ? BF16_OUT : "", args -> args);
        }
        else if (g.wgmma() && !g.tma()) gemmWgmma(g, a, ld, wPtr, ld, ob.ptr(), outDim, bPtr, cb == null ? 0 : 1, gelu, rows, outDim, ld, bf16Out);
        else gemm(a, ld, wPtr, ld, ob.ptr(), outDim, bPtr, cb == null ? 0 : 1, gelu, rows, outDim, ld, bf16Out);
    }

    /**
     * {@link CudaBackend#linearResidual} in the TMA kernels' epilogue (gemm_tma_sm90.cu's _resid
     * kernels): the product plus bias added into the float32 residual x, times the row's frame's
     * gate when there is one. Returns false, having launched nothing, where that kernel cannot take
     * the product (another GEMM kernel chosen, an empty shape, x not float32): the caller then runs
     * the product and the add apart.
     */
    boolean linearResidual(Buf x, int rows, Weight w, Weight bias, Buf residual, Buf gate, long stride, int rowsPerFrame) {
        CudaBuf xb = be.anyBuf(x), rb = be.anyBuf(residual);
        CudaWeight cw = be.weight(w), cb = bias == null ? null : be.weight(bias);
        int outDim = cw.rows(), in = cw.cols(), ld = cw.ld();
        GemmKernel g = be.gemmKernel();
        if (!g.tma() || rb.dtype != DType.F32 || rows == 0 || ld == 0 || outDim == 0) return false;
        requireSize("linearResidual input", (long) rows * in, xb.len);
        requireSize("linearResidual residual", (long) rows * outDim, rb.len);
        if (cb != null) requireSize("linearResidual bias", outDim, cb.numel());
        if (gate != null) {
            if (rowsPerFrame <= 0 || rows % rowsPerFrame != 0) {
                throw new livetalk.kernels.KernelException("linearResidual: " + rows + " rows are not whole frames of " + rowsPerFrame);
            }
            requireSize("linearResidual gate", (rows / rowsPerFrame - 1) * stride + outDim, be.buf(gate).len);
        }
        long gatePtr = gate == null ? 0 : be.buf(gate).ptr();
        int perFrame = gate == null ? 1 : rowsPerFrame;
        // device pointers first: a weight's first use uploads it, which launches work of its own
        long a = operand(xb, in, rows, in, ld, ScratchRegions.Q);
        long wPtr = cw.bf16Ptr(), bPtr = cb == null ? 0 : cb.f32Ptr();
        gemmTma(g, a, ld, wPtr, ld, rb.ptr(), outDim, bPtr, cb == null ? 0 : 1, false, rows, outDim, ld, RESID,
                args -> residualArgs(args, gatePtr, stride, perFrame));
        return true;
    }

    /** The _resid kernels' arguments after the TMA kernels' own: the gate (0: none), its frame stride, the rows per frame. */
    static CudaContext.Args residualArgs(CudaContext.Args tmaArgs, long gate, long stride, int rowsPerFrame) {
        return tmaArgs.ptr(gate).i64(stride).i32(rowsPerFrame);
    }

    /** The suffix of the residual products' kernels. */
    static final String RESID = "_resid";

    /** The TMA kernels' variants by output: float32, bf16, added into a float32 residual. */
    static final String[] TMA_SUFFIXES = {"", BF16_OUT, RESID};

    /** The TMA kernel of tile width {@code bn} (96, 128 or 256), tile {@code schedule} and output {@code suffix}. */
    static String tmaKernel(int bn, TmaTileSchedule schedule, String suffix) {
        return (bn == 256 ? TMA_N256 : bn == 96 ? TMA_N96 : TMA_N128) + schedule.infixFor(bn) + suffix;
    }

    /** As {@link #gemm}, on the wgmma kernels (same arguments and contract; gemm_sm90.cu). */
    private void gemmWgmma(GemmKernel g, long a, int lda, long b, int ldb, long c, long ldc, long bias, int biasMode, boolean gelu,
                           int m, int n, int k, boolean bf16Out) {
        int bn = wgmmaTileN(g, m, n, ctx.multiprocessors);
        ctx.launch((bn == 256 ? WGMMA_N256 : WGMMA_N128) + (bf16Out ? BF16_OUT : ""), (n + bn - 1) / bn, (m + WGMMA_BM - 1) / WGMMA_BM, 1,
                GEMM_THREADS, wgmmaSmem(bn),
                ctx.args().ptr(a).i32(lda).ptr(b).i32(ldb).ptr(c).i64(ldc).ptr(bias).i32(biasMode).i32(gelu ? 1 : 0)
                        .i32(m).i32(n).i32(k));
    }

    /**
     * As {@link #gemmWgmma}, on the TMA kernels: A and B go as tensor maps (boxes of 64 k × 128 or BN
     * rows). {@code suffix} names the variant ("", {@link CudaBackend#BF16_OUT}, {@link #RESID}) and
     * {@code more} appends its own arguments after the shared ones.
     */
    private void gemmTma(GemmKernel g, long a, int lda, long b, int ldb, long c, long ldc, long bias, int biasMode, boolean gelu,
                         int m, int n, int k, String suffix, java.util.function.UnaryOperator<CudaContext.Args> more) {
        TmaTileSchedule asked = be.gemmSchedule();
        int bn = wgmmaTileN(g, m, n, ctx.multiprocessors, asked.maxTileN()), tilesN = (n + bn - 1) / bn, tilesM = (m + WGMMA_BM - 1) / WGMMA_BM;
        TmaTileSchedule schedule = asked.forTiles((long) tilesN * tilesM, ctx.multiprocessors);
        boolean persistent = schedule.persistent();
        // persistent: one block per SM (a block takes an SM's shared memory), each walking tiles gridDim.x apart
        ctx.launch(tmaKernel(bn, schedule, suffix), persistent ? persistentBlocks((long) tilesN * tilesM, ctx.multiprocessors) : tilesN,
                persistent ? 1 : tilesM, 1, TMA_THREADS, tmaSmem(bn),
                more.apply(tmaGemmArgs(ctx.args(), CudaDriver::encodeTensorMap, a, lda, b, ldb, c, ldc, bias, biasMode, gelu, m, n, k, bn)));
    }

    /**
     * The TMA kernels' argument list: A as [m, k] bf16 with rows lda elements apart in boxes of
     * 128 × 64, B as [n, k] with rows ldb apart in boxes of bn × 64, then gemm_bf16_tn_k64's C,
     * ldc, bias, biasMode, act, M, N, K.
     */
    static CudaContext.Args tmaGemmArgs(CudaContext.Args args, TensorMapEncoder enc, long a, int lda, long b, int ldb, long c, long ldc,
                                        long bias, int biasMode, boolean gelu, int m, int n, int k, int bn) {
        enc.encode(args.tensorMap(), a, m, k, 2L * lda, WGMMA_BM, 64);
        enc.encode(args.tensorMap(), b, n, k, 2L * ldb, bn, 64);
        return args.ptr(c).i64(ldc).ptr(bias).i32(biasMode).i32(gelu ? 1 : 0).i32(m).i32(n).i32(k);
    }

    /**
     * C[M, N] = A[M, K]·B[N, K]ᵀ (+ bias per column when biasMode is 1, per row when 2); C float32, or
     * bf16 when {@code bf16Out} (rounded as {@link #toBf16Rows} would round the float32 C).
     */
    void gemm(long a, int lda, long b, int ldb, long c, long ldc, long bias, int biasMode, boolean gelu, int m, int n, int k) {
        gemm(a, lda, b, ldb, c, ldc, bias, biasMode, gelu, m, n, k, false);
    }

    void gemm(long a, int lda, long b, int ldb, long c, long ldc, long bias, int biasMode, boolean gelu, int m, int n, int k,
                      boolean bf16Out) {
        int depth = be.gemmDepth();
        ctx.launch("gemm_bf16_tn_k" + depth + (bf16Out ? BF16_OUT : ""), (n + GEMM_TILE - 1) / GEMM_TILE, (m + GEMM_TILE - 1) / GEMM_TILE, 1,
                GEMM_THREADS, gemmSmem(depth),
                ctx.args().ptr(a).i32(lda).ptr(b).i32(ldb).ptr(c).i64(ldc).ptr(bias).i32(biasMode).i32(gelu ? 1 : 0)
                        .i32(m).i32(n).i32(k));
    }

    /**
     * Rounds {@code rows × cols} floats (row stride {@code ldx}) to a bf16 matrix with row stride
     * {@code ld} in this thread's scratch region {@code slot}; returns its device address.
     */
    long toBf16Rows(CudaBuf x, long ldx, int rows, int cols, int ld, int slot) {
        long n = (long) rows * ld;
        long dst = be.scratch().region(slot, n * 2);
        ctx.launch(x.dtype == DType.BF16 ? "bf16_to_bf16_rows" : "f32_to_bf16_rows", ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0,
                ctx.args().ptr(x.ptr()).i64(ldx).ptr(dst).i32(ld).i32(rows).i32(cols));
        return dst;
    }

    /**
     * A GEMM operand: {@code rows × cols} elements of x (row stride {@code ldx}) as a bf16 matrix with
     * row stride {@code ld}. A bf16 buffer already laid out so (stride ld, 16-byte aligned for
     * cp.async) goes in as it is, with no pass over it; anything else is rounded or re-laid into
     * this thread's scratch region {@code slot} ({@link #toBf16Rows}).
     */
    long operand(CudaBuf x, long ldx, int rows, int cols, int ld, int slot) {
        if (x.dtype == DType.BF16 && ldx == ld && (x.ptr() & 15) == 0) return x.ptr();
        return toBf16Rows(x, ldx, rows, cols, ld, slot);
    }
}
