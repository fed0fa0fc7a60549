package livetalk.model.text;

/**
 * Lookup in a darts-clone double array, the trie format of SentencePiece's precompiled
 * character map. Each 32-bit unit packs a label, an offset to its children and a has-leaf flag;
 * a leaf unit holds a value. Only the common-prefix search is needed.
 */
final class DoubleArrayTrie {
    private final int[] units;

    DoubleArrayTrie(int[] units) {
        this.units = units;
    }

    private static boolean hasLeaf(int unit) {
        return ((unit >>> 8) & 1) == 1;
    }

    private static int value(int unit) {
        return unit & 0x7fffffff;
    }

    private static int label(int unit) {
        return unit & (0x80000000 | 0xff);
    }

    private static int offset(int unit) {
        return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    }

    /**
     * The value and length of the longest key that is a prefix of {@code key[from, to)}, packed
     * as {@code (value << 32) | length}, or -1 when no key matches.
     */
    long longestPrefix(byte[] key, int from, int to) {
        if (units.length == 0) return -1;
        int nodePos = 0;
        int unit = units[nodePos];
        nodePos ^= offset(unit);
        long best = -1;
        for (int i = from; i < to; i++) {
            int c = key[i] & 0xff;
            nodePos ^= c;
            if (nodePos < 0 || nodePos >= units.length) return best;
            unit = units[nodePos];
            if (label(unit) != c) return best;
            nodePos ^= offset(unit);
            if (hasLeaf(unit)) {
                if (nodePos < 0 || nodePos >= units.length) return best;
                best = ((long) value(units[nodePos]) << 32) | (i + 1 - from);
            }
        }
        return best;
    }
}
