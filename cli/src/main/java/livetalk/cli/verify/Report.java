package livetalk.cli.verify;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Collects and prints one line per compared tensor ({@code OK}, {@code FAIL} or {@code SKIPPED})
 * and the verdict. Tolerances are those of docs/numerics.md#tolerances, for every float tensor:
 * relative L2 error ≤ 1e-4 and max-abs error ≤ 1e-3·max|ref|; integer tensors must be equal. A
 * backend with bf16 operands gets bounds derived per tensor from an emulation ({@link #useBf16Reference}).
 */
public final class Report {
    public static final double REL_L2_TOL = 1e-4;
    public static final double MAX_ABS_TOL = 1e-3;

    /**
     * With bf16 operands (the CUDA backend) a tensor's bounds are this many times the error the
     * same check shows with the operand rounding emulated on the CPU, and never tighter than the
     * float32 ones: docs/numerics.md#bf16-tolerances-for-the-cuda-backend says why 4.
     */
    public static final double BF16_FACTOR = 4;

    private final PrintStream out;
    private int ok, fail, skipped;
    /** When recording: each compared tensor's {rel_l2, max_abs}, by label. */
    private final Map<String, double[]> recorded;
    /** When not null: the emulated bf16 errors the bounds are derived from, by label. */
    private Map<String, double[]> bf16Reference;

    public Report(PrintStream out) {
        this(out, null);
    }

    private Report(PrintStream out, Map<String, double[]> recorded) {
        this.out = out;
        this.recorded = recorded;
    }

    /** A report that prints nothing and keeps every tensor's errors ({@link #recorded()}). */
    public static Report recording() {
        return new Report(new PrintStream(OutputStream.nullOutputStream()), new HashMap<>());
    }

    /** {rel_l2, max_abs} of every tensor compared so far, by label. */
    public Map<String, double[]> recorded() {
        return recorded;
    }

    /** From now on, bound each tensor by {@link #BF16_FACTOR}× its error in {@code reference} (a recording's). */
    public void useBf16Reference(Map<String, double[]> reference) {
        this.bf16Reference = reference;
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
        if (recorded != null) recorded.put(label, new double[]{relL2, maxAbs});
        String metrics = String.format("max_abs=%.1e  rel_l2=%.1e", maxAbs, relL2);
        double relTol = REL_L2_TOL, absTol = MAX_ABS_TOL * Math.max(maxRef, Double.MIN_NORMAL);
        if (bf16Reference != null) {
            double[] emulated = bf16Reference.get(label);
            if (emulated == null) {
                metrics += "  (no bf16 reference: float32 bounds)";
            } else {
                relTol = Math.max(relTol, BF16_FACTOR * emulated[0]);
                absTol = Math.max(absTol, BF16_FACTOR * emulated[1]);
                metrics += String.format("  bf16 bounds rel_l2<=%.1e max_abs<=%.1e", relTol, absTol);
            }
        }
        boolean pass = finite && relL2 <= relTol && maxAbs <= absTol;
        if (expected.length == 0) pass = true;
        line(pass ? "OK" : "FAIL", label, metrics + (finite ? "" : "  (non-finite values)"));
        if (pass) ok++; else fail++;
        return pass;
    }

    /**
     * Compares golden tensor {@code name} of {@code STEM.safetensors} with what {@code actual}
     * computes, under {@code label}; when the golden tensor or an input the computation needs is
     * not in the set ({@link GoldenDir.Missing}), prints {@code SKIPPED} with the reason instead.
     */
    public void compare(GoldenDir dir, String label, String stem, String name, Supplier<float[]> actual) {
        float[] expected, got;
        try {
            expected = dir.floats(stem, name);
            got = actual.get();
        } catch (GoldenDir.Missing m) {
            skip(label + "/" + name, m.getMessage());
            return;
        }
        compare(label, name, expected, got);
    }

    /** {@link #compare(GoldenDir, String, String, String, Supplier)} labelled by the file's stem. */
    public void compare(GoldenDir dir, String stem, String name, Supplier<float[]> actual) {
        compare(dir, stem, stem, name, actual);
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
