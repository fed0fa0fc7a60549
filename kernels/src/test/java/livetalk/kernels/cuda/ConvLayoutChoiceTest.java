package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.KernelException;
import org.junit.jupiter.api.Test;

/**
 * How the convolution path is named and chosen, and the fast path's geometry (no GPU needed): the
 * values LIVETALK_CUDA_CONV and -Dlivetalk.cuda.conv accept, the tile height (mma.sync) and width
 * (wgmma) per output width, the shared memory per tile (conv_layout.cuh's ConvTile::SMEM_BYTES and
 * conv_sm90_layout.cuh's ConvSm90Ring::SMEM_BYTES, which conv_layout_test.cpp checks on the C++
 * side), and {@link ConvFastGeometry} at the decoder's shapes
 * (the 512×512 figures conv_layout_test.cpp asserts too), the launches' argument lists against
 * the kernels' parameters in conv.ptx and norms.ptx, and the VAE fuse switch's values.
 */
class ConvLayoutChoiceTest {

    @Test
    void namesParseInAnyCaseWithDashOrUnderscore() {
        assertEquals(ConvLayout.FAST, ConvLayout.parse("fast", "X"));
        assertEquals(ConvLayout.FAST, ConvLayout.parse(" FAST ", "X"));
        assertEquals(ConvLayout.IMPLICIT, ConvLayout.parse("implicit", "X"));
        assertEquals(ConvLayout.K_MAJOR, ConvLayout.parse("k-major", "X"));
        assertEquals(ConvLayout.WGMMA, ConvLayout.parse("Wgmma", "X"));
        assertEquals(ConvLayout.TMA, ConvLayout.parse("tma", "X"));
        assertEquals(ConvLayout.TMA, ConvLayout.parse(" TMA", "X"));
        assertEquals(ConvLayout.TMA_PERSISTENT, ConvLayout.parse("tma-persistent", "X"));
        assertEquals(ConvLayout.TMA_PINGPONG, ConvLayout.parse("TMA_PingPong", "X"));
        for (ConvLayout l : ConvLayout.values()) assertEquals(l, ConvLayout.parse(l.toString(), "X"));
    }

    @Test
    void anUnknownNameIsOneLineNamingTheSourceAndTheChoices() {
        KernelException e = assertThrows(KernelException.class, () -> ConvLayout.parse("cudnn", "LIVETALK_CUDA_CONV"));
        assertEquals("LIVETALK_CUDA_CONV=cudnn: expected one of implicit, fast, wgmma, tma, tma_persistent, tma_pingpong, k_major", e.getMessage());
    }

    @Test
    void tileHeightFitsTheOutputChannels() {
        int sms = 132;
        long big = 2056;   // 512×512: ⌈512·514/128⌉ position tiles, one frame
        assertEquals(32, LaunchGeometry.convTileM(3, big, sms));      // image head
        assertEquals(32, LaunchGeometry.convTileM(16, big, sms));     // latent convs
        assertEquals(96, LaunchGeometry.convTileM(96, big, sms));     // 512×512 stages
        assertEquals(96, LaunchGeometry.convTileM(192, big, sms));    // 256×256 stages: 2 tiles, none idle
        assertEquals(96, LaunchGeometry.convTileM(130, big, sms));    // 62 idle rows of 96-row tiles against 126 of 128
        assertEquals(128, LaunchGeometry.convTileM(384, 260, sms));   // 128×128, 2 frames: 780 blocks of 128 rows
        assertEquals(96, LaunchGeometry.convTileM(384, 33, sms));     // 64×64, 1 frame: 99 blocks of 128 rows, 132 of 96
        assertEquals(128, LaunchGeometry.convTileM(768, 260, sms));   // the time conv at 128×128
        assertEquals(128, LaunchGeometry.convTileM(120, big, sms));   // 8 idle of 128 against 72 of 96
    }

