package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The TMA GEMM's persistent kernels (LIVETALK_CUDA_GEMM_PERSISTENT=1) against the plain ones on the
 * same device, bit for bit: each tile's sums are the same, only which block computes it and when
 * differ. {@link CudaTmaPingPongTest} holds the ping-pong kernels to the same checks. Every tile width, float32 and bf16 outputs, GELU, bias or none, the residual products;
 * shapes with fewer tiles than SMs, one to three tiles per SM (the DiT's), and ragged edges in M,
 * N and K. A class of its own so that the GPU check runs it in a JVM of its own (a hang shows as
 * that step's timeout). Skipped, saying why, off Hopper; GemmPersistentChoiceTest checks the
 * argument lists without a GPU.
 */
class CudaTmaPersistentTest extends CudaTestBase {
    @AfterEach
    void restore() {
        restoreDefaults(cuda);
    }

    /** The TMA GEMM, a block per tile, no residual epilogue: what these tests change, back as it was. */
    static void restoreDefaults(CudaBackend cuda) {
        if (cuda != null) {
            cuda.useGemmSchedule(TmaTileSchedule.TILES);
            cuda.ditFusions().useResidualEpilogue(false);
            cuda.useGemm(GemmKernel.TMA);
        }
    }

    @Test
    void persistentKernelsGiveThePlainKernelsBits() {
        sameBitsAsAblockPerTile(cuda, TmaTileSchedule.PERSISTENT);
    }

    /** {@code schedule}'s kernels against a block per tile, on random shapes, widths, outputs and epilogues. */
    static void sameBitsAsAblockPerTile(CudaBackend cuda, TmaTileSchedule schedule) {
        assumeTrue(cuda.tmaGemmUnavailableReason() == null, () -> "no TMA GEMM here: " + cuda.tmaGemmUnavailableReason());
        GemmKernel[] tiles = {GemmKernel.TMA_N128, GemmKernel.TMA_N256, GemmKernel.TMA_N96, GemmKernel.TMA_WAVES};
        Props.forAll("cuda TMA GEMM, " + schedule, 16, 83, rnd -> {
            int shape = rnd.nextInt(4);
            // 0: the DiT's 1536-wide products, 1: its FFN, 2: fewer tiles than SMs, 3: ragged, many tiles
            int rows = shape <= 1 ? 3072 : shape == 2 ? 1 + rnd.nextInt(300) : 1 + rnd.nextInt(2500);
            int in = shape == 0 ? 1536 : shape == 1 ? (rnd.nextBoolean() ? 1536 : 8960) : 8 * (1 + rnd.nextInt(200));
            int out = shape == 0 ? 1536 : shape == 1 ? (in == 1536 ? 8960 : 1536) : 1 + rnd.nextInt(shape == 2 ? 300 : 2000);
            boolean bias = rnd.nextInt(4) != 0, gelu = rnd.nextInt(3) == 0, bf16Out = rnd.nextBoolean(), resid = rnd.nextInt(4) == 0;
            float[] a = Props.normal(rnd, rows * in), x = Props.normal(rnd, rows * out), gate = Props.normal(rnd, out);
            Weight w = cuda.weight(Tensor.wrap(Props.normal(rnd, out * in), out, in).to(DType.BF16));
            Weight b = bias ? cuda.weight(Tensor.wrap(Props.normal(rnd, out), out)) : null;
            GemmKernel tile = tiles[rnd.nextInt(tiles.length)];
            cuda.useGemm(tile);
            cuda.ditFusions().useResidualEpilogue(resid);   // the _resid products themselves, not a product and an add
            float[][] got = new float[2][];
            for (int p = 0; p < 2; p++) {
                cuda.useGemmSchedule(p == 1 ? schedule : TmaTileSchedule.TILES);
                Buf ab = cuda.upload(a);
                if (resid) {
                    Buf xb = cuda.upload(x), scratch = cuda.alloc((long) rows * out), g = cuda.upload(gate);
                    cuda.linearResidual(ab, scratch, rows, w, b, xb, g, 0, rows);
                    got[p] = cuda.read(xb);
                } else {
                    Buf o = cuda.alloc((long) rows * out, bf16Out ? DType.BF16 : DType.F32);
                    if (gelu) cuda.linearGelu(ab, o, rows, w, b);
                    else cuda.linear(ab, o, rows, w, b);
                    got[p] = cuda.read(o);
                }
            }
            String what = schedule + ": " + rows + " x " + in + " -> " + out + ", " + tile + (resid ? ", residual" : bf16Out ? ", bf16 out" : ", float32 out")
                    + (gelu && !resid ? ", GELU" : "") + (bias ? "" : ", no bias");
            assertArrayEquals(got[0], got[1], what);
            assertTrue(Float.isFinite(got[1][0]), what);
        });
    }
}
