package livetalk.kernels.cuda;

import static livetalk.kernels.cuda.CudaBackend.BF16_OUT;
import static livetalk.kernels.cuda.CudaBackend.BLOCK;
import static livetalk.kernels.cuda.CudaBackend.requireSize;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.tensor.DType;

/**
 * The CUDA backend's kernels of elementwise.cu, float32 throughout: the activations, RoPE, the
 * arithmetic ops, the DiT's modulation and gated residual adds (per row and one launch for every
 * frame), and the pure data movements kept in the same file (the VAE's transpose and nearest
 * upsample, wav2vec2's columns_1d). Each checks its buffers' sizes and launches one kernel; the
 * fused forms that replace some of them are {@link CudaDitFusions}' and {@link CudaConvolution}'s.
 */
final class CudaElementwise {
    private final CudaBackend be;
    private final CudaContext ctx;

    CudaElementwise(CudaBackend be, CudaContext ctx) {
        this.be = be;
        this.ctx = ctx;
    }

    void gelu(Buf x, Buf out, boolean tanh) {
        unary(tanh ? "gelu_tanh" : "gelu_erf", x, out);
    }

    void silu(Buf x, Buf out) {
        unary("silu", x, out);
    }

    private void unary(String kernel, Buf x, Buf out) {
        CudaBuf xb = be.buf(x), ob = be.buf(out);
        requireSize(kernel, xb.len, ob.len);
        ctx.launch(kernel, ctx.gridFor(xb.len, BLOCK), 1, 1, BLOCK, 0, ctx.args().ptr(xb.ptr()).ptr(ob.ptr()).i64(xb.len));
    }

    void rope(Buf x, int rows, int heads, int headDim, Buf cos, Buf sin) {
        CudaBuf xb = be.buf(x), cb = be.buf(cos), sb = be.buf(sin);
        requireSize("rope x", (long) rows * heads * headDim, xb.len);
        requireSize("rope cos", (long) rows * (headDim / 2), cb.len);
        requireSize("rope sin", (long) rows * (headDim / 2), sb.len);
        long n = (long) rows * heads * (headDim / 2);
        ctx.launch("rope", ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0,
                ctx.args().ptr(xb.ptr()).i32(rows).i32(heads).i32(headDim).ptr(cb.ptr()).ptr(sb.ptr()));
    }

    void add(Buf a, Buf b, Buf out) {
        binary("add", a, b, out);
    }

    void mul(Buf a, Buf b, Buf out) {
        binary("mul", a, b, out);
    }

    private void binary(String kernel, Buf a, Buf b, Buf out) {
        CudaBuf ab = be.buf(a), bb = be.buf(b), ob = be.buf(out);
        requireSize(kernel, ab.len, bb.len);
        requireSize(kernel, ab.len, ob.len);
        ctx.launch(kernel, ctx.gridFor(ab.len, BLOCK), 1, 1, BLOCK, 0, ctx.args().ptr(ab.ptr()).ptr(bb.ptr()).ptr(ob.ptr()).i64(ab.len));
    }

    void axpby(float alpha, Buf a, float beta, Buf b, Buf out) {
        CudaBuf ab = be.buf(a), bb = be.buf(b), ob = be.buf(out);
        requireSize("axpby", ab.len, bb.len);
        requireSize("axpby", ab.len, ob.len);
        ctx.launch("axpby", ctx.gridFor(ab.len, BLOCK), 1, 1, BLOCK, 0,
                ctx.args().f32(alpha).ptr(ab.ptr()).f32(beta).ptr(bb.ptr()).ptr(ob.ptr()).i64(ab.len));
    }

    void addRow(Buf x, Buf vec, Buf out, int rows, int dim) {
        CudaBuf xb = be.buf(x), vb = be.buf(vec), ob = be.buf(out);
        long n = (long) rows * dim;
        requireSize("addRow x", n, xb.len);
        requireSize("addRow out", n, ob.len);
        requireSize("addRow vector", dim, vb.len);
        ctx.launch("add_row", ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0, ctx.args().ptr(xb.ptr()).ptr(vb.ptr()).ptr(ob.ptr()).i64(n).i32(dim));
    }

