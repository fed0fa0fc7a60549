package livetalk.io.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Decoded pixels turned into the 8-bit RGB that Pillow 9.4's {@code convert("RGB")} gives (the
 * reference reads portraits that way), from the raw samples: no colour management, so gray stays
 * gray (Java's gray colour space is linear and {@code getRGB} would brighten it), ICC profiles and
 * gamma are ignored, alpha is dropped. The rules, each matching Pillow's PNG/JPEG/GIF/BMP modes:
 * <ul>
 * <li>palette (and 1/2/4-bit gray, which Java reads as a palette): the palette's RGB entry;</li>
 * <li>8-bit gray → R = G = B; 8-bit RGB as stored;</li>
 * <li>16-bit gray without alpha: Pillow's mode {@code I}, clipped to 255 (so most 16-bit gray
 *     pictures come out white — as in the reference);</li>
 * <li>16-bit gray with alpha and 16-bit RGB(A): the high byte;</li>
 * <li>CMYK and YCCK JPEGs: see {@link #cmyk}.</li>
 * </ul>
 * Output is interleaved {@code [H, W, 3]}.
 */
final class PilRgb {
    private PilRgb() {
    }

    static byte[] fromImage(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        byte[] out = new byte[3 * w * h];
        if (cm instanceof IndexColorModel icm) {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int i = 3 * (y * w + x), p = row[x];
                    out[i] = (byte) icm.getRed(p);
                    out[i + 1] = (byte) icm.getGreen(p);
                    out[i + 2] = (byte) icm.getBlue(p);
                }
            }
            return out;
        }
        if (cm instanceof ComponentColorModel && cm.getNumColorComponents() <= 3) {
            boolean wide = r.getTransferType() == DataBuffer.TYPE_USHORT;
            boolean gray = cm.getNumColorComponents() == 1;
            boolean clip = wide && gray && !cm.hasAlpha();   // Pillow mode I → RGB clips; LA;16B / RGB;16B keep the high byte
            int[] px = new int[r.getNumBands()];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    r.getPixel(x, y, px);
                    int i = 3 * (y * w + x);
                    for (int c = 0; c < 3; c++) {
                        int v = px[gray ? 0 : c];
                        if (wide) v = clip ? Math.min(v, 255) : v >>> 8;
                        out[i + c] = (byte) v;
                    }
                }
            }
            return out;
        }
        if (cm instanceof DirectColorModel) {
            Object pixel = null;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    pixel = r.getDataElements(x, y, pixel);
                    int i = 3 * (y * w + x);
                    out[i] = (byte) cm.getRed(pixel);
                    out[i + 1] = (byte) cm.getGreen(pixel);
                    out[i + 2] = (byte) cm.getBlue(pixel);
                }
            }
            return out;
        }
        int[] row = new int[w];                              // anything else: Java's own conversion
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int i = 3 * (y * w + x), p = row[x];
                out[i] = (byte) (p >> 16);
                out[i + 1] = (byte) (p >> 8);
                out[i + 2] = (byte) p;
            }
        }
        return out;
    }

    /**
     * A 4-channel JPEG's raw samples (as stored: Adobe CMYK JPEGs hold inverted values) → RGB.
     * {@code ycck}: the Adobe transform flag 2, converted to CMYK first as libjpeg does. Then
     * Pillow reads Adobe files as inverted CMYK ({@code CMYK;I}) and converts with its
     * {@code cmyk2rgb}: {@code R = 255 − K' − C·K'/255} with {@code K' = 255 − K}, rounded as
     * its {@code MULDIV255}.
     */
    static byte[] cmyk(Raster r, boolean adobe, boolean ycck) {
        int w = r.getWidth(), h = r.getHeight();
        byte[] out = new byte[3 * w * h];
        int[] px = new int[4];
        int[] cmyk = new int[4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.getPixel(r.getMinX() + x, r.getMinY() + y, px);
                if (ycck) yccToInvertedCmy(px, cmyk);
                else System.arraycopy(px, 0, cmyk, 0, 4);
                if (ycck) cmyk[3] = px[3];
                int i = 3 * (y * w + x);
                // libjpeg's output here is the stored (inverted) CMYK; Pillow inverts Adobe files back.
                int k = adobe ? 255 - cmyk[3] : cmyk[3];
                int nk = 255 - k;
                for (int c = 0; c < 3; c++) {
                    int v = adobe ? 255 - cmyk[c] : cmyk[c];
                    out[i + c] = (byte) clip8(nk - mulDiv255(v, nk));
                }
            }
        }
        return out;
    }

    /** A one-channel raster (a gray JPEG) → R = G = B. */
    static byte[] gray(Raster r) {
        int w = r.getWidth(), h = r.getHeight();
        byte[] out = new byte[3 * w * h];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                byte v = (byte) row[x];
                int i = 3 * (y * w + x);
                out[i] = v;
                out[i + 1] = v;
                out[i + 2] = v;
            }
        }
        return out;
    }

    /**
     * A three-channel JPEG's raw samples → RGB: YCbCr converted with libjpeg's fixed-point
     * {@code ycc_rgb_convert} (what Pillow's libjpeg does), or, for an Adobe RGB file
     * ({@code ycc} false), as stored.
     */
    static byte[] ycc(Raster r, boolean ycc) {
        int w = r.getWidth(), h = r.getHeight();
        byte[] out = new byte[3 * w * h];
        int[] px = new int[3];
        int[] tmp = new int[3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                r.getPixel(r.getMinX() + x, r.getMinY() + y, px);
                int i = 3 * (y * w + x);
                if (ycc) {
                    yccToInvertedCmy(px, tmp);
                    for (int c = 0; c < 3; c++) out[i + c] = (byte) (255 - tmp[c]);
                } else {
                    for (int c = 0; c < 3; c++) out[i + c] = (byte) px[c];
                }
            }
        }
        return out;
    }

    /** libjpeg's {@code ycck_cmyk_convert} for the first three channels (its fixed-point tables). */
    private static void yccToInvertedCmy(int[] ycck, int[] out) {
        int yy = ycck[0], cb = ycck[1] - 128, cr = ycck[2] - 128;
        final int scale = 16, half = 1 << (scale - 1);
        int crr = (fix(1.40200) * cr + half) >> scale;
        int cbb = (fix(1.77200) * cb + half) >> scale;
        int g = (-fix(0.71414) * cr + -fix(0.34414) * cb + half) >> scale;
        out[0] = 255 - clip8(yy + crr);
        out[1] = 255 - clip8(yy + g);
        out[2] = 255 - clip8(yy + cbb);
    }

    private static int fix(double x) {
        return (int) (x * (1 << 16) + 0.5);
    }

    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    private static int clip8(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
