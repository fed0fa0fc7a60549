package livetalk.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.KernelException;
import livetalk.kernels.Weight;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link Backend#conv3dUpsample2x}'s default against what the decoder's Resample ran before it
 * existed (each frame upsampled into a buffer, then convolved), bit for bit. The CUDA override is
 * held against this default by CudaVaeFuseTest.
 */
class ConvUpsample2xTest {
    private final Backend be = new CpuBackend();

    @Test
    void defaultIsTheUpsampleThenTheConvolutionFrameByFrame() {
        Props.forAll("conv3dUpsample2x default", 20, 1211, r -> {
            int cin = 1 + r.nextInt(10), cout = 1 + r.nextInt(10), h = 1 + r.nextInt(6), w = 1 + r.nextInt(8), frames = 1 + r.nextInt(3);
            int kh = r.nextBoolean() ? 3 : 1;
            Conv3dSpec s = Conv3dSpec.of(cin, cout, 1, kh, kh, 0, kh / 2, kh / 2);   // the resample's 1×3×3 conv
            Weight wt = be.weight(Tensor.wrap(Props.uniform(r, (int) s.weightSize(), 0.5f), cout, cin, 1, kh, kh));
            Weight bias = r.nextBoolean() ? be.weight(Tensor.wrap(Props.uniform(r, cout, 1f), cout)) : null;
            float[] x = Props.uniform(r, frames * cin * h * w, 2f);
            long outFrame = (long) cout * s.outH(2 * h) * s.outW(2 * w), upFrame = 4L * cin * h * w;
            Buf out = be.alloc(frames * outFrame);
            be.conv3dUpsample2x(be.upload(x), frames, h, w, be.alloc(upFrame + r.nextInt(3)), out, s, wt, bias);
            // as Resample.upsample did it
            Buf xb = be.upload(x), up = be.alloc(upFrame), old = be.alloc(frames * outFrame);
            for (int t = 0; t < frames; t++) {
                be.upsampleNearest2x(xb.view(t * (long) cin * h * w, (long) cin * h * w), up, cin, h, w);
                be.conv3d(null, 0, up, 1, 2 * h, 2 * w, old.view(t * outFrame, outFrame), s, wt, bias);
            }
            assertArrayEquals(be.read(old), be.read(out), "cin " + cin + " cout " + cout + " " + h + "x" + w + " frames " + frames);
        });
    }

    @Test
    void onlyPerFrameConvolutionsAreTaken() {
        Conv3dSpec s = Conv3dSpec.of(2, 2, 3, 3, 3, 2, 1, 1);
        Weight wt = be.weight(Tensor.wrap(new float[(int) s.weightSize()], 2, 2, 3, 3, 3));
        assertThrows(KernelException.class, () -> be.conv3dUpsample2x(be.alloc(8), 1, 2, 2, be.alloc(32), be.alloc(32), s, wt, null));
    }
}
