package livetalk.model.text;

/**
 * The prompt cleaning of {@code wan/modules/tokenizers.py} with {@code clean='whitespace'}
 * (docs/model.md#tokenizer): {@code ftfy.fix_text}, {@code html.unescape} twice, strip, every run of
 * whitespace (Python's {@code \s}, Unicode-aware) to one space, strip.
 *
 * <p>ftfy is not reimplemented in full. For ASCII text it is the identity. For other text,
 * {@link #clean(String, boolean)} with {@code ftfyLike} applies the parts of ftfy's defaults
 * that change well-formed text: line-break unification, curly quotes to straight quotes, Latin
 * ligatures ({@code ﬁ → fi}), full-width ASCII to ASCII and NFC. Mojibake repair
 * ({@code fix_encoding}) and terminal-escape removal are not done.
 */
public final class PromptCleaner {
    private PromptCleaner() {
    }

    /** The official cleaning with the ftfy-like step. */
    public static String clean(String text) {
        return clean(text, true);
    }

    public static String clean(String text, boolean ftfyLike) {
        String t = ftfyLike ? ftfyLike(text) : text;
        t = HtmlUnescape.unescape(HtmlUnescape.unescape(t));
        return collapseWhitespace(pyStrip(t));
    }

    /** {@code re.sub(r"\s+", " ", t).strip()}. */
    static String collapseWhitespace(String t) {
        StringBuilder sb = new StringBuilder(t.length());
        boolean inSpace = false;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (isPySpace(c)) {
                if (!inSpace) sb.append(' ');
                inSpace = true;
            } else {
                sb.append(c);
                inSpace = false;
            }
        }
        return pyStrip(sb.toString());
    }

    static String pyStrip(String t) {
        int a = 0, b = t.length();
        while (a < b && isPySpace(t.charAt(a))) a++;
        while (b > a && isPySpace(t.charAt(b - 1))) b--;
        return t.substring(a, b);
    }

    /** Python's {@code str.isspace()} / {@code \s} set (all whitespace code points are in the BMP). */
    static boolean isPySpace(char c) {
        if (c >= 0x09 && c <= 0x0d) return true;
        if (c >= 0x1c && c <= 0x20) return true;
        return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029
                || c == 0x202f || c == 0x205f || c == 0x3000;
    }

    static String ftfyLike(String t) {
        boolean ascii = true;
        for (int i = 0; i < t.length() && ascii; i++) ascii = t.charAt(i) < 0x80;
        if (ascii) return t.replace("\r\n", "\n").replace('\r', '\n');
        StringBuilder sb = new StringBuilder(t.length());
        String s = t.replace("\r\n", "\n");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\r', '\u2028', '\u2029', '\u0085' -> sb.append('\n');
                case '\u2018', '\u2019', '\u201A', '\u201B' -> sb.append('\'');
                case '\u201C', '\u201D', '\u201E', '\u201F' -> sb.append('"');
                case '\uFB00' -> sb.append("ff");
                case '\uFB01' -> sb.append("fi");
                case '\uFB02' -> sb.append("fl");
                case '\uFB03' -> sb.append("ffi");
                case '\uFB04' -> sb.append("ffl");
                case '\uFB05', '\uFB06' -> sb.append("st");
                case '\u3000' -> sb.append(' ');
                default -> sb.append(c >= '\uFF01' && c <= '\uFF5E' ? (char) (c - 0xFF01 + 0x21) : c);
            }
        }
        return java.text.Normalizer.normalize(sb, java.text.Normalizer.Form.NFC);
    }
}
