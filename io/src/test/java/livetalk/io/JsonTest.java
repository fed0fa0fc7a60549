package livetalk.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/** The header JSON reader: round trips, and damaged text gives only ParseException. */
class JsonTest {
    private static final String PUNCT = "{}[]\",:-.eE0123456789 \\u";

    static Object randomValue(SplittableRandom rnd, int depth) {
        int k = rnd.nextInt(depth > 3 ? 5 : 7);
        return switch (k) {
            case 0 -> rnd.nextLong(-1_000_000_000_000L, 1_000_000_000_000L);
            case 1 -> randomString(rnd);
            case 2 -> rnd.nextBoolean();
            case 3 -> null;
            case 4 -> rnd.nextDouble() * 1e6 - 5e5;
            case 5 -> {
                List<Object> l = new ArrayList<>();
                for (int i = rnd.nextInt(4); i > 0; i--) l.add(randomValue(rnd, depth + 1));
                yield l;
            }
            default -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = rnd.nextInt(4); i > 0; i--) m.put(randomString(rnd) + i, randomValue(rnd, depth + 1));
                yield m;
            }
        };
    }

    static String randomString(SplittableRandom rnd) {
        StringBuilder b = new StringBuilder();
        for (int i = rnd.nextInt(6); i > 0; i--) {
            b.append(switch (rnd.nextInt(4)) {
                case 0 -> (char) rnd.nextInt(0x20); // control characters must be escaped
                case 1 -> (char) (0x20 + rnd.nextInt(0x60));
                case 2 -> "\"\\/".charAt(rnd.nextInt(3));
                default -> (char) (0xA0 + rnd.nextInt(0x2000)); // non-ASCII, including other scripts' digits
            });
        }
        return b.toString();
    }

    @Test
    void roundTrip() {
        Props.forAll("json round trip", 300, 51, rnd -> {
            Object v = randomValue(rnd, 0);
            assertEquals(v, Json.parse(Json.write(v)));
        });
    }

    @Test
    void damagedTextGivesParseExceptionOnly() {
        Props.forAll("damaged json", 400, 53, rnd -> {
            char[] c = Json.write(randomValue(rnd, 0)).toCharArray();
            if (c.length == 0) return;
            for (int i = 1 + rnd.nextInt(3); i > 0; i--) {
                int at = rnd.nextInt(c.length);
                c[at] = switch (rnd.nextInt(3)) {
                    case 0 -> PUNCT.charAt(rnd.nextInt(PUNCT.length()));
                    case 1 -> (char) (0x660 + rnd.nextInt(10)); // Arabic-Indic digits
                    default -> (char) rnd.nextInt(0x3000);
                };
            }
            String text = new String(c, 0, rnd.nextInt(c.length + 1));
            try {
                Json.parse(text);
            } catch (Json.ParseException expected) {
                // fine
            }
        });
    }

    @Test
    void strictness() {
        for (String bad : new String[] {"", "{", "{\"a\":1,}", "[1 2]", "01x", "{\"a\":1}{", "\"\\x\"", "\"\u0001\"", "1.", "-", "1e",
                "{\"a\":1,\"a\":2}", "tru", "\"\\u12\"", "\"\\u\u0660\u066041\"", "\u0663"}) {
            assertThrows(Json.ParseException.class, () -> Json.parse(bad), bad);
        }
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 10_000; i++) deep.append('[');
        assertThrows(Json.ParseException.class, () -> Json.parse(deep.toString()));
    }
}
