package livetalk.io.image;

/**
 * The EXIF orientation tag (0x0112) of a JPEG ({@code APP1 "Exif"}) or PNG ({@code eXIf}) file,
 * and applying it as Pillow's {@code ImageOps.exif_transpose} does. Phones store portraits
 * sideways with this tag; the reference does not apply it. Malformed EXIF data counts as no tag.
 */
final class ExifOrientation {
    private ExifOrientation() {
    }

    /** The orientation 1..8 recorded in the file, or 1 when there is none. */
    static int read(byte[] f) {
        try {
            if (f.length > 4 && (f[0] & 0xFF) == 0xFF && (f[1] & 0xFF) == 0xD8) return fromJpeg(f);
            if (f.length > 8 && (f[0] & 0xFF) == 0x89 && f[1] == 'P' && f[2] == 'N' && f[3] == 'G') return fromPng(f);
        } catch (IndexOutOfBoundsException e) {
            return 1;
        }
        return 1;
    }

    private static int fromJpeg(byte[] f) {
        int p = 2;
        while (p + 4 <= f.length && (f[p] & 0xFF) == 0xFF) {
            int marker = f[p + 1] & 0xFF;
            if (marker == 0xDA || marker == 0xD9) break;                 // start of scan / end: no more headers
            int len = u16(f, p + 2, true);
            if (marker == 0xE1 && len >= 8 && f[p + 4] == 'E' && f[p + 5] == 'x' && f[p + 6] == 'i' && f[p + 7] == 'f') {
                return fromTiff(f, p + 10, p + 2 + len);
            }
            p += 2 + len;
        }
        return 1;
    }

    private static int fromPng(byte[] f) {
        int p = 8;
        while (p + 12 <= f.length) {
            long len = u32(f, p);
            String type = new String(f, p + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (len > f.length - p - 12) return 1;
            if (type.equals("eXIf")) return fromTiff(f, p + 8, p + 8 + (int) len);
            if (type.equals("IDAT") || type.equals("IEND")) return 1;
            p += 12 + (int) len;
        }
        return 1;
    }

    /** A TIFF header at {@code base}: byte order, IFD0, the orientation entry (SHORT). */
    private static int fromTiff(byte[] f, int base, int end) {
        boolean be = f[base] == 'M';
        if (!be && f[base] != 'I') return 1;
        long ifd = base + u32(f, base + 4, be);
        if (ifd + 2 > end) return 1;
        int n = u16(f, (int) ifd, be);
        for (int i = 0; i < n; i++) {
            int e = (int) ifd + 2 + 12 * i;
            if (e + 12 > end) return 1;
            if (u16(f, e, be) == 0x0112) {
                int v = u16(f, e + 8, be);
                return v >= 1 && v <= 8 ? v : 1;
            }
        }
        return 1;
    }

    /** Interleaved RGB {@code [H, W, 3]} transposed for {@code orientation}; {@code dims} gets the new {w, h}. */
    static byte[] apply(byte[] rgb, int w, int h, int orientation, int[] dims) {
        boolean swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        dims[0] = ow;
        dims[1] = oh;
        if (orientation <= 1) return rgb;
        byte[] out = new byte[rgb.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx, sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }            // FLIP_LEFT_RIGHT
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }    // ROTATE_180
                    case 4 -> { sx = x; sy = h - 1 - y; }            // FLIP_TOP_BOTTOM
                    case 5 -> { sx = y; sy = x; }                    // TRANSPOSE
                    case 6 -> { sx = y; sy = h - 1 - x; }            // ROTATE_270 (90° clockwise)
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }    // TRANSVERSE
                    default -> { sx = w - 1 - y; sy = x; }           // 8: ROTATE_90 (counter-clockwise)
                }
                System.arraycopy(rgb, 3 * (sy * w + sx), out, 3 * (y * ow + x), 3);
            }
        }
        return out;
    }

    private static int u16(byte[] f, int p, boolean be) {
        return be ? (f[p] & 0xFF) << 8 | (f[p + 1] & 0xFF) : (f[p + 1] & 0xFF) << 8 | (f[p] & 0xFF);
    }

    private static long u32(byte[] f, int p, boolean be) {
        return be ? (long) u16(f, p, true) << 16 | u16(f, p + 2, true) : (long) u16(f, p + 2, false) << 16 | u16(f, p, false);
    }

    private static long u32(byte[] f, int p) {
        return u32(f, p, true);
    }
}
