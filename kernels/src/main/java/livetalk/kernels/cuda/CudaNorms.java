package livetalk.kernels.cuda;

import static livetalk.kernels.cuda.CudaBackend.BF16_OUT;
import static livetalk.kernels.cuda.CudaBackend.BLOCK;
import static livetalk.kernels.cuda.CudaBackend.requireSize;

import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;

/**
 * The CUDA backend's normalisations (norms.cu), statistics in float32: the row norms (layer norm,
 * RMSNorm; a warp per row, {@link #ROWS_PER_BLOCK} rows to a block, adding in the order a block of
 * {@link CudaBackend#BLOCK} threads per row did), the VAE's RMSNorm over channels and wav2vec2's
 * norm over time. The DiT's norms fused with
 * RoPE or modulation are {@link CudaDitFusions}'; the VAE's norm fused into a convolution's copy
 * is {@link CudaConvolution}'s.
 */
final class CudaNorms {
    private final CudaBackend be;
    private final CudaContext ctx;

    /** The row norms' rows per block of {@link CudaBackend#BLOCK} threads: one a warp. */
    static final int ROWS_PER_BLOCK = BLOCK / 32;

    /** Blocks for {@code rows} rows of a row norm (norms.cu's row_of_warp: warps past the last row return). */
    static int rowGrid(int rows) {
        return (rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
    }

    CudaNorms(CudaBackend be, CudaContext ctx) {
        this.be = be;
        this.ctx = ctx;
    }

    /** out may be float32 or bf16 (an operand buffer: {@link CudaBackend#useBf16Operands}); x is float32. */
    void layerNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma, Weight beta) {
        CudaBuf xb = be.buf(x), ob = be.anyBuf(out);
        requireSize("layerNorm input", (long) rows * dim, xb.len);
        requireSize("layerNorm output", (long) rows * dim, ob.len);
        if (rows == 0) return;
        long g = gamma == null ? 0 : be.vector(gamma, dim), b = beta == null ? 0 : be.vector(beta, dim);
        ctx.launch("layer_norm" + (ob.dtype == DType.BF16 ? BF16_OUT : ""), rowGrid(rows), 1, 1, BLOCK, 0,
                layerNormArgs(ctx.args(), xb.ptr(), ob.ptr(), rows, dim, eps, g, b));
    }

    /** layer_norm(_bf16out)'s arguments. */
    static CudaContext.Args layerNormArgs(CudaContext.Args a, long x, long out, int rows, int dim, float eps, long gamma, long beta) {
        return a.ptr(x).ptr(out).i32(rows).i32(dim).f32(eps).ptr(gamma).ptr(beta);
    }

    /** out may be float32 or bf16 (an operand buffer: the DiT cross-attention's q where {@link CudaBackend#fusesNormRope}); x is float32. */
    void rmsNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma) {
        CudaBuf xb = be.buf(x), ob = be.anyBuf(out);
        requireSize("rmsNorm input", (long) rows * dim, xb.len);
        requireSize("rmsNorm output", (long) rows * dim, ob.len);
        if (rows == 0) return;
        long g = gamma == null ? 0 : be.vector(gamma, dim);
        ctx.launch("rms_norm" + (ob.dtype == DType.BF16 ? BF16_OUT : ""), rowGrid(rows), 1, 1, BLOCK, 0,
                rmsNormArgs(ctx.args(), xb.ptr(), ob.ptr(), rows, dim, eps, g));
    }

    /** rms_norm(_bf16out)'s arguments. */
    static CudaContext.Args rmsNormArgs(CudaContext.Args a, long x, long out, int rows, int dim, float eps, long gamma) {
        return a.ptr(x).ptr(out).i32(rows).i32(dim).f32(eps).ptr(gamma);
    }

    /** On the device (norms.cu's channel_norm_over_time, one thread per channel): the host's float64 sums, bit for bit. */
    void channelNormOverTime(Buf y, Buf out, int t, int c, float eps, Weight gamma, Weight beta) {
        CudaBuf yb = be.buf(y), ob = be.buf(out);
        requireSize("channelNormOverTime input", (long) t * c, yb.len);
        requireSize("channelNormOverTime output", (long) t * c, ob.len);
        if (yb.len == 0) return;
        long g = be.vector(gamma, c), b = be.vector(beta, c);
        ctx.launch("channel_norm_over_time", (c + 127) / 128, 1, 1, 128, 0, channelNormArgs(ctx.args(), yb.ptr(), ob.ptr(), t, c, eps, g, b));
    }

    /** channel_norm_over_time's arguments. */
    static CudaContext.Args channelNormArgs(CudaContext.Args a, long y, long out, int t, int c, float eps, long gamma, long beta) {
        return a.ptr(y).ptr(out).i32(t).i32(c).f32(eps).ptr(gamma).ptr(beta);
    }

    void rmsNormChannels(Buf x, Buf out, int frames, int channels, int pixels, float eps, Weight gamma, boolean silu) {
        CudaBuf xb = be.buf(x), ob = be.buf(out);
        long n = (long) frames * channels * pixels;
        requireSize("rmsNormChannels input", n, xb.len);
        requireSize("rmsNormChannels output", n, ob.len);
        long threads = (long) frames * pixels, g = be.vector(gamma, channels);
        ctx.launch("rms_norm_channels", ctx.gridFor(threads, BLOCK), 1, 1, BLOCK, 0,
                ctx.args().ptr(xb.ptr()).ptr(ob.ptr()).i32(frames).i32(channels).i32(pixels).f32(eps).ptr(g).i32(silu ? 1 : 0));
    }
}
