package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import livetalk.kernels.KernelException;
import org.junit.jupiter.api.Test;

/**
 * How the GEMM kernel is named and chosen (no GPU needed): the values LIVETALK_CUDA_GEMM and
 * -Dlivetalk.cuda.gemm accept, the error for others, the shared memory the wgmma kernels ask for,
 * and the tile width {@link GemmKernel#WGMMA} picks.
 */
class GemmKernelChoiceTest {

    @Test
    void namesParseInAnyCaseWithDashOrUnderscore() {
        assertEquals(GemmKernel.MMA_SYNC, GemmKernel.parse("mma_sync", "X"));
        assertEquals(GemmKernel.MMA_SYNC, GemmKernel.parse(" MMA-SYNC ", "X"));
        assertEquals(GemmKernel.WGMMA, GemmKernel.parse("wgmma", "X"));
        assertEquals(GemmKernel.WGMMA_N128, GemmKernel.parse("wgmma_n128", "X"));
        assertEquals(GemmKernel.WGMMA_N256, GemmKernel.parse("Wgmma-N256", "X"));
        assertEquals(GemmKernel.TMA, GemmKernel.parse("TMA", "X"));
        assertEquals(GemmKernel.TMA_N128, GemmKernel.parse("tma-n128", "X"));
        assertEquals(GemmKernel.TMA_N96, GemmKernel.parse("tma_n96", "X"));
        assertEquals(GemmKernel.TMA_WAVES, GemmKernel.parse("TMA-Waves", "X"));
        for (GemmKernel k : GemmKernel.values()) assertEquals(k, GemmKernel.parse(k.toString(), "X"));
    }

    @Test
    void anUnknownNameIsOneLineNamingTheSourceAndTheChoices() {
        KernelException e = assertThrows(KernelException.class, () -> GemmKernel.parse("cublas", "LIVETALK_CUDA_GEMM"));
        assertEquals("LIVETALK_CUDA_GEMM=cublas: expected one of mma_sync, wgmma, wgmma_n128, wgmma_n256, tma, tma_n128, tma_n256, tma_n96, tma_waves",
                e.getMessage());
    }

    @Test
    void wgmmaSharedMemoryFitsTheHopperOptIn() {
        // 227 KiB per block on H100 and H200 (cudaDevAttrMaxSharedMemoryPerBlockOptin)
        for (int bn : new int[]{128, 256}) assertTrue(LaunchGeometry.wgmmaSmem(bn) <= 232448, "BN " + bn);
        assertEquals(5 * 32768 + 1024, LaunchGeometry.wgmmaSmem(128));
        assertEquals(4 * 49152 + 1024, LaunchGeometry.wgmmaSmem(256));
        // the TMA kernels: the ring, the slack, two 8-byte barriers per stage
        assertEquals(6 * 32768 + 1024 + 6 * 16, LaunchGeometry.tmaSmem(128));
        assertEquals(4 * 49152 + 1024 + 4 * 16, LaunchGeometry.tmaSmem(256));
        assertEquals(8 * 28672 + 1024 + 8 * 16, LaunchGeometry.tmaSmem(96));
        for (int bn : new int[]{96, 128, 256}) assertTrue(LaunchGeometry.tmaSmem(bn) <= 232448, "TMA BN " + bn);
    }

    @Test
    void onlyTheTmaKernelsTakeTensorMaps() {
        for (GemmKernel k : GemmKernel.values()) {
            assertEquals(k.name().startsWith("TMA"), k.tma(), k.toString());
            assertEquals(k != GemmKernel.MMA_SYNC, k.wgmma(), k.toString());
        }
    }