    @Test
    void wgmmaTileWidthFitsTheOutputChannels() {
        int sms = 132;
        long big = 2056;
        assertEquals(32, LaunchGeometry.convWgmmaTileN(3, big, sms));      // image head
        assertEquals(96, LaunchGeometry.convWgmmaTileN(96, big, sms));     // 512×512 stages: m64n96, none idle
        assertEquals(192, LaunchGeometry.convWgmmaTileN(192, 516, sms));   // 256×256 stages: one tile of 192
        assertEquals(192, LaunchGeometry.convWgmmaTileN(384, 260, sms));   // 128×128, 2 frames: 520 blocks of 192
        assertEquals(96, LaunchGeometry.convWgmmaTileN(384, 33, sms));     // 64×64: 66 blocks of 192 on 132 SMs, 132 of 96
        assertEquals(96, LaunchGeometry.convWgmmaTileN(200, big, sms));    // 88 idle of 96-wide tiles against 184 of 192
        assertEquals(192, LaunchGeometry.convWgmmaTileN(180, big, sms));   // 12 idle against 12: a tie, a large grid
    }

    @Test
    void wgmmaSharedMemoryFitsTheHopperOptIn() {
        assertEquals(5 * (16384 + 32 * 128) + 1024, LaunchGeometry.convWgmmaSmem(32));
        assertEquals(144384, LaunchGeometry.convWgmmaSmem(96));
        assertEquals(205824, LaunchGeometry.convWgmmaSmem(192));
        for (int tn : new int[]{32, 96, 192}) assertTrue(LaunchGeometry.convWgmmaSmem(tn) <= 232448, "tile " + tn);
    }

    @Test
    void tmaSharedMemoryFitsTheHopperOptIn() {
        // conv_tma_sm90_layout.cuh's ConvTmaRing::SMEM_BYTES (conv_tma_layout_test.cpp holds the same figures)
        assertEquals(8 * (16384 + 32 * 128) + 8 * 16 + 1024, LaunchGeometry.convTmaSmem(32));
        assertEquals(230528, LaunchGeometry.convTmaSmem(96));
        assertEquals(205904, LaunchGeometry.convTmaSmem(192));
        for (int tn : new int[]{32, 96, 192}) assertTrue(LaunchGeometry.convTmaSmem(tn) <= 232448, "tile " + tn);
    }

    @Test
    void theTmaLayoutIsChannelsLastAndTakesCopiesOfSixteenChannelsOrMore() {
        assertTrue(ConvLayout.TMA.channelsLast());
        assertTrue(ConvLayout.TMA_PERSISTENT.channelsLast() && ConvLayout.TMA_PERSISTENT.tma());
        assertTrue(ConvLayout.TMA_PINGPONG.channelsLast() && ConvLayout.TMA_PINGPONG.tma());
        assertTrue(!ConvLayout.WGMMA.tma());
        // every channel count the decoder's stride-1 convolutions read: the latent 16, then 96, 192, 384
        for (int cin : new int[]{16, 96, 192, 384}) {
            assertTrue(CudaConvolution.convTmaRuns(ConvFastGeometry.of(Conv3dSpec.of(cin, 96, 3, 3, 3, 0, 1, 1), 64, 64, 2, 1)), "cin " + cin);
        }
        // a copy of 8 or 24 channels (cin 3, 20: the encoder's RGB input, a ragged one) runs the wgmma kernel
        for (int cin : new int[]{3, 20, 8}) {
            assertEquals(false, CudaConvolution.convTmaRuns(ConvFastGeometry.of(Conv3dSpec.of(cin, 96, 3, 3, 3, 0, 1, 1), 64, 64, 2, 1)), "cin " + cin);
        }
    }

    @Test
    void thePingPongKernelsHoldTilesUpTo96Wide() {
        // a consumer warpgroup holds the whole 128 × tileN accumulator: 96 floats a thread at 96, 192 would not fit
        assertEquals("conv_cl_tma_h32_n96_pingpong", CudaConvolution.convTmaKernel(96, 96, ConvLayout.TMA_PINGPONG.schedule()));
        assertEquals("conv_cl_tma_n32_pingpong", CudaConvolution.convTmaKernel(32, 64, ConvLayout.TMA_PINGPONG.schedule()));
        assertEquals("conv_cl_tma_n192_persistent", CudaConvolution.convTmaKernel(192, 192, ConvLayout.TMA_PINGPONG.schedule()));
        assertEquals("conv_cl_tma_h32_n192_persistent", CudaConvolution.convTmaKernel(192, 96, ConvLayout.TMA_PERSISTENT.schedule()));
        assertEquals("conv_cl_tma_n96", CudaConvolution.convTmaKernel(96, 192, ConvLayout.TMA.schedule()));
    }

