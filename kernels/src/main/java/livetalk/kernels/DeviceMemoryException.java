package livetalk.kernels;

/**
 * A device had no room for an allocation (after a garbage collection gave back what it could): the
 * work asks for more memory than the device has free. Callers that can do with less (a server
 * opening one more session) catch it and say so; for the others it is a {@link KernelException}.
 */
public class DeviceMemoryException extends KernelException {
    private final long requested;

    public DeviceMemoryException(String message, long requested) {
        super(message);
        this.requested = requested;
    }

    /**
     * What a device backend does before it throws this: out of memory is often garbage not yet
     * collected (device buffers are freed by the cleaner when their Java objects go, and device
     * memory does not press on the heap), so collect and give the cleaner a moment; then the
     * allocation is tried once more.
     */
    public static void reclaimUnreachable() {
        System.gc();
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A size for messages: {@code 512 bytes}, {@code 108.0 KiB}, {@code 96.0 MiB}, {@code 2.64 GiB}. */
    public static String size(long bytes) {
        if (bytes < 1024) return bytes + " bytes";
        if (bytes < 1L << 20) return String.format(java.util.Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1L << 30) return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        return String.format(java.util.Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    /** The bytes the failed allocation asked for. */
    public long requested() {
        return requested;
    }
}
