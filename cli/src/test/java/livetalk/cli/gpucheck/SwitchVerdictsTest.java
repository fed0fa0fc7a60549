package livetalk.cli.gpucheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import livetalk.cli.Main;
import livetalk.cli.gpucheck.SwitchVerdicts.Outcome;
import livetalk.cli.gpucheck.SwitchVerdicts.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verdicts on made-up logs in the commands' own line formats. */
class SwitchVerdictsTest {
    private final Map<String, String> logs = new HashMap<>();
    private final Map<String, Integer> exits = new HashMap<>();

    private static String benchDit(String checksum, double... forwardsMs) {
        StringBuilder s = new StringBuilder("model: model.safetensors, 30 of 30 layers\n");
        for (int i = 0; i < forwardsMs.length; i++) {
            s.append(String.format(java.util.Locale.ROOT, "forward %d: %.3f s (%.2f ms), 255000.0 GFLOP/s%n", i, forwardsMs[i] / 1e3, forwardsMs[i]));
        }
        return s + "output checksum: " + checksum + "\nback to back (5 forwards on device inputs, one read): 60.50 ms each, 275000.0 GFLOP/s; "
                + "the same output as above: yes\noutput vs out-mma-sync.f32: rel_l2 = 1.65e-03, max|diff| = 3.00e-02 (max|ref| 4.00e+00)\n";
    }

    private static String verify(String... lines) {
        return String.join("\n", lines) + "\nverdict: 340 OK, 0 FAIL, 0 SKIPPED\n";
    }

    private void step(String name, int exit, String log) {
        exits.put(name, exit);
        logs.put(name, log);
    }

    private SwitchVerdicts verdicts() {
        return new SwitchVerdicts(new GpuCheckLogs(s -> Optional.ofNullable(logs.get(s)), exits, "NVIDIA H200"));
    }

    private Verdict verdict(String name) {
        return verdicts().verdicts().stream().filter(v -> v.candidate().name().equals(name)).findFirst().orElseThrow();
    }

    private void defaults() {
        step("tests", 0, "[       100 tests successful      ]\n[         0 tests failed          ]\n");
        step("verify-default", 0, verify("OK      dit_forward/flow_pred   max_abs=1e-3  rel_l2=2e-3", "OK      vae_decode/video  max_abs=1e-3  rel_l2=3e-3"));
        step("bench-dit-default", 0, benchDit("3afc9c0b0ea77d07", 72.0, 65.0, 64.0, 66.0, 70.0));
        step("bench-vae-default", 0, "latent frame 0 (1 frame of 512x512): 0.05 s (50.00 ms)\n"
                + "latent frame 1 (4 frames): 0.07 s (70.20 ms), 126.5 GFLOP/s (8.88 TFLOP per latent frame, docs/model.md#flops); process CPU 0.1 s\n"
                + "latent frame 2 (4 frames): 0.07 s (72.00 ms), 123.3 GFLOP/s (8.88 TFLOP per latent frame, docs/model.md#flops); process CPU 0.1 s\n");
    }

    @Test
    void aSwitchWithTheDefaultsBitsThatIsFasterIsPromoted() {
        defaults();
        step("tests-tma-pingpong", 0, "");
        step("bench-dit-pingpong", 0, benchDit("3afc9c0b0ea77d07", 70.0, 61.0, 62.0, 60.0, 63.0));
        Verdict v = verdict("gemm-pingpong");
        assertEquals(Outcome.PROMOTE, v.outcome(), v.toString());
        assertEquals(61.5, v.ms().getAsDouble(), 1e-9);       // the median of forwards 1–4
        assertEquals(65.5, v.baseMs().getAsDouble(), 1e-9);
        assertEquals("gemm-pingpong", SwitchVerdicts.picks(verdicts().verdicts()).get("GEMM tiles").candidate().name());
    }