    @Test
    void copiesOf32MoreThanAMultipleOf64ChannelsTakeTheHalvesKernel() {
        // cp ≡ 32 mod 64 (conv_tma_halves): the wgmma kernel's k-tiles, X as two 32-channel boxes
        for (int cp : new int[]{32, 96, 160, 224}) {
            assertTrue(CudaConvolution.convTmaHalves(cp), "cp " + cp);
            for (int tn : new int[]{32, 96, 192}) assertEquals("conv_cl_tma_h32_n" + tn, CudaConvolution.convTmaKernel(tn, cp), "cp " + cp);
        }
        // a multiple of 64 (the one-box k-tiles are already the wgmma kernel's) and cp ≡ 16 mod 32 (the latent's 16: zero-filled k-tiles)
        for (int cp : new int[]{16, 48, 64, 128, 192, 384, 80}) {
            assertEquals(false, CudaConvolution.convTmaHalves(cp), "cp " + cp);
            for (int tn : new int[]{32, 96, 192}) assertEquals("conv_cl_tma_n" + tn, CudaConvolution.convTmaKernel(tn, cp), "cp " + cp);
        }
        // the decoder's 512×512 stage (cin 96) and its head's input (96 → 3) have cp 96
        assertEquals(96, ConvFastGeometry.of(Conv3dSpec.of(96, 96, 3, 3, 3, 0, 1, 1), 64, 64, 2, 1).cp());
        assertEquals(96, ConvFastGeometry.of(Conv3dSpec.of(90, 3, 3, 3, 3, 0, 1, 1), 64, 64, 2, 1).cp());
    }

    @Test
    void sharedMemoryAllowsTwoBlocksPerSm() {
        assertEquals(69120, LaunchGeometry.convSmem(32));
        assertEquals(96768, LaunchGeometry.convSmem(96));
        assertEquals(110592, LaunchGeometry.convSmem(128));
        // 228 KiB of shared memory per SM on H100 and H200, 1 KiB of it reserved per block (an A100's
        // 164 KiB holds one block of 96 or 128 rows, as it does of gemm_bf16_tn_k64)
        for (int tm : new int[]{32, 96, 128}) assertTrue(2 * (LaunchGeometry.convSmem(tm) + 1024) <= 233472, "tile " + tm);
    }

    @Test
    void geometryAtTheDecodersShapes() {
        // the 512×512 stage's causal 3×3×3 conv, one new frame after two of history
        ConvFastGeometry g = ConvFastGeometry.of(Conv3dSpec.of(96, 96, 3, 3, 3, 0, 1, 1), 512, 512, 2, 1);
        assertEquals(96, g.cp());
        assertEquals(514, g.wp());
        assertEquals(264710, g.plane());        // (514 + 1)·514
        assertEquals(263168, g.n());            // 512·514
        assertEquals(2592, g.k());              // 27·96
        assertEquals(1, g.tOut());
        assertEquals(3, g.seqFrames());
        assertEquals(2056, g.tilesN());
        assertEquals(2, g.padGroups());
        // the copy: 3 frames, 152.5 MB of bf16 (the old padded copy: 3·96·(514·514 + 3)·2 = 152.2 MB)
        assertEquals(3L * 264710 * 96, g.copyElements());
        // the resample's 1×3×3 conv 192 → 96 at 512×512 (no history, kt = 1)
        ConvFastGeometry r = ConvFastGeometry.of(Conv3dSpec.of(192, 96, 1, 3, 3, 0, 1, 1), 512, 512, 0, 1);
        assertEquals(9 * 192, r.k());
        assertEquals(1, r.seqFrames());
        // the first latent conv 16 → 384 at 64×64, first chunk (front padding 2)
        ConvFastGeometry c = ConvFastGeometry.of(Conv3dSpec.of(16, 384, 3, 3, 3, 2, 1, 1), 64, 64, 0, 1);
        assertEquals(16, c.cp());
        assertEquals(27 * 16, c.k());
        assertEquals(3, c.seqFrames());
        assertEquals(1, c.tOut());
        // cin not a multiple of 8 rounds up (the encoder's RGB input)
        assertEquals(8, ConvFastGeometry.of(Conv3dSpec.of(3, 96, 3, 3, 3, 2, 1, 1), 20, 20, 0, 1).cp());
    }

