package livetalk.cli.fuzz;

import java.util.Arrays;
import java.util.SplittableRandom;

/** One random kind of damage to a valid file: bit flips, truncation, cut or inserted bytes, hostile lengths. */
final class Mutator {
    private Mutator() {
    }

    static byte[] corrupt(byte[] valid, SplittableRandom rnd) {
        byte[] b = valid.clone();
        int hot = Math.max(1, Math.min(b.length, 256));            // the headers sit at the front of every format
        switch (rnd.nextInt(8)) {
            case 0 -> { // a few bit flips anywhere
                for (int i = 1 + rnd.nextInt(8); i > 0; i--) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            }
            case 1 -> { // bit flips in the header
                for (int i = 1 + rnd.nextInt(4); i > 0; i--) b[rnd.nextInt(hot)] ^= (byte) (1 << rnd.nextInt(8));
            }
            case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncation
            case 3 -> b[rnd.nextInt(hot)] = (byte) rnd.nextInt(256);
            case 4 -> { // a hostile 1/2/4/8-byte length, little- or big-endian
                int w = 1 << rnd.nextInt(4), at = rnd.nextInt(Math.max(1, b.length - w));
                long v = switch (rnd.nextInt(4)) {
                    case 0 -> rnd.nextLong();
                    case 1 -> -1L;
                    case 2 -> rnd.nextInt(1 << 16);
                    default -> 1L << rnd.nextInt(63);
                };
                boolean big = rnd.nextBoolean();
                for (int i = 0; i < w && at + i < b.length; i++) b[at + i] = (byte) (v >>> (8 * (big ? w - 1 - i : i)));
            }
            case 5 -> { // a chunk cut out
                int at = rnd.nextInt(b.length), len = 1 + rnd.nextInt(Math.min(64, b.length - at));
                byte[] c = new byte[b.length - len];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(b, at + len, c, at, b.length - at - len);
                b = c;
            }
            case 6 -> { // a chunk repeated (duplicated keys, chunks, opcodes)
                int at = rnd.nextInt(b.length), len = 1 + rnd.nextInt(Math.min(128, b.length - at));
                byte[] c = new byte[b.length + len];
                System.arraycopy(b, 0, c, 0, at + len);
                System.arraycopy(b, at, c, at + len, b.length - at);
                b = c;
            }
            default -> { // random bytes inserted
                int at = rnd.nextInt(b.length + 1), len = 1 + rnd.nextInt(16);
                byte[] c = new byte[b.length + len];
                System.arraycopy(b, 0, c, 0, at);
                for (int i = 0; i < len; i++) c[at + i] = (byte) rnd.nextInt(256);
                System.arraycopy(b, at, c, at + len, b.length - at);
                b = c;
            }
        }
        return b;
    }
}
