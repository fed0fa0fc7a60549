package livetalk.kernels;

import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * A backend that passes every op to another one: the base of backends that change a few ops and
 * keep the rest (the bf16-operand emulation behind {@code verify --device cuda}'s bounds, test
 * emulations of a GPU backend's contract). It forwards the abstract ops and {@link #close}; the
 * default methods ({@link #operandDtype}, {@link #productInputDtype}, {@link #free}, ...) keep the
 * interface's defaults unless a subclass overrides them, so a wrapper never claims a capability
 * of the backend it wraps by accident.
 */
public abstract class ForwardingBackend implements Backend {
    protected final Backend inner;

    protected ForwardingBackend(Backend inner) {
        this.inner = inner;
    }

    @Override
    public Buf alloc(long n) {
        return inner.alloc(n);
    }

    @Override
    public Buf alloc(long n, DType dtype) {
        return inner.alloc(n, dtype);
    }

    @Override
    public void toBf16(Buf src, Buf dst) {
        inner.toBf16(src, dst);
    }

    @Override
    public Buf upload(float[] data) {
        return inner.upload(data);
    }

    @Override
    public void write(Buf dst, float[] src) {
        inner.write(dst, src);
    }

    @Override
    public float[] read(Buf src) {
        return inner.read(src);
    }

    @Override
    public void copy(Buf src, Buf dst) {
        inner.copy(src, dst);
    }

    @Override
    public void fill(Buf dst, float value) {
        inner.fill(dst, value);
    }

    @Override
    public Weight weight(Tensor t) {
        return inner.weight(t);
    }

    @Override
    public void linear(Buf x, Buf out, int rows, Weight w, Weight bias) {
        inner.linear(x, out, rows, w, bias);
    }

    @Override
    public void linearGelu(Buf x, Buf out, int rows, Weight w, Weight bias) {
        inner.linearGelu(x, out, rows, w, bias);
    }

    @Override
    public void attention(Buf q, Buf k, Buf v, Buf out, int nq, int nk, int heads, int headDim, float scale, Buf bias) {
        inner.attention(q, k, v, out, nq, nk, heads, headDim, scale, bias);
    }

    @Override
    public void layerNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma, Weight beta) {
        inner.layerNorm(x, out, rows, dim, eps, gamma, beta);
    }

    @Override
    public void rmsNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma) {
        inner.rmsNorm(x, out, rows, dim, eps, gamma);
    }

    @Override
    public void gelu(Buf x, Buf out, boolean tanh) {
        inner.gelu(x, out, tanh);
    }

    @Override
    public void silu(Buf x, Buf out) {
        inner.silu(x, out);
    }

    @Override
    public void rope(Buf x, int rows, int heads, int headDim, Buf cos, Buf sin) {
        inner.rope(x, rows, heads, headDim, cos, sin);
    }

    @Override
    public void add(Buf a, Buf b, Buf out) {
        inner.add(a, b, out);
    }

    @Override
    public void mul(Buf a, Buf b, Buf out) {
        inner.mul(a, b, out);
    }

    @Override
    public void axpby(float alpha, Buf a, float beta, Buf b, Buf out) {
        inner.axpby(alpha, a, beta, b, out);
    }

    @Override
    public void addRow(Buf x, Buf vec, Buf out, int rows, int dim) {
        inner.addRow(x, vec, out, rows, dim);
    }

    @Override
    public void modulate(Buf x, Buf shift, Buf scale, Buf out, int rows, int dim) {
        inner.modulate(x, shift, scale, out, rows, dim);
    }

    @Override
    public void gatedAdd(Buf x, Buf y, Buf gate, int rows, int dim) {
        inner.gatedAdd(x, y, gate, rows, dim);
    }

    // modulateFrames and gatedAddFrames keep Backend's defaults, which call this backend's modulate
    // and gatedAdd: a subclass that changes those (an emulation) changes the per-frame forms too.

    @Override
    public void conv3d(Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, Conv3dSpec s, Weight weight, Weight bias) {
        inner.conv3d(hist, histFrames, x, frames, h, w, out, s, weight, bias);
    }

    @Override
    public void rmsNormChannels(Buf x, Buf out, int frames, int channels, int pixels, float eps, Weight gamma, boolean silu) {
        inner.rmsNormChannels(x, out, frames, channels, pixels, eps, gamma, silu);
    }

    @Override
    public void upsampleNearest2x(Buf x, Buf out, int planes, int h, int w) {
        inner.upsampleNearest2x(x, out, planes, h, w);
    }

    @Override
    public void transpose(Buf x, Buf out, int rows, int cols) {
        inner.transpose(x, out, rows, cols);
    }

    @Override
    public void patchify(Buf src, long frameStride, long channelStride, int channels, Buf out, int outChannels, int c0, PatchGrid g) {
        inner.patchify(src, frameStride, channelStride, channels, out, outChannels, c0, g);
    }

    @Override
    public void unpatchify(Buf tokens, int channels, Buf out, PatchGrid g) {
        inner.unpatchify(tokens, channels, out, g);
    }

    @Override
    public void subtractScaled(Buf a, double s, Buf b, Buf out) {
        inner.subtractScaled(a, s, b, out);
    }

    @Override
    public void close() {
        inner.close();
    }
}
