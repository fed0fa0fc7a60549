package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.kernels.KernelException;
import org.junit.jupiter.api.Test;

/**
 * How the flash attention kernel is named and chosen (no GPU needed): the values
 * LIVETALK_CUDA_ATTN and -Dlivetalk.cuda.attn accept, the error for others, and the launch
 * geometry of the wgmma kernel, which must agree with attention_sm90_layout.cuh (Fa3Layout; the
 * host layout test checks the same 230400 bytes on the C++ side).
 */
class FlashKernelChoiceTest {

    @Test
    void namesParseInAnyCaseWithDashOrUnderscore() {
        assertEquals(FlashKernel.MMA_SYNC, FlashKernel.parse("mma_sync", "X"));
        assertEquals(FlashKernel.MMA_SYNC, FlashKernel.parse(" MMA-SYNC ", "X"));
        assertEquals(FlashKernel.WGMMA, FlashKernel.parse("wgmma", "X"));
        assertEquals(FlashKernel.WGMMA, FlashKernel.parse("WGMMA", "X"));
        assertEquals(FlashKernel.TMA_PINGPONG, FlashKernel.parse("tma-pingpong", "X"));
        assertEquals(FlashKernel.TMA_PINGPONG_FASTEXP, FlashKernel.parse("tma-pingpong-fastexp", "X"));
        assertTrue(FlashKernel.TMA_PINGPONG_FASTEXP.tma() && FlashKernel.TMA_PINGPONG_FASTEXP.wgmma());
        // every TMA kind's kernel names, unsplit and split, as attention_sm90.cu defines them
        assertEquals("flash_attn_d128_tma", CudaAttention.tmaKernel(FlashKernel.TMA, false));
        assertEquals("flash_attn_d128_tma_pp", CudaAttention.tmaKernel(FlashKernel.TMA_PINGPONG, false));
        assertEquals("flash_attn_d128_tma_pp_fastexp", CudaAttention.tmaKernel(FlashKernel.TMA_PINGPONG_FASTEXP, false));
        assertEquals("flash_attn_d128_tma_split", CudaAttention.tmaKernel(FlashKernel.TMA, true));
        assertEquals("flash_attn_d128_tma_split_pp", CudaAttention.tmaKernel(FlashKernel.TMA_PINGPONG, true));
        assertEquals("flash_attn_d128_tma_split_pp_fastexp", CudaAttention.tmaKernel(FlashKernel.TMA_PINGPONG_FASTEXP, true));
        for (FlashKernel k : FlashKernel.values()) assertEquals(k, FlashKernel.parse(k.toString(), "X"));
    }

    @Test
    void anUnknownNameIsOneLineNamingTheSourceAndTheChoices() {
        KernelException e = assertThrows(KernelException.class, () -> FlashKernel.parse("cudnn", "LIVETALK_CUDA_ATTN"));
        assertEquals("LIVETALK_CUDA_ATTN=cudnn: expected one of mma_sync, wgmma, tma, tma_pingpong, tma_pingpong_fastexp", e.getMessage());
    }

    @Test
    void wgmmaLaunchGeometryMatchesTheKernel() {
        // Q [128 × 128] + 3 K + 3 V tiles of [128 × 128] bf16, + 1 KiB alignment slack
        assertEquals(230400, LaunchGeometry.FLASH_SM90_SMEM);
        assertTrue(LaunchGeometry.FLASH_SM90_SMEM <= 232448, "fits the 227 KiB a block may opt in to on H100/H200");
        assertEquals(128, LaunchGeometry.FLASH_SM90_QUERIES);
        // the TMA kernel: the same, plus 13 mbarriers (Fa3TmaSchedule::COUNT), and 3 warpgroups
        assertEquals(230400 + 13 * 8, LaunchGeometry.FLASH_TMA_SMEM);
        assertTrue(LaunchGeometry.FLASH_TMA_SMEM <= 232448);
        assertEquals(384, LaunchGeometry.FLASH_TMA_THREADS);
    }

    @Test
    void tmaArgumentListMatchesTheKernelsParametersAndDescribesEachOperand() {
        java.util.List<java.util.List<Long>> maps = new java.util.ArrayList<>();
        TensorMapEncoder record = (map, ptr, rows, cols, stride, boxRows, boxCols, swizzle) ->
                maps.add(java.util.List.of(ptr, rows, cols, stride, (long) boxRows, (long) boxCols, (long) swizzle));
        int[] widths = CudaAttention.flashTmaArgs(new CudaContext.Args(), record, 100, 200, 300, 400, 1544, 1536, 3072, 15360, 12, 0.1f).widths();
        assertEquals(java.util.List.of(java.util.List.of(100L, 3072L, 1536L, 3088L, 128L, 64L, 128L), java.util.List.of(200L, 15360L, 1536L, 3088L, 128L, 64L, 128L),
                java.util.List.of(300L, 15360L, 1536L, 3088L, 128L, 64L, 128L)), maps);
        // no keys: the maps still have a row (the kernel reads none)
        maps.clear();
        CudaAttention.flashTmaArgs(new CudaContext.Args(), record, 100, 200, 300, 400, 128, 128, 5, 0, 1, 0.1f);
        assertEquals(1L, maps.get(1).get(1));
        for (String kernel : new String[]{"flash_attn_d128_tma", "flash_attn_d128_tma_bf16out", "flash_attn_d128_tma_pp", "flash_attn_d128_tma_pp_bf16out",
                "flash_attn_d128_tma_pp_fastexp", "flash_attn_d128_tma_pp_fastexp_bf16out"}) {
            assertEquals(java.util.Arrays.toString(PtxParams.widths("attention_sm90", kernel)), java.util.Arrays.toString(widths), kernel);
        }
    }

