package livetalk.kernels.cuda;

import static livetalk.kernels.cuda.CudaBackend.BF16_OUT;
import static livetalk.kernels.cuda.CudaBackend.BLOCK;
import static livetalk.kernels.cuda.CudaBackend.pad8;
import static livetalk.kernels.cuda.CudaBackend.requireSize;
import static livetalk.kernels.cuda.CudaGemm.GEMM_THREADS;
import static livetalk.kernels.cuda.CudaGemm.GEMM_TILE;
import static livetalk.kernels.cuda.LaunchGeometry.*;

import livetalk.kernels.Buf;
import livetalk.kernels.KernelException;
import livetalk.tensor.DType;

/**
 * The CUDA backend's attention ({@link CudaBackend#attention}): the flash kernels at head sizes 64
 * and 128 (mma.sync, wgmma, or wgmma fed by TMA, whose keys may be split into ranges merged by a
 * second kernel), two products around a row softmax for other head sizes that are multiples of 8,
 * and a float32 kernel for the rest (a bias, odd head sizes).
 */
final class CudaAttention {
    /** The flash kernels take the scale in base 2 (they use exp2). */
    static final float LOG2E = 1.4426950408889634f;
    /**
     * The two-product attention computes at most this many scores at once (16 MiB of float32): the
     * VAE's 4096-pixel attention in 4 row blocks of 1024, each product still 256 tiles, instead of
     * one block whose scores and P held 120 MiB of scratch in each thread that ran it.
     */
    static final long SCORES_MAX = 4L << 20;

    /** The wgmma flash kernel, and the one whose tiles TMA loads (attention_sm90.cu). */
    static final String FLASH_SM90 = "flash_attn_d128_sm90", FLASH_TMA = "flash_attn_d128_tma";
    /** The TMA flash kernel with its computing warpgroups in ping-pong (attention_sm90.cu). */
    static final String FLASH_TMA_PINGPONG = "flash_attn_d128_tma_pp", FLASH_TMA_SPLIT_PINGPONG = "flash_attn_d128_tma_split_pp";
    /** Their twins with the shorter softmax ({@link FlashKernel#TMA_PINGPONG_FASTEXP}). */
    static final String FASTEXP = "_fastexp";
    /** The TMA flash kernel over a share of the keys, and the merge of the shares (attention_sm90.cu). */
    static final String FLASH_TMA_SPLIT = "flash_attn_d128_tma_split", FLASH_COMBINE = "flash_combine_d128";
    /** flash_combine_d128's block: a warp per query row, 4 rows (attention_sm90_layout.cuh, FA3_COMBINE_ROWS and _THREADS). */
    static final int FLASH_COMBINE_ROWS = 4, FLASH_COMBINE_THREADS = 32 * FLASH_COMBINE_ROWS;

    private final CudaBackend be;
    private final CudaContext ctx;
    private final CudaGemm gemms;

    CudaAttention(CudaBackend be, CudaContext ctx, CudaGemm gemms) {
        this.be = be;
        this.ctx = ctx;
        this.gemms = gemms;
    }

    /** The mma.sync flash kernels (attention.cu, always loaded), each allowed its shared memory: at construction. */
    void allowFlashSharedMemory() {
        for (String suffix : new String[]{"", "_w8", BF16_OUT, "_w8" + BF16_OUT}) {
            ctx.allowSharedMemory("flash_attn_d128" + suffix, flashSmem(128));
            ctx.allowSharedMemory("flash_attn_d64" + suffix, flashSmem(64));
        }
    }

    /** {@link CudaBackend#flashWgmmaUnavailableReason}: attention_sm90's kernels, each allowed its shared memory, loaded on first ask. */
    String wgmmaUnavailableReason() {
        return ctx.loadHopperModule("attention_sm90", new String[]{FLASH_SM90, FLASH_SM90 + BF16_OUT, FLASH_TMA, FLASH_TMA + BF16_OUT, FLASH_TMA_SPLIT,
                        FLASH_TMA_PINGPONG, FLASH_TMA_PINGPONG + BF16_OUT, FLASH_TMA_SPLIT_PINGPONG, FLASH_TMA_PINGPONG + FASTEXP,
                        FLASH_TMA_PINGPONG + FASTEXP + BF16_OUT, FLASH_TMA_SPLIT_PINGPONG + FASTEXP},
                new int[]{FLASH_SM90_SMEM, FLASH_SM90_SMEM, FLASH_TMA_SMEM, FLASH_TMA_SMEM, FLASH_TMA_SMEM, FLASH_TMA_SMEM, FLASH_TMA_SMEM,
                        FLASH_TMA_SMEM, FLASH_TMA_SMEM, FLASH_TMA_SMEM, FLASH_TMA_SMEM});
    }

