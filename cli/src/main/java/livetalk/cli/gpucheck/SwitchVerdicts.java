package livetalk.cli.gpucheck;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * The CUDA switches written without a GPU, and the rule by which one GPU run decides each
 * (docs/cuda-performance.md, "The next GPU run"): its tests pass, it changes no bit the defaults
 * compute (or, for a kernel that sums in another order, keeps the defaults' error against the
 * baseline), and it is faster than the defaults it was run on. Each switch was run alone on the
 * defaults, so the picks say what to try together next, not what together is proven.
 */
public final class SwitchVerdicts {
    /** A candidate must be this much faster than its base to count as faster: below it, run-to-run noise. */
    static final double FASTER = 0.01;
    /** The split attention sums in another order: its error against the baseline may grow by this factor. */
    static final double SPLIT_ERROR_GROWTH = 1.25;
    /** bench-dit-default's output checksum with run 10's picks as the defaults (run 11; docs/cuda-performance.md, "The next GPU run"). */
    static final String DEFAULT_CHECKSUM = "3afc9c0b0ea77d07";

    static final String DIT_BASE = "bench-dit-default", VAE_BASE = "bench-vae-default", VERIFY_BASE = "verify-default";
    static final Pattern DIT_LINES = Pattern.compile("^(OK|FAIL|SKIPPED) +(dit_forward|causal_rollout)/");
    static final Pattern VAE_LINES = Pattern.compile("^(OK|FAIL|SKIPPED) +vae_(encode|decode)/");
    static final Pattern VAE_DECODE_LINES = Pattern.compile("^(OK|FAIL|SKIPPED) +vae_decode/");

    /** A verify step (run with {@code --only} some checks) whose lines matching {@code lines} must be verify-default's. */
    record VerifyStep(String step, Pattern lines) {}

    enum Bits {
        /** bench-dit's output checksum is the defaults' (the same sums in the same order). */
        SAME_CHECKSUM,
        /** bench-dit's error against the baseline within {@link #SPLIT_ERROR_GROWTH} of the defaults'. */
        BASELINE_ERROR,
        /** bench-vae has no checksum: the VAE's bits are held by the tests and the verify lines. */
        BY_TESTS_AND_VERIFY
    }

    enum Outcome { PROMOTE, KEEP_OFF, FAILS, HANGS, NOT_RUN }

    /**
     * @param group        switches of a group replace one another: the fastest that passes is the pick
     * @param testSteps    steps that run its test classes in a JVM of their own
     * @param mainTests    its test classes that run in the {@code tests} step
     * @param verify       its verify step; null if none
     */
    record Candidate(String name, String setting, String group, List<String> testSteps, List<String> mainTests,
                     VerifyStep verify, String benchStep, Bits bits, String promote) {
        boolean dit() {
            return benchStep.startsWith("bench-dit");
        }
    }

    record Verdict(Candidate candidate, Outcome outcome, String tests, String bits, OptionalDouble ms, OptionalDouble baseMs, String reason) {}

