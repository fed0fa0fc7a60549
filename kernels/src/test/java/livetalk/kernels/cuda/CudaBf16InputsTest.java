package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@code productInputDtype()} is BF16 on CUDA because the ops round those inputs to bf16 anyway:
 * a conv3d history and attention's k and v kept in bf16 must give the same bits as float32 ones.
 */
class CudaBf16InputsTest extends CudaTestBase {

    @Test
    void conv3dWithBf16HistoryGivesTheSameBits() {
        Props.forAll("cuda conv3d bf16 history", 12, 901, rnd -> {
            int cin = 1 + rnd.nextInt(40), cout = 1 + rnd.nextInt(140), h = 3 + rnd.nextInt(30), w = 3 + rnd.nextInt(30);
            boolean strided = rnd.nextInt(3) == 0;   // im2col (K_MAJOR) path: the history is widened first
            Conv3dSpec s = strided ? new Conv3dSpec(cin, cout, 3, 3, 3, 1, 2, 2, 2, 1, 1, 1, 1) : Conv3dSpec.of(cin, cout, 3, 3, 3, 2, 1, 1);
            int histFrames = 1 + rnd.nextInt(2), frames = 1 + rnd.nextInt(4), frame = cin * h * w;
            float[] hist = Props.uniform(rnd, histFrames * frame, 2), x = Props.uniform(rnd, frames * frame, 2);
            Tensor wt = Tensor.wrap(Props.uniform(rnd, (int) s.weightSize(), 0.2f), cout, cin, 3, 3, 3);
            Tensor bt = Tensor.wrap(Props.uniform(rnd, cout, 1), cout);
            long n = (long) s.outFrames(histFrames + frames) * cout * s.outH(h) * s.outW(w);
            for (ConvLayout layout : CudaVaeTest.VALIDATED) {   // the fast path: CudaConvFastTest
                cuda.useConvLayout(layout);
                Buf h32 = cuda.upload(hist), h16 = cuda.alloc(hist.length, DType.BF16), xb = cuda.upload(x);
                cuda.toBf16(h32, h16);
                Buf a = cuda.alloc(n), b = cuda.alloc(n);
                cuda.conv3d(h32, histFrames, xb, frames, h, w, a, s, cuda.weight(wt), cuda.weight(bt));
                cuda.conv3d(h16, histFrames, xb, frames, h, w, b, s, cuda.weight(wt), cuda.weight(bt));
                assertArrayEquals(cuda.read(a), cuda.read(b), "conv3d " + layout + " " + s + " h=" + h + " w=" + w + " hist=" + histFrames);
            }
            cuda.useConvLayout(ConvLayout.IMPLICIT);
        });
    }

    @Test
    void attentionWithBf16KeysAndValuesGivesTheSameBits() {
        Props.forAll("cuda attention bf16 k v", 10, 902, rnd -> {
            int heads = 1 + rnd.nextInt(4), hd = rnd.nextBoolean() ? 128 : (rnd.nextBoolean() ? 64 : 48), nq = 1 + rnd.nextInt(300),
                    nk = 1 + rnd.nextInt(600), width = heads * hd;
            Buf q = cuda.upload(Props.uniform(rnd, nq * width, 1));
            Buf k = cuda.upload(Props.uniform(rnd, nk * width, 1)), v = cuda.upload(Props.uniform(rnd, nk * width, 1));
            Buf k16 = cuda.alloc((long) nk * width, DType.BF16), v16 = cuda.alloc((long) nk * width, DType.BF16);
            cuda.toBf16(k, k16);
            cuda.toBf16(v, v16);
            Buf a = cuda.alloc((long) nq * width), b = cuda.alloc((long) nq * width);
            float scale = (float) (1 / Math.sqrt(hd));
            cuda.attention(q, k, v, a, nq, nk, heads, hd, scale, null);
            cuda.attention(q, k16, v16, b, nq, nk, heads, hd, scale, null);
            assertArrayEquals(cuda.read(a), cuda.read(b), "attention heads=" + heads + " d=" + hd + " nq=" + nq + " nk=" + nk);
        });
    }
}
