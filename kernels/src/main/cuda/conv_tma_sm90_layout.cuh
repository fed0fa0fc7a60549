// Index math of the TMA convolution (conv_tma_sm90.cu, LIVETALK_CUDA_CONV=tma), free of device code
// so that kernels/src/test/cuda/conv_tma_layout_test.cpp can hold it against the wgmma convolution
// (conv_sm90.cu) it must equal bit for bit. Every function here is what the kernel calls.
//
// The product is conv_sm90_layout.cuh's: D[q, o] = Σ_k Xc(q, k)·W'[o, k], positions q on M (128 per
// block, 64 per consumer warpgroup), output channels o on N (BN = 32, 96 or 192), k = tap·cp + c.
// Its operands come as TMA boxes of two 2-D tensor maps:
//   X: the copy Xc [seqFrames][Hp + 1][Wp][cp] viewed as a matrix [seqFrames·plane rows][cp], one
//      row per pixel. Because q runs over the padded plane, tap (dt, dy, dx) of position q is the
//      row t·plane + q + (dt·plane + dy·Wp + dx) for every q: the tap's 128 rows of a block are one
//      box, whatever the tap. The map's inner extent is cp, so channels ≥ cp arrive as zeros.
//   W: the re-laid weight W' [cout][K = taps·cp], inner extent K, so columns ≥ K arrive as zeros.
// A box is 64 channels (128 bytes: one 128-byte swizzle row, sm90_chunk_offset's layout) × 128 rows
// (X) or BN rows (W).
//
// k-tiles. A box reads one tap, so a k-tile here is 64 channels of ONE tap: k-tile
// tap·⌈cp/64⌉ + j covers channels [64j, 64j + 64) of that tap, and its X box's channels ≥ cp arrive
// as zeros. The wgmma kernel's k-tiles are 64 consecutive k instead, straddling two taps where
// 64 ∤ cp (cp = 96 at the 512×512 stages). Every k-tile is 4 wgmma of one k16 chunk each, as there
// (a wgmma issued under a branch makes ptxas inject warpgroup.arrive: build-ptx.sh refuses that,
// so the count cannot vary per k-tile).
//
// Why the bits are the wgmma kernel's. With cp a multiple of 16 (conv_tma_fits) every k16 chunk
// [16i, 16i + 16) of K lies inside one tap, and both kernels issue K's K/16 real chunks in the same
// order, each on the same bf16 values: the wgmma kernel as chunks 4kt + s of its k-tiles, this one
// as chunk s < (cp − 64j)/16 of k-tile (tap, j), which is K's chunk tap·cp/16 + 4j + s. They differ
// only in all-zero chunks: this kernel's partial k-tiles end in chunks whose X half is zero (past
// cp; the W half holds the next tap's weights, finite, which that tap's own k-tile multiplies
// later), and the wgmma kernel ends with (4 − (K/16) mod 4) mod 4 chunks zero in both. A zero chunk
// adds products that are all ±0 to the float32 accumulator, which leaves any nonzero value exactly
// as it is; wgmma accumulates chunk after chunk into the same registers, so the sums of the real
// chunks are the same and the results the same bits. (Two limits of that argument, neither
// reachable with real data: an accumulator that is exactly ±0 at a zero chunk may change the sign
// of that zero, which only an output whose whole sum is an exact zero would keep, and the bias then
// removes unless it is zero too; and it assumes the tensor core adds an exact zero to a subnormal
// accumulator exactly.) CudaConvTmaTest compares the two kernels' outputs bit for bit.
//
// Rows q ≥ n (ragged M) read real rows of the copy past the block's last position (or zeros past
// the copy's end) where the wgmma kernel reads zeros; a row of D depends only on its own row of the
// operand, and the epilogue drops those rows. Channels o ≥ cout read zeros either way.
//
// Cost: where 64 ∤ cp a tap takes ⌈cp/64⌉ k-tiles instead of cp/64, partly zero: at cp = 96, 2 per
// tap instead of 1.5, a third more wgmma (and stage traffic) on the 512×512 stage's convolutions;
// at cp = 16 (the latent conv, a small one) 1 instead of a quarter, 4×. Where 64 | cp (192, 384: the
// other stages) the k-tiles are exactly the wgmma kernel's.
//
// Halves (conv_cl_tma_h32_n*, where cp ≡ 32 mod 64: cp = 96 at the 512×512 stage, also 32, 160, ...).
// There the k-tiles are the wgmma kernel's own: k-tile kt covers k = 64kt .. 64kt + 63, ⌈K/64⌉ of
// them, and its X operand comes as TWO boxes of 128 rows × 32 channels (64 bytes: the 64-byte
// swizzle's span), one per 32-k half, each from its own tap: since 32 | cp, half [k0, k0 + 32),
// k0 = 64kt + 32j, lies inside tap k0 / cp at channels k0 mod cp .. + 31. The halves land in the
// stage's A tile as Sm90Ring::a_half (64-byte swizzle), read by 64-byte descriptors (sm90_desc64,
// slices 0-1 from half 0, 2-3 from half 1: sm90_desc64_k); W stays one 64-k box at column 64kt
// (128-byte swizzle). A half past K (the last k-tile's second half where K/32 is odd, e.g. 27 taps)
// is read at channel cp, wholly outside the map: zeros, as the wgmma kernel's chunks past K are on
// both sides (W's columns past K are zeros too). So every chunk, the zero ones included, is the
// wgmma kernel's chunk on the same values in the same order: no zero-chunk argument is needed, and
// the ±0 limit above does not apply. The cost is the wgmma kernel's: ⌈K/64⌉ k-tiles, no zero work
// beyond its own (at cp = 96, 27 taps: 41 k-tiles instead of 54).
#pragma once
#include "conv_layout.cuh"
#include "gemm_sm90_layout.cuh"

