package livetalk.kernels.cuda;

/**
 * The backend's books of its device memory: bytes live per {@link CudaMemoryReport.Use}, and the
 * split at the moment their total was highest. Kept apart from the driver so that the
 * arithmetic is tested without a GPU. Thread-safe (allocations are rare: a lock is cheap).
 */
final class MemoryBooks {
    private final long[] live = new long[CudaMemoryReport.Use.values().length];
    private long[] atPeak = live.clone();
    private long liveTotal, peakTotal;

    /** {@code bytes} more (an allocation) or fewer (a free, negative) held for {@code use}. */
    synchronized void book(CudaMemoryReport.Use use, long bytes) {
        live[use.ordinal()] += bytes;
        liveTotal += bytes;
        if (liveTotal > peakTotal) {
            peakTotal = liveTotal;
            atPeak = live.clone();
        }
    }

    synchronized long liveTotal() {
        return liveTotal;
    }

    synchronized long peakTotal() {
        return peakTotal;
    }

    synchronized long[] live() {
        return live.clone();
    }

    /** Bytes per use when the total was at its peak. */
    synchronized long[] atPeak() {
        return atPeak.clone();
    }

    /** The peak starts again from what is live now. */
    synchronized void resetPeak() {
        peakTotal = liveTotal;
        atPeak = live.clone();
    }
}
