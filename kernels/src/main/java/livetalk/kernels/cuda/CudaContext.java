package livetalk.kernels.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import livetalk.kernels.DeviceMemoryException;
import livetalk.kernels.KernelException;

/**
 * One CUDA device as the backend uses it: its primary context (made current on every thread that
 * calls in), the kernel modules loaded from the committed PTX resources, device memory and its
 * books, and kernel launches with their argument marshalling.
 *
 * <p>Streams: every thread issues to the legacy default stream, so ops from any thread run in the
 * order they were issued (the OpenCL backend's in-order queue), unless it opened a {@link Lane}
 * (only when {@link #lanesEnabled}): then its work goes to a stream of its own, which runs
 * concurrently with everything else. Lanes change how memory is freed: see {@link #release}.
 */
final class CudaContext {
    /** PTX families, one resource each: {@code livetalk/kernels/cuda/NAME.ptx.gz} ({@link PtxResource}). */
    private static final String[] FAMILIES = {"convert", "elementwise", "norms", "gemm", "attention", "vae", "sampler"};
    /**
     * Families compiled for sm_90a (wgmma: {@code gemm_sm90}, {@code attention_sm90}), which run on
     * compute capability 9.0 only: each is loaded there, and only when a kernel of it is first
     * selected ({@link #loadHopperModule}), so that the default path neither pays its JIT time nor
     * depends on it. Opt-in families for any card ({@code conv}, the fast convolution) load the
     * same way, on first selection ({@link #loadOnDemand}).
     */
    private static final int MAX_ARGS = 32, MAX_MAPS = 3;