    /** out may be float32 or bf16 (an operand buffer: {@link CudaBackend#useBf16Operands}); x, shift and scale are float32. */
    void modulate(Buf x, Buf shift, Buf scale, Buf out, int rows, int dim) {
        CudaBuf xb = be.buf(x), sh = be.buf(shift), sc = be.buf(scale), ob = be.anyBuf(out);
        long n = (long) rows * dim;
        requireSize("modulate x", n, xb.len);
        requireSize("modulate out", n, ob.len);
        requireSize("modulate shift", dim, sh.len);
        requireSize("modulate scale", dim, sc.len);
        ctx.launch("modulate" + (ob.dtype == DType.BF16 ? BF16_OUT : ""), ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0,
                ctx.args().ptr(xb.ptr()).ptr(sh.ptr()).ptr(sc.ptr()).ptr(ob.ptr()).i64(n).i32(dim));
    }

    void gatedAdd(Buf x, Buf y, Buf gate, int rows, int dim) {
        CudaBuf xb = be.buf(x), yb = be.buf(y), gb = be.buf(gate);
        long n = (long) rows * dim;
        requireSize("gatedAdd x", n, xb.len);
        requireSize("gatedAdd y", n, yb.len);
        requireSize("gatedAdd gate", dim, gb.len);
        ctx.launch("gated_add", ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0, ctx.args().ptr(xb.ptr()).ptr(yb.ptr()).ptr(gb.ptr()).i64(n).i32(dim));
    }

    /** One launch for every frame (elementwise.cu's modulate_frames); out float32 or bf16 as {@link #modulate}. */
    void modulateFrames(Buf x, Buf shift, Buf scale, long stride, Buf out, int frames, int rowsPerFrame, int dim) {
        CudaBuf xb = be.buf(x), sh = be.buf(shift), sc = be.buf(scale), ob = be.anyBuf(out);
        int rows = checkModulation("modulateFrames", xb, sh, sc, stride, ob, frames, rowsPerFrame, dim);
        if (rows == 0) return;
        ctx.launch("modulate_frames" + (ob.dtype == DType.BF16 ? BF16_OUT : ""), rowGrid(rows), 1, 1, BLOCK, 0,
                ctx.args().ptr(xb.ptr()).ptr(sh.ptr()).ptr(sc.ptr()).i64(stride).ptr(ob.ptr()).i32(rows).i32(rowsPerFrame).i32(dim));
    }

    /** One launch for every frame (elementwise.cu's add_row_frames). */
    void addRowFrames(Buf x, Buf vecs, long stride, Buf out, int frames, int rowsPerFrame, int dim) {
        CudaBuf xb = be.buf(x), vb = be.buf(vecs), ob = be.buf(out);
        int rows = checkRows("addRowFrames", frames, rowsPerFrame, dim, "x", xb, "out", ob);
        checkPerFrame("addRowFrames vectors", stride, frames, dim, vb);
        if (rows == 0) return;
        ctx.launch("add_row_frames", rowGrid(rows), 1, 1, BLOCK, 0,
                ctx.args().ptr(xb.ptr()).ptr(vb.ptr()).i64(stride).ptr(ob.ptr()).i32(rows).i32(rowsPerFrame).i32(dim));
    }

    /** One launch for every frame (elementwise.cu's gated_add_frames). */
    void gatedAddFrames(Buf x, Buf y, Buf gate, long stride, int frames, int rowsPerFrame, int dim) {
        CudaBuf xb = be.buf(x), yb = be.buf(y), gb = be.buf(gate);
        int rows = checkRows("gatedAddFrames", frames, rowsPerFrame, dim, "x", xb, "y", yb);
        checkPerFrame("gatedAddFrames gate", stride, frames, dim, gb);
        if (rows == 0) return;
        ctx.launch("gated_add_frames", rowGrid(rows), 1, 1, BLOCK, 0,
                ctx.args().ptr(xb.ptr()).ptr(yb.ptr()).ptr(gb.ptr()).i64(stride).i32(rows).i32(rowsPerFrame).i32(dim));
    }

