package livetalk.kernels.cuda;

import static livetalk.kernels.cuda.CudaBackend.BLOCK;
import static livetalk.kernels.cuda.CudaBackend.pad8;
import static livetalk.kernels.cuda.CudaBackend.requireSize;
import static livetalk.kernels.cuda.CudaGemm.GEMM_THREADS;
import static livetalk.kernels.cuda.CudaGemm.GEMM_TILE;
import static livetalk.kernels.cuda.LaunchGeometry.*;

import livetalk.kernels.Buf;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.KernelException;
import livetalk.kernels.Weight;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * The CUDA backend's 3-D convolutions (the VAE's; {@link CudaBackend#conv3d} and its fused forms) as
 * GEMMs on the tensor cores, in the layout {@link CudaBackend#useConvLayout} chose: the
 * channels-last copy read by the mma.sync, wgmma or TMA-fed wgmma convolution kernels (FAST, WGMMA, TMA), the implicit
 * GEMM over a padded copy (IMPLICIT), or im2col patches laid out [K, pixels] (K_MAJOR). Inputs and
 * history are rounded to bf16 in the copy; outputs are float32 with the bias added.
 */
final class CudaConvolution {
    /** im2col chunks are limited to this many bf16 elements (256 MiB). */
    static final long IM2COL_MAX = 128L << 20;

    private final CudaBackend be;
    private final CudaContext ctx;

    CudaConvolution(CudaBackend be, CudaContext ctx) {
        this.be = be;
        this.ctx = ctx;
    }

    /** {@link CudaBackend#convUnavailableReason}: the modules {@code layout} needs, each loaded on first ask. */
    String unavailableReason(ConvLayout layout) {
        if (!layout.channelsLast()) return null;
        String why = fastUnavailableReason();
        if (why != null || layout == ConvLayout.FAST) return why;
        // TMA: the one-box kernels, the halves ones (cp ≡ 32 mod 64), their persistent and ping-pong twins, the same shared memory per width;
        // every kernel's _resid twin too (residTwin), which the driver would otherwise refuse its ring
        java.util.Map<String, Integer> wgmma = new java.util.LinkedHashMap<>(), tma = new java.util.LinkedHashMap<>();
        for (int tn : CONV_WGMMA_TILE_N) {
            withResidTwin(wgmma, convWgmmaKernel(tn), convWgmmaSmem(tn));
            for (int cp : new int[]{64, 96}) {   // a one-box copy, a halves one
                for (TmaTileSchedule schedule : TmaTileSchedule.values()) withResidTwin(tma, convTmaKernel(tn, cp, schedule), convTmaSmem(tn));
            }
        }
        why = ctx.loadHopperModule("conv_sm90", wgmma.keySet().toArray(String[]::new), wgmma.values().stream().mapToInt(Integer::intValue).toArray());
        if (why != null || layout == ConvLayout.WGMMA) return why;
        return ctx.loadHopperModule("conv_tma_sm90", tma.keySet().toArray(String[]::new), tma.values().stream().mapToInt(Integer::intValue).toArray());
    }

    /** {@link CudaBackend#fastConvUnavailableReason}: conv.ptx's kernels and their _resid twins, loaded on first ask. */
    String fastUnavailableReason() {
        java.util.Map<String, Integer> kernels = new java.util.LinkedHashMap<>();
        for (int tm : CONV_TILE_M) withResidTwin(kernels, convKernel(tm), convSmem(tm));
        return ctx.loadOnDemand("conv", kernels.keySet().toArray(String[]::new), kernels.values().stream().mapToInt(Integer::intValue).toArray(), false);
    }

    /** A convolution kernel and its _resid twin, each with the kernel's dynamic shared memory. */
    private static void withResidTwin(java.util.Map<String, Integer> kernels, String kernel, int smem) {
        kernels.put(kernel, smem);
        kernels.put(residTwin(kernel), smem);
    }

    /** The wgmma convolution at tileN channels per block (conv_sm90.cu). */
    static String convWgmmaKernel(int tileN) {
        return "conv_cl_wgmma_n" + tileN;
    }

    /** The TMA-fed wgmma convolution at tileN channels per block (conv_tma_sm90.cu), one 64-channel box per k-tile. */
    static String convTmaKernel(int tileN) {
        return "conv_cl_tma_n" + tileN;
    }

    /** Its halves variant (conv_tma_sm90.cu; {@link #convTmaHalves}): two 32-channel boxes per k-tile. */
    static String convTmaHalvesKernel(int tileN) {
        return "conv_cl_tma_h32_n" + tileN;
    }

    /** The TMA kernel for this copy at tileN: the halves variant where {@link #convTmaHalves}, else the one-box one. */
    static String convTmaKernel(int tileN, int cp) {
        return convTmaHalves(cp) ? convTmaHalvesKernel(tileN) : convTmaKernel(tileN);
    }

    /** That kernel in {@code schedule}'s form (conv_tma_sm90.cu's _persistent and _pingpong twins; {@link ConvLayout#schedule}). */
    static String convTmaKernel(int tileN, int cp, TmaTileSchedule schedule) {
        return convTmaKernel(tileN, cp) + schedule.infixFor(tileN);
    }

    /**
     * Whether the copy's channels are 32 more than a multiple of 64 (cp = 96 at the 512×512 stage;
     * conv_tma_sm90_layout.cuh's conv_tma_halves): there a one-box k-tile of one tap would leave a
     * tap's last 32 channels half a k-tile of zeros, so the halves kernel runs the wgmma kernel's own
     * k-tiles, each half of 32 channels from its own tap.
     */
    static boolean convTmaHalves(int cp) {
        return cp % 64 == 32;
    }

    /** The mma.sync channels-last convolution at tileM channels per block (conv.cu). */
    static String convKernel(int tileM) {
        return "conv_cl_m" + tileM;
    }

    /**
     * A fast-path GEMM kernel's twin that adds a residual in its epilogue (every conv_cl_* kernel
     * has one: its arguments, then the residual; {@link #fusesResidual}).
     */
    static String residTwin(String kernel) {
        return kernel + "_resid";
    }

    /**
     * conv3d on {@code layout}, plus {@code residual} (null for none) added in the fast path's
     * epilogue: only where {@link #fusesResidual} (the caller runs conv3d and add elsewhere).
     */
    void conv3d(ConvLayout layout, Buf hist, int histFrames, Buf x, int frames, int h, int w, Buf out, Buf residual, Conv3dSpec s,
                Weight weight, Weight bias) {
        CudaBuf xb = be.buf(x), ob = be.buf(out), hb = hist == null ? null : be.anyBuf(hist);
        CudaWeight cw = be.weight(weight), cb = bias == null ? null : be.weight(bias);
        long frame = (long) s.cin() * h * w;
        if (histFrames > 0) {
            if (hb == null) throw new KernelException("conv3d: " + histFrames + " history frames but no history buffer");
            requireSize("conv3d history", histFrames * frame, hb.len);
        }
        requireSize("conv3d input", frames * frame, xb.len);
        requireSize("conv3d weight", s.weightSize(), cw.numel());
        if (cb != null) requireSize("conv3d bias", s.cout(), cb.numel());
        int tOut = s.outFrames(histFrames + frames), hOut = s.outH(h), wOut = s.outW(w);
        long pixels = (long) hOut * wOut;
        requireSize("conv3d output", tOut * s.cout() * pixels, ob.len);
        int kdim = s.cin() * s.kt() * s.kh() * s.kw(), ld = pad8(kdim);
        if (cw.cols() != kdim) throw new KernelException("conv3d weight has " + cw.cols() + " elements per output channel, expected " + kdim);
        boolean stride1 = s.st() == 1 && s.sh() == 1 && s.sw() == 1, fast = layout.channelsLast() && stride1;
        if (residual != null && !fast) throw new KernelException("conv3d: a residual is added in the channels-last convolutions only, not on " + layout);
        long rPtr = residual == null ? 0 : residualPtr(residual, ob);
        // the weight's matrix form [cout, pad8(K)] (made on first use); the fast path reads another form
        long wPtr = fast ? 0 : cw.bf16Ptr(), bPtr = cb == null ? 0 : cb.f32Ptr();
        boolean hist16 = histFrames > 0 && hb.dtype == DType.BF16;
        long histPtr = hb == null || histFrames == 0 ? xb.ptr() : hb.ptr();
        if (fast) {
            conv3dFast(histPtr, hist16, histFrames, xb, frames, h, w, ob, rPtr, s, cw, bPtr, layout);
            return;
        }
        if (layout == ConvLayout.IMPLICIT && stride1) {
            conv3dImplicit(histPtr, hist16, histFrames, xb, frames, h, w, ob, s, tOut, kdim, ld, wPtr, bPtr);
            return;
        }
        // im2col reads a float32 history: widen a bf16 one (exactly) into this thread's scratch
        if (hist16) histPtr = be.widenToScratch(hb, ScratchRegions.HISTORY);   // hb holds exactly histFrames frames (checked above)
        conv3dKn(histPtr, histFrames, xb, h, w, ob, s, tOut, wOut, pixels, kdim, ld, wPtr, bPtr);
    }

    /**
     * Whether {@link #conv3dNormSilu} runs this convolution ({@link CudaBackend#useVaeFuse} on, and the
     * channels-last path: layout FAST, WGMMA or TMA, stride 1); elsewhere the backend runs the unfused sequence.
     */
    boolean fusesNorm(ConvLayout layout, Conv3dSpec s) {
        boolean stride1 = s.st() == 1 && s.sh() == 1 && s.sw() == 1;
        return be.vaeFuse() && layout.channelsLast() && stride1;
    }

    /**
     * Whether a residual is added in this convolution's epilogue ({@link
     * livetalk.kernels.Backend#conv3dResidual}, and {@link #conv3dNormSilu}'s residual): where
     * {@link #fusesNorm} holds (the switch, and the GEMM kernels' {@code _resid} twins); elsewhere
     * the backend runs conv3d, then add.
     */
    boolean fusesResidual(ConvLayout layout, Conv3dSpec s) {
        return fusesNorm(layout, s);
    }

    /** The residual's device address, after checking that it is float32 of out's size and not out itself. */
    private long residualPtr(Buf residual, CudaBuf ob) {
        CudaBuf rb = be.buf(residual);
        requireSize("conv3d residual", ob.len, rb.len);
        if (rb.ptr() == ob.ptr()) throw new KernelException("conv3d: the residual is the output buffer (the epilogue reads it as another)");
        return rb.ptr();
    }

    /**
     * {@link livetalk.kernels.Backend#conv3dNormSilu} fused ({@link #fusesNorm}): {@code rms_scale_channels}
     * computes each pixel's norm factor (this thread's scratch, frames·h·w floats),
     * {@code conv_pad_cl_norm} writes the copy of SiLU(norm(x)) from x and slides the history in
     * place, and the GEMM reads the copy as {@link #conv3d} would, adding {@code residual} (null for
     * none) in its epilogue. The normed buffer is not touched.
     */
    void conv3dNormSilu(ConvLayout layout, Buf hist, int histFrames, int keep, Buf x, int frames, int h, int w, Weight gamma, float eps,
                        Buf out, Buf residual, Conv3dSpec s, Weight weight, Weight bias) {
        long frame = (long) s.cin() * h * w, pixels = (long) h * w;
        livetalk.kernels.Backend.checkSlidingHistory(hist, histFrames, keep, frames, frame);
        CudaBuf xb = be.buf(x), ob = be.buf(out), hb = be.anyBuf(hist);
        CudaWeight cw = be.weight(weight), cb = bias == null ? null : be.weight(bias);
        // as conv3d, either history dtype whatever productInputDtype says (the copy reads both)
        if (hb.dtype != DType.F32 && hb.dtype != DType.BF16) throw new KernelException("conv3dNormSilu: a " + hb.dtype + " history");
        requireSize("conv3dNormSilu input", frames * frame, xb.len);
        requireSize("conv3dNormSilu weight", s.weightSize(), cw.numel());
        if (cb != null) requireSize("conv3dNormSilu bias", s.cout(), cb.numel());
        ConvFastGeometry g = ConvFastGeometry.of(s, h, w, histFrames, frames);
        requireSize("conv3dNormSilu output", (long) g.tOut() * s.cout() * g.hOut() * g.wOut(), ob.len);
        long rPtr = residual == null ? 0 : residualPtr(residual, ob);
        long scale = be.scratch().region(ScratchRegions.NORM_SCALE, frames * pixels * Float.BYTES);
        ctx.launch("rms_scale_channels", (int) ((pixels + 31) / 32), frames, 1, BLOCK, 0,
                normScaleArgs(ctx.args(), xb.ptr(), scale, s.cin(), (int) pixels, eps));
        long xc = be.scratch().region(ScratchRegions.COPY, g.copyElements() * 2);
        ctx.launch(hb.dtype == DType.BF16 ? "conv_pad_cl_norm_hist16" : "conv_pad_cl_norm", (g.wp() + 31) / 32, g.hp() + 1, g.padGroups(),
                BLOCK, 0, convPadNormArgs(ctx.args(), hb.ptr(), histFrames, keep, xb.ptr(), scale, be.vector(gamma, s.cin()), frames, s, h, w, g, xc));
        convFastGemm(xc, g, s, cw, cb == null ? 0 : cb.f32Ptr(), ob, rPtr, layout);
    }

    /**
     * Whether {@link #conv3dUpsample2x} runs this convolution, reading x in its copy so that no
     * upsampled frame is written: as {@link #fusesNorm}, for a convolution with one frame tap and no
     * causal padding.
     */
    boolean fusesUpsample(ConvLayout layout, Conv3dSpec s) {
        return fusesNorm(layout, s) && s.kt() == 1 && s.padFront() == 0;
    }

    /**
     * {@link livetalk.kernels.Backend#conv3dUpsample2x} fused ({@link #fusesUpsample}): per frame
     * {@code conv_pad_cl_up2} writes the copy of the upsampled frame from x and the GEMM reads it as
     * {@link #conv3d} would (one frame at a time, as the default, so the copy stays one frame's).
     */
    void conv3dUpsample2x(ConvLayout layout, Buf x, int frames, int h, int w, Buf out, Conv3dSpec s, Weight weight, Weight bias) {
        CudaBuf xb = be.buf(x), ob = be.buf(out);
        CudaWeight cw = be.weight(weight), cb = bias == null ? null : be.weight(bias);
        long inFrame = (long) s.cin() * h * w;
        ConvFastGeometry g = ConvFastGeometry.of(s, 2 * h, 2 * w, 0, 1);
        long outFrame = (long) s.cout() * g.hOut() * g.wOut();
        requireSize("conv3dUpsample2x input", frames * inFrame, xb.len);
        requireSize("conv3dUpsample2x weight", s.weightSize(), cw.numel());
        if (cb != null) requireSize("conv3dUpsample2x bias", s.cout(), cb.numel());
        requireSize("conv3dUpsample2x output", frames * outFrame, ob.len);
        for (int t = 0; t < frames; t++) {
            long xc = be.scratch().region(ScratchRegions.COPY, g.copyElements() * 2);
            ctx.launch("conv_pad_cl_up2", (g.wp() + 31) / 32, g.hp() + 1, g.padGroups(), BLOCK, 0,
                    convPadUp2Args(ctx.args(), xb.ptr() + t * inFrame * Float.BYTES, s, 2 * h, 2 * w, g, xc));
            convFastGemm(xc, g, s, cw, cb == null ? 0 : cb.f32Ptr(), be.buf(ob.view(t * outFrame, outFrame)), 0, layout);
        }
    }

    /**
     * A stride-1 conv3d without a patch matrix: one bf16 copy of the clip, zero-padded in space and
     * time, from which the GEMM gathers every tap as a constant offset (its output rows run at the
     * padded width and the junk columns are dropped as they are stored).
     */
    private void conv3dImplicit(long histPtr, boolean hist16, int histFrames, CudaBuf xb, int frames, int h, int w, CudaBuf ob,
                                Conv3dSpec s, int tOut, int kdim, int ld, long wPtr, long bPtr) {
        int hp = h + s.padTop() + s.padBottom(), wp = w + s.padLeft() + s.padRight();
        int hOut = s.outH(h), wOut = s.outW(w);
        long planeL = (long) hp * wp + s.kw();
        int seqFrames = s.padFront() + histFrames + frames;
        long nAll = seqFrames * s.cin() * planeL, nOut = (long) hOut * wp;
        if (planeL > Integer.MAX_VALUE || nOut > Integer.MAX_VALUE || tOut > 65535) {
            throw new KernelException("conv3d of " + h + "x" + w + " frames is too large for the implicit GEMM");
        }
        int plane = (int) planeL;
        long xp = be.scratch().region(ScratchRegions.COPY, nAll * 2);
        ctx.launch(hist16 ? "pad_frames_bf16_hist16" : "pad_frames_bf16", ctx.gridFor(nAll, BLOCK), 1, 1, BLOCK, 0,
                ctx.args().ptr(histPtr).i32(histFrames).ptr(xb.ptr()).i32(s.cin()).i32(h).i32(w).i32(s.padFront()).i32(s.padTop())
                        .i32(s.padLeft()).i32(hp).i32(wp).i32(plane).i32(seqFrames).ptr(xp));
        int taps = s.kt() * s.kh() * s.kw();
        int depth = be.gemmDepth();
        ctx.launch("conv_implicit_k" + depth, (int) ((nOut + GEMM_TILE - 1) / GEMM_TILE), (s.cout() + GEMM_TILE - 1) / GEMM_TILE, tOut,
                GEMM_THREADS, gemmNnSmem(depth),
                ctx.args().ptr(wPtr).i32(ld).ptr(xp).i32(s.cin()).i32(taps).i32(s.kh() * s.kw()).i32(s.kw()).i32(wp).i32(plane).i32(wOut)
                        .ptr(ob.ptr()).i64((long) hOut * wOut).ptr(bPtr).i32(bPtr == 0 ? 0 : 2).i32(s.cout()).i32((int) nOut).i32(ld).i32(kdim));
    }

    /**
     * The fast stride-1 conv3d (conv.cu; geometry: {@link ConvFastGeometry}): a channels-last,
     * zero-padded bf16 copy of the clip in this thread's scratch (the same bytes as IMPLICIT's
     * padded copy, give or take one row per frame and the channels rounded up to 8), then one GEMM
     * launch over every output frame with the weight in its tap-major form (made on first use
     * instead of the matrix form, which this path never asks for): mma.sync (conv.cu), wgmma
     * (conv_sm90.cu) with the same arguments, or wgmma fed by TMA (conv_tma_sm90.cu).
     */
    private void conv3dFast(long histPtr, boolean hist16, int histFrames, CudaBuf xb, int frames, int h, int w, CudaBuf ob, long rPtr,
                            Conv3dSpec s, CudaWeight cw, long bPtr, ConvLayout layout) {
        ConvFastGeometry g = ConvFastGeometry.of(s, h, w, histFrames, frames);
        long xc = be.scratch().region(ScratchRegions.COPY, g.copyElements() * 2);
        ctx.launch(hist16 ? "conv_pad_cl_hist16" : "conv_pad_cl", (g.wp() + 31) / 32, g.hp() + 1, g.seqFrames() * g.padGroups(), BLOCK, 0,
                convPadArgs(ctx.args(), histPtr, histFrames, xb.ptr(), s, h, w, g, xc));
        convFastGemm(xc, g, s, cw, bPtr, ob, rPtr, layout);
    }

    /**
     * The fast path's product of the re-laid weight by the copy xc into out, on {@code layout}'s
     * kernel: mma.sync (FAST), wgmma (WGMMA), or wgmma fed by TMA (TMA, where {@link #convTmaRuns};
     * elsewhere WGMMA's kernel, which gives the same bits). rPtr: 0, or a residual [tOut, cout,
     * hOut, wOut] that the kernel's {@link #residTwin} adds in its epilogue (its last argument).
     */
    private void convFastGemm(long xc, ConvFastGeometry g, Conv3dSpec s, CudaWeight cw, long bPtr, CudaBuf ob, long rPtr, ConvLayout layout) {
        long wPtr = cw.convPtr(s.cin(), g.taps(), g.cp());
        if (layout == ConvLayout.WGMMA || layout.tma()) {
            // 128 positions per block as well (2 warpgroups × 64), the channels in tiles of tileN
            int tileN = convWgmmaTileN(s.cout(), (long) g.tilesN() * g.tOut(), ctx.multiprocessors);
            if (layout.tma() && convTmaRuns(g)) {
                int tilesO = (s.cout() + tileN - 1) / tileN;
                CudaContext.Args args = convTmaArgs(ctx.args(), CudaDriver::encodeTensorMap, wPtr, xc, g, ob.ptr(), bPtr, s.cout(), tileN);
                TmaTileSchedule schedule = layout.schedule().forTiles((long) g.tilesN() * tilesO * g.tOut(), ctx.multiprocessors);
                if (schedule.persistent()) {
                    // one block per SM (a block takes an SM's shared memory), each walking the tiles gridDim.x apart
                    ctx.launch(resid(convTmaKernel(tileN, g.cp(), schedule), rPtr), persistentBlocks((long) g.tilesN() * tilesO * g.tOut(), ctx.multiprocessors),
                            1, 1, CONV_TMA_THREADS, convTmaSmem(tileN), withResid(args.i32(g.tOut()), rPtr));
                } else {
                    ctx.launch(resid(convTmaKernel(tileN, g.cp()), rPtr), g.tilesN(), tilesO, g.tOut(), CONV_TMA_THREADS, convTmaSmem(tileN),
                            withResid(args, rPtr));
                }
                return;
            }
            ctx.launch(resid(convWgmmaKernel(tileN), rPtr), g.tilesN(), (s.cout() + tileN - 1) / tileN, g.tOut(), GEMM_THREADS, convWgmmaSmem(tileN),
                    withResid(convGemmArgs(ctx.args(), wPtr, xc, g, ob.ptr(), bPtr, s.cout()), rPtr));
            return;
        }
        int tileM = convTileM(s.cout(), (long) g.tilesN() * g.tOut(), ctx.multiprocessors);
        ctx.launch(resid(convKernel(tileM), rPtr), g.tilesN(), (s.cout() + tileM - 1) / tileM, g.tOut(), GEMM_THREADS, convSmem(tileM),
                withResid(convGemmArgs(ctx.args(), wPtr, xc, g, ob.ptr(), bPtr, s.cout()), rPtr));
    }

    /** The kernel itself without a residual (rPtr 0), else its {@link #residTwin}. */
    private static String resid(String kernel, long rPtr) {
        return rPtr == 0 ? kernel : residTwin(kernel);
    }

    /** A GEMM kernel's arguments, then the residual for its {@link #residTwin} (none without one). */
    static CudaContext.Args withResid(CudaContext.Args a, long rPtr) {
        return rPtr == 0 ? a : a.ptr(rPtr);
    }

    /** Threads of a TMA-convolution block: a producer warpgroup and two consumers (conv_tma_sm90.cu). */
    static final int CONV_TMA_THREADS = 384;

    /**
     * Whether the TMA convolution takes this geometry (conv_tma_sm90_layout.cuh's conv_tma_fits): the
     * copy's channels a multiple of 16, so that no k16 chunk of the product straddles two taps (its
     * k-tiles are one tap's; the bits are then the wgmma kernel's), and the copy's rows within a
     * tensor map's int coordinates. Elsewhere (cin = 3 or 24, say) the wgmma kernel runs.
     */
    static boolean convTmaRuns(ConvFastGeometry g) {
        return g.cp() % 16 == 0 && (long) g.seqFrames() * g.plane() <= Integer.MAX_VALUE;
    }

    // The fast convolution's argument lists, kept apart so that ConvLayoutChoiceTest can hold them
    // against the kernels' parameters in conv.ptx (a wrong width would show only on a GPU).

    /** conv_pad_cl(_hist16)'s arguments (conv.cu). */
    static CudaContext.Args convPadArgs(CudaContext.Args a, long hist, int histFrames, long x, Conv3dSpec s, int h, int w,
                                        ConvFastGeometry g, long xc) {
        return a.ptr(hist).i32(histFrames).ptr(x).i32(s.cin()).i32(h).i32(w).i32(s.padFront()).i32(s.padTop()).i32(s.padLeft())
                .i32(g.hp()).i32(g.cp()).i32(g.wp()).i32(g.plane()).i32(g.padGroups()).ptr(xc);
    }

    /**
     * conv_pad_cl_norm(_hist16)'s arguments (conv.cu): the history (read and slid in place), its
     * frames and capacity, x, the per-pixel scale, gamma, the new frames, then conv_pad_cl's
     * geometry from cin on.
     */
    static CudaContext.Args convPadNormArgs(CudaContext.Args a, long hist, int histFrames, int keep, long x, long scale, long gamma, int frames,
                                            Conv3dSpec s, int h, int w, ConvFastGeometry g, long xc) {
        return a.ptr(hist).i32(histFrames).i32(keep).ptr(x).ptr(scale).ptr(gamma).i32(frames).i32(s.cin()).i32(h).i32(w).i32(s.padFront())
                .i32(s.padTop()).i32(s.padLeft()).i32(g.hp()).i32(g.cp()).i32(g.wp()).i32(g.plane()).i32(g.padGroups()).ptr(xc);
    }

    /** conv_pad_cl_up2's arguments (conv.cu): one frame of x, then conv_pad_cl's geometry from cin on, h and w upsampled. */
    static CudaContext.Args convPadUp2Args(CudaContext.Args a, long x, Conv3dSpec s, int h2, int w2, ConvFastGeometry g, long xc) {
        return a.ptr(x).i32(s.cin()).i32(h2).i32(w2).i32(s.padFront()).i32(s.padTop()).i32(s.padLeft()).i32(g.hp()).i32(g.cp()).i32(g.wp())
                .i32(g.plane()).i32(g.padGroups()).ptr(xc);
    }

    /** rms_scale_channels's arguments (norms.cu): x, the scale per (frame, pixel), channels, pixels, eps. */
    static CudaContext.Args normScaleArgs(CudaContext.Args a, long x, long scale, int channels, int pixels, float eps) {
        return a.ptr(x).ptr(scale).i32(channels).i32(pixels).f32(eps);
    }

    /**
     * conv_cl_m*'s and conv_cl_wgmma_n*'s arguments: the re-laid weight, the copy, the geometry
     * (ConvGeom's fields in order), out, pixels per plane, bias, cout.
     */
    static CudaContext.Args convGemmArgs(CudaContext.Args a, long weight, long xc, ConvFastGeometry g, long out, long bias, int cout) {
        return a.ptr(weight).ptr(xc).i32(g.cp()).i32(g.khw()).i32(g.kw()).i32(g.wp()).i32(g.plane()).i32(g.n()).i32(g.k()).i32(g.wOut())
                .ptr(out).i64((long) g.hOut() * g.wOut()).ptr(bias).i32(cout);
    }

    /**
     * conv_cl_tma_n*'s and conv_cl_tma_h32_n*'s arguments: the copy as a [seqFrames·plane, cp] bf16
     * matrix (one row per pixel; channels past cp read as zeros) in boxes of 128 rows × 64 channels
     * with the 128-byte swizzle, or, for the halves kernel ({@link #convTmaHalves}), 128 rows × 32
     * channels with the 64-byte swizzle (a box row is then one 64-byte swizzle row); the re-laid
     * weight as [cout, k] in boxes of tileN rows × 64 (128-byte swizzle); then conv_cl_wgmma_n*'s
     * arguments from cp on.
     */
    static CudaContext.Args convTmaArgs(CudaContext.Args a, TensorMapEncoder enc, long weight, long xc, ConvFastGeometry g, long out, long bias,
                                        int cout, int tileN) {
        boolean halves = convTmaHalves(g.cp());
        enc.encode(a.tensorMap(), xc, (long) g.seqFrames() * g.plane(), g.cp(), 2L * g.cp(), ConvFastGeometry.TILE_N, halves ? 32 : 64,
                halves ? 64 : 128);
        enc.encode(a.tensorMap(), weight, cout, g.k(), 2L * g.k(), tileN, 64);
        return a.i32(g.cp()).i32(g.khw()).i32(g.kw()).i32(g.wp()).i32(g.plane()).i32(g.n()).i32(g.k()).i32(g.wOut())
                .ptr(out).i64((long) g.hOut() * g.wOut()).ptr(bias).i32(cout);
    }

    /** conv_weight_cl's arguments. */
    static CudaContext.Args convWeightArgs(CudaContext.Args a, long src, int dtype, long y, int cout, int cin, int taps, int cp) {
        return a.ptr(src).i32(dtype).ptr(y).i32(cout).i32(cin).i32(taps).i32(cp);
    }

    /** A conv weight [cout, cin, taps] of any file dtype as bf16 [cout][tap·cp + c] (conv_weight_cl), zero for c ≥ cin. */
    DeviceMemory uploadConvWeight(Tensor t, int cout, int cin, int taps, int cp) {
        DeviceMemory raw = be.uploadRaw(t, CudaMemoryReport.Use.STAGING);
        long n = (long) cout * taps * cp;
        DeviceMemory m = new DeviceMemory(ctx, n * 2, CudaMemoryReport.Use.WEIGHTS_BF16);
        ctx.launch("conv_weight_cl", ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0,
                convWeightArgs(ctx.args(), raw.ptr, CudaBackend.dtypeCode(t.dtype()), m.ptr, cout, cin, taps, cp));
        raw.free();
        return be.published(m);
    }

    /** conv3d with the patches laid out [K, pixels]: coalesced gathers and writes, B read transposed by the GEMM. */
    private void conv3dKn(long histPtr, int histFrames, CudaBuf xb, int h, int w, CudaBuf ob, Conv3dSpec s, int tOut, int wOut,
                          long pixels, int kdim, int ld, long wPtr, long bPtr) {
        long chunk = Math.max(8, Math.min(pad8((int) Math.min(pixels, Integer.MAX_VALUE - 8)), IM2COL_MAX / kdim / 8 * 8));
        for (int t = 0; t < tOut; t++) {
            for (long p0 = 0; p0 < pixels; p0 += chunk) {
                int np = (int) Math.min(chunk, pixels - p0), ldn = pad8(np);
                long col = be.scratch().region(ScratchRegions.COPY, (long) kdim * ldn * 2);
                ctx.launch("im2col_kn_bf16", Math.min((ldn + BLOCK - 1) / BLOCK, 1024), kdim, 1, BLOCK, 0,
                        ctx.args().ptr(histPtr).i32(histFrames).ptr(xb.ptr()).i32(s.cin()).i32(h).i32(w)
                                .i32(s.kt()).i32(s.kh()).i32(s.kw()).i32(s.st()).i32(s.sh()).i32(s.sw())
                                .i32(s.padFront()).i32(s.padTop()).i32(s.padLeft()).i32(t).i32(wOut).i32((int) p0).i32(np)
                                .ptr(col).i32(ldn));
                long c = ob.ptr() + ((long) t * s.cout() * pixels + p0) * Float.BYTES;
                int depth = be.gemmDepth();
                ctx.launch("gemm_bf16_nn_k" + depth, (np + GEMM_TILE - 1) / GEMM_TILE, (s.cout() + GEMM_TILE - 1) / GEMM_TILE, 1,
                        GEMM_THREADS, gemmNnSmem(depth),
                        ctx.args().ptr(wPtr).i32(ld).ptr(col).i32(ldn).ptr(c).i64(pixels).ptr(bPtr).i32(bPtr == 0 ? 0 : 2).i32(0)
                                .i32(s.cout()).i32(np).i32(ld).i32(kdim));
            }
        }
    }
}