    final int device;
    final String name;
    final int ccMajor, ccMinor, multiprocessors, smemOptin;
    final long totalMemory;
    /** Whether the device has compute capability 9.0, the only one the sm_90a module runs on. */
    final boolean hopper;
    /** Per on-demand family, once loadOnDemand ran for it: "" when it loaded, else why not. */
    private final Map<String, String> onDemandModules = new ConcurrentHashMap<>();
    private final AtomicLong allocatedSinceGc = new AtomicLong();
    private final MemorySegment context;
    /** The device's default memory pool, which every allocation comes from. */
    private final MemorySegment pool;
    /** Whether threads may open lanes (streams of their own): {@link CudaSwitches#STREAMS_ENV}. */
    final boolean lanesEnabled;
    /** Kernels by name; concurrent because some modules are loaded on demand (loadOnDemand). */
    private final Map<String, MemorySegment> functions = new ConcurrentHashMap<>();
    /** Every loaded kernel's parameter widths in bytes (PtxEntries), which each launch's arguments must match. */
    private final Map<String, int[]> paramWidths = new ConcurrentHashMap<>();
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);
    private final ThreadLocal<Args> args = ThreadLocal.withInitial(Args::new);

    CudaContext(int ordinal, boolean lanesEnabled) {
        this.lanesEnabled = lanesEnabled;
        device = CudaDriver.device(ordinal);
        name = CudaDriver.deviceName(device);
        ccMajor = CudaDriver.attribute(device, CudaDriver.ATTR_CC_MAJOR);
        ccMinor = CudaDriver.attribute(device, CudaDriver.ATTR_CC_MINOR);
        multiprocessors = CudaDriver.attribute(device, CudaDriver.ATTR_MULTIPROCESSOR_COUNT);
        smemOptin = CudaDriver.attribute(device, CudaDriver.ATTR_SMEM_OPTIN);
        totalMemory = CudaDriver.totalMemory(device);
        if (ccMajor < 8) {
            throw new KernelException("CUDA device '" + name + "' has compute capability " + ccMajor + "." + ccMinor
                    + "; the tensor-core kernels need 8.0 or newer (Ampere, Ada, Hopper)");
        }
        context = CudaDriver.primaryContext(device);
        makeCurrent();
        pool = CudaDriver.defaultPool(device);
        CudaDriver.keepPoolMemory(pool);
        hopper = ccMajor == 9 && ccMinor == 0;
        for (String family : FAMILIES) loadFamily(family);
    }

    /**
     * Loads the sm_90a module {@code family} ({@code family.ptx}) once, then allows each of
     * {@code kernels} its dynamic shared memory ({@code smem[i]} bytes). Returns null when they can
     * be launched, else a one-line reason (not a compute capability 9.0 device, or the driver
     * refused the module); never throws, so a failure here cannot break the default kernels.
     */
    String loadHopperModule(String family, String[] kernels, int[] smem) {
        return loadOnDemand(family, kernels, smem, true);
    }

    /**
     * Loads the module {@code family} once, on a compute capability 9.0 device only when
     * {@code hopperOnly}, then allows each of {@code kernels} its dynamic shared memory. Returns
     * null when they can be launched, else a one-line reason; never throws.
     */
    synchronized String loadOnDemand(String family, String[] kernels, int[] smem, boolean hopperOnly) {
        String state = onDemandModules.get(family);
        if (state == null) {
            if (hopperOnly && !hopper) {
                state = "it needs a compute capability 9.0 GPU (H100, H200: sm_90a); '" + name + "' is " + ccMajor + "." + ccMinor;
            } else {
                try {
                    makeCurrent();
                    loadFamily(family);
                    for (int i = 0; i < kernels.length; i++) allowSharedMemory(kernels[i], smem[i]);
                    state = "";
                } catch (KernelException e) {
                    state = (hopperOnly ? "the sm_90a module " : "the module ") + family + ".ptx did not load on '" + name + "': " + e.getMessage();
                }
            }
            onDemandModules.put(family, state);
        }
        return state.isEmpty() ? null : state;
    }

    /** The context must be current on each thread that issues driver calls. */
    void makeCurrent() {
        if (!current.get()) {
            CudaDriver.setCurrent(context);
            current.set(true);
        }
    }

    private void loadFamily(String family) {
        String ptx = PtxResource.text(family);
        MemorySegment module = CudaDriver.loadModule(ptx, family + ".ptx");
        // the module's kernels, each with its parameters' widths
        Map<String, int[]> entries = PtxEntries.paramWidths(ptx);
        for (String fn : entries.keySet()) functions.put(fn, CudaDriver.function(module, fn));
        paramWidths.putAll(entries);
    }

    MemorySegment function(String name) {
        MemorySegment f = functions.get(name);
        if (f == null) throw new KernelException("no CUDA kernel named " + name + " in the PTX resources");
        return f;
    }

    /** Allows {@code bytes} of dynamic shared memory for a kernel (above the default 48 KiB). */
    void allowSharedMemory(String kernel, int bytes) {
        if (bytes > smemOptin) {
            throw new KernelException(kernel + " needs " + bytes + " bytes of shared memory; '" + name + "' allows " + smemOptin);
        }
        makeCurrent();
        CudaDriver.setMaxDynamicSharedMemory(function(kernel), bytes);
    }

    // ------------------------------------------------------------------ streams

    /** The lane the calling thread opened, or null: it issues to the legacy default stream. */
    private final ThreadLocal<Lane> lane = new ThreadLocal<>();
    /** Open lanes; also the lock that orders frees against lanes opening and closing. */
    private final java.util.Set<Lane> lanes = new java.util.HashSet<>();
    /** Created with the first lane: where frees go while lanes exist (see {@link #release}). */
    private MemorySegment freeStream, legacyEvent;

    /** The stream the calling thread issues to: its lane's, else the legacy default stream (NULL). */
    MemorySegment stream() {
        Lane l = lane.get();
        return l == null ? MemorySegment.NULL : l.stream;
    }

    /**
     * Gives the calling thread a stream of its own until {@link Lane#close}: its kernels, copies,
     * allocations and events go there and run concurrently with other threads' work. Null when
     * lanes are not enabled or the thread already has one (then nothing changes).
     */
    Lane openLane() {
        if (!lanesEnabled || lane.get() != null) return null;
        makeCurrent();
        synchronized (lanes) {
            if (freeStream == null) {
                freeStream = CudaDriver.stream();
                legacyEvent = CudaDriver.orderingEvent();
            }
            Lane l = new Lane(Thread.currentThread(), CudaDriver.stream(), CudaDriver.orderingEvent());
            lanes.add(l);
            lane.set(l);
            return l;
        }
    }

    /** A thread's own stream (see {@link #openLane}), with the event frees use to wait for it. */
    final class Lane implements AutoCloseable {
        private final Thread owner;
        final MemorySegment stream;
        private final MemorySegment event;
        private boolean closed;

        private Lane(Thread owner, MemorySegment stream, MemorySegment event) {
            this.owner = owner;
            this.stream = stream;
            this.event = event;
        }

        /**
         * Waits for the lane's work, then retires it: the thread issues to the legacy default
         * stream again. Waiting first keeps {@link #release} correct: a lane no longer in the set
         * has nothing left running that could read memory freed from then on.
         */
        @Override
        public void close() {
            if (Thread.currentThread() != owner) throw new IllegalStateException("a lane is closed by the thread that opened it");
            if (closed) return;
            closed = true;
            makeCurrent();
            CudaDriver.synchronize(stream);
            synchronized (lanes) {
                lanes.remove(this);
                lane.remove();
                CudaDriver.destroyStream(stream);
                CudaDriver.destroy(event);
            }
        }
    }

    // ------------------------------------------------------------------ memory

    private final MemoryBooks books = new MemoryBooks();

    long allocate(long bytes, CudaMemoryReport.Use use) {
        makeCurrent();
        // Device memory does not press on the Java heap: after a quarter of the device has been
        // allocated, ask for a collection so that unreachable buffers are released.
        if (allocatedSinceGc.addAndGet(bytes) > totalMemory / 4) {
            allocatedSinceGc.set(0);
            System.gc();
        }
        long p;
        try {
            p = CudaDriver.alloc(bytes, stream());
        } catch (DeviceMemoryException e) {
            DeviceMemoryException.reclaimUnreachable();     // then once more
            p = CudaDriver.alloc(bytes, stream());
        }
        books.book(use, bytes);
        return p;
    }

    /**
     * Frees device memory, ordered after every kernel already issued that may read it. Without
     * lanes all work is on the legacy default stream, so a free there is ordered after all of
     * it. With lanes, work that used the memory may sit on any stream, and a stream-ordered free
     * is ordered only after its own stream's work; so the free goes to a stream of its own
     * ({@code freeStream}, which runs nothing else and so delays no one) after waiting for an
     * event recorded now on the legacy stream and on every open lane. Memory freed there is
     * reused by other streams only as the pool allows, which is after the free (its reuse
     * rules: event dependencies, completed frees, or dependencies it inserts itself). May be
     * called from any thread (the cleaner's included).
     */
    void release(long ptr, long bytes, CudaMemoryReport.Use use) {
        makeCurrent();
        synchronized (lanes) {
            if (lanes.isEmpty()) {
                CudaDriver.free(ptr, MemorySegment.NULL);
            } else {
                CudaDriver.record(legacyEvent, MemorySegment.NULL);
                CudaDriver.waitEvent(freeStream, legacyEvent);
                for (Lane l : lanes) {
                    CudaDriver.record(l.event, l.stream);
                    CudaDriver.waitEvent(freeStream, l.event);
                }
                CudaDriver.free(ptr, freeStream);
            }
        }
        books.book(use, -bytes);
    }

    /** Bytes held by live allocations. */
    long liveBytes() {
        return books.liveTotal();
    }

    /** The books and the driver's figures now. */
    CudaMemoryReport memoryReport() {
        makeCurrent();
        long[] info = CudaDriver.memInfo();
        return new CudaMemoryReport(books.live(), books.atPeak(), books.peakTotal(), CudaDriver.poolAttribute(pool, CudaDriver.POOL_RESERVED),
                CudaDriver.poolAttribute(pool, CudaDriver.POOL_RESERVED_HIGH), CudaDriver.poolAttribute(pool, CudaDriver.POOL_USED),
                CudaDriver.poolAttribute(pool, CudaDriver.POOL_USED_HIGH), info[0], info[1]);
    }

    /** Starts the peak figures (ours and the pool's high watermarks) again from what is live now. */
    void resetPeak() {
        makeCurrent();
        books.resetPeak();
        CudaDriver.setPoolAttribute(pool, CudaDriver.POOL_RESERVED_HIGH, 0);
        CudaDriver.setPoolAttribute(pool, CudaDriver.POOL_USED_HIGH, 0);
    }

    /**
     * Returns the pool's memory that no allocation holds to the device. Waits first for the
     * calling thread's stream (and the free stream), so that the frees this thread issued have
     * completed and count as free.
     */
    void trimPool() {
        makeCurrent();
        CudaDriver.synchronize(stream());
        MemorySegment fs;
        synchronized (lanes) {
            fs = freeStream;
        }
        if (fs != null) CudaDriver.synchronize(fs);
        CudaDriver.trimPool(pool, 0);
    }

    // ------------------------------------------------------------------ launches

    /**
     * Starts the argument list of one launch. There is one list per thread, so everything that
     * may itself launch a kernel (e.g. a weight's first upload) must be evaluated before this call:
     * a nested list would overwrite the outer one, which is refused here.
     */
    Args args() {
        Args a = args.get();
        if (a.open) throw new IllegalStateException("kernel argument list started inside another (evaluate device pointers first)");
        a.open = true;
        a.n = 0;
        a.mapCount = 0;
        return a;
    }

    void launch(String kernel, int gx, int gy, int gz, int block, int smem, Args a) {
        launch(kernel, gx, gy, gz, block, 1, smem, a);
    }

    void launch2d(String kernel, int gx, int gy, int bx, int by, Args a) {
        launch(kernel, gx, gy, 1, bx, by, 0, a);
    }

    private void launch(String kernel, int gx, int gy, int gz, int bx, int by, int smem, Args a) {
        a.open = false;
        int[] declared = paramWidths.get(kernel);
        if (declared != null && !a.widthsAre(declared)) {
            // the driver would read the kernel's parameters from the wrong bytes: a bug, named here
            throw new KernelException(kernel + ": launched with arguments of " + java.util.Arrays.toString(a.widths())
                    + " bytes; its PTX declares " + java.util.Arrays.toString(declared));
        }
        if (gx <= 0 || gy <= 0 || gz <= 0) return; // nothing to do (empty tensors)
        makeCurrent();
        KernelProfile p = profile;
        MemorySegment stream = stream();
        long issued = p == null ? 0 : System.nanoTime();
        MemorySegment start = p == null ? null : p.before(stream);
        try {
            CudaDriver.launch(function(kernel), gx, gy, gz, bx, by, 1, smem, stream, a.pointers);
        } catch (KernelException e) {
            // which launch, in the terms of the kernel's source: the driver's code alone does not say
            throw new KernelException(kernel + " (grid " + gx + "×" + gy + "×" + gz + ", block " + bx + "×" + by + ", " + smem
                    + " bytes of dynamic shared memory): " + e.getMessage(), e);
        }
        if (p != null) p.after(kernel, start, stream, issued);
        if (LaunchTrace.on()) LaunchTrace.record(kernel, gx, gy, gz, bx, by, smem, a.pointers, a.widths());
    }

    /**
     * Issues a copy or fill on the calling thread's stream ({@code issue} takes that stream),
     * bracketed like a kernel while a profile runs, so that its time and the idle time before it
     * show under {@code name} (a copy from Java heap memory waits for the stream first).
     */
    void profiled(String name, java.util.function.Consumer<MemorySegment> issue) {
        makeCurrent();
        KernelProfile p = profile;
        MemorySegment stream = stream();
        if (p == null) {
            issue.accept(stream);
            return;
        }
        long issued = System.nanoTime();
        MemorySegment start = p.before(stream);
        issue.accept(stream);
        p.after(name, start, stream, issued);
    }

    /** When not null, every launch is bracketed by GPU events (see {@link KernelProfile}). */
    volatile KernelProfile profile;

    /** Blocks for a grid-stride kernel over n elements: enough to fill the device, no more. */
    int gridFor(long n, int block) {
        long want = (n + block - 1) / block;
        return (int) Math.max(1, Math.min(want, (long) multiprocessors * 32));
    }

    /**
     * Kernel arguments: one 8-byte slot per argument (the driver reads 4 bytes for an int or
     * float, 8 for a long or pointer) and the array of slot addresses that cuLaunchKernel takes.
     */
    static final class Args {
        private final MemorySegment values = Arena.ofAuto().allocate(8L * MAX_ARGS, 8);
        final MemorySegment pointers = Arena.ofAuto().allocate(ADDRESS, MAX_ARGS);
        /** The byte width of each argument so far, 4 or 8: what a test holds against the kernel's PTX parameters. */
        private final int[] widths = new int[MAX_ARGS];
        private int n;
        private boolean open;

        private MemorySegment slot(int width) {
            if (n == MAX_ARGS) throw new KernelException("more than " + MAX_ARGS + " kernel arguments");
            MemorySegment s = values.asSlice(8L * n, 8);
            pointers.setAtIndex(ADDRESS, n, s);
            widths[n] = width;
            n++;
            return s;
        }

        Args ptr(long devicePointer) {
            slot(8).set(JAVA_LONG, 0, devicePointer);
            return this;
        }

        Args i32(int v) {
            slot(4).set(JAVA_INT, 0, v);
            return this;
        }

        Args i64(long v) {
            slot(8).set(JAVA_LONG, 0, v);
            return this;
        }

        Args f32(float v) {
            slot(4).set(JAVA_FLOAT, 0, v);
            return this;
        }

        Args f64(double v) {
            slot(8).set(JAVA_DOUBLE, 0, v);
            return this;
        }

        /** Room for the tensor maps of one launch: CUtensorMap is 128 bytes, aligned to 128. */
        private final MemorySegment maps = Arena.ofAuto().allocate((long) CudaDriver.TENSOR_MAP_BYTES * MAX_MAPS, CudaDriver.TENSOR_MAP_BYTES);
        private int mapCount;

        /**
         * A {@code const __grid_constant__ CUtensorMap} argument: returns its 128 bytes for the
         * caller to fill ({@link CudaDriver#encodeTensorMap}) before the launch, which copies them.
         */
        MemorySegment tensorMap() {
            if (n == MAX_ARGS) throw new KernelException("more than " + MAX_ARGS + " kernel arguments");
            if (mapCount == MAX_MAPS) throw new KernelException("more than " + MAX_MAPS + " tensor maps in one launch");
            MemorySegment m = maps.asSlice((long) CudaDriver.TENSOR_MAP_BYTES * mapCount++, CudaDriver.TENSOR_MAP_BYTES);
            pointers.setAtIndex(ADDRESS, n, m);
            widths[n] = CudaDriver.TENSOR_MAP_BYTES;
            n++;
            return m;
        }

        /** The byte widths of the arguments given so far, e.g. [8, 4, 8] (128 for a tensor map). */
        int[] widths() {
            return java.util.Arrays.copyOf(widths, n);
        }

        /** Whether the arguments given so far have exactly these widths (without a copy: this runs on every launch). */
        boolean widthsAre(int[] expected) {
            return java.util.Arrays.equals(widths, 0, n, expected, 0, expected.length);
        }
    }
}