    /**
     * The sizes a per-frame modulation needs (x and out {@code [frames·rowsPerFrame, dim]}, shift and
     * scale reaching frame {@code frames − 1}'s {@code dim} values at {@code stride} apart); returns the rows.
     */
    static int checkModulation(String op, CudaBuf x, CudaBuf shift, CudaBuf scale, long stride, CudaBuf out, int frames, int rowsPerFrame, int dim) {
        int rows = checkRows(op, frames, rowsPerFrame, dim, "x", x, "out", out);
        checkPerFrame(op + " shift", stride, frames, dim, shift);
        checkPerFrame(op + " scale", stride, frames, dim, scale);
        return rows;
    }

    /** Two buffers of {@code [frames·rowsPerFrame, dim]} rows (named {@code a} and {@code b} in the message); returns the rows. */
    private static int checkRows(String op, int frames, int rowsPerFrame, int dim, String a, CudaBuf aBuf, String b, CudaBuf bBuf) {
        int rows = Math.multiplyExact(frames, rowsPerFrame);
        long n = (long) rows * dim;
        requireSize(op + " " + a, n, aBuf.len);
        requireSize(op + " " + b, n, bBuf.len);
        return rows;
    }

    /** A per-frame parameter: frame f's {@code dim} values from offset {@code f·stride}, for every frame. */
    private static void checkPerFrame(String what, long stride, int frames, int dim, CudaBuf p) {
        requireSize(what, frames == 0 ? 0 : (frames - 1) * stride + dim, p.len);
    }

    /** Blocks for a kernel that walks rows: one per row, at most 8 per multiprocessor. */
    private int rowGrid(int rows) {
        return Math.max(1, Math.min(rows, ctx.multiprocessors * 8));
    }

    // the pure data movements that live in elementwise.cu too: wav2vec2's columns, the VAE's upsample and transpose

    /** On the device (elementwise.cu's columns_1d): the same values as the host's, without a round trip. */
    void columns1d(Buf x, int t, int channels, int c0, int cn, int kernel, int stride, int pad, int outT, Buf col) {
        CudaBuf xb = be.buf(x), cb = be.buf(col);
        requireSize("columns1d input", (long) t * channels, xb.len);
        requireSize("columns1d columns", (long) outT * cn * kernel, cb.len);
        if (c0 < 0 || cn < 0 || c0 + cn > channels) throw new KernelException("columns1d: channels [" + c0 + ", " + (c0 + cn) + ") of " + channels);
        if (cb.len == 0) return;
        ctx.launch("columns_1d", ctx.gridFor(cb.len, BLOCK), 1, 1, BLOCK, 0, columnsArgs(ctx.args(), xb.ptr(), t, channels, c0, cn, kernel, stride,
                pad, outT, cb.ptr()));
    }

    /** columns_1d's arguments (held against its PTX parameters by a test). */
    static CudaContext.Args columnsArgs(CudaContext.Args a, long x, int t, int channels, int c0, int cn, int kernel, int stride, int pad,
                                        int outT, long col) {
        return a.ptr(x).i32(t).i32(channels).i32(c0).i32(cn).i32(kernel).i32(stride).i32(pad).i32(outT).ptr(col);
    }

    void upsampleNearest2x(Buf x, Buf out, int planes, int h, int w) {
        CudaBuf xb = be.buf(x), ob = be.buf(out);
        requireSize("upsample input", (long) planes * h * w, xb.len);
        requireSize("upsample output", 4L * planes * h * w, ob.len);
        long n = 4L * planes * h * w;
        ctx.launch("upsample_nearest2x", ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0,
                ctx.args().ptr(xb.ptr()).ptr(ob.ptr()).i64(planes).i32(h).i32(w));
    }

    void transpose(Buf x, Buf out, int rows, int cols) {
        CudaBuf xb = be.buf(x), ob = be.buf(out);
        requireSize("transpose input", (long) rows * cols, xb.len);
        requireSize("transpose output", (long) rows * cols, ob.len);
        ctx.launch2d("transpose", (cols + 31) / 32, (rows + 31) / 32, 32, 8,
                ctx.args().ptr(xb.ptr()).ptr(ob.ptr()).i32(rows).i32(cols));
    }
}