    @Test
    void otherBitsAHangOrFailedTestsAreNeverPromoted() {
        defaults();
        step("tests-tma-pingpong", 0, "");
        step("bench-dit-pingpong", 0, benchDit("0000000000000001", 70.0, 50.0, 50.0, 50.0, 50.0));
        assertEquals(Outcome.FAILS, verdict("gemm-pingpong").outcome());

        step("tests-tma-persistent", 124, "...");
        step("bench-dit-persistent", 0, benchDit("3afc9c0b0ea77d07", 70.0, 50.0, 50.0, 50.0, 50.0));
        assertEquals(Outcome.HANGS, verdict("gemm-persistent").outcome());

        step("tests-flash-pp", 1, "[         2 tests failed          ]\n");
        step("bench-dit-flash-pp", 0, benchDit("3afc9c0b0ea77d07", 70.0, 50.0, 50.0, 50.0, 50.0));
        Verdict pp = verdict("attn-pingpong");
        assertEquals(Outcome.FAILS, pp.outcome());
        assertTrue(pp.tests().contains("2 failed"), pp.tests());

        // a class of the tests step among its failures
        step("tests", 1, "    MethodSource [className = 'livetalk.kernels.cuda.CudaResidualTest', methodName = 'x', methodParameterTypes = '']\n");
        step("verify-residual", 0, logs.get("verify-default"));
        step("bench-dit-residual", 0, benchDit("3afc9c0b0ea77d07", 70.0, 50.0, 50.0, 50.0, 50.0));
        assertEquals(Outcome.FAILS, verdict("residual").outcome());
        assertTrue(SwitchVerdicts.picks(verdicts().verdicts()).isEmpty());
    }

    @Test
    void equalBitsButNoFasterStaysOffAndAMissingStepIsNotRun() {
        defaults();
        step("tests-tma", 0, "");
        step("bench-dit-tma-waves", 0, benchDit("3afc9c0b0ea77d07", 70.0, 65.2, 65.4, 65.0, 65.8));
        Verdict v = verdict("tma-waves");
        assertEquals(Outcome.KEEP_OFF, v.outcome());
        assertEquals("no faster", v.reason());
        assertEquals(Outcome.NOT_RUN, verdict("norm-mod").outcome());
        // its bench ran but its test step did not
        step("bench-dit-norm-rope", 0, benchDit("3afc9c0b0ea77d07", 70.0, 50.0, 50.0, 50.0, 50.0));
        step("verify-norm-rope", 0, logs.get("verify-default"));
        assertEquals(Outcome.NOT_RUN, verdict("norm-rope").outcome());
    }

    @Test
    void verifyLinesMustBeTheDefaults() {
        defaults();
        step("tests-vae-fuse", 0, "");
        step("verify-vae-fuse", 0, verify("OK      vae_decode/video  max_abs=1e-3  rel_l2=3.1e-3"));
        step("bench-vae-fuse", 0, "latent frame 1 (4 frames): 0.06 s (60.00 ms), 148.0 GFLOP/s (8.88 TFLOP per latent frame, …)\n");
        assertEquals(Outcome.FAILS, verdict("vae-fuse").outcome());
        step("verify-vae-fuse", 0, verify("OK      vae_decode/video  max_abs=1e-3  rel_l2=3e-3"));
        Verdict v = verdict("vae-fuse");
        assertEquals(Outcome.PROMOTE, v.outcome(), v.toString());
        assertEquals(70.2, v.baseMs().getAsDouble(), 1e-9);   // the faster of the default's two latent frames

        // the TMA convolution's verify runs the decode checks only: those lines must be the defaults'
        step("tests-conv-tma", 0, "");
        step("verify-conv-tma", 0, verify("OK      vae_decode/video  max_abs=1e-3  rel_l2=3e-3"));
        step("bench-vae-conv-tma", 0, "latent frame 1 (4 frames): 0.06 s (66.00 ms), 134.5 GFLOP/s (8.88 TFLOP per latent frame, …)\n");
        assertEquals(Outcome.PROMOTE, verdict("conv-tma").outcome(), verdict("conv-tma").toString());
        step("verify-conv-tma", 0, verify("FAIL    vae_decode/video  max_abs=1e-1  rel_l2=3e-1"));
        assertEquals(Outcome.FAILS, verdict("conv-tma").outcome());
    }

