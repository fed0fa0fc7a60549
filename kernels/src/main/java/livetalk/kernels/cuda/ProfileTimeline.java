package livetalk.kernels.cuda;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a profiled stretch lost GPU time between its operations (docs/cuda-performance.md#reading-a-profile):
 * the idle gaps of each stream (from one operation's end to the next one's start), which operation
 * each gap came before, and the host's time between issuing two operations. A forward whose wall
 * time exceeds its kernels' sum loses the difference in these gaps; a gap that follows a long host
 * delay was the host's (work in Java, a synchronous copy), one that does not was the device's.
 * Pure arithmetic on the recorded times, so it is tested without a GPU.
 */
final class ProfileTimeline {
    /**
     * One operation: a kernel or a copy, the stream it went to, its GPU start and end, and when the
     * host issued it; all in milliseconds from the profile's start (GPU and host clocks each from
     * their own zero).
     */
    record Op(String name, long stream, double startMs, double endMs, double hostMs) {
    }

    /** Gaps shorter than this are the device's launch-to-launch latency, not idle time worth naming. */
    static final double SMALL_GAP_MS = 0.010;

    private ProfileTimeline() {
    }

    /** The report's lines: idle totals, idle by the operation that followed, the largest gaps and host delays. */
    static String summary(List<Op> ops) {
        if (ops.isEmpty()) return "";
        StringBuilder out = new StringBuilder();
        Map<Long, List<Op>> byStream = new HashMap<>();
        for (Op op : ops) byStream.computeIfAbsent(op.stream(), s -> new ArrayList<>()).add(op);

        record Gap(double ms, Op before, Op after) {
        }
        List<Gap> gaps = new ArrayList<>();
        double busy = 0, idle = 0;
        for (List<Op> stream : byStream.values()) {
            stream.sort(Comparator.comparingDouble(Op::startMs));
            double end = stream.getFirst().startMs();
            Op last = null;
            for (Op op : stream) {
                double gap = op.startMs() - end;
                if (last != null && gap > 0) {
                    idle += gap;
                    gaps.add(new Gap(gap, last, op));
                }
                // overlapping spans (a lane beside the legacy stream shows as one stream each) count once
                busy += Math.max(0, op.endMs() - Math.max(op.startMs(), end));
                if (op.endMs() >= end) {
                    end = op.endMs();
                    last = op;
                }
            }
        }
        double first = ops.stream().mapToDouble(Op::startMs).min().orElse(0), lastEnd = ops.stream().mapToDouble(Op::endMs).max().orElse(0);
        long named = gaps.stream().filter(g -> g.ms() >= SMALL_GAP_MS).count();
        out.append(String.format(Locale.ROOT, "timeline: %.3f ms from the first operation's start to the last one's end; busy %.3f ms, idle %.3f ms"
                + " (%d gaps ≥ %.0f us)%n", lastEnd - first, busy, idle, named, SMALL_GAP_MS * 1000));

        Map<String, double[]> byNext = new HashMap<>();   // {gaps, ms}
        for (Gap g : gaps) {
            if (g.ms() < SMALL_GAP_MS) continue;
            double[] a = byNext.computeIfAbsent(g.after().name(), k -> new double[2]);
            a[0]++;
            a[1] += g.ms();
        }
        if (!byNext.isEmpty()) {
            out.append("idle before (the operation that waited, gaps ≥ 10 us):\n");
            byNext.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[1], x.getValue()[1])).limit(8).forEach(e ->
                    out.append(String.format(Locale.ROOT, "  %-30s %6d gaps %9.3f ms%n", e.getKey(), (long) e.getValue()[0], e.getValue()[1])));
        }
        gaps.sort((x, y) -> Double.compare(y.ms(), x.ms()));
        for (Gap g : gaps.subList(0, Math.min(5, gaps.size()))) {
            if (g.ms() < SMALL_GAP_MS) break;
            out.append(String.format(Locale.ROOT, "  gap %.3f ms at %.3f ms: after %s, before %s (issued %.3f ms after it on the host)%n", g.ms(),
                    g.before().endMs() - first, g.before().name(), g.after().name(), g.after().hostMs() - g.before().hostMs()));
        }

        // The host side: when it issued each operation. Long delays between two issues are Java work
        // or a synchronous call; if the host issued the last operation close to the GPU's end, the
        // host, not the device, set the pace.
        List<Op> issued = new ArrayList<>(ops);
        issued.sort(Comparator.comparingDouble(Op::hostMs));
        double hostSpan = issued.getLast().hostMs() - issued.getFirst().hostMs();
        out.append(String.format(Locale.ROOT, "host: %.3f ms before the first issue, %.3f ms from the first issue to the last (%d operations, %.1f us each)%n",
                issued.getFirst().hostMs(), hostSpan, issued.size(), issued.size() > 1 ? 1000 * hostSpan / (issued.size() - 1) : 0));
        record Delay(double ms, Op before, Op after) {
        }
        List<Delay> delays = new ArrayList<>();
        for (int i = 1; i < issued.size(); i++) {
            delays.add(new Delay(issued.get(i).hostMs() - issued.get(i - 1).hostMs(), issued.get(i - 1), issued.get(i)));
        }
        delays.sort((x, y) -> Double.compare(y.ms(), x.ms()));
        for (Delay d : delays.subList(0, Math.min(5, delays.size()))) {
            if (d.ms() < 0.1) break;
            out.append(String.format(Locale.ROOT, "  host %.3f ms between issuing %s and %s%n", d.ms(), d.before().name(), d.after().name()));
        }
        return out.toString();
    }
}