    @Test
    void tmaArgumentListMatchesTheKernelsParametersAndDescribesBothOperands() {
        List<long[]> maps = new ArrayList<>();
        TensorMapEncoder record = (map, ptr, rows, cols, stride, boxRows, boxCols, swizzle) -> {
            assertEquals(128, map.byteSize());
            assertEquals(0, map.address() % 128, "a CUtensorMap is 128-byte aligned");
            assertEquals(128, swizzle, "the GEMM's operands: the 128-byte swizzle");
            maps.add(new long[]{ptr, rows, cols, stride, boxRows, boxCols});
        };
        int[] widths = CudaGemm.tmaGemmArgs(new CudaContext.Args(), record, 1000, 1544, 2000, 1544, 3000, 1536, 4000, 1, true,
                3072, 1536, 1544, 256).widths();
        assertEquals(List.of(List.of(1000L, 3072L, 1544L, 3088L, 128L, 64L), List.of(2000L, 1536L, 1544L, 3088L, 256L, 64L)),
                maps.stream().map(m -> Arrays.stream(m).boxed().toList()).toList());
        for (String kernel : new String[]{"gemm_bf16_tn_tma_n128", "gemm_bf16_tn_tma_n256", "gemm_bf16_tn_tma_n128_bf16out", "gemm_bf16_tn_tma_n256_bf16out",
                "gemm_bf16_tn_tma_n96", "gemm_bf16_tn_tma_n96_bf16out"}) {
            assertEquals(Arrays.toString(PtxParams.widths("gemm_tma_sm90", kernel)), Arrays.toString(widths), kernel);
        }
    }

    @Test
    void tileWidthFollowsTheWaveCount() {
        int sms = 132;
        // DiT shapes, M = 3072 tokens
        assertEquals(128, LaunchGeometry.wgmmaTileN(GemmKernel.WGMMA, 3072, 1536, sms));
        assertEquals(256, LaunchGeometry.wgmmaTileN(GemmKernel.WGMMA, 3072, 8960, sms));
        assertEquals(128, LaunchGeometry.wgmmaTileN(GemmKernel.WGMMA, 5, 8960, sms));
        // forced widths
        assertEquals(128, LaunchGeometry.wgmmaTileN(GemmKernel.WGMMA_N128, 3072, 8960, sms));
        assertEquals(256, LaunchGeometry.wgmmaTileN(GemmKernel.WGMMA_N256, 5, 7, sms));
        assertEquals(96, LaunchGeometry.wgmmaTileN(GemmKernel.TMA_N96, 3072, 8960, sms));
        // by waves (TMA_WAVES): the 1536-wide products take 96 (384 tiles, 3 waves), the FFN's 8960-wide one 256 (840 tiles, 7 waves)
        assertEquals(96, LaunchGeometry.wgmmaTileN(GemmKernel.TMA_WAVES, 3072, 1536, sms));
        assertEquals(256, LaunchGeometry.wgmmaTileN(GemmKernel.TMA_WAVES, 3072, 8960, sms));
        assertEquals(128, LaunchGeometry.tmaTileByWaves(3072, 1536, 114));    // H100 PCIe: 288 tiles in 3 waves of 160 against 96's 384 in 4 of 128
        assertEquals(96, LaunchGeometry.tmaTileByWaves(128, 256, sms));       // within one wave the narrowest tiles finish first (3 side by side)
        assertEquals(128, LaunchGeometry.tmaTileByWaves(3072, 4608, sms));    // 864 tiles in 7 waves of 160 against 256's 432 in 4 of 288
        // under the ping-pong schedule the widths chosen by shape stop at its kernels' 128; named widths stay
        int pp = TmaTileSchedule.PINGPONG.maxTileN();
        assertEquals(128, LaunchGeometry.wgmmaTileN(GemmKernel.TMA_WAVES, 3072, 8960, sms, pp));
        assertEquals(96, LaunchGeometry.wgmmaTileN(GemmKernel.TMA_WAVES, 3072, 1536, sms, pp));
        assertEquals(128, LaunchGeometry.wgmmaTileN(GemmKernel.TMA, 3072, 8960, sms, pp));
        assertEquals(256, LaunchGeometry.wgmmaTileN(GemmKernel.TMA_N256, 3072, 8960, sms, pp));
        assertEquals(256, LaunchGeometry.wgmmaTileN(GemmKernel.TMA_WAVES, 3072, 8960, sms, TmaTileSchedule.PERSISTENT.maxTileN()));
        // the rule's cost is what it minimises: no other width finishes sooner by its own measure
        for (int m : new int[]{1, 128, 3072, 9999}) {
            for (int n : new int[]{1, 96, 1536, 4608, 8960}) {
                int bn = LaunchGeometry.tmaTileByWaves(m, n, sms);
                assertTrue(bn == 96 || bn == 128 || bn == 256, bn + " for " + m + "x" + n);
            }
        }
    }
}
