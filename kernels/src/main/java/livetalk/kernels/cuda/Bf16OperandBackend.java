package livetalk.kernels.cuda;

import java.util.IdentityHashMap;
import java.util.Map;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.Weight;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.tensor.DType;
import livetalk.tensor.Half;
import livetalk.tensor.Tensor;

/**
 * The CPU backend with the CUDA backend's operand rounding: every operand the CUDA kernels feed
 * to the tensor cores (linear inputs and weights, the unbiased attention's q, k and v, convolution
 * inputs and weights) is rounded to bf16 first; everything else is the CPU's float32. It leaves out the
 * one rounding it cannot place without the kernel's tiling (the softmax weights P before P·V),
 * and the order of the float32 sums.
 *
 * <p>Its error against the float32 golden data is what bf16 operands alone cost a check; {@code
 * verify --device cuda} derives the CUDA tolerances from it (docs/numerics.md#bf16-tolerances-for-the-cuda-backend).
 */
public final class Bf16OperandBackend implements Backend {
    private final CpuBackend cpu;
    private final Map<Weight, Weight> rounded = new IdentityHashMap<>();

    public Bf16OperandBackend(CpuBackend cpu) {
        this.cpu = cpu;
    }

    @Override
    public String name() {
        return "cpu with bf16 tensor-core operands";
    }

    /** A float32 copy of x rounded to bf16. */
    private Buf round(Buf x) {
        return cpu.upload(round(cpu.read(x)));
    }

    private static float[] round(float[] v) {
        for (int i = 0; i < v.length; i++) v[i] = Half.roundToBf16(v[i]);
        return v;
    }

    private synchronized Weight round(Weight w) {
        return rounded.computeIfAbsent(w, k -> cpu.weight(Tensor.wrap(round(k.tensor().contiguous().toFloatArray()), k.shape())));
    }

    @Override
    public void linear(Buf x, Buf out, int rows, Weight w, Weight bias) {
        cpu.linear(round(x), out, rows, round(w), bias);
    }

    @Override
    public void linearGelu(Buf x, Buf out, int rows, Weight w, Weight bias) {
        cpu.linearGelu(round(x), out, rows, round(w), bias);
    }

    @Override
    public void attention(Buf q, Buf k, Buf v, Buf out, int nq, int nk, int heads, int headDim, float scale, Buf bias) {
        if (CudaBackend.tensorCoreAttention(headDim, bias)) cpu.attention(round(q), round(k), round(v), out, nq, nk, heads, headDim, scale, null);
        else cpu.attention(q, k, v, out, nq, nk, heads, headDim, scale, bias);
    }

    @Override
    public void conv3d(Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, Conv3dSpec s, Weight weight, Weight bias) {
        cpu.conv3d(hist == null ? null : round(hist), histFrames, round(x), frames, h, w, out, s, round(weight), bias);
    }

    // ------------------------------------------------------------------ the rest is the CPU's float32

    @Override
    public Buf alloc(long n) {
        return cpu.alloc(n);
    }

    @Override
    public Buf upload(float[] data) {
        return cpu.upload(data);
    }

    @Override
    public void write(Buf dst, float[] src) {
        cpu.write(dst, src);
    }

    @Override
    public float[] read(Buf src) {
        return cpu.read(src);
    }

    @Override
    public void copy(Buf src, Buf dst) {
        cpu.copy(src, dst);
    }

    @Override
    public void fill(Buf dst, float value) {
        cpu.fill(dst, value);
    }

    @Override
    public Weight weight(Tensor t) {
        return cpu.weight(t);
    }

    @Override
    public void layerNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma, Weight beta) {
        cpu.layerNorm(x, out, rows, dim, eps, gamma, beta);
    }

    @Override
    public void rmsNorm(Buf x, Buf out, int rows, int dim, float eps, Weight gamma) {
        cpu.rmsNorm(x, out, rows, dim, eps, gamma);
    }

    @Override
    public void gelu(Buf x, Buf out, boolean tanh) {
        cpu.gelu(x, out, tanh);
    }

    @Override
    public void silu(Buf x, Buf out) {
        cpu.silu(x, out);
    }

    @Override
    public void rope(Buf x, int rows, int heads, int headDim, Buf cos, Buf sin) {
        cpu.rope(x, rows, heads, headDim, cos, sin);
    }

    @Override
    public void add(Buf a, Buf b, Buf out) {
        cpu.add(a, b, out);
    }

    @Override
    public void mul(Buf a, Buf b, Buf out) {
        cpu.mul(a, b, out);
    }

    @Override
    public void axpby(float alpha, Buf a, float beta, Buf b, Buf out) {
        cpu.axpby(alpha, a, beta, b, out);
    }

    @Override
    public void addRow(Buf x, Buf vec, Buf out, int rows, int dim) {
        cpu.addRow(x, vec, out, rows, dim);
    }

    @Override
    public void modulate(Buf x, Buf shift, Buf scale, Buf out, int rows, int dim) {
        cpu.modulate(x, shift, scale, out, rows, dim);
    }

    @Override
    public void gatedAdd(Buf x, Buf y, Buf gate, int rows, int dim) {
        cpu.gatedAdd(x, y, gate, rows, dim);
    }

    @Override
    public void rmsNormChannels(Buf x, Buf out, int frames, int channels, int pixels, float eps, Weight gamma, boolean silu) {
        cpu.rmsNormChannels(x, out, frames, channels, pixels, eps, gamma, silu);
    }

    @Override
    public void upsampleNearest2x(Buf x, Buf out, int planes, int h, int w) {
        cpu.upsampleNearest2x(x, out, planes, h, w);
    }

    @Override
    public void transpose(Buf x, Buf out, int rows, int cols) {
        cpu.transpose(x, out, rows, cols);
    }

    @Override
    public Buf alloc(long n, DType dtype) {
        return cpu.alloc(n, dtype);
    }

    @Override
    public void toBf16(Buf src, Buf dst) {
        cpu.toBf16(src, dst);
    }

    @Override
    public void close() {
        cpu.close();
    }
}
