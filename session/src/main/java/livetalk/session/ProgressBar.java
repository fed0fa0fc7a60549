package livetalk.session;

import java.io.PrintStream;

/**
 * A one-line progress display on stderr: blocks, frames, elapsed time and the expected remainder.
 * On a terminal it redraws in place; otherwise (a log, CI) it prints one line per update.
 */
public final class ProgressBar {
    private final PrintStream err;
    private final boolean terminal;
    private final int totalBlocks;
    private final int totalFrames;
    private final long start = System.nanoTime();

    public ProgressBar(PrintStream err, int totalBlocks, int totalFrames) {
        this.err = err;
        this.terminal = System.console() != null && System.console().isTerminal();
        this.totalBlocks = totalBlocks;
        this.totalFrames = totalFrames;
    }

    public synchronized void update(int blocksDone, int framesDone) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        double remaining = blocksDone == 0 ? Double.NaN : elapsed / blocksDone * (totalBlocks - blocksDone);
        int width = 24, filled = totalBlocks == 0 ? width : width * blocksDone / totalBlocks;
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        String line = String.format("[%s] block %d/%d  frames %d/%d  %s elapsed  %s left", bar, blocksDone, totalBlocks,
                framesDone, totalFrames, time(elapsed), Double.isNaN(remaining) ? "?" : time(remaining));
        if (terminal) {
            err.print("\r" + line);
        } else {
            err.println(line);
        }
        err.flush();
    }

    public synchronized void finish() {
        if (terminal) err.println();
    }

    static String time(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String.format("%d:%02d", t / 60, t % 60);
    }
}
