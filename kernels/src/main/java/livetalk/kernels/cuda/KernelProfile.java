package livetalk.kernels.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * GPU time per kernel: each launch is bracketed by two events on the stream, and the report sums
 * the elapsed times by kernel name. The events add a little work per launch, so a profiled run is
 * for finding where the time goes, not for the headline figures. With two threads on streams of
 * their own (lanes), kernels that overlap share the GPU, and each one's span includes that.
 */
final class KernelProfile {
    private record Span(String kernel, MemorySegment start, MemorySegment end) {
    }

    private final List<Span> spans = new ArrayList<>();

    /** Events are recorded on the launching thread's stream, so each span brackets its own launch. */
    synchronized MemorySegment before(MemorySegment stream) {
        MemorySegment e = CudaDriver.event();
        CudaDriver.record(e, stream);
        return e;
    }

    synchronized void after(String kernel, MemorySegment start, MemorySegment stream) {
        MemorySegment e = CudaDriver.event();
        CudaDriver.record(e, stream);
        spans.add(new Span(kernel, start, e));
    }

    /** One line per kernel, most time first: launches, total and mean milliseconds, share. Frees the events. */
    synchronized String report() {
        Map<String, double[]> byKernel = new HashMap<>();   // {launches, ms}
        double total = 0;
        int launches = spans.size();
        for (Span s : spans) {
            double ms = CudaDriver.elapsedMs(s.start, s.end);
            double[] a = byKernel.computeIfAbsent(s.kernel, k -> new double[2]);
            a[0]++;
            a[1] += ms;
            total += ms;
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
        return out.toString();
    }
}