    /** Every switch the next run decides, in the list's order (docs/cuda-performance.md, "The next GPU run"). */
    static final List<Candidate> CANDIDATES = List.of(
            new Candidate("dit-fusions", "LIVETALK_CUDA_NORM_ROPE=1 _NORM_MOD=1 _RESIDUAL=1", "DiT fusions", List.of("tests-norm-rope"),
                    List.of("CudaNormModTest", "CudaResidualTest"), new VerifyStep("verify-dit-fusions", DIT_LINES), "bench-dit-fusions", Bits.SAME_CHECKSUM,
                    "CudaDitFusions' three fields true on CC 9.0, CudaDefaultsTest"),
            new Candidate("norm-rope", "LIVETALK_CUDA_NORM_ROPE=1", "DiT fusion: norm-rope", List.of("tests-norm-rope"), List.of(),
                    new VerifyStep("verify-norm-rope", DIT_LINES), "bench-dit-norm-rope", Bits.SAME_CHECKSUM, "CudaDitFusions' normRope true, CudaDefaultsTest"),
            new Candidate("norm-mod", "LIVETALK_CUDA_NORM_MOD=1", "DiT fusion: norm-mod", List.of(), List.of("CudaNormModTest"),
                    new VerifyStep("verify-norm-mod", DIT_LINES), "bench-dit-norm-mod", Bits.SAME_CHECKSUM, "CudaDitFusions' normMod true, CudaDefaultsTest"),
            new Candidate("residual", "LIVETALK_CUDA_RESIDUAL=1", "DiT fusion: residual", List.of(), List.of("CudaResidualTest"),
                    new VerifyStep("verify-residual", DIT_LINES), "bench-dit-residual", Bits.SAME_CHECKSUM, "CudaDitFusions' residualEpilogue true on CC 9.0, CudaDefaultsTest"),
            new Candidate("tma-waves", "LIVETALK_CUDA_GEMM=tma_waves", "GEMM tiles", List.of("tests-tma"), List.of(),
                    null, "bench-dit-tma-waves", Bits.SAME_CHECKSUM, "the tma rule takes the waves' widths (wgmmaTileN), CudaDefaultsTest"),
            new Candidate("gemm-persistent", "LIVETALK_CUDA_GEMM_PERSISTENT=1", "GEMM tiles", List.of("tests-tma-persistent"), List.of(),
                    null, "bench-dit-persistent", Bits.SAME_CHECKSUM, "TmaTileSchedule.PERSISTENT the default on CC 9.0, CudaDefaultsTest"),
            new Candidate("gemm-persistent-waves", "LIVETALK_CUDA_GEMM_PERSISTENT=1 LIVETALK_CUDA_GEMM=tma_waves", "GEMM tiles",
                    List.of("tests-tma-persistent", "tests-tma"), List.of(), null, "bench-dit-persistent-waves", Bits.SAME_CHECKSUM,
                    "TmaTileSchedule.PERSISTENT and the waves' widths the default on CC 9.0, CudaDefaultsTest"),
            new Candidate("gemm-pingpong", "LIVETALK_CUDA_GEMM_PERSISTENT=pingpong", "GEMM tiles", List.of("tests-tma-pingpong"), List.of(),
                    null, "bench-dit-pingpong", Bits.SAME_CHECKSUM, "TmaTileSchedule.PINGPONG the default on CC 9.0, CudaDefaultsTest"),
            new Candidate("attn-split", "LIVETALK_CUDA_ATTN_SPLIT=auto", "attention", List.of("tests-flash-split"), List.of(),
                    null, "bench-dit-split", Bits.BASELINE_ERROR, "CudaBackend.flashSplit auto on CC 9.0, CudaDefaultsTest"),
            new Candidate("attn-pingpong", "LIVETALK_CUDA_ATTN=tma_pingpong", "attention", List.of("tests-flash-pp"), List.of(),
                    null, "bench-dit-flash-pp", Bits.SAME_CHECKSUM, "the attention ping-pong the default on CC 9.0, CudaDefaultsTest"),
            new Candidate("attn-split-pingpong", "LIVETALK_CUDA_ATTN=tma_pingpong LIVETALK_CUDA_ATTN_SPLIT=auto", "attention",
                    List.of("tests-flash-split-pp", "tests-flash-split"), List.of(), null, "bench-dit-split-pp", Bits.BASELINE_ERROR,
                    "the attention ping-pong and the split auto on CC 9.0, CudaDefaultsTest"),
            new Candidate("attn-fastexp", "LIVETALK_CUDA_ATTN=tma_pingpong_fastexp", "attention", List.of("tests-flash-fastexp"), List.of(),
                    null, "bench-dit-flash-fastexp", Bits.BASELINE_ERROR,
                    "FlashKernel.TMA_PINGPONG_FASTEXP the default on CC 9.0 (CudaBackend's constructor), CudaDefaultsTest"),
            new Candidate("vae-fuse", "LIVETALK_CUDA_VAE_FUSE=1", "VAE copies", List.of("tests-vae-fuse"), List.of(),
                    new VerifyStep("verify-vae-fuse", VAE_LINES), "bench-vae-fuse", Bits.BY_TESTS_AND_VERIFY, "CudaBackend's vaeFuse true, CudaDefaultsTest"),
            new Candidate("conv-tma", "LIVETALK_CUDA_CONV=tma", "convolution", List.of("tests-conv-tma"), List.of(),
                    new VerifyStep("verify-conv-tma", VAE_DECODE_LINES), "bench-vae-conv-tma", Bits.BY_TESTS_AND_VERIFY, "ConvLayout.TMA the default on CC 9.0, CudaDefaultsTest"),
            new Candidate("conv-tma-persistent", "LIVETALK_CUDA_CONV=tma_persistent", "convolution", List.of("tests-conv-tma-persistent"),
                    List.of(), null, "bench-vae-conv-tma-persistent", Bits.BY_TESTS_AND_VERIFY,
                    "ConvLayout.TMA_PERSISTENT the default on CC 9.0, CudaDefaultsTest"),
            new Candidate("conv-tma-pingpong", "LIVETALK_CUDA_CONV=tma_pingpong", "convolution", List.of("tests-conv-tma-pingpong"),
                    List.of(), null, "bench-vae-conv-tma-pingpong", Bits.BY_TESTS_AND_VERIFY,
                    "ConvLayout.TMA_PINGPONG the default on CC 9.0, CudaDefaultsTest"));

