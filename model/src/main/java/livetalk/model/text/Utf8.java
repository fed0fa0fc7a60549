package livetalk.model.text;

/** UTF-8 helpers on byte arrays. */
final class Utf8 {
    private Utf8() {
    }

    /** Length of the character starting at {@code pos} from its lead byte alone (1 for a stray byte), as sentencepiece's OneCharLen. */
    static int oneCharLen(byte b) {
        int hi = (b & 0xff) >>> 4;
        return hi < 0xC ? 1 : hi < 0xE ? 2 : hi == 0xE ? 3 : 4;
    }

    /** Length of the well-formed character at {@code pos}, or 0 when it is malformed or truncated. */
    static int validCharLength(byte[] s, int pos) {
        int b0 = s[pos] & 0xff;
        if (b0 < 0x80) return 1;
        int n;
        int min;
        if (b0 >= 0xC2 && b0 <= 0xDF) { n = 2; min = 0x80; }
        else if (b0 >= 0xE0 && b0 <= 0xEF) { n = 3; min = 0x800; }
        else if (b0 >= 0xF0 && b0 <= 0xF4) { n = 4; min = 0x10000; }
        else return 0;
        if (pos + n > s.length) return 0;
        int cp = b0 & (0x7F >> n);
        for (int i = 1; i < n; i++) {
            int b = s[pos + i] & 0xff;
            if ((b & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        return n;
    }
}
