package livetalk.cli.gpucheck;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The defaults' figures of one GPU check set beside the CUDA backend's targets and the official
 * code's figures on an H200 (the table of docs/cuda-performance.md, "Where things stand"), so that
 * a run's state reads in a few lines. Figures a run did not produce are left out.
 */
final class IssueTargets {
    /** The card's dense bf16 peak as measured (a 16.7 TFLOP forward in 21 ms), for shares of it. */
    static final double PEAK_TFLOPS = 790;
    /** A DiT forward of one block against a full window, in TFLOP (bench-dit's figure). */
    static final double FORWARD_TFLOP = 16.672;

    private final GpuCheckLogs logs;

    IssueTargets(GpuCheckLogs logs) {
        this.logs = logs;
    }

    /** One line per figure the run produced: value, target, the official code's, met or not. */
    List<String> lines() {
        List<String> out = new ArrayList<>();
        OptionalDouble forward = logs.forwardMs(SwitchVerdicts.DIT_BASE);
        if (forward.isPresent()) {
            double ms = forward.getAsDouble();
            out.add(line("DiT forward, full window", String.format(Locale.ROOT, "%.1f ms (%.0f TFLOP/s, %.0f %% of the peak)", ms,
                    FORWARD_TFLOP / ms * 1e3, FORWARD_TFLOP / ms * 1e3 / PEAK_TFLOPS * 100), "≤ 35 ms", "50.0 ms compiled, 95.7 eager", ms <= 35));
        }
        logs.backToBackMs(SwitchVerdicts.DIT_BASE).ifPresent(ms -> out.add(line("DiT forward, back to back",
                String.format(Locale.ROOT, "%.1f ms", ms), "≤ 35 ms", "50.0 ms compiled", ms <= 35)));
        logs.latentFrameMs(SwitchVerdicts.VAE_BASE).ifPresent(ms -> out.add(line("VAE decode per video frame",
                String.format(Locale.ROOT, "%.1f ms (a 4-frame latent frame in %.1f)", ms / 4, ms), "≤ 6 ms", "13.7 ms", ms / 4 <= 6)));
        String pipeline = "bench-pipeline-default";
        logs.sustainedFramesPerSecond(pipeline).ifPresent(fps -> out.add(line("whole pipeline, sustained",
                String.format(Locale.ROOT, "%.1f frames/s", fps), "≥ 45 frames/s", "≈ 18 end to end", fps >= 45)));
        logs.firstGeneratedFrameSeconds(pipeline).ifPresent(s -> out.add(line("first generated frame",
                String.format(Locale.ROOT, "%.3f s", s), "≤ 0.25 s", "0.33 s (paper)", s <= 0.25)));
        logs.peakGpuMemoryGiB(pipeline).ifPresent(gib -> out.add(line("GPU memory, whole pipeline",
                String.format(Locale.ROOT, "%.2f GiB (%.2f GB)", gib, gib * 1.073741824), "≤ 8 GB", "5.6 GiB (DiT) + VAE", gib * 1.073741824 <= 8)));
        return out;
    }

    private static String line(String what, String value, String target, String official, boolean met) {
        return String.format(Locale.ROOT, "  %-28s %-44s target %-14s official %-30s %s", what, value, target, official, met ? "met" : "not met");
    }
}
