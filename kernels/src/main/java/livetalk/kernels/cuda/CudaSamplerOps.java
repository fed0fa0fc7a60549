package livetalk.kernels.cuda;

import static livetalk.kernels.cuda.CudaBackend.BLOCK;
import static livetalk.kernels.cuda.CudaBackend.requireSize;

import livetalk.kernels.Buf;
import livetalk.kernels.PatchGrid;

/**
 * The sampler's step on the CUDA backend (sampler.cu): the DiT's patch layout in and out and the
 * flow-matching update, so that a block's denoising steps stay on the device. Each gives
 * livetalk.kernels.cpu.SamplerKernels' bits; the argument lists are held against the PTX's
 * parameters by a test.
 */
final class CudaSamplerOps {
    private final CudaBackend be;
    private final CudaContext ctx;

    CudaSamplerOps(CudaBackend be, CudaContext ctx) {
        this.be = be;
        this.ctx = ctx;
    }

    void patchify(Buf src, long frameStride, long channelStride, int channels, Buf out, int outChannels, int c0, PatchGrid g) {
        CudaBuf sb = be.buf(src), ob = be.buf(out);
        g.checkPatchify(sb.len, frameStride, channelStride, channels, ob.len, outChannels, c0);
        long n = (long) g.frames() * channels * g.plane();
        if (n == 0) return;
        ctx.launch("patchify", ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0, patchifyArgs(ctx.args(), sb.ptr(), frameStride, channelStride, channels,
                ob.ptr(), outChannels, c0, g));
    }

    /** patchify's arguments (held against its PTX parameters by a test). */
    static CudaContext.Args patchifyArgs(CudaContext.Args a, long src, long frameStride, long channelStride, int channels, long out,
                                         int outChannels, int c0, PatchGrid g) {
        return a.ptr(src).i64(frameStride).i64(channelStride).i32(channels).ptr(out).i32(outChannels).i32(c0)
                .i32(g.frames()).i32(g.h()).i32(g.w()).i32(g.ph()).i32(g.pw());
    }

    void unpatchify(Buf tokens, int channels, Buf out, PatchGrid g) {
        CudaBuf tb = be.buf(tokens), ob = be.buf(out);
        g.checkUnpatchify(tb.len, channels, ob.len);
        if (ob.len == 0) return;
        ctx.launch("unpatchify", ctx.gridFor(ob.len, BLOCK), 1, 1, BLOCK, 0, unpatchifyArgs(ctx.args(), tb.ptr(), channels, ob.ptr(), g));
    }

    /** unpatchify's arguments (held against its PTX parameters by a test). */
    static CudaContext.Args unpatchifyArgs(CudaContext.Args a, long tokens, int channels, long out, PatchGrid g) {
        return a.ptr(tokens).i32(channels).ptr(out).i32(g.frames()).i32(g.h()).i32(g.w()).i32(g.ph()).i32(g.pw());
    }

    void subtractScaled(Buf a, double s, Buf b, Buf out) {
        CudaBuf ab = be.buf(a), bb = be.buf(b), ob = be.buf(out);
        requireSize("subtractScaled", ab.len, bb.len);
        requireSize("subtractScaled", ab.len, ob.len);
        if (ab.len == 0) return;
        ctx.launch("subtract_scaled", ctx.gridFor(ab.len, BLOCK), 1, 1, BLOCK, 0, subtractScaledArgs(ctx.args(), ab.ptr(), s, bb.ptr(), ob.ptr(), ab.len));
    }

    /** subtract_scaled's arguments (held against its PTX parameters by a test). */
    static CudaContext.Args subtractScaledArgs(CudaContext.Args a, long x, double s, long b, long out, long n) {
        return a.ptr(x).f64(s).ptr(b).ptr(out).i64(n);
    }
}
