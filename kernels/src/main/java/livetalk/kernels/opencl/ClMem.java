package livetalk.kernels.opencl;

import java.lang.ref.Cleaner;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jocl.CL;
import org.jocl.cl_mem;

/**
 * One device allocation, shared by a buffer and all its views. It is released when its last
 * {@link ClBuf}/{@link ClWeight} becomes unreachable, or when the backend closes, whichever comes
 * first (clReleaseMemObject is thread-safe, and the release runs at most once).
 */
final class ClMem {
    private static final Cleaner CLEANER = Cleaner.create();

    final cl_mem mem;
    /** Size in bytes. */
    final long bytes;

    private ClMem(cl_mem mem, long bytes) {
        this.mem = mem;
        this.bytes = bytes;
    }

    /** Wraps {@code mem}, registering its release with the backend's live set and the cleaner. */
    static ClMem track(cl_mem mem, long bytes, Set<Release> live) {
        ClMem m = new ClMem(mem, bytes);
        Release r = new Release(mem, bytes, live);
        live.add(r);
        CLEANER.register(m, r);
        return m;
    }

    static Set<Release> newLiveSet() {
        return ConcurrentHashMap.newKeySet();
    }

    /** The release action; it must not refer to the ClMem, or the cleaner would never run it. */
    static final class Release implements Runnable {
        private final cl_mem mem;
        final long bytes;
        private final Set<Release> live;
        private final AtomicBoolean done = new AtomicBoolean();

        Release(cl_mem mem, long bytes, Set<Release> live) {
            this.mem = mem;
            this.bytes = bytes;
            this.live = live;
        }

        @Override
        public void run() {
            if (done.compareAndSet(false, true)) {
                live.remove(this);
                CL.clReleaseMemObject(mem);
            }
        }
    }
}