    /** The split kernel takes the TMA kernel's list and then ml; the merge its own; both held against their PTX parameters. */
    @Test
    void splitArgumentListsMatchTheKernelsParameters() {
        TensorMapEncoder none = (map, ptr, rows, cols, stride, boxRows, boxCols, swizzle) -> { };
        int[] split = CudaAttention.flashSplitArgs(new CudaContext.Args(), none, 1, 2, 3, 4, 1536, 1536, 3072, 15360, 12, 0.1f, 5).widths();
        for (String kernel : new String[]{"flash_attn_d128_tma_split", "flash_attn_d128_tma_split_pp", "flash_attn_d128_tma_split_pp_fastexp"}) {
            assertEquals(java.util.Arrays.toString(PtxParams.widths("attention_sm90", kernel)), java.util.Arrays.toString(split), kernel);
        }
        int[] combine = CudaAttention.flashCombineArgs(new CudaContext.Args(), 1, 2, 3, 4, 1536, 1536, 3072, 12).widths();
        for (String kernel : new String[]{"flash_combine_d128", "flash_combine_d128_bf16out"}) {
            assertEquals(java.util.Arrays.toString(PtxParams.widths("attention_sm90", kernel)), java.util.Arrays.toString(combine), kernel);
        }
    }

    /**
     * The split rule: the fewest ranges (up to 4) that fill the last wave 90 %, never a range under
     * 8 key tiles. The DiT's self-attention (288 blocks) on an H100/H200 SXM (132 SMs): 3 (864
     * blocks, 6.5 waves in 7) instead of 2.2 waves in 3; on 114 SMs (H100 PCIe) also 3 (7.6 in 8).
     */
    @Test
    void splitsFillTheLastWave() {
        assertEquals(3, LaunchGeometry.flashSplits(3072, 15360, 12, 132));
        assertEquals(3, LaunchGeometry.flashSplits(3072, 15360, 12, 114));
        assertEquals(3, LaunchGeometry.flashSplits(3072, 4096, 12, 132));       // block 0: 32 key tiles, 10 or 11 per range
        assertEquals(1, LaunchGeometry.flashSplits(3072, 1024, 12, 132));       // 8 tiles: a range would hold 4
        assertEquals(1, LaunchGeometry.flashSplits(3072, 512, 12, 132));        // the text cross-attention's keys
        assertEquals(1, LaunchGeometry.flashSplits(128 * 132, 15360, 1, 132));  // one full wave already
        assertEquals(2, LaunchGeometry.flashSplits(128 * 66, 15360, 1, 132));   // half a wave: 2 ranges fill it
        for (int sms : new int[]{1, 78, 108, 114, 132, 144}) {
            for (int nk : new int[]{0, 1, 1024, 2048, 4096, 15360, 100_000}) {
                for (int nq : new int[]{1, 1024, 3072, 9999}) {
                    int s = LaunchGeometry.flashSplits(nq, nk, 12, sms);
                    assertTrue(s >= 1 && s <= 4, s + " ranges");
                    assertTrue(s == 1 || (nk + 127) / 128 / s >= LaunchGeometry.MIN_TILES_PER_SPLIT, s + " ranges of " + nk + " keys");
                }
            }
        }
    }

    @Test
    void splitSwitchValues() {
        assertEquals(0, CudaSwitches.parseAttnSplit("auto", "X"));
        assertEquals(0, CudaSwitches.parseAttnSplit(" AUTO ", "X"));
        assertEquals(1, CudaSwitches.parseAttnSplit("off", "X"));
        assertEquals(1, CudaSwitches.parseAttnSplit("1", "X"));
        assertEquals(3, CudaSwitches.parseAttnSplit("3", "X"));
        assertEquals(8, CudaSwitches.parseAttnSplit("8", "X"));
        for (String bad : new String[]{"0", "9", "-1", "two", ""}) {
            KernelException e = assertThrows(KernelException.class, () -> CudaSwitches.parseAttnSplit(bad, "LIVETALK_CUDA_ATTN_SPLIT"));
            assertEquals("LIVETALK_CUDA_ATTN_SPLIT=" + bad + ": expected auto, off, or a number of key ranges from 1 to 8", e.getMessage());
        }
    }
}
