package livetalk.kernels.cuda;

import java.lang.ref.Cleaner;

/**
 * One device allocation, booked under what it holds ({@link CudaMemoryReport.Use}), and freed
 * (stream-ordered after every kernel already issued that may use it: {@link CudaContext#release})
 * at {@link #free()}, or when the last Java object referring to it is collected. Device memory does
 * not press on the Java heap, so a collection may come late or never: memory that is known dead
 * should be freed explicitly ({@code Backend.free}).
 */
final class DeviceMemory {
    private static final Cleaner CLEANER = Cleaner.create();

    final long ptr;
    final long bytes;
    private final Cleaner.Cleanable cleanable;

    DeviceMemory(CudaContext ctx, long bytes, CudaMemoryReport.Use use) {
        this.bytes = Math.max(bytes, 16);
        this.ptr = ctx.allocate(this.bytes, use);
        this.cleanable = CLEANER.register(this, new Release(ctx, ptr, this.bytes, use));
    }

    /** Frees now (once; later calls do nothing); the memory must not be used by work issued afterwards. */
    void free() {
        cleanable.clean();
    }

    /** Holds no reference to the DeviceMemory itself, or it would never become unreachable. */
    private record Release(CudaContext ctx, long ptr, long bytes, CudaMemoryReport.Use use) implements Runnable {
        @Override
        public void run() {
            ctx.release(ptr, bytes, use);
        }
    }
}