    /**
     * q and out may be float32 or bf16 (operand buffers: {@link CudaBackend#useBf16Operands}); k and v float32
     * or bf16 (the KV cache), both of one dtype.
     */
    void attention(Buf q, Buf k, Buf v, Buf out, int nq, int nk, int heads, int headDim, float scale, Buf bias) {
        CudaBuf qb = be.anyBuf(q), kb = be.anyBuf(k), vb = be.anyBuf(v), ob = be.anyBuf(out);
        if (kb.dtype != vb.dtype) throw new KernelException("attention: k is " + kb.dtype + " but v is " + vb.dtype);
        boolean bf16Kv = kb.dtype == DType.BF16;
        int width = heads * headDim;
        requireSize("attention q", (long) nq * width, qb.len);
        requireSize("attention k", (long) nk * width, kb.len);
        requireSize("attention v", (long) nk * width, vb.len);
        requireSize("attention out", (long) nq * width, ob.len);
        if (bias != null) requireSize("attention bias", (long) heads * nq * nk, be.buf(bias).len);
        if (nq == 0) return;
        if (flashPath(headDim, bias)) {
            long qs = gemms.operand(qb, width, nq, width, width, ScratchRegions.Q);
            // A bf16 KV cache is already in the flash kernel's operand format: its rows go in as they are.
            long ks = bf16Kv ? kb.ptr() : gemms.toBf16Rows(kb, width, nk, width, width, ScratchRegions.K);
            long vs = bf16Kv ? vb.ptr() : gemms.toBf16Rows(vb, width, nk, width, width, ScratchRegions.V);
            flash(be.flashKernel(), be.flashWarps(), qs, ks, vs, ob.ptr(), ob.dtype == DType.BF16, width, width, nq, nk, heads, headDim, scale);
            return;
        }
        // The paths below write float32: a bf16 out gets it in this thread's scratch, rounded into out
        // afterwards with toBf16's rounding (the same bits the flash kernels' bf16 store gives).
        long o = ob.dtype == DType.BF16 ? be.scratch().region(ScratchRegions.ATTENTION_OUT, Math.max(4, ob.len * Float.BYTES)) : ob.ptr();
        if (tensorCoreAttention(headDim, bias)) {
            attentionByProducts(qb, kb, vb, o, nq, nk, heads, headDim, scale, bf16Kv);
        } else {
            if (headDim > 512) throw new KernelException("attention head size " + headDim + " (the CUDA kernels take at most 512)");
            // The generic kernel reads float32: widen bf16 queries, keys and values into this thread's scratch first.
            long qp = qb.dtype == DType.BF16 ? be.widenToScratch(qb, ScratchRegions.Q) : qb.ptr();
            long kp = bf16Kv ? be.widenToScratch(kb, ScratchRegions.K) : kb.ptr(), vp = bf16Kv ? be.widenToScratch(vb, ScratchRegions.V) : vb.ptr();
            ctx.launch("attention_generic", nq, heads, 1, 128, headDim * Float.BYTES,
                    ctx.args().ptr(qp).ptr(kp).ptr(vp).ptr(o).i32(nq).i32(nk).i32(heads).i32(headDim)
                            .f32(scale).ptr(bias == null ? 0 : be.buf(bias).ptr()));
        }
        if (ob.dtype == DType.BF16) roundInto(o, ob);
    }

