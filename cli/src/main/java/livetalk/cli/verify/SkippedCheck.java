package livetalk.cli.verify;

import livetalk.kernels.Backend;

/** A golden file the engine cannot check yet: always reports {@code SKIPPED} with the reason. */
public record SkippedCheck(String stem, String reason) implements GoldenCheck {
    @Override
    public void run(GoldenDir dir, Backend backend, Report report) {
        report.skip(stem, reason);
    }
}