    private final GpuCheckLogs logs;

    public SwitchVerdicts(GpuCheckLogs logs) {
        this.logs = logs;
    }

    List<Verdict> verdicts() {
        return CANDIDATES.stream().map(this::decide).toList();
    }

    Verdict decide(Candidate c) {
        OptionalDouble base = c.dit() ? logs.forwardMs(DIT_BASE) : logs.latentFrameMs(VAE_BASE);
        OptionalDouble ms = c.dit() ? logs.forwardMs(c.benchStep()) : logs.latentFrameMs(c.benchStep());
        boolean ran = logs.log(c.benchStep()).isPresent() || c.testSteps().stream().anyMatch(s -> logs.log(s).isPresent());
        if (!ran) return new Verdict(c, Outcome.NOT_RUN, "-", "-", ms, base, "no log of " + c.benchStep() + " or its tests");

        // the tests: each own step to exit 0, each class of the tests step among no failures
        List<String> testNotes = new ArrayList<>();
        Outcome testOutcome = null;
        for (String step : c.testSteps()) {
            Optional<Integer> exit = logs.exit(step);
            if (exit.isEmpty()) {
                testNotes.add(step + " did not run");
                testOutcome = worst(testOutcome, Outcome.NOT_RUN);
            } else if (exit.get() == 124 || exit.get() == 137) {
                testNotes.add(step + " ran into its limit (a hang?)");
                testOutcome = worst(testOutcome, Outcome.HANGS);
            } else if (exit.get() != 0) {
                OptionalInt failed = logs.testsFailed(step);
                testNotes.add(step + (failed.isPresent() ? ": " + failed.getAsInt() + " failed" : ": exit " + exit.get()));
                testOutcome = worst(testOutcome, Outcome.FAILS);
            }
        }
        for (String cls : c.mainTests()) {
            if (logs.exit("tests").isEmpty()) {
                testNotes.add("tests did not run");
                testOutcome = worst(testOutcome, Outcome.NOT_RUN);
            } else if (logs.failedTestClasses("tests").contains(cls)) {
                testNotes.add(cls + " failed");
                testOutcome = worst(testOutcome, Outcome.FAILS);
            }
        }
        String tests = testNotes.isEmpty() ? "pass" : String.join("; ", testNotes);

        // the bits
        List<String> bitNotes = new ArrayList<>();
        boolean bitsOk = true, bitsKnown = true;
        if (c.verify() != null) {
            String step = c.verify().step();
            List<String> mine = logs.verifyLines(step, c.verify().lines()), theirs = logs.verifyLines(VERIFY_BASE, c.verify().lines());
            if (mine.isEmpty() || theirs.isEmpty()) {
                bitNotes.add("no verify lines (" + (mine.isEmpty() ? step : VERIFY_BASE) + ")");
                bitsKnown = false;
            } else if (!mine.equals(theirs)) {
                bitNotes.add(step + " differs from " + VERIFY_BASE);
                bitsOk = false;
            } else {
                bitNotes.add(mine.size() + " verify lines the same");
            }
        }
        switch (c.bits()) {
            case SAME_CHECKSUM -> {
                Optional<String> mine = logs.checksum(c.benchStep()), theirs = logs.checksum(DIT_BASE);
                if (mine.isEmpty() || theirs.isEmpty()) {
                    bitNotes.add("no checksum");
                    bitsKnown = false;
                } else if (!mine.equals(theirs)) {
                    bitNotes.add("checksum " + mine.get() + " ≠ " + theirs.get());
                    bitsOk = false;
                } else {
                    bitNotes.add("checksum the same");
                }
            }
            case BASELINE_ERROR -> {
                OptionalDouble mine = logs.outputRelL2(c.benchStep()), theirs = logs.outputRelL2(DIT_BASE);
                if (mine.isEmpty() || theirs.isEmpty()) {
                    bitNotes.add("no error against the baseline");
                    bitsKnown = false;
                } else if (!(mine.getAsDouble() <= SPLIT_ERROR_GROWTH * theirs.getAsDouble())) {
                    bitNotes.add(String.format(Locale.ROOT, "rel_l2 %.2e > %.2f × the defaults' %.2e", mine.getAsDouble(), SPLIT_ERROR_GROWTH,
                            theirs.getAsDouble()));
                    bitsOk = false;
                } else {
                    bitNotes.add(String.format(Locale.ROOT, "rel_l2 %.2e (defaults %.2e)", mine.getAsDouble(), theirs.getAsDouble()));
                }
            }
            case BY_TESTS_AND_VERIFY -> {
                if (c.verify() == null) bitNotes.add("held by its tests");
            }
        }
        String bits = String.join("; ", bitNotes);

        if (testOutcome == Outcome.HANGS || testOutcome == Outcome.FAILS) return new Verdict(c, testOutcome, tests, bits, ms, base, "its tests");
        if (!bitsOk) return new Verdict(c, Outcome.FAILS, tests, bits, ms, base, "its results differ");
        if (testOutcome == Outcome.NOT_RUN || !bitsKnown) return new Verdict(c, Outcome.NOT_RUN, tests, bits, ms, base, "a check is missing");
        if (ms.isEmpty() || base.isEmpty()) {
            return new Verdict(c, Outcome.NOT_RUN, tests, bits, ms, base, "no time for " + (ms.isEmpty() ? c.benchStep() : c.dit() ? DIT_BASE : VAE_BASE));
        }
        double change = ms.getAsDouble() / base.getAsDouble() - 1;
        return change <= -FASTER
                ? new Verdict(c, Outcome.PROMOTE, tests, bits, ms, base, "faster")
                : new Verdict(c, Outcome.KEEP_OFF, tests, bits, ms, base, change < FASTER ? "no faster" : "slower");
    }

