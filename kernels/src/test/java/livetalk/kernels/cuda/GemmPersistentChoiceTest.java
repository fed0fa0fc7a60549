package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import livetalk.kernels.KernelException;
import org.junit.jupiter.api.Test;

/**
 * The TMA GEMM's persistent and ping-pong kernels without a GPU: the switch's values, the blocks a
 * launch asks for, and each kernel's parameters in the PTX against the argument list its plain
 * twin takes (the launch hands them the same one).
 */
class GemmPersistentChoiceTest {
    @Test
    void switchValues() {
        assertEquals(TmaTileSchedule.PERSISTENT, CudaSwitches.parseGemmSchedule("1", "X"));
        assertEquals(TmaTileSchedule.PINGPONG, CudaSwitches.parseGemmSchedule("pingpong", "X"));
        assertEquals(TmaTileSchedule.PINGPONG, CudaSwitches.parseGemmSchedule(" PingPong ", "X"));
        assertEquals(TmaTileSchedule.TILES, CudaSwitches.parseGemmSchedule("0", "X"));
        assertEquals(TmaTileSchedule.TILES, CudaSwitches.parseGemmSchedule(null, "X"));
        assertEquals(TmaTileSchedule.TILES, CudaSwitches.parseGemmSchedule(" ", "X"));
        KernelException e = assertThrows(KernelException.class, () -> CudaSwitches.parseGemmSchedule("on", "LIVETALK_CUDA_GEMM_PERSISTENT"));
        assertTrue(e.getMessage().startsWith("LIVETALK_CUDA_GEMM_PERSISTENT=on: expected 0 (a block per tile), 1 ("), e.getMessage());
        assertTrue(e.getMessage().contains("or pingpong ("), e.getMessage());
    }

    @Test
    void oneBlockPerSmAtMost() {
        assertEquals(132, LaunchGeometry.persistentBlocks(288, 132));   // 3072 × 1536 in 128 × 128 tiles
        assertEquals(132, LaunchGeometry.persistentBlocks(840, 132));
        assertEquals(48, LaunchGeometry.persistentBlocks(48, 132));
        assertEquals(1, LaunchGeometry.persistentBlocks(1, 132));
        assertEquals(1, LaunchGeometry.persistentBlocks(0, 132));
        assertEquals(78, LaunchGeometry.persistentBlocks(1L << 40, 78));
    }

    /** The ping-pong only where some block gets a second tile: with one a block its second consumer would idle. */
    @Test
    void pingPongWhereABlockHasTwoTiles() {
        assertEquals(TmaTileSchedule.PINGPONG, TmaTileSchedule.PINGPONG.forTiles(288, 132));   // 3072 × 1536 in 128 × 128 tiles
        assertEquals(TmaTileSchedule.PINGPONG, TmaTileSchedule.PINGPONG.forTiles(133, 132));   // one block gets two
        assertEquals(TmaTileSchedule.PERSISTENT, TmaTileSchedule.PINGPONG.forTiles(132, 132));
        assertEquals(TmaTileSchedule.PERSISTENT, TmaTileSchedule.PINGPONG.forTiles(48, 132));  // 512 text rows × 1536
        assertEquals(TmaTileSchedule.PERSISTENT, TmaTileSchedule.PERSISTENT.forTiles(1000, 132));
        assertEquals(TmaTileSchedule.TILES, TmaTileSchedule.TILES.forTiles(1, 132));
    }

    @Test
    void kernelNames() {
        assertEquals("gemm_bf16_tn_tma_n128", CudaGemm.tmaKernel(128, TmaTileSchedule.TILES, ""));
        assertEquals("gemm_bf16_tn_tma_n96_persistent_bf16out", CudaGemm.tmaKernel(96, TmaTileSchedule.PERSISTENT, CudaBackend.BF16_OUT));
        assertEquals("gemm_bf16_tn_tma_n256_persistent_resid", CudaGemm.tmaKernel(256, TmaTileSchedule.PERSISTENT, CudaGemm.RESID));
        assertEquals("gemm_bf16_tn_tma_n128_pingpong_resid", CudaGemm.tmaKernel(128, TmaTileSchedule.PINGPONG, CudaGemm.RESID));
        assertEquals("gemm_bf16_tn_tma_n96_pingpong", CudaGemm.tmaKernel(96, TmaTileSchedule.PINGPONG, ""));
        // a warpgroup cannot hold a 128 × 256 tile's accumulator: the ping-pong schedule takes the persistent kernel there
        assertEquals("gemm_bf16_tn_tma_n256_persistent_bf16out", CudaGemm.tmaKernel(256, TmaTileSchedule.PINGPONG, CudaBackend.BF16_OUT));
    }

    @Test
    void persistentKernelsTakeTheirPlainTwinsArguments() {
        for (int bn : new int[] {96, 128, 256}) {
            for (String suffix : CudaGemm.TMA_SUFFIXES) {
                String plain = CudaGemm.tmaKernel(bn, TmaTileSchedule.TILES, suffix);
                for (TmaTileSchedule s : new TmaTileSchedule[] {TmaTileSchedule.PERSISTENT, TmaTileSchedule.PINGPONG}) {
                    String other = CudaGemm.tmaKernel(bn, s, suffix);
                    assertEquals(Arrays.toString(PtxParams.widths("gemm_tma_sm90", plain)), Arrays.toString(PtxParams.widths("gemm_tma_sm90", other)),
                            other);
                }
            }
        }
        // and the plain ones take what the launch builds (ResidualChoiceTest holds the _resid list)
        TensorMapEncoder none = (map, ptr, rows, cols, stride, boxRows, boxCols, swizzle) -> { };
        String widths = Arrays.toString(CudaGemm.tmaGemmArgs(new CudaContext.Args(), none, 1000, 1536, 2000, 1536, 3000, 1536, 4000, 1, false,
                3072, 1536, 1536, 128).widths());
        assertEquals(Arrays.toString(PtxParams.widths("gemm_tma_sm90", "gemm_bf16_tn_tma_n128_persistent")), widths);
    }
}