    @Test
    void aCheckWhoseNameExtendsAnothersIsNotComparedWithIt() {
        // verify --only dit_forward,causal_rollout runs those two checks, not causal_rollout_small_window,
        // which the whole verify-default has (run 11's first reading called every DiT fusion "differs")
        defaults();
        step("verify-default", 0, verify("OK      dit_forward/flow_pred   max_abs=1e-3  rel_l2=2e-3",
                "OK      causal_rollout/call000_x0_pred   max_abs=1e-3  rel_l2=2e-3",
                "OK      causal_rollout_small_window/call000_x0_pred   max_abs=2e-3  rel_l2=2e-3",
                "OK      vae_decode/video  max_abs=1e-3  rel_l2=3e-3"));
        step("tests-norm-rope", 0, "");
        step("bench-dit-norm-rope", 0, benchDit("3afc9c0b0ea77d07", 70.0, 50.0, 50.0, 50.0, 50.0));
        step("verify-norm-rope", 0, verify("OK      dit_forward/flow_pred   max_abs=1e-3  rel_l2=2e-3",
                "OK      causal_rollout/call000_x0_pred   max_abs=1e-3  rel_l2=2e-3"));
        Verdict v = verdict("norm-rope");
        assertEquals(Outcome.PROMOTE, v.outcome(), v.toString());
        step("verify-norm-rope", 0, verify("OK      dit_forward/flow_pred   max_abs=1e-3  rel_l2=2e-3",
                "OK      causal_rollout/call000_x0_pred   max_abs=1.1e-3  rel_l2=2e-3"));
        assertEquals(Outcome.FAILS, verdict("norm-rope").outcome());
    }

    @Test
    void theSplitMayMoveTheErrorAgainstTheBaselineALittle() {
        defaults();
        step("tests-flash-split", 0, "");
        String split = benchDit("aaaa", 70.0, 60.0, 60.0, 60.0, 60.0);
        step("bench-dit-split", 0, split.replace("rel_l2 = 1.65e-03", "rel_l2 = 1.90e-03"));
        assertEquals(Outcome.PROMOTE, verdict("attn-split").outcome());
        step("bench-dit-split", 0, split.replace("rel_l2 = 1.65e-03", "rel_l2 = 2.10e-03"));
        assertEquals(Outcome.FAILS, verdict("attn-split").outcome());
        step("bench-dit-split", 0, split.replace("rel_l2 = 1.65e-03", "rel_l2 = NaN"));
        assertEquals(Outcome.FAILS, verdict("attn-split").outcome());
    }

    @Test
    void theThreeFusionsTogetherStandForEachAlone() {
        defaults();
        step("tests-norm-rope", 0, "");
        for (String s : List.of("verify-dit-fusions", "verify-norm-rope")) step(s, 0, logs.get("verify-default"));
        step("bench-dit-fusions", 0, benchDit("3afc9c0b0ea77d07", 70.0, 58.0, 58.0, 58.0, 58.0));
        step("bench-dit-norm-rope", 0, benchDit("3afc9c0b0ea77d07", 70.0, 62.0, 62.0, 62.0, 62.0));
        var picks = SwitchVerdicts.picks(verdicts().verdicts());
        assertEquals(List.of("DiT fusions"), List.copyOf(picks.keySet()));
        step("bench-dit-fusions", 0, benchDit("0123", 70.0, 58.0, 58.0, 58.0, 58.0));
        picks = SwitchVerdicts.picks(verdicts().verdicts());
        assertEquals(List.of("DiT fusion: norm-rope"), List.copyOf(picks.keySet()));
    }

