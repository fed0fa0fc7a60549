package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.kernels.Buf;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fused layer norm and per-frame modulation (layer_norm_modulate_frames, LIVETALK_CUDA_NORM_MOD)
 * against the pair it replaces on the same device: layerNorm into a float32 buffer, then
 * modulateFrames, bit for bit, with float32 and bf16 output, on the DiT's shape (3 frames of 1024
 * rows of 1536, the parameters 6·1536 apart as in its [frames, 6, D] modulation) and ragged ones.
 * Skipped, saying why, without a GPU; its argument list is checked without one in NormModChoiceTest.
 */
class CudaNormModTest extends CudaTestBase {
    @AfterEach
    void unfused() {
        if (cuda != null) cuda.ditFusions().useNormMod(false);
    }

    @Test
    void fusedGivesThePairsBits() {
        Props.forAll("cuda layer norm modulate", 16, 73, rnd -> {
            boolean dit = rnd.nextInt(4) == 0;
            int dim = dit ? 1536 : 1 + rnd.nextInt(700), frames = dit ? 3 : 1 + rnd.nextInt(4), perFrame = dit ? 1024 : 1 + rnd.nextInt(90);
            long stride = dit ? 6L * dim : dim + rnd.nextInt(3 * dim);
            int rows = frames * perFrame, params = (int) ((frames - 1) * stride + dim);
            float[] x = Props.normal(rnd, rows * dim), shift = Props.normal(rnd, params), scale = Props.normal(rnd, params);
            for (int i = 0; i < x.length; i += 97) x[i] += 40f;   // an offset mean, so the centring matters
            Buf sh = cuda.upload(shift), sc = cuda.upload(scale);
            for (DType out : new DType[]{DType.F32, DType.BF16}) {
                float[][] got = new float[2][];
                for (int fused = 0; fused < 2; fused++) {
                    cuda.ditFusions().useNormMod(fused == 1);
                    Buf xb = cuda.upload(x), normed = cuda.alloc((long) rows * dim), ob = out == DType.F32 ? normed : cuda.alloc((long) rows * dim, out);
                    cuda.layerNormModulateFrames(xb, normed, 1e-6f, sh, sc, stride, ob, frames, perFrame, dim);
                    got[fused] = cuda.read(ob);
                    assertArrayEquals(x, cuda.read(xb), "x changed");
                }
                String what = frames + " frames of " + perFrame + " rows of " + dim + ", stride " + stride + ", " + out;
                assertArrayEquals(got[0], got[1], what);
                assertTrue(Float.isFinite(got[1][0]), what);
            }
        });
    }
}
