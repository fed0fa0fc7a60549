package livetalk.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** What the benchmarks report about the process and the machine beside their timings (Linux /proc; "n/a" elsewhere). */
final class ProcessStats {
    private ProcessStats() {
    }

    /** The process's peak resident set (VmHWM, e.g. "3058132 kB"). */
    static String peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return line.substring(6).trim();
            }
        } catch (Exception e) {
            // not Linux
        }
        return "n/a";
    }

    /** A size from /proc/self/status in bytes ("VmRSS": resident now, "VmHWM": the peak), or -1 where there is none. */
    static long statusBytes(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key + ":")) return 1024 * Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    /** The 1, 5 and 15 minute load averages: timings on a busy machine say little. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "n/a";
        }
    }
}