    @Test
    void argumentListsMatchTheKernelsParameters() {
        Conv3dSpec s = Conv3dSpec.of(96, 96, 3, 3, 3, 0, 1, 1);
        ConvFastGeometry g = ConvFastGeometry.of(s, 40, 30, 2, 1);
        int[] pad = CudaConvolution.convPadArgs(new CudaContext.Args(), 1, 2, 3, s, 40, 30, g, 4).widths();
        int[] gemm = CudaConvolution.convGemmArgs(new CudaContext.Args(), 1, 2, g, 3, 4, 96).widths();
        int[] weight = CudaConvolution.convWeightArgs(new CudaContext.Args(), 1, 0, 2, 96, 96, 27, 96).widths();
        assertEquals(Arrays.toString(PtxParams.widths("conv", "conv_pad_cl")), Arrays.toString(pad), "conv_pad_cl");
        assertEquals(Arrays.toString(PtxParams.widths("conv", "conv_pad_cl_hist16")), Arrays.toString(pad), "conv_pad_cl_hist16");
        for (int tm : new int[]{32, 96, 128}) {
            assertEquals(Arrays.toString(PtxParams.widths("conv", "conv_cl_m" + tm)), Arrays.toString(gemm), "conv_cl_m" + tm);
        }
        assertEquals(Arrays.toString(PtxParams.widths("conv", "conv_weight_cl")), Arrays.toString(weight), "conv_weight_cl");
        for (int tn : new int[]{32, 96, 192}) {
            assertEquals(Arrays.toString(PtxParams.widths("conv_sm90", "conv_cl_wgmma_n" + tn)), Arrays.toString(gemm), "conv_cl_wgmma_n" + tn);
        }
        // the TMA kernels: two tensor maps in place of the weight and the copy, then the wgmma kernels' arguments
        List<long[]> maps = new ArrayList<>();
        TensorMapEncoder record = (map, ptr, rows, cols, stride, boxRows, boxCols, swizzle) -> {
            assertEquals(128, map.byteSize());
            assertEquals(0, map.address() % 128, "a CUtensorMap is 128-byte aligned");
            maps.add(new long[]{ptr, rows, cols, stride, boxRows, boxCols, swizzle});
        };
        int[] tma = CudaConvolution.convTmaArgs(new CudaContext.Args(), record, 1000, 2000, g, 3, 4, 96, 96).widths();
        // cp = 96 (the halves kernel): the copy [seqFrames·plane, cp] in boxes of 128 pixels × 32
        // channels, 64-byte swizzle; W' [cout, k] in boxes of 96 × 64, 128-byte swizzle
        assertEquals(List.of(List.of(2000L, (long) g.seqFrames() * g.plane(), 96L, 192L, 128L, 32L, 64L),
                        List.of(1000L, 96L, (long) g.k(), 2L * g.k(), 96L, 64L, 128L)),
                maps.stream().map(m -> Arrays.stream(m).boxed().toList()).toList());
        // cp = 192 (the one-box kernel): both maps in 64-wide boxes, 128-byte swizzle
        maps.clear();
        ConvFastGeometry g192 = ConvFastGeometry.of(Conv3dSpec.of(192, 192, 3, 3, 3, 0, 1, 1), 20, 30, 2, 1);
        int[] tma192 = CudaConvolution.convTmaArgs(new CudaContext.Args(), record, 1000, 2000, g192, 3, 4, 192, 192).widths();
        assertEquals(List.of(List.of(2000L, (long) g192.seqFrames() * g192.plane(), 192L, 384L, 128L, 64L, 128L),
                        List.of(1000L, 192L, (long) g192.k(), 2L * g192.k(), 192L, 64L, 128L)),
                maps.stream().map(m -> Arrays.stream(m).boxed().toList()).toList());
        assertEquals(Arrays.toString(tma), Arrays.toString(tma192), "one argument list for both TMA kernels");
        int[] tail = Arrays.copyOfRange(gemm, 2, gemm.length);   // the wgmma kernels' arguments after the weight and the copy
        for (int tn : new int[]{32, 96, 192}) {
            for (int cp : new int[]{64, 96}) {   // a one-box copy, a halves one
                String kernel = CudaConvolution.convTmaKernel(tn, cp);
                int[] params = PtxParams.widths("conv_tma_sm90", kernel);
                assertEquals(Arrays.toString(params), Arrays.toString(tma), kernel);
                assertEquals(128, params[0], kernel + ": a tensor map first");
                assertEquals(128, params[1], kernel + ": a tensor map second");
                assertEquals(Arrays.toString(tail), Arrays.toString(Arrays.copyOfRange(params, 2, params.length)), kernel + " after the maps");
                // the persistent twin: the same list, then tOut (the plain grid's z)
                String persistentArgs = Arrays.toString(CudaConvolution.convTmaArgs(new CudaContext.Args(), record, 1000, 2000, g192, 3, 4, 192, 192)
                        .i32(2).widths());
                for (TmaTileSchedule schedule : new TmaTileSchedule[]{TmaTileSchedule.PERSISTENT, TmaTileSchedule.PINGPONG}) {
                    String twin = CudaConvolution.convTmaKernel(tn, cp, schedule);
                    assertEquals(persistentArgs, Arrays.toString(PtxParams.widths("conv_tma_sm90", twin)), twin);
                }
            }
        }
        // the VAE's norm fused into the copy (CudaBackend.conv3dNormSilu): its scale pass and the copy
        int[] scale = CudaConvolution.normScaleArgs(new CudaContext.Args(), 1, 2, 96, 1200, 1e-12f).widths();
        int[] padNorm = CudaConvolution.convPadNormArgs(new CudaContext.Args(), 1, 2, 2, 3, 4, 5, 1, s, 40, 30, g, 6).widths();
        assertEquals(Arrays.toString(PtxParams.widths("norms", "rms_scale_channels")), Arrays.toString(scale), "rms_scale_channels");
        assertEquals(Arrays.toString(PtxParams.widths("conv", "conv_pad_cl_norm")), Arrays.toString(padNorm), "conv_pad_cl_norm");
        assertEquals(Arrays.toString(PtxParams.widths("conv", "conv_pad_cl_norm_hist16")), Arrays.toString(padNorm), "conv_pad_cl_norm_hist16");
        int[] padUp2 = CudaConvolution.convPadUp2Args(new CudaContext.Args(), 1, s, 80, 60, g, 2).widths();
        assertEquals(Arrays.toString(PtxParams.widths("conv", "conv_pad_cl_up2")), Arrays.toString(padUp2), "conv_pad_cl_up2");
    }