    private static Outcome worst(Outcome a, Outcome b) {
        return a == null || b.ordinal() > a.ordinal() ? b : a;
    }

    /**
     * Per group, the fastest switch that may be promoted. The three DiT fusions are groups of their
     * own (one does not replace another); the three together, when they pass, stand for all three.
     */
    static Map<String, Verdict> picks(List<Verdict> verdicts) {
        Map<String, Verdict> picks = new LinkedHashMap<>();
        for (Verdict v : verdicts) {
            if (v.outcome() != Outcome.PROMOTE) continue;
            picks.merge(v.candidate().group(), v, (a, b) -> b.ms().getAsDouble() < a.ms().getAsDouble() ? b : a);
        }
        if (picks.containsKey("DiT fusions")) picks.keySet().removeIf(g -> g.startsWith("DiT fusion:"));
        return picks;
    }

    /** The report: the defaults' state, a line per switch, the picks. */
    public String report() {
        StringBuilder out = new StringBuilder();
        out.append("== verdicts (docs/cuda-performance.md, \"The next GPU run\": tests pass, the defaults' bits, ")
                .append(String.format(Locale.ROOT, "at least %.0f %% faster than the defaults it ran on)%n", FASTER * 100));
        out.append(logs.device().isBlank()
                ? "device: none named (nvidia-smi gave no GPU: a run on the stub driver, whose figures are the host's, not a GPU's)\n"
                : "device: " + logs.device() + "\n");
        out.append(defaults()).append('\n');
        List<String> targets = new IssueTargets(logs).lines();
        if (!targets.isEmpty()) {
            out.append("the defaults against the targets (docs/cuda-performance.md, \"Where things stand\"):\n");
            targets.forEach(t -> out.append(t).append('\n'));
        }
        out.append(String.format(Locale.ROOT, "%-22s %-9s %-22s %s%n", "switch", "verdict", "time (base)", "tests | bits"));
        List<Verdict> vs = verdicts();
        for (Verdict v : vs) {
            String time = v.ms().isPresent() && v.baseMs().isPresent()
                    ? String.format(Locale.ROOT, "%.2f ms (%.2f) %+.1f %%", v.ms().getAsDouble(), v.baseMs().getAsDouble(),
                            100 * (v.ms().getAsDouble() / v.baseMs().getAsDouble() - 1))
                    : "-";
            out.append(String.format(Locale.ROOT, "%-22s %-9s %-22s %s | %s%s%n", v.candidate().name(), v.outcome().name().replace('_', ' '), time,
                    v.tests(), v.bits(), v.outcome() == Outcome.PROMOTE ? "" : " (" + v.reason() + ")"));
        }
        Map<String, Verdict> picks = picks(vs);
        if (picks.isEmpty()) {
            out.append("picks: none\n");
        } else {
            for (Verdict v : picks.values()) {
                out.append(String.format(Locale.ROOT, "pick for %s: %s (%s): %s%n", v.candidate().group(), v.candidate().name(), v.candidate().setting(),
                        v.candidate().promote()));
            }
            out.append("each ran alone on the defaults: run the defaults' steps again with the picks before changing the docs' figures\n");
        }
        return out.toString();
    }

