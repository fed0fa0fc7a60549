package livetalk.kernels.cuda;

import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.KernelException;

/**
 * The geometry the fast convolution's kernels share for one stride-1 {@code conv3d} call
 * (conv.cu; the fields of conv_layout.cuh's {@code ConvGeom}, whose comment explains them, and
 * which kernels/src/test/cuda/conv_layout_test.cpp builds the same way):
 *
 * <ul>
 *   <li>the channels-last bf16 copy of the clip {@code [seqFrames][hp + 1][wp][cp]}: {@code cp} =
 *       cin rounded up to 8, so that every 8 channels of a pixel are one aligned 16-byte chunk;
 *       one extra zero row per frame ({@code plane = (hp + 1)·wp} pixels) for the reads of the
 *       junk positions' last taps;</li>
 *   <li>the GEMM per output frame: {@code n = hOut·wp} positions at the padded width (the last
 *       {@code wp − wOut} of each row are junk, dropped by the epilogue) by {@code k = taps·cp}
 *       (the re-laid weight's row length, tap-major).</li>
 * </ul>
 */
record ConvFastGeometry(int cp, int taps, int khw, int kw, int hp, int wp, int plane, int n, int k, int hOut, int wOut,
                        int tOut, int seqFrames) {

    /** Output positions per GEMM block tile (conv_layout.cuh, CONV_BN). */
    static final int TILE_N = 128;
    /** The grid limit of CUDA's y and z dimensions, which the copy's rows and frames and the GEMM's frames use. */
    private static final int GRID_YZ_MAX = 65535;

    static ConvFastGeometry of(Conv3dSpec s, int h, int w, int histFrames, int frames) {
        if (s.st() != 1 || s.sh() != 1 || s.sw() != 1) throw new KernelException("the fast convolution is stride 1 only: " + s);
        int cp = CudaBackend.pad8(s.cin()), taps = s.kt() * s.kh() * s.kw();
        long hp = (long) h + s.padTop() + s.padBottom(), wp = (long) w + s.padLeft() + s.padRight();
        int hOut = s.outH(h), wOut = s.outW(w), seqFrames = s.padFront() + histFrames + frames, tOut = s.outFrames(histFrames + frames);
        long plane = (hp + 1) * wp, n = hOut * wp, k = (long) taps * cp;
        long groups = (cp + 63) / 64;
        if (plane > Integer.MAX_VALUE || n > Integer.MAX_VALUE || k > Integer.MAX_VALUE || hp + 1 > GRID_YZ_MAX
                || seqFrames * groups > GRID_YZ_MAX || tOut > GRID_YZ_MAX) {
            throw new KernelException("conv3d of " + frames + " frames of " + s.cin() + "x" + h + "x" + w + " is too large for the fast convolution");
        }
        return new ConvFastGeometry(cp, taps, s.kh() * s.kw(), s.kw(), (int) hp, (int) wp, (int) plane, (int) n, (int) k, hOut, wOut,
                tOut, seqFrames);
    }

    /** Elements of the copy: {@code seqFrames·plane·cp} bf16. */
    long copyElements() {
        return (long) seqFrames * plane * cp;
    }

    /** Groups of 64 channels, the copy kernel's third grid dimension per frame. */
    int padGroups() {
        return (cp + 63) / 64;
    }

    /** Block tiles along the positions (the GEMM grid's x). */
    int tilesN() {
        return (n + TILE_N - 1) / TILE_N;
    }
}