    /**
     * Every GEMM kernel of the fast convolution has its _resid twin (the residual added in the
     * epilogue: conv3dResidual, conv3dNormSilu's residual), whose parameters are the plain
     * kernel's and then one pointer, and the launch's argument list (CudaConvolution.withResid
     * after the plain list, as convFastGemm builds it) is that list; without a residual the list
     * is the plain one.
     */
    @Test
    void residualTwinsTakeThePlainArgumentsThenTheResidual() {
        Conv3dSpec s = Conv3dSpec.of(96, 96, 3, 3, 3, 0, 1, 1);
        ConvFastGeometry g = ConvFastGeometry.of(s, 40, 30, 2, 1);
        int[] plain = CudaConvolution.convGemmArgs(new CudaContext.Args(), 1, 2, g, 3, 4, 96).widths();
        int[] resid = CudaConvolution.withResid(CudaConvolution.convGemmArgs(new CudaContext.Args(), 1, 2, g, 3, 4, 96), 5).widths();
        assertEquals(Arrays.toString(plain), Arrays.toString(CudaConvolution.withResid(
                CudaConvolution.convGemmArgs(new CudaContext.Args(), 1, 2, g, 3, 4, 96), 0).widths()), "no residual: the plain list");
        assertEquals(plain.length + 1, resid.length);
        assertEquals(8, resid[plain.length], "the residual: a pointer, last");
        List<String> kernels = new ArrayList<>();
        for (int tm : new int[]{32, 96, 128}) {
            String k = CudaConvolution.residTwin(CudaConvolution.convKernel(tm));
            assertEquals("conv_cl_m" + tm + "_resid", k);
            assertEquals(Arrays.toString(PtxParams.widths("conv", k)), Arrays.toString(resid), k);
            kernels.add(k);
        }
        for (int tn : new int[]{32, 96, 192}) {
            String k = CudaConvolution.residTwin(CudaConvolution.convWgmmaKernel(tn));
            assertEquals(Arrays.toString(PtxParams.widths("conv_sm90", k)), Arrays.toString(resid), k);
            kernels.add(k);
        }
        // the TMA twins: the plain TMA list (two tensor maps first), then tOut for the scheduled ones, then the residual
        TensorMapEncoder ignore = (map, ptr, rows, cols, stride, boxRows, boxCols, swizzle) -> { };
        for (int tn : new int[]{32, 96, 192}) {
            for (int cp : new int[]{64, 96}) {
                for (TmaTileSchedule schedule : TmaTileSchedule.values()) {
                    CudaContext.Args args = CudaConvolution.convTmaArgs(new CudaContext.Args(), ignore, 1000, 2000, g, 3, 4, 96, tn);
                    if (schedule.persistent()) args.i32(2);
                    String k = CudaConvolution.residTwin(CudaConvolution.convTmaKernel(tn, cp, schedule));
                    assertEquals(Arrays.toString(PtxParams.widths("conv_tma_sm90", k)), Arrays.toString(CudaConvolution.withResid(args, 5).widths()), k);
                    kernels.add(k);
                }
            }
        }
        // 3 mma.sync, 3 wgmma, and the TMA ones: 6 plain, 6 persistent, 4 ping-pong (192-wide ping-pong tiles take the persistent kernels)
        assertEquals(3 + 3 + 16, kernels.stream().distinct().count(), kernels.toString());
        // and the other way round: no conv_cl_* entry in the PTX without its twin (nor a twin of a kernel that does not exist)
        for (String module : new String[]{"conv", "conv_sm90", "conv_tma_sm90"}) {
            java.util.Set<String> entries = PtxParams.entries(module);
            for (String e : entries) {
                if (!e.startsWith("conv_cl_")) continue;
                String other = e.endsWith("_resid") ? e.substring(0, e.length() - "_resid".length()) : CudaConvolution.residTwin(e);
                assertTrue(entries.contains(other), module + ".ptx has " + e + " but not " + other);
            }
        }
    }