    /**
     * One launch of a flash kernel (the contract of attention.cu's flash_attn): bf16 q, k, v at
     * device addresses with rows {@code ld} elements apart, head h at columns [h·hd, (h+1)·hd); out
     * float32 or bf16 ({@code bf16Out}) with rows {@code ldo} apart. {@code kind} applies at head
     * size 128 (64 always runs on mma.sync); {@code warps} (4 or 8) to the mma.sync kernels. Package
     * access so that tests can pass row strides wider than heads·hd, which attention never does.
     */
    void flash(FlashKernel kind, int warps, long q, long k, long v, long out, boolean bf16Out, int ld, long ldo, int nq, int nk,
               int heads, int hd, float scale) {
        if (hd != 64 && hd != 128) throw new KernelException("flash attention head size " + hd + " (64 or 128)");
        if (ld % 8 != 0 || ((q | k | v) & 15) != 0) {
            throw new KernelException("flash attention operands must be 16-byte aligned with rows a multiple of 8 elements apart (ld " + ld + ")");
        }
        // the short softmax scales the row maximum after taking it, which needs a positive scale
        if (kind == FlashKernel.TMA_PINGPONG_FASTEXP && !(scale > 0)) kind = FlashKernel.TMA_PINGPONG;
        if (kind.tma() && hd == 128 && nq > 0) {
            int splits = be.flashSplitsAt(nq, nk, heads);
            if (splits > 1) {
                flashInSplits(kind, q, k, v, out, bf16Out, ld, ldo, nq, nk, heads, scale, splits);
                return;
            }
            String kernel = tmaKernel(kind, false) + (bf16Out ? BF16_OUT : "");
            ctx.launch(kernel, (nq + FLASH_SM90_QUERIES - 1) / FLASH_SM90_QUERIES, heads, 1,
                    FLASH_TMA_THREADS, FLASH_TMA_SMEM,
                    flashTmaArgs(ctx.args(), CudaDriver::encodeTensorMap, q, k, v, out, ld, ldo, nq, nk, heads, scale * LOG2E));
            return;
        }
        if (kind == FlashKernel.WGMMA && hd == 128) {
            // selected through useFlash or the property, which checked the device and loaded the module
            String kernel = FLASH_SM90 + (bf16Out ? BF16_OUT : "");
            ctx.launch(kernel, (nq + FLASH_SM90_QUERIES - 1) / FLASH_SM90_QUERIES, heads, 1, 256, FLASH_SM90_SMEM,
                    ctx.args().ptr(q).ptr(k).ptr(v).ptr(out).i32(ld).i64(ldo).i32(nq).i32(nk).f32(scale * LOG2E));
            return;
        }
        int queries = 16 * warps;
        String kernel = (hd == 128 ? "flash_attn_d128" : "flash_attn_d64") + (warps == 8 ? "_w8" : "") + (bf16Out ? BF16_OUT : "");
        ctx.launch(kernel, (nq + queries - 1) / queries, heads, 1, 32 * warps, flashSmem(hd),
                ctx.args().ptr(q).ptr(k).ptr(v).ptr(out).i32(ld).i64(ldo).i32(nq).i32(nk).f32(scale * LOG2E));
    }

    /**
     * The TMA flash attention in {@code splits} key ranges (2 ≤ splits ≤ key tiles): each range's
     * unnormalised rows and row state into this thread's scratch (regions 8 and 9), then one merge
     * into out.
     */
    private void flashInSplits(FlashKernel kind, long q, long k, long v, long out, boolean bf16Out, int ld, long ldo, int nq, int nk, int heads,
                               float scale, int splits) {
        long width = (long) heads * 128;
        long part = be.scratch().region(ScratchRegions.SPLIT_PARTS, (long) splits * nq * width * Float.BYTES);
        long ml = be.scratch().region(ScratchRegions.SPLIT_STATE, 2L * splits * heads * nq * Float.BYTES);
        ctx.launch(tmaKernel(kind, true), (nq + FLASH_SM90_QUERIES - 1) / FLASH_SM90_QUERIES, heads,
                splits, FLASH_TMA_THREADS, FLASH_TMA_SMEM,
                flashSplitArgs(ctx.args(), CudaDriver::encodeTensorMap, q, k, v, part, ld, width, nq, nk, heads, scale * LOG2E, ml));
        ctx.launch(FLASH_COMBINE + (bf16Out ? BF16_OUT : ""), (nq + FLASH_COMBINE_ROWS - 1) / FLASH_COMBINE_ROWS, heads, 1,
                FLASH_COMBINE_THREADS, 0,
                flashCombineArgs(ctx.args(), part, ml, splits, out, ldo, width, nq, heads));
    }

    /**
     * The TMA flash kernel of {@code kind} (TMA, TMA_PINGPONG or TMA_PINGPONG_FASTEXP), over a share of
     * the keys when {@code split}: flash_attn_d128_tma, then _split, _pp and _fastexp as they apply.
     */
    static String tmaKernel(FlashKernel kind, boolean split) {
        return (split ? FLASH_TMA_SPLIT : FLASH_TMA) + (kind == FlashKernel.TMA ? "" : "_pp")
                + (kind == FlashKernel.TMA_PINGPONG_FASTEXP ? FASTEXP : "");
    }

    /** flash_attn_d128_tma_split's arguments: flash_attn_d128_tma's (out the parts, ldo their row stride), then ml. */
    static CudaContext.Args flashSplitArgs(CudaContext.Args args, TensorMapEncoder enc, long q, long k, long v, long part, int ld, long ldp,
                                           int nq, int nk, int heads, float scaleLog2, long ml) {
        return flashTmaArgs(args, enc, q, k, v, part, ld, ldp, nq, nk, heads, scaleLog2).ptr(ml);
    }

    /** flash_combine_d128(_bf16out)'s arguments. */
    static CudaContext.Args flashCombineArgs(CudaContext.Args args, long part, long ml, int splits, long out, long ldo, long ldp, int nq,
                                             int heads) {
        return args.ptr(part).ptr(ml).i32(splits).ptr(out).i64(ldo).i64(ldp).i32(nq).i32(heads);
    }

