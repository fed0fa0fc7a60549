package livetalk.cli.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReportTest {

    /** expected = 1..n; actual = expected with every value shifted by d (rel_l2 ≈ d·√n/‖e‖, max_abs = d). */
    private static float[][] pair(int n, float d) {
        float[] e = new float[n], a = new float[n];
        for (int i = 0; i < n; i++) {
            e[i] = i + 1;
            a[i] = e[i] + d;
        }
        return new float[][]{e, a};
    }

    @Test
    void float32BoundsByDefault() {
        Report r = new Report(new PrintStream(new ByteArrayOutputStream()));
        float[][] ok = pair(100, 1e-4f), bad = pair(100, 0.1f);
        assertTrue(r.compare("s", "ok", ok[0], ok[1]));
        assertFalse(r.compare("s", "bad", bad[0], bad[1]));
    }

    @Test
    void recordingKeepsErrorsAndPrintsNothing() {
        Report rec = Report.recording();
        float[][] p = pair(100, 0.05f);
        rec.compare("s", "t", p[0], p[1]);
        double[] m = rec.recorded().get("s/t");
        assertEquals(0.05, m[1], 1e-5); // float32 rounding of values up to 100
        assertTrue(m[0] > 1e-4);
    }

    @Test
    void bf16BoundsAreFourTimesTheEmulatedErrorPerTensor() {
        Report rec = Report.recording();
        float[][] emulated = pair(100, 0.05f);
        rec.compare("s", "t", emulated[0], emulated[1]);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Report r = new Report(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        r.useBf16Reference(rec.recorded());
        float[][] within = pair(100, 0.15f), beyond = pair(100, 0.25f);
        assertTrue(r.compare("s", "t", within[0], within[1]), "3x the emulated error passes");
        assertFalse(r.compare("s", "t", beyond[0], beyond[1]), "5x the emulated error fails");
        // a tensor the emulation did not see keeps the float32 bounds
        assertFalse(r.compare("s", "other", within[0], within[1]));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("bf16 bounds"), out);
        assertTrue(out.contains("no bf16 reference"), out);
        assertArrayEquals(new int[]{1, 2}, new int[]{r.ok(), r.failed()});
    }
}
