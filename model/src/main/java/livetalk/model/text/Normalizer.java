package livetalk.model.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * SentencePiece's normaliser, on UTF-8 bytes: the precompiled character map (for
 * {@code nmt_nfkc} an NFKC table plus whitespace rules, applied longest-match first), user-defined
 * symbols kept as they are, removal of leading, trailing and repeated spaces, the dummy-prefix
 * {@code ▁} and the escaping of spaces to {@code ▁} (U+2581).
 */
public final class Normalizer {
    static final byte[] SPACE_SYMBOL = "\u2581".getBytes(StandardCharsets.UTF_8);
    private static final byte[] REPLACEMENT = "\uFFFD".getBytes(StandardCharsets.UTF_8);

    private final DoubleArrayTrie trie;   // null: no character map (identity)
    private final byte[] replacements;    // NUL-terminated UTF-8 strings the trie values point into
    private final byte[][] userDefined;
    private final boolean addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces, suffix;

    Normalizer(SentencePieceModel m, List<String> userDefinedSymbols) {
        byte[] cm = m.precompiledCharsmap;
        if (cm.length == 0) {
            trie = null;
            replacements = new byte[0];
        } else {
            // Layout: uint32 LE trie size in bytes, the trie units, then the replacement strings.
            if (cm.length < 4) throw new IllegalArgumentException("precompiled_charsmap too short");
            int trieBytes = (cm[0] & 0xff) | (cm[1] & 0xff) << 8 | (cm[2] & 0xff) << 16 | (cm[3] & 0xff) << 24;
            if (trieBytes < 0 || trieBytes % 4 != 0 || 4 + trieBytes > cm.length) {
                throw new IllegalArgumentException("precompiled_charsmap: bad trie size " + trieBytes);
            }
            int[] units = new int[trieBytes / 4];
            for (int i = 0; i < units.length; i++) {
                int p = 4 + 4 * i;
                units[i] = (cm[p] & 0xff) | (cm[p + 1] & 0xff) << 8 | (cm[p + 2] & 0xff) << 16 | (cm[p + 3] & 0xff) << 24;
            }
            trie = new DoubleArrayTrie(units);
            replacements = java.util.Arrays.copyOfRange(cm, 4 + trieBytes, cm.length);
        }
        // Longest symbol first, so the first hit is the longest match (sentencepiece's PrefixMatcher).
        userDefined = userDefinedSymbols.stream().map(s -> s.getBytes(StandardCharsets.UTF_8))
                .sorted((a, b) -> Integer.compare(b.length, a.length)).toArray(byte[][]::new);
        addDummyPrefix = m.addDummyPrefix;
        removeExtraWhitespaces = m.removeExtraWhitespaces;
        escapeWhitespaces = m.escapeWhitespaces;
        suffix = m.treatWhitespaceAsSuffix;
    }

    /** Normalises UTF-8 text; the result is UTF-8 with spaces escaped to ▁ (when enabled). */
    public byte[] normalize(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length * 3 + 3);
        int pos = 0;
        int[] consumed = new int[1];
        if (removeExtraWhitespaces) {
            // Skip leading whitespace (as the normalised form sees it).
            while (pos < in.length) {
                byte[] p = normalizePrefix(in, pos, consumed);
                if (!(p.length == 1 && p[0] == ' ')) break;
                pos += consumed[0];
            }
        }
        if (pos >= in.length) return new byte[0];
        boolean prevSpace = removeExtraWhitespaces;
        if (!suffix && addDummyPrefix) appendSpace(out);
        while (pos < in.length) {
            byte[] p = normalizePrefix(in, pos, consumed);
            int start = 0;
            if (prevSpace && removeExtraWhitespaces) {
                while (start < p.length && p[start] == ' ') start++;
            }
            if (start < p.length) {
                for (int n = start; n < p.length; n++) {
                    if (escapeWhitespaces && p[n] == ' ') out.writeBytes(SPACE_SYMBOL);
                    else out.write(p[n]);
                }
                prevSpace = p[p.length - 1] == ' ';
            }
            pos += consumed[0];
            if (!removeExtraWhitespaces) prevSpace = false;
        }
        if (suffix && addDummyPrefix) appendSpace(out);
        byte[] r = out.toByteArray();
        if (removeExtraWhitespaces) {
            byte[] sp = escapeWhitespaces ? SPACE_SYMBOL : new byte[]{' '};
            int len = r.length;
            while (len >= sp.length && endsWith(r, len, sp)) len -= sp.length;
            if (len != r.length) r = java.util.Arrays.copyOf(r, len);
        }
        return r;
    }

    private void appendSpace(ByteArrayOutputStream out) {
        if (escapeWhitespaces) out.writeBytes(SPACE_SYMBOL);
        else out.write(' ');
    }

    private static boolean endsWith(byte[] a, int len, byte[] s) {
        for (int i = 0; i < s.length; i++) if (a[len - s.length + i] != s[i]) return false;
        return true;
    }

    /** The normalised form of the longest rule matching at {@code pos}; sets how many input bytes it consumed. */
    private byte[] normalizePrefix(byte[] in, int pos, int[] consumed) {
        for (byte[] u : userDefined) {   // user-defined symbols pass through unchanged (longest first)
            if (u.length > 0 && pos + u.length <= in.length && java.util.Arrays.equals(in, pos, pos + u.length, u, 0, u.length)) {
                consumed[0] = u.length;
                return u;
            }
        }
        if (trie != null) {
            long hit = trie.longestPrefix(in, pos, in.length);
            if (hit >= 0) {
                int len = (int) hit, value = (int) (hit >>> 32);
                int end = value;
                while (end < replacements.length && replacements[end] != 0) end++;
                consumed[0] = len;
                return java.util.Arrays.copyOfRange(replacements, value, end);
            }
        }
        int n = Utf8.validCharLength(in, pos);
        if (n == 0) {   // malformed UTF-8: U+FFFD for one byte, as sentencepiece does
            consumed[0] = 1;
            return REPLACEMENT;
        }
        consumed[0] = n;
        return java.util.Arrays.copyOfRange(in, pos, pos + n);
    }
}
