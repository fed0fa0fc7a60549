package livetalk.kernels.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * GPU time per kernel: each launch (and each copy or fill: {@link CudaContext#profiled}) is
 * bracketed by two events on the stream, and the report sums the elapsed times by kernel name,
 * then shows where the GPU sat idle between them and where the host took its time
 * ({@link ProfileTimeline}). The events add a little work per launch, so a profiled run is for
 * finding where the time goes, not for the headline figures. With two threads on streams of
 * their own (lanes), kernels that overlap share the GPU, and each one's span includes that.
 */
final class KernelProfile {
    private record Span(String kernel, long stream, long hostNanos, MemorySegment start, MemorySegment end) {
    }

    private final List<Span> spans = new ArrayList<>();
    private final long startNanos = System.nanoTime();

    /** Events are recorded on the launching thread's stream, so each span brackets its own launch. */
    synchronized MemorySegment before(MemorySegment stream) {
        MemorySegment e = CudaDriver.event();
        CudaDriver.record(e, stream);
        return e;
    }

    /** {@code hostNanos}: when the host issued the operation ({@link System#nanoTime}). */
    synchronized void after(String kernel, MemorySegment start, MemorySegment stream, long hostNanos) {
        MemorySegment e = CudaDriver.event();
        CudaDriver.record(e, stream);
        spans.add(new Span(kernel, stream.address(), hostNanos, start, e));
    }

    /** One line per kernel, most time first: launches, total and mean milliseconds, share. Frees the events. */
    synchronized String report() {
        Map<String, double[]> byKernel = new HashMap<>();   // {launches, ms}
        double total = 0;
        int launches = spans.size();
        List<ProfileTimeline.Op> ops = new ArrayList<>();
        MemorySegment zero = spans.isEmpty() ? null : spans.getFirst().start;
        for (Span s : spans) {
            double ms = CudaDriver.elapsedMs(s.start, s.end);
            double[] a = byKernel.computeIfAbsent(s.kernel, k -> new double[2]);
            a[0]++;
            a[1] += ms;
            total += ms;
            double at = CudaDriver.elapsedMs(zero, s.start);
            ops.add(new ProfileTimeline.Op(s.kernel, s.stream, at, at + ms, (s.hostNanos - startNanos) / 1e6));
        }
        for (Span s : spans) {
            CudaDriver.destroy(s.start);
            CudaDriver.destroy(s.end);
        }
        spans.clear();
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-28s %9s %11s %9s %7s%n", "kernel", "launches", "total ms", "mean us", "share"));
        double all = total;
        byKernel.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[1], x.getValue()[1])).forEach(e ->
                out.append(String.format(Locale.ROOT, "%-28s %9d %11.3f %9.1f %6.1f%%%n", e.getKey(), (long) e.getValue()[0],
                        e.getValue()[1], 1000 * e.getValue()[1] / e.getValue()[0], 100 * e.getValue()[1] / all)));
        out.append(String.format(Locale.ROOT, "%-28s %9d %11.3f%n", "all kernels", launches, all));
        out.append(ProfileTimeline.summary(ops));
        return out.toString();
    }
}