    @Test
    void thePipelinesFiguresAgainstTheirTargets() {
        logs.put("bench-pipeline-default", """
                first frame after 0.038 s (the reference frame, decoded before block 0's steps); first generated frame after 0.241 s; 117 frames                 in 2.5 s = 46.8 frames/s overall; sustained after block 1: 47.2 frames/s (254.2 ms per 12-frame block)
                GPU memory held by buffers and weights: 7.40 GiB at the peak, 3.35 GiB now
                """);
        List<String> lines = new IssueTargets(new GpuCheckLogs(s -> Optional.ofNullable(logs.get(s)), Map.of(), "NVIDIA H200")).lines();
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("47.2 frames/s") && lines.get(0).endsWith(" met"), lines.get(0));
        assertTrue(lines.get(1).contains("0.241 s") && lines.get(1).endsWith(" met"), lines.get(1));
        // 7.40 GiB is 7.95 GB: within 8 GB
        assertTrue(lines.get(2).contains("7.40 GiB (7.95 GB)") && lines.get(2).endsWith(" met"), lines.get(2));
        logs.put("bench-pipeline-default", "GPU memory held by buffers and weights: 7.50 GiB at the peak, 3.35 GiB now\n");
        lines = new IssueTargets(new GpuCheckLogs(s -> Optional.ofNullable(logs.get(s)), Map.of(), "NVIDIA H200")).lines();
        assertTrue(lines.get(0).endsWith("not met"), lines.get(0));   // 8.05 GB
    }

    /** Run 9's lines (an H200, before the milliseconds and the reference frame's decode were printed). */
    @Test
    void logsOfTheEarlierRunsStillRead() {
        logs.put("bench-dit-default", """
                call: 3072 tokens, 12288 cached + own = 15360 keys, 16.672 TFLOP
                forward 0: 0.452 s, 36881.3 GFLOP/s
                forward 1: 0.074 s, 226593.3 GFLOP/s
                forward 2: 0.070 s, 237875.8 GFLOP/s
                forward 3: 0.070 s, 237962.1 GFLOP/s
                forward 4: 0.074 s, 224704.5 GFLOP/s
                """);
        logs.put("bench-pipeline-default", "first frame after 0.314 s; 117 frames in 4.751 s = 24.6 frames/s overall; "
                + "sustained after block 1: 25.5 frames/s (471.1 ms per 12-frame block)\n");
        var l = new GpuCheckLogs(s -> Optional.ofNullable(logs.get(s)), Map.of(), "NVIDIA H200");
        // the median of forwards 1–4 through their rates: (16.672 TFLOP / 226.6 and 237.9 TFLOP/s) averaged
        double mid = (16.672e12 / 226593.3e9 + 16.672e12 / 237875.8e9) / 2 * 1e3;
        assertEquals(mid, l.forwardMs("bench-dit-default").getAsDouble(), 1e-9);
        assertEquals(0.314, l.firstGeneratedFrameSeconds("bench-pipeline-default").getAsDouble(), 1e-12);
        assertEquals(25.5, l.sustainedFramesPerSecond("bench-pipeline-default").getAsDouble(), 1e-12);
    }

    @Test
    void latentFramesWithoutMillisecondsComeFromTheRate() {
        logs.put("bench-vae-default", "latent frame 1 (4 frames): 0.07 s, 126.9 GFLOP/s (8.88 TFLOP per latent frame, docs/model.md#flops); x\n");
        var l = new GpuCheckLogs(s -> Optional.ofNullable(logs.get(s)), Map.of(), "NVIDIA H200");
        assertEquals(8.88e12 / 126.9e9 * 1e3, l.latentFrameMs("bench-vae-default").getAsDouble(), 1e-9);
        assertFalse(l.latentFrameMs("bench-vae-fuse").isPresent());
    }

    @Test
    void theReportReadsAGpuCheckFolder(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("gpu-check.json"), """
                {
                  "device": "NVIDIA H200",
                  "steps": [
                    {"step": "tests", "exit": 0, "seconds": 40},
                    {"step": "tests-tma-pingpong", "exit": 0, "seconds": 9},
                    {"step": "bench-dit-pingpong", "exit": 0, "seconds": 9},
                    {"step": "bench-dit-split", "exit": null, "status": "deferred"}
                  ]
                }
                """);
        defaults();
        logs.forEach((k, v) -> {
            try {
                Files.writeString(dir.resolve(k + ".log"), v);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Files.writeString(dir.resolve("bench-dit-pingpong.log"), benchDit("3afc9c0b0ea77d07", 70.0, 61.0, 62.0, 60.0, 63.0));
        GpuCheckLogs read = GpuCheckLogs.read(dir);
        assertEquals(Optional.of(0), read.exit("tests-tma-pingpong"));
        assertEquals(Optional.empty(), read.exit("bench-dit-split"));
        String report = new SwitchVerdicts(read).report();
        assertTrue(report.contains("pick for GEMM tiles: gemm-pingpong"), report);
        assertTrue(report.contains("device: NVIDIA H200"), report);
        assertTrue(report.contains("3afc9c0b0ea77d07 (as run 11)"), report);
        // the defaults' forward (65.5 ms) against its ≤ 35 ms target; no pipeline log, so no pipeline line
        assertTrue(report.matches("(?s).*DiT forward, full window +65\\.5 ms \\(255 TFLOP/s, 32 % of the peak\\).*not met.*"), report);
        assertFalse(report.contains("sustained"), report);
        assertEquals(0, Main.execute("gpu-verdicts", dir.toString()));
        assertEquals(Main.EXIT_BAD_INPUT, Main.execute("gpu-verdicts", dir.resolve("missing").toString()));
    }
}