#define CONV_TMA_THREADS 384   // warpgroup 0 the producer, 1 and 2 the consumers
#define CONV_TMA_BM 128        // positions per block: 2 consumer warpgroups × 64

// The ring: Sm90Ring<BN> (a 128-row A tile and a BN-row B tile per stage) with STAGES stages, then
// two 8-byte barriers per stage (TmaSchedule), plus 1 KiB to round the window up to 1024 bytes.
template <int BN>
struct ConvTmaRing {
    static_assert(BN == 32 || BN == 96 || BN == 192, "the wgmma convolution's tile widths");
    static constexpr int STAGES = BN == 192 ? 5 : 8;
    static constexpr uint32_t RING_BYTES = STAGES * Sm90Ring<BN>::STAGE_BYTES;
    static constexpr uint32_t SMEM_BYTES = RING_BYTES + 16 * STAGES + SM90_GROUP_BYTES;
    static_assert(SMEM_BYTES <= 232448, "more shared memory than an H100/H200 block may opt in to");
};

// The kernel runs where every k16 chunk lies inside one tap (above): cp a multiple of 16. (The
// host runs the wgmma kernel elsewhere: cp = 8, 24, ..., e.g. the encoder's RGB input.)
CONV_HD bool conv_tma_fits(int cp) { return cp % 16 == 0; }

// Where the halves kernel runs instead (above): every 32-k half of a k-tile inside one tap, and
// 64 ∤ cp (where 64 | cp the one-box k-tiles are already the wgmma kernel's).
CONV_HD bool conv_tma_halves(int cp) { return cp % 64 == 32; }

// k-tiles per tap, and per block tile.
CONV_HD int conv_tma_tiles_per_tap(const ConvGeom& g) { return (g.cp + 63) / 64; }
CONV_HD int conv_tma_ktiles(const ConvGeom& g) { return g.k / g.cp * conv_tma_tiles_per_tap(g); }

// The tap and the first channel of k-tile kt.
CONV_HD int conv_tma_tap(const ConvGeom& g, int kt) { return kt / conv_tma_tiles_per_tap(g); }
CONV_HD int conv_tma_c0(const ConvGeom& g, int kt) { return (kt - conv_tma_tap(g, kt) * conv_tma_tiles_per_tap(g)) * 64; }

// X's box for k-tile kt of the block whose positions start at n0 in output frame t: its first
// channel (the map's inner coordinate) and first row, the pixel of position n0 shifted by the tap
// (conv_k_offset at the tap's channel 0, in pixels: conv_tma_tap_row, the halves kernel's too).
CONV_HD int conv_tma_x_col(const ConvGeom& g, int kt) { return conv_tma_c0(g, kt); }
CONV_HD int conv_tma_tap_row(const ConvGeom& g, int t, int n0, int tap) {
    return (int)(conv_q_offset(g, t, n0) / g.cp + conv_k_offset(g, tap * g.cp) / g.cp);
}
CONV_HD int conv_tma_x_row(const ConvGeom& g, int t, int n0, int kt) { return conv_tma_tap_row(g, t, n0, conv_tma_tap(g, kt)); }

// W's box for k-tile kt: its first column, k = tap·cp + c0 (its rows start at the block's o0). Its
// columns past the tap's channels are the next tap's weights (or zeros past K), multiplied by X's zeros.
CONV_HD int conv_tma_w_col(const ConvGeom& g, int kt) { return conv_tma_tap(g, kt) * g.cp + conv_tma_c0(g, kt); }

// ---- The halves kernel (cp ≡ 32 mod 64; above). k-tiles: the wgmma kernel's ⌈K/64⌉.
CONV_HD int conv_tma_h32_ktiles(const ConvGeom& g) { return (g.k + 63) / 64; }

// The first k of half j (0, 1) of k-tile kt.
CONV_HD int conv_tma_h32_k0(int kt, int j) { return 64 * kt + 32 * j; }

// X's box for half j of k-tile kt: its first channel (cp, wholly outside the map, past K) and its
// first row, the tap's shift of position n0 (tap 0's past K: any row serves a box of zeros).
CONV_HD int conv_tma_h32_x_col(const ConvGeom& g, int kt, int j) {
    const int k0 = conv_tma_h32_k0(kt, j);
    return k0 < g.k ? k0 % g.cp : g.cp;
}
CONV_HD int conv_tma_h32_x_row(const ConvGeom& g, int t, int n0, int kt, int j) {
    const int k0 = conv_tma_h32_k0(kt, j);
    return conv_tma_tap_row(g, t, n0, k0 < g.k ? k0 / g.cp : 0);
}

// W's box for k-tile kt: the GEMM's, column 64kt (zeros past K).
CONV_HD int conv_tma_h32_w_col(int kt) { return 64 * kt; }
