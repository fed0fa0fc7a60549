package livetalk.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import livetalk.kernels.cuda.ProfileTimeline.Op;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;

/** The profile's idle-time arithmetic, on recorded times made up here (no GPU needed). */
class ProfileTimelineTest {
    @Test
    void namesEachGapByTheOperationThatWaited() {
        List<Op> ops = List.of(
                new Op("memcpy HtoD", 0, 0.0, 0.1, 3.0),
                new Op("gemm", 0, 0.1, 1.0, 3.01),
                new Op("rms_norm", 0, 1.5, 1.6, 3.9),      // 0.5 ms idle before it
                new Op("gemm", 0, 1.6, 2.6, 3.91),
                new Op("gemm", 0, 2.605, 3.0, 3.92),       // 5 us: launch latency, not named
                new Op("memcpy DtoH", 0, 3.2, 3.3, 4.0));  // 0.2 ms idle
        String s = ProfileTimeline.summary(ops);
        assertTrue(s.contains("timeline: 3.300 ms"), s);
        assertEquals(0.705, number(s, "idle ([0-9.]+) ms"), 1e-9, s);
        assertEquals(3.3 - 0.705, number(s, "busy ([0-9.]+) ms"), 1e-9, s);
        assertTrue(s.contains("(2 gaps ≥ 10 us)"), s);
        assertTrue(s.matches("(?s).*rms_norm +1 gaps +0\\.500 ms.*"), s);
        assertTrue(s.matches("(?s).*memcpy DtoH +1 gaps +0\\.200 ms.*"), s);
        assertTrue(s.contains("gap 0.500 ms at 1.000 ms: after gemm, before rms_norm (issued 0.890 ms after it on the host)"), s);
        assertTrue(s.contains("host: 3.000 ms before the first issue, 1.000 ms from the first issue to the last (6 operations, 200.0 us each)"), s);
        assertTrue(s.contains("host 0.890 ms between issuing gemm and rms_norm"), s);
    }

    /** A second stream's work is its own timeline: its spans neither fill nor open the first one's gaps. */
    @Test
    void streamsAreTimedApart() {
        List<Op> ops = List.of(
                new Op("a", 0, 0, 1, 0), new Op("a", 0, 2, 3, 0.1),
                new Op("decode", 7, 0.5, 2.5, 0.2));
        String s = ProfileTimeline.summary(ops);
        assertEquals(1.0, number(s, "idle ([0-9.]+) ms"), 1e-9, s);
        assertEquals(4.0, number(s, "busy ([0-9.]+) ms"), 1e-9, s);
    }

    /** Busy plus idle covers each stream from its first start to its last end, however the spans overlap. */
    @Test
    void busyAndIdleCoverEachStream() {
        Props.forAll("timeline cover", 50, 5, rnd -> {
            List<Op> ops = new ArrayList<>();
            double span = 0;
            for (int stream = 0; stream < 1 + rnd.nextInt(3); stream++) {
                double t = rnd.nextDouble() * 3, first = Double.MAX_VALUE, last = 0;
                for (int i = 0; i < 1 + rnd.nextInt(30); i++) {
                    // now and then a gap, now and then a span starting before the last one ended
                    double start = Math.max(0, t + (rnd.nextInt(3) == 0 ? rnd.nextDouble() : 0) - (rnd.nextInt(4) == 0 ? rnd.nextDouble() * 0.5 : 0));
                    double end = start + rnd.nextDouble();
                    ops.add(new Op("k" + rnd.nextInt(4), stream, start, end, rnd.nextDouble()));
                    t = end;
                    first = Math.min(first, start);
                    last = Math.max(last, end);
                }
                span += last - first;
            }
            shuffle(ops, rnd);
            String s = ProfileTimeline.summary(ops);
            assertEquals(span, number(s, "busy ([0-9.]+) ms") + number(s, "idle ([0-9.]+) ms"), 2e-3, s);
        });
    }

    @Test
    void nothingProfiledSaysNothing() {
        assertEquals("", ProfileTimeline.summary(List.of()));
    }

    private static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex + " in " + text);
        return Double.parseDouble(m.group(1));
    }

    private static void shuffle(List<Op> ops, SplittableRandom rnd) {
        for (int i = ops.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            Op t = ops.get(i);
            ops.set(i, ops.get(j));
            ops.set(j, t);
        }
    }
}
