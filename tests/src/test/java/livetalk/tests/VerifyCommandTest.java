package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import livetalk.cli.Main;
import livetalk.kernels.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code livetalk verify} over the whole golden directory, as a user runs it: every registered
 * check (the end-to-end rollout included) on the CPU and, where an OpenCL platform exists (PoCL in
 * CI), on OpenCL. No FAIL and no SKIPPED: every golden file has a check.
 */
class VerifyCommandTest {

    static String verify(String device) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        int code;
        try {
            code = Main.execute("verify", "--golden", "golden", "--device", device);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString();
        assertEquals(0, code, out);
        return out;
    }

    static void assertAllOk(String out) {
        String verdict = out.lines().filter(l -> l.startsWith("verdict:")).findFirst().orElseThrow(() -> new AssertionError(out));
        assertTrue(verdict.matches("verdict: \\d+ OK, 0 FAIL, 0 SKIPPED"), verdict);
        assertTrue(out.contains("OK      causal_rollout/e2e_video"), "end-to-end rollout compared");
    }

    @Test
    void everyGoldenCheckPassesOnTheCpu() {
        assertAllOk(verify("cpu"));
    }

    @Test
    void everyGoldenCheckPassesOnOpenCl() {
        Assumptions.assumeTrue(Backends.openClAvailable(), () -> "no OpenCL platform: " + Backends.openClUnavailableReason());
        assertAllOk(verify("opencl"));
    }
}
