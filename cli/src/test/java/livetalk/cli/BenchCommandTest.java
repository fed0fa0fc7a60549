package livetalk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code livetalk bench}: its cheapest cases run and report a fraction of the peak; bad options get one line and exit 2. No timing is asserted. */
class BenchCommandTest {
    static CommandRun bench(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "bench";
        System.arraycopy(args, 0, all, 1, args.length);
        return CommandRun.of(all);
    }

    @Test
    void theMicroKernelAloneIsReportedAgainstThePeak() {
        CommandRun r = bench("--only", "peak,micro", "--threads", "1", "--repeat", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("peak (measured, FMA loop, 1 threads)"), r.out());
        assertTrue(r.out().contains("micro-kernel alone"), r.out());
        // the case's line: label, median ms, best ms, GFLOP/s, fraction of the peak, the peak sample
        assertTrue(Pattern.compile("(?m)^  150000 calls on each thread\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9]+%\\s+[0-9]+$").matcher(r.out()).find(), r.out());
    }

    @Test
    void anUnknownCaseIsRefusedWithTheChoices() {
        CommandRun r = bench("--only", "micro,gemm");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown benchmark 'gemm'") && r.err().contains("peak,micro,linear,attention"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
