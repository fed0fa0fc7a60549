package livetalk.cli.verify;

import java.io.PrintStream;

/**
 * Collects and prints one line per compared tensor ({@code OK}, {@code FAIL} or {@code SKIPPED})
 * and the verdict. Tolerances are those of docs/numerics.md#tolerances, for every float tensor:
 * relative L2 error ≤ 1e-4 and max-abs error ≤ 1e-3·max|ref|; integer tensors must be equal.
 */
public final class Report {
    public static final double REL_L2_TOL = 1e-4;
    public static final double MAX_ABS_TOL = 1e-3;

    private final PrintStream out;
    private int ok, fail, skipped;

    public Report(PrintStream out) {
        this.out = out;
    }

    /** Compares a float tensor with its golden value and prints the line. Returns whether it passed. */
    public boolean compare(String stem, String name, float[] expected, float[] actual) {
        String label = stem + "/" + name;
        if (expected.length != actual.length) {
            return fail(label, "length " + actual.length + ", expected " + expected.length);
        }
        double maxAbs = 0, maxRef = 0, errSq = 0, refSq = 0;
        boolean finite = true;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) actual[i] - expected[i];
            if (!Double.isFinite(actual[i])) finite = false;
            maxAbs = Math.max(maxAbs, Math.abs(d));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            errSq += d * d;
            refSq += (double) expected[i] * expected[i];
        }
        double relL2 = refSq == 0 ? Math.sqrt(errSq) : Math.sqrt(errSq / refSq);
        String metrics = String.format("max_abs=%.1e  rel_l2=%.1e", maxAbs, relL2);
        boolean pass = finite && relL2 <= REL_L2_TOL && maxAbs <= MAX_ABS_TOL * Math.max(maxRef, Double.MIN_NORMAL);
        if (expected.length == 0) pass = true;
        line(pass ? "OK" : "FAIL", label, metrics + (finite ? "" : "  (non-finite values)"));
        if (pass) ok++; else fail++;
        return pass;
    }

    /** Compares integer tensors for exact equality. */
    public boolean compareExact(String stem, String name, long[] expected, long[] actual) {
        String label = stem + "/" + name;
        if (expected.length != actual.length) {
            return fail(label, "length " + actual.length + ", expected " + expected.length);
        }
        int mismatches = 0, first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                if (first < 0) first = i;
                mismatches++;
            }
        }
        if (mismatches == 0) {
            line("OK", label, "exact (" + expected.length + " values)");
            ok++;
            return true;
        }
        return fail(label, mismatches + " of " + expected.length + " differ; first at " + first + ": " + actual[first] + " vs " + expected[first]);
    }

    public boolean fail(String label, String why) {
        line("FAIL", label, why);
        fail++;
        return false;
    }

    public void skip(String label, String reason) {
        line("SKIPPED", label, reason);
        skipped++;
    }

    private void line(String status, String label, String detail) {
        out.printf("%-7s %-45s %s%n", status, label, detail);
        out.flush();
    }

    public int ok() {
        return ok;
    }

    public int failed() {
        return fail;
    }

    public int skipped() {
        return skipped;
    }

    public String verdict() {
        return "verdict: " + ok + " OK, " + fail + " FAIL, " + skipped + " SKIPPED";
    }

}
