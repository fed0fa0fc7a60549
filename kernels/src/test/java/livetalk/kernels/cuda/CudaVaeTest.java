package livetalk.kernels.cuda;

import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

class CudaVaeTest extends CudaTestBase {
    /**
     * The layouts this class covers; the channels-last ones (FAST, WGMMA) have their own tests,
     * CudaConvFastTest and CudaConvWgmmaTest, which the GPU check runs in JVMs of their own.
     */
    static final ConvLayout[] VALIDATED = {ConvLayout.K_MAJOR, ConvLayout.IMPLICIT};

    /** conv3d as im2col + tensor-core GEMM, against the scalar reference on the same bf16-rounded operands. */
    @Test
    void conv3dMatchesReference() {
        Props.forAll("cuda conv3d", 30, 401, rnd -> {
            int cin = 1 + rnd.nextInt(12), cout = 1 + rnd.nextInt(140);
            int kt = 1 + rnd.nextInt(3), kh = 1 + 2 * rnd.nextInt(2), kw = kh;
            int st = rnd.nextInt(4) == 0 ? 2 : 1, ss = rnd.nextInt(3) == 0 ? 2 : 1;
            int pt = rnd.nextInt(kt), ph = kh / 2;
            Conv3dSpec s = new Conv3dSpec(cin, cout, kt, kh, kw, st, ss, ss, pt, ph, rnd.nextInt(2), ph, rnd.nextInt(2));
            int h = kh + rnd.nextInt(20), w = kw + rnd.nextInt(20);
            int histFrames = rnd.nextInt(3), frames = Math.max(1, kt - pt - histFrames + rnd.nextInt(3));
            int frame = cin * h * w;
            float[] hist = Props.uniform(rnd, Math.max(1, histFrames * frame), 1), x = Props.uniform(rnd, frames * frame, 1);
            float[] wv = Props.uniform(rnd, (int) s.weightSize(), 1), bv = Props.uniform(rnd, cout, 1);
            Tensor wt = Tensor.wrap(wv, cout, cin, kt, kh, kw).to(rnd.nextBoolean() ? DType.F32 : DType.BF16);
            boolean bias = rnd.nextBoolean();
            int tOut = s.outFrames(histFrames + frames), hOut = s.outH(h), wOut = s.outW(w);
            Tensor wRef = Tensor.wrap(bf16(wt.toFloatArray()), cout, cin, kt, kh, kw);
            Buf ref = cpu.alloc((long) tOut * cout * hOut * wOut);
            cpu.conv3d(histFrames > 0 ? cpu.upload(bf16(hist)) : null, histFrames, cpu.upload(bf16(x)), frames, h, w, ref, s,
                    cpu.weight(wRef), bias ? cpu.weight(Tensor.wrap(bv, cout)) : null);
            float[] expected = cpu.read(ref);
            Buf out = cuda.alloc(expected.length);
            cuda.fill(out, Float.NaN);
            ConvLayout layout = VALIDATED[rnd.nextInt(VALIDATED.length)];
            cuda.useConvLayout(layout);
            cuda.conv3d(histFrames > 0 ? cuda.upload(hist) : null, histFrames, cuda.upload(x), frames, h, w, out, s,
                    cuda.weight(wt), bias ? cuda.weight(Tensor.wrap(bv, cout)) : null);
            Props.assertClose(expected, cuda.read(out), 1e-5, "conv3d " + layout + " " + s + " h=" + h + " w=" + w + " hist=" + histFrames + " frames=" + frames);
        });
    }

    /** The decoder's causal 3x3x3 convolution at a size with many GEMM tiles, frames and channels, in every layout. */
    @Test
    void vaeShapedConvolutionInEveryLayout() {
        Props.forAll("cuda conv3d vae-shaped", 1, 403, rnd -> {
            int cin = 40, cout = 136, h = 37, w = 45, histFrames = 2, frames = 4;
            Conv3dSpec s = Conv3dSpec.of(cin, cout, 3, 3, 3, 0, 1, 1);
            int frame = cin * h * w;
            float[] hist = Props.uniform(rnd, histFrames * frame, 1), x = Props.uniform(rnd, frames * frame, 1);
            float[] wv = Props.uniform(rnd, (int) s.weightSize(), 0.1f), bv = Props.uniform(rnd, cout, 1);
            Tensor wt = Tensor.wrap(wv, cout, cin, 3, 3, 3);
            int tOut = s.outFrames(histFrames + frames);
            Buf ref = cpu.alloc((long) tOut * cout * h * w);
            cpu.conv3d(cpu.upload(bf16(hist)), histFrames, cpu.upload(bf16(x)), frames, h, w, ref, s,
                    cpu.weight(Tensor.wrap(bf16(wv), cout, cin, 3, 3, 3)), cpu.weight(Tensor.wrap(bv, cout)));
            Buf out = cuda.alloc((long) tOut * cout * h * w);
            for (ConvLayout layout : VALIDATED) {
                cuda.useConvLayout(layout);
                cuda.fill(out, Float.NaN);
                cuda.conv3d(cuda.upload(hist), histFrames, cuda.upload(x), frames, h, w, out, s, cuda.weight(wt), cuda.weight(Tensor.wrap(bv, cout)));
                Props.assertClose(cpu.read(ref), cuda.read(out), 1e-5, "vae-shaped conv3d " + layout);
            }
        });
    }

    @Test
    void channelNormUpsampleTranspose() {
        Props.forAll("cuda vae ops", 12, 402, rnd -> {
            int frames = 1 + rnd.nextInt(3), c = 1 + rnd.nextInt(40), p = 1 + rnd.nextInt(300);
            Pair x = place(rnd, Props.uniform(rnd, frames * c * p, 2)), o = place(rnd, new float[frames * c * p]);
            Tensor g = Tensor.wrap(Props.uniform(rnd, c, 1), c, 1, 1).to(DType.BF16);
            boolean silu = rnd.nextBoolean();
            cpu.rmsNormChannels(x.cpu(), o.cpu(), frames, c, p, 1e-12f, cpu.weight(g), silu);
            cuda.rmsNormChannels(x.gpu(), o.gpu(), frames, c, p, 1e-12f, cuda.weight(g), silu);
            Props.assertClose(cpu.read(o.cpu()), cuda.read(o.gpu()), 1e-5, "rmsNormChannels");

            int planes = 1 + rnd.nextInt(5), h = 1 + rnd.nextInt(40), w = 1 + rnd.nextInt(40);
            Pair u = place(rnd, Props.uniform(rnd, planes * h * w, 1)), uo = place(rnd, new float[4 * planes * h * w]);
            cpu.upsampleNearest2x(u.cpu(), uo.cpu(), planes, h, w);
            cuda.upsampleNearest2x(u.gpu(), uo.gpu(), planes, h, w);
            Props.assertClose(cpu.read(uo.cpu()), cuda.read(uo.gpu()), 0, "upsample");

            int rows = 1 + rnd.nextInt(100), cols = 1 + rnd.nextInt(100);
            Pair t = place(rnd, Props.uniform(rnd, rows * cols, 1)), to = place(rnd, new float[rows * cols]);
            cpu.transpose(t.cpu(), to.cpu(), rows, cols);
            cuda.transpose(t.gpu(), to.gpu(), rows, cols);
            Props.assertClose(cpu.read(to.cpu()), cuda.read(to.gpu()), 0, "transpose");
        });
    }
}
