package livetalk.io.image;

/**
 * The reference image preparation of docs/model.md#reference-image ({@code resize_pad} of OmniAvatar): scale so the
 * image covers the target, antialiased bilinear resize, centre crop by negative padding, then
 * {@code x·2 − 1}.
 */
public final class PortraitPreprocess {
    private PortraitPreprocess() {
    }

    /** Returns {@code [3, targetH, targetW]} in [-1, 1]. */
    public static float[] prepare(RgbImage img, int targetH, int targetW) {
        int h = img.height(), w = img.width();
        // s = max(512/H, 512/W) in Python floats; int() truncates toward zero (docs/model.md#reference-image step 3).
        double s = Math.max((double) targetH / h, (double) targetW / w);
        int rh = (int) (h * s), rw = (int) (w * s);
        RgbImage r = (rh == h && rw == w) ? img : AntialiasResize.resize(img, rh, rw);
        // F.pad with pad = target − size ≤ 0 crops; Python's floor division puts the odd row/column
        // on the top/left side. A positive pad (rounding made the image 1 short) adds zeros.
        int top = Math.floorDiv(targetH - rh, 2), left = Math.floorDiv(targetW - rw, 2);
        float[] out = new float[3 * targetH * targetW];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < targetH; y++) {
                int sy = y - top;
                for (int x = 0; x < targetW; x++) {
                    int sx = x - left;
                    float v = (sy >= 0 && sy < rh && sx >= 0 && sx < rw) ? r.get(c, sy, sx) : 0f;
                    out[(c * targetH + y) * targetW + x] = v * 2f - 1f;
                }
            }
        }
        return out;
    }
}
