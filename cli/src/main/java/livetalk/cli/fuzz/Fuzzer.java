package livetalk.cli.fuzz;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Sends seeded corrupted files to every reader (see {@link Targets}) and counts what comes back:
 * the reader's documented exception (expected), a clean read (the damage was harmless), or a
 * finding — any other exception or error, or a case over the time limit. Case {@code i} of
 * reader {@code r} is reproducible from the seed alone.
 */
public final class Fuzzer {
    public record Finding(String reader, int caseNo, String what) {
    }

    public record Summary(long cases, long rejected, long accepted, List<Finding> findings, double seconds, long slowestMillis,
                          long peakHeapBytes) {
    }

    private final long seed;
    private final int count;
    private final long maxMillis;
    private final PrintStream out;

    public Fuzzer(long seed, int count, long maxMillis, PrintStream out) {
        this.seed = seed;
        this.count = count;
        this.maxMillis = maxMillis;
        this.out = out;
    }

    public Summary run(List<String> only) throws IOException {
        Path tmp = Files.createTempDirectory(Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir")), "livetalk-fuzz");
        try {
            return run(Targets.all(tmp), only, tmp);
        } finally {
            deleteTree(tmp);
        }
    }

    private Summary run(List<Targets.Target> targets, List<String> only, Path tmp) throws IOException {
        long t0 = System.nanoTime(), cases = 0, rejected = 0, accepted = 0, slowest = 0, peak = 0;
        List<Finding> findings = new ArrayList<>();
        Runtime rt = Runtime.getRuntime();
        for (int r = 0; r < targets.size(); r++) {
            Targets.Target t = targets.get(r);
            if (only != null && !only.contains(t.name())) continue;
            Path dir = Files.createDirectories(tmp.resolve("t" + r));
            Path file = dir.resolve(t.fileName());
            long tr = System.nanoTime(), rej = 0, acc = 0, fnd = findings.size();
            for (int i = 0; i < count; i++) {
                SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + r * 7_919L + i);
                Files.write(file, mutate(t, rnd));
                long c0 = System.nanoTime();
                try {
                    t.reader().read(file);
                    acc++;
                } catch (Throwable e) {
                    if (t.documented().isInstance(e) && e.getMessage() != null && !e.getMessage().isBlank()) rej++;
                    else findings.add(new Finding(t.name(), i, e.toString().lines().findFirst().orElse("")));
                }
                long ms = (System.nanoTime() - c0) / 1_000_000;
                slowest = Math.max(slowest, ms);
                if (ms > maxMillis) findings.add(new Finding(t.name(), i, "took " + ms + " ms"));
                if ((i & 255) == 0) peak = Math.max(peak, rt.totalMemory() - rt.freeMemory());
            }
            double s = (System.nanoTime() - tr) / 1e9;
            out.printf("%-15s %7d cases  %8.0f cases/s  %7d rejected (%s)  %6d read cleanly  %d findings%n", t.name(), count, count / s,
                    rej, t.documented().getSimpleName(), acc, findings.size() - fnd);
            cases += count;
            rejected += rej;
            accepted += acc;
        }
        return new Summary(cases, rejected, accepted, findings, (System.nanoTime() - t0) / 1e9, slowest, peak);
    }

    /** The pickle target damages only data.pkl, in place, so every case reaches the pickle reader. */
    private static byte[] mutate(Targets.Target t, SplittableRandom rnd) {
        if (!t.name().equals("pickle")) return Mutator.corrupt(t.valid(), rnd);
        byte[] b = t.valid().clone();
        int[] span = Targets.firstMemberSpan(b);
        for (int k = 1 + rnd.nextInt(6); k > 0; k--) {
            int at = span[0] + rnd.nextInt(span[1] - span[0]);
            b[at] = rnd.nextBoolean() ? (byte) rnd.nextInt(256) : (byte) (b[at] ^ (1 << rnd.nextInt(8)));
        }
        return b;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temp folder is not worth failing for
        }
    }
}