    @Test
    void vaeFuseSwitchTakesZeroOrOneAndIsOffByDefault() {
        assertEquals(false, CudaSwitches.parseVaeFuse(null, "X"));
        assertEquals(false, CudaSwitches.parseVaeFuse(" ", "X"));
        assertEquals(false, CudaSwitches.parseVaeFuse("0", "X"));
        assertEquals(true, CudaSwitches.parseVaeFuse(" 1 ", "X"));
        KernelException e = assertThrows(KernelException.class, () -> CudaSwitches.parseVaeFuse("on", "LIVETALK_CUDA_VAE_FUSE"));
        assertTrue(e.getMessage().startsWith("LIVETALK_CUDA_VAE_FUSE=on: expected 0 (the norm, then the convolution's copy) or 1"),
                e.getMessage());
    }

    @Test
    void stridedOrOversizedConvolutionsAreRefused() {
        assertThrows(KernelException.class, () -> ConvFastGeometry.of(new Conv3dSpec(8, 8, 1, 3, 3, 1, 2, 2, 0, 0, 1, 0, 1), 16, 16, 0, 1));
        assertThrows(KernelException.class, () -> ConvFastGeometry.of(Conv3dSpec.of(8, 8, 1, 3, 3, 0, 1, 1), 70000, 16, 0, 1));
    }
}
