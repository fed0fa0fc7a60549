package livetalk.kernels.cuda;

import static livetalk.kernels.cuda.CudaBackend.BF16_OUT;
import static livetalk.kernels.cuda.CudaBackend.BLOCK;
import static livetalk.kernels.cuda.CudaBackend.requireSize;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;

/**
 * The DiT's fused passes on CUDA, each giving the bits of the sequence it replaces
 * (docs/cuda-performance.md#defaults; the first two on by default since run 11, the third opt-in,
 * slower alone there): q and k's RMSNorm with their
 * RoPE and bf16 rounding ({@link CudaSwitches#NORM_ROPE_ENV}), norm1/norm2 with their per-frame
 * modulation ({@link CudaSwitches#NORM_MOD_ENV}), and the residual adds in the output products'
 * epilogue ({@link CudaSwitches#RESIDUAL_ENV}, whose products are {@link CudaGemm#linearResidual}'s).
 * {@link CudaBackend} asks {@link #normRope()} and the others and runs the default sequence where
 * a switch is off.
 */
public final class CudaDitFusions {
    private final CudaBackend be;
    private final CudaContext ctx;
    private volatile boolean normRope, normMod, residualEpilogue;

    CudaDitFusions(CudaBackend be, CudaContext ctx) {
        this.be = be;
        this.ctx = ctx;
    }

    /**
     * Runs {@code rmsNormRope} as one kernel (norms.cu's rms_norm_rope: rms_norm's sums and
     * reduction, rope's rotation, the bf16 rounding of f32_to_bf16_rows, so the sequence's bits),
     * and with bf16 operands lets the DiT write q into the attention's bf16 operand and k and v
     * straight into a bf16 KV cache ({@code Backend.fusesNormRope}).
     */
    public void useNormRope(boolean on) {
        this.normRope = on;
    }

    /** Whether {@code rmsNormRope} is one kernel ({@link #useNormRope}). */
    public boolean normRope() {
        return normRope;
    }

    /**
     * Runs {@code layerNormModulateFrames} as one kernel (norms.cu's layer_norm_modulate_frames:
     * layer_norm's sums and block size, modulate_frames' expression, so the pair's bits) instead of
     * layer_norm, a float32 round trip and modulate_frames.
     */
    public void useNormMod(boolean on) {
        this.normMod = on;
    }

    /** Whether {@code layerNormModulateFrames} is one kernel ({@link #useNormMod}). */
    public boolean normMod() {
        return normMod;
    }

    /**
     * Runs {@code linearResidual} as one TMA product that adds its tile into the residual stream
     * (gemm_tma_sm90.cu's _resid kernels: the same fma or add as gated_add_frames and add, so the
     * same bits) instead of the product into float32 scratch and an add over it. Only where the GEMM
     * is the TMA one; elsewhere the product and the add stay apart.
     */
    public void useResidualEpilogue(boolean on) {
        this.residualEpilogue = on;
    }

    /** Whether {@code linearResidual} adds in the product's epilogue ({@link #useResidualEpilogue}). */
    public boolean residualEpilogue() {
        return residualEpilogue;
    }

    /** rms_norm_rope(_bf16out): a warp per row, as rms_norm, so the sums are rms_norm's. */
    void rmsNormRope(Buf x, Buf out, int rows, int dim, float eps, Weight gamma, int heads, int headDim, Buf cos, Buf sin) {
        CudaBuf xb = be.buf(x), ob = be.anyBuf(out), cb = be.buf(cos), sb = be.buf(sin);
        requireSize("rmsNormRope input", (long) rows * dim, xb.len);
        requireSize("rmsNormRope output", (long) rows * dim, ob.len);
        requireSize("rmsNormRope cos", (long) rows * (headDim / 2), cb.len);
        requireSize("rmsNormRope sin", (long) rows * (headDim / 2), sb.len);
        if (heads * headDim != dim || headDim % 2 != 0) throw new KernelException("rmsNormRope: " + heads + " heads of " + headDim + " in a row of " + dim);
        if (rows == 0) return;
        long g = gamma == null ? 0 : be.vector(gamma, dim);
        ctx.launch(ob.dtype == DType.BF16 ? "rms_norm_rope_bf16out" : "rms_norm_rope", CudaNorms.rowGrid(rows), 1, 1, BLOCK, 0,
                normRopeArgs(ctx.args(), xb.ptr(), ob.ptr(), rows, dim, eps, g, headDim, cb.ptr(), sb.ptr()));
    }

    /** layer_norm_modulate_frames(_bf16out): a warp per row, as layer_norm, so the sums are layer_norm's. */
    void layerNormModulateFrames(Buf x, float eps, Buf shift, Buf scale, long stride, Buf out, int frames, int rowsPerFrame, int dim) {
        CudaBuf xb = be.buf(x), sh = be.buf(shift), sc = be.buf(scale), ob = be.anyBuf(out);
        int rows = CudaElementwise.checkModulation("layerNormModulateFrames", xb, sh, sc, stride, ob, frames, rowsPerFrame, dim);
        if (rows == 0) return;
        ctx.launch("layer_norm_modulate_frames" + (ob.dtype == DType.BF16 ? BF16_OUT : ""), CudaNorms.rowGrid(rows), 1, 1, BLOCK, 0,
                normModArgs(ctx.args(), xb.ptr(), sh.ptr(), sc.ptr(), stride, ob.ptr(), rows, rowsPerFrame, dim, eps));
    }

    /** rms_norm_rope(_bf16out)'s arguments. */
    static CudaContext.Args normRopeArgs(CudaContext.Args a, long x, long out, int rows, int dim, float eps, long gamma, int headDim, long cos,
                                         long sin) {
        return a.ptr(x).ptr(out).i32(rows).i32(dim).f32(eps).ptr(gamma).i32(headDim).ptr(cos).ptr(sin);
    }

    /** layer_norm_modulate_frames(_bf16out)'s arguments. */
    static CudaContext.Args normModArgs(CudaContext.Args a, long x, long shift, long scale, long stride, long out, int rows, int rowsPerFrame,
                                        int dim, float eps) {
        return a.ptr(x).ptr(shift).ptr(scale).i64(stride).ptr(out).i32(rows).i32(rowsPerFrame).i32(dim).f32(eps);
    }
}
