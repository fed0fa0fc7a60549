package livetalk.kernels.cuda;

import java.util.IdentityHashMap;
import java.util.Map;
import livetalk.kernels.ForwardingBackend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.Weight;
import livetalk.kernels.cpu.CpuBackend;
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
 * Every other op is the CPU's float32 ({@link ForwardingBackend}).
 */
public final class Bf16OperandBackend extends ForwardingBackend {
    private final CpuBackend cpu;
    private final Map<Weight, Weight> rounded = new IdentityHashMap<>();

    public Bf16OperandBackend(CpuBackend cpu) {
        super(cpu);
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
        if (CudaAttention.tensorCoreAttention(headDim, bias)) cpu.attention(round(q), round(k), round(v), out, nq, nk, heads, headDim, scale, null);
        else cpu.attention(q, k, v, out, nq, nk, heads, headDim, scale, bias);
    }

    @Override
    public void conv3d(Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, Conv3dSpec s, Weight weight, Weight bias) {
        cpu.conv3d(hist == null ? null : round(hist), histFrames, round(x), frames, h, w, out, s, round(weight), bias);
    }
}