    /**
     * The TMA flash kernel's argument list: q, k and v as tensor maps of [rows, heads·128] bf16
     * with rows ld elements apart, boxes of 128 rows × 64 d (one d half), then out, ldo, nq, nk and
     * the base-2 scale.
     */
    static CudaContext.Args flashTmaArgs(CudaContext.Args args, TensorMapEncoder enc, long q, long k, long v, long out, int ld, long ldo,
                                         int nq, int nk, int heads, float scaleLog2) {
        long cols = (long) heads * 128;
        // a tensor map has at least one row; with no keys the kernel writes zeros without reading k or v
        enc.encode(args.tensorMap(), q, Math.max(1, nq), cols, 2L * ld, FLASH_SM90_QUERIES, 64);
        enc.encode(args.tensorMap(), k, Math.max(1, nk), cols, 2L * ld, 128, 64);
        enc.encode(args.tensorMap(), v, Math.max(1, nk), cols, 2L * ld, 128, 64);
        return args.ptr(out).i64(ldo).i32(nq).i32(nk).f32(scaleLog2);
    }

    /** {@code dst = bf16(src)} for float32 at device address src, as {@link CudaBackend#toBf16}. */
    private void roundInto(long src, CudaBuf dst) {
        if (dst.len > Integer.MAX_VALUE) throw new KernelException("a bf16 output of " + dst.len + " elements (at most 2^31 - 1)");
        int n = (int) dst.len;
        if (n == 0) return;
        ctx.launch("f32_to_bf16_rows", ctx.gridFor(n, BLOCK), 1, 1, BLOCK, 0,
                ctx.args().ptr(src).i64(n).ptr(dst.ptr()).i32(n).i32(1).i32(n));
    }

    /** Whether attention takes the flash kernels (bf16 q, k, v and P, scores kept in registers). */
    static boolean flashPath(int headDim, Buf bias) {
        return bias == null && (headDim == 64 || headDim == 128);
    }

    /**
     * Whether attention runs on the tensor cores at all (bf16 q, k, v and P): the flash kernels, or
     * for other head sizes (the VAE's single 384-wide head) two GEMMs around a row softmax. Only a
     * bias (umT5's relative positions, masks) or a head size that is not a multiple of 8 keeps the
     * float32 kernel.
     */
    static boolean tensorCoreAttention(int headDim, Buf bias) {
        return bias == null && headDim % 8 == 0;
    }

    /**
     * Attention as S = Q·Kᵀ (float32, a scratch block of query rows at a time), P = softmax(scale·S)
     * rounded to bf16, O = P·V: for head sizes the flash kernels do not hold in registers.
     */
    private void attentionByProducts(CudaBuf qb, CudaBuf kb, CudaBuf vb, long o, int nq, int nk, int heads, int hd, float scale,
                                     boolean bf16Kv) {
        int width = heads * hd, ldp = pad8(nk);
        long qs = gemms.operand(qb, width, nq, width, width, ScratchRegions.Q);
        long ks = bf16Kv ? kb.ptr() : gemms.toBf16Rows(kb, width, nk, width, width, ScratchRegions.K);
        long vs = bf16Kv ? vb.ptr() : gemms.toBf16Rows(vb, width, nk, width, width, ScratchRegions.V);
        int rows = (int) Math.max(1, Math.min(nq, SCORES_MAX / Math.max(ldp, 1)));
        long sBuf = be.scratch().region(ScratchRegions.SCORES, (long) rows * Math.max(ldp, 1) * Float.BYTES);
        long pBuf = be.scratch().region(ScratchRegions.PROBS, (long) rows * Math.max(ldp, 1) * 2);
        for (int h = 0; h < heads; h++) {
            for (int r0 = 0; r0 < nq; r0 += rows) {
                int n = Math.min(rows, nq - r0);
                gemms.gemm(qs + ((long) r0 * width + (long) h * hd) * 2, width, ks + (long) h * hd * 2, width, sBuf, ldp, 0, 0, false, n, nk, hd);
                ctx.launch("softmax_rows_bf16", n, 1, 1, BLOCK, 0,
                        ctx.args().ptr(sBuf).i64(ldp).i32(nk).f32(scale).ptr(pBuf).i32(ldp));
                int depth = be.gemmDepth();
                ctx.launch("gemm_bf16_nn_k" + depth, (hd + GEMM_TILE - 1) / GEMM_TILE, (n + GEMM_TILE - 1) / GEMM_TILE, 1, GEMM_THREADS, gemmNnSmem(depth),
                        ctx.args().ptr(pBuf).i32(ldp).ptr(vs + (long) h * hd * 2).i32(width)
                                .ptr(o + ((long) r0 * width + (long) h * hd) * Float.BYTES).i64(width).ptr(0).i32(0).i32(0)
                                .i32(n).i32(hd).i32(ldp).i32(nk));
            }
        }
    }
}
