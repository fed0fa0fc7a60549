package livetalk.kernels.cuda;

import java.lang.ref.Cleaner;

/**
 * One device allocation, freed (stream-ordered, so after every kernel already queued that uses
 * it) when the last Java object referring to it is collected, or at {@link #free()}.
 */
final class DeviceMemory {
    private static final Cleaner CLEANER = Cleaner.create();

    final long ptr;
    final long bytes;
    private final Cleaner.Cleanable cleanable;

    DeviceMemory(CudaContext ctx, long bytes) {
        this.bytes = Math.max(bytes, 16);
        this.ptr = ctx.allocate(this.bytes);
        this.cleanable = CLEANER.register(this, new Release(ctx, ptr, this.bytes));
    }

    /** Frees now; the memory must not be used by work queued afterwards. */
    void free() {
        cleanable.clean();
    }

    /** Holds no reference to the DeviceMemory itself, or it would never become unreachable. */
    private record Release(CudaContext ctx, long ptr, long bytes) implements Runnable {
        @Override
        public void run() {
            ctx.release(ptr, bytes);
        }
    }
}