    private String defaults() {
        List<String> parts = new ArrayList<>();
        Optional<Integer> tests = logs.exit("tests");
        parts.add(tests.isEmpty() ? "tests did not run" : tests.get() == 0 ? "tests pass"
                : "tests FAIL (" + String.join(", ", logs.failedTestClasses("tests")) + ")");
        parts.add(logs.verdict(VERIFY_BASE).map(v -> VERIFY_BASE + " " + v[0] + " OK, " + v[1] + " FAIL, " + v[2] + " SKIPPED")
                .orElse("no " + VERIFY_BASE + " verdict"));
        parts.add(logs.checksum(DIT_BASE).map(s -> DIT_BASE + " checksum " + s + (s.equals(DEFAULT_CHECKSUM) ? " (as run 11)" : " (run 11: " + DEFAULT_CHECKSUM + ")"))
                .orElse("no " + DIT_BASE + " checksum"));
        logs.forwardMs(DIT_BASE).ifPresent(ms -> parts.add(String.format(Locale.ROOT, "forward %.2f ms", ms)));
        logs.backToBackMs(DIT_BASE).ifPresent(ms -> parts.add(String.format(Locale.ROOT, "back to back %.2f ms", ms)));
        logs.latentFrameMs(VAE_BASE).ifPresent(ms -> parts.add(String.format(Locale.ROOT, "VAE latent frame %.2f ms", ms)));
        return "defaults: " + String.join("; ", parts);
    }
}
