package livetalk.kernels.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import livetalk.kernels.DeviceMemoryException;
import livetalk.kernels.KernelException;

/**
 * The few NVIDIA driver API calls the backend needs, bound through the FFM API to {@code
 * libcuda.so.1} (the library every NVIDIA driver installs; no toolkit, no JNI). Each method checks
 * the result code and throws a {@link KernelException} naming the call and the driver's error
 * name. Handles (context, module, function, stream, event) are opaque addresses; device pointers
 * are {@code long}s.
 *
 * <p>Loading is lazy and never throws: {@link #unavailableReason()} says why the driver cannot be
 * used (no library, no device, a driver too old for the PTX), for {@code --device auto} and for
 * skipping tests.
 */
final class CudaDriver {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final int CUDA_SUCCESS = 0, CUDA_ERROR_OUT_OF_MEMORY = 2;

    /** {@code CUdevice_attribute} values used here. */
    static final int ATTR_MULTIPROCESSOR_COUNT = 16, ATTR_CC_MAJOR = 75, ATTR_CC_MINOR = 76, ATTR_SMEM_OPTIN = 97;
    /** {@code CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES}. */
    static final int FUNC_MAX_DYNAMIC_SMEM = 8;
    /** {@code CU_MEMPOOL_ATTR_RELEASE_THRESHOLD}. */
    private static final int MEMPOOL_RELEASE_THRESHOLD = 4;
    /** {@code CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT}, {@code _RESERVED_MEM_HIGH}, {@code _USED_MEM_CURRENT}, {@code _USED_MEM_HIGH}. */
    static final int POOL_RESERVED = 5, POOL_RESERVED_HIGH = 6, POOL_USED = 7, POOL_USED_HIGH = 8;
    /** {@code CU_STREAM_NON_BLOCKING}: no implicit synchronisation with the legacy default stream. */
    private static final int STREAM_NON_BLOCKING = 1;
    /** {@code CU_EVENT_DISABLE_TIMING}: an event for ordering only (cheaper to record and wait on). */
    private static final int EVENT_DISABLE_TIMING = 2;
    /** {@code CU_JIT_ERROR_LOG_BUFFER}, {@code CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES}. */
    private static final int JIT_ERROR_LOG_BUFFER = 5, JIT_ERROR_LOG_BUFFER_SIZE = 6;

    private static final Object LOCK = new Object();
    private static volatile Api api;
    private static volatile String failure;

    private CudaDriver() {
    }

    /** The bound entry points, after {@code cuInit}. */
    private record Api(MethodHandle init, MethodHandle driverVersion, MethodHandle deviceCount, MethodHandle deviceGet,
                       MethodHandle deviceName, MethodHandle deviceAttr, MethodHandle deviceTotalMem,
                       MethodHandle primaryCtxRetain, MethodHandle ctxSetCurrent, MethodHandle ctxSynchronize,
                       MethodHandle moduleLoadDataEx, MethodHandle moduleGetFunction, MethodHandle funcSetAttribute,
                       MethodHandle memAllocAsync, MethodHandle memFreeAsync, MethodHandle memcpyHtoD, MethodHandle memcpyDtoH,
                       MethodHandle memcpyDtoD, MethodHandle memsetD32, MethodHandle launchKernel, MethodHandle errorName,
                       MethodHandle memGetInfo, MethodHandle defaultMemPool, MethodHandle memPoolSetAttribute,
                       MethodHandle eventCreate, MethodHandle eventRecord, MethodHandle eventSynchronize,
                       MethodHandle eventElapsed, MethodHandle eventDestroy,
                       MethodHandle memPoolGetAttribute, MethodHandle memPoolTrimTo,
                       MethodHandle streamCreate, MethodHandle streamDestroy, MethodHandle streamSynchronize, MethodHandle streamWaitEvent,
                       MethodHandle memcpyHtoDAsync, MethodHandle memcpyDtoHAsync, MethodHandle memcpyDtoDAsync, MethodHandle memsetD32Async,
                       MethodHandle tensorMapEncodeTiled) {
    }

    /** Null when the driver loaded and initialised with at least one device, else why not. */
    static String unavailableReason() {
        try {
            api();
            int[] n = new int[1];
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(JAVA_INT);
                check((int) api().deviceCount.invokeExact(p), "cuDeviceGetCount");
                n[0] = p.get(JAVA_INT, 0);
            }
            return n[0] == 0 ? "the NVIDIA driver found no CUDA device" : null;
        } catch (KernelException e) {
            return e.getMessage();
        } catch (Throwable t) {
            return "the NVIDIA driver cannot be used: " + t;
        }
    }

    private static Api api() {
        Api a = api;
        if (a != null) return a;
        synchronized (LOCK) {
            if (api != null) return api;
            if (failure != null) throw new KernelException(failure);
            try {
                api = bind();
                return api;
            } catch (KernelException e) {
                failure = e.getMessage();
                throw e;
            }
        }
    }

    private static Api bind() {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        } catch (IllegalArgumentException e) {
            throw new KernelException("no NVIDIA driver: libcuda.so.1 is not on the library path");
        }
        Api a = api((name, heapArgs, args) -> heapArgs ? heap(lib, name, args) : h(lib, name, args));
        int r;
        try {
            r = (int) a.init.invokeExact(0);
        } catch (Throwable t) {
            throw new KernelException("cuInit failed: " + t);
        }
        if (r != CUDA_SUCCESS) throw new KernelException("the NVIDIA driver did not initialise: cuInit returned " + r);
        return a;
    }

    /** Makes the handle of one entry point: its name, whether it takes Java heap memory, its arguments (each returns CUresult). */
    interface Binder {
        MethodHandle bind(String name, boolean heapArgs, MemoryLayout... args);
    }

    /** Every entry point the backend uses, with its argument layouts (checked against cuda.h by CudaDriverSignatureTest). */
    private static Api api(Binder b) {
        return new Api(
                b.bind("cuInit", false, JAVA_INT),
                b.bind("cuDriverGetVersion", false, ADDRESS),
                b.bind("cuDeviceGetCount", false, ADDRESS),
                b.bind("cuDeviceGet", false, ADDRESS, JAVA_INT),
                b.bind("cuDeviceGetName", false, ADDRESS, JAVA_INT, JAVA_INT),
                b.bind("cuDeviceGetAttribute", false, ADDRESS, JAVA_INT, JAVA_INT),
                b.bind("cuDeviceTotalMem_v2", false, ADDRESS, JAVA_INT),
                b.bind("cuDevicePrimaryCtxRetain", false, ADDRESS, JAVA_INT),
                b.bind("cuCtxSetCurrent", false, ADDRESS),
                b.bind("cuCtxSynchronize", false),
                b.bind("cuModuleLoadDataEx", false, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS),
                b.bind("cuModuleGetFunction", false, ADDRESS, ADDRESS, ADDRESS),
                b.bind("cuFuncSetAttribute", false, ADDRESS, JAVA_INT, JAVA_INT),
                b.bind("cuMemAllocAsync", false, ADDRESS, JAVA_LONG, ADDRESS),
                b.bind("cuMemFreeAsync", false, JAVA_LONG, ADDRESS),
                b.bind("cuMemcpyHtoD_v2", true, JAVA_LONG, ADDRESS, JAVA_LONG),
                b.bind("cuMemcpyDtoH_v2", true, ADDRESS, JAVA_LONG, JAVA_LONG),
                b.bind("cuMemcpyDtoD_v2", false, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                b.bind("cuMemsetD32_v2", false, JAVA_LONG, JAVA_INT, JAVA_LONG),
                b.bind("cuLaunchKernel", false, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                b.bind("cuGetErrorName", false, JAVA_INT, ADDRESS),
                b.bind("cuMemGetInfo_v2", false, ADDRESS, ADDRESS),
                b.bind("cuDeviceGetDefaultMemPool", false, ADDRESS, JAVA_INT),
                b.bind("cuMemPoolSetAttribute", false, ADDRESS, JAVA_INT, ADDRESS),
                b.bind("cuEventCreate", false, ADDRESS, JAVA_INT),
                b.bind("cuEventRecord", false, ADDRESS, ADDRESS),
                b.bind("cuEventSynchronize", false, ADDRESS),
                b.bind("cuEventElapsedTime", false, ADDRESS, ADDRESS, ADDRESS),
                b.bind("cuEventDestroy_v2", false, ADDRESS),
                b.bind("cuMemPoolGetAttribute", false, ADDRESS, JAVA_INT, ADDRESS),
                b.bind("cuMemPoolTrimTo", false, ADDRESS, JAVA_LONG),
                b.bind("cuStreamCreate", false, ADDRESS, JAVA_INT),
                b.bind("cuStreamDestroy_v2", false, ADDRESS),
                b.bind("cuStreamSynchronize", false, ADDRESS),
                b.bind("cuStreamWaitEvent", false, ADDRESS, ADDRESS, JAVA_INT),
                b.bind("cuMemcpyHtoDAsync_v2", true, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS),
                b.bind("cuMemcpyDtoHAsync_v2", true, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS),
                b.bind("cuMemcpyDtoDAsync_v2", false, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS),
                b.bind("cuMemsetD32Async", false, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS),
                b.bind("cuTensorMapEncodeTiled", false, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                        JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /** Name → argument layouts of every entry point, in binding order; needs no driver. */
    static java.util.Map<String, MemoryLayout[]> signatures() {
        java.util.Map<String, MemoryLayout[]> m = new java.util.LinkedHashMap<>();
        MethodHandle none = java.lang.invoke.MethodHandles.constant(int.class, 0);
        api((name, heapArgs, args) -> {
            m.put(name, args);
            return none;
        });
        return m;
    }

    /** A downcall handle returning CUresult (int). */
    private static MethodHandle h(SymbolLookup lib, String name, MemoryLayout... args) {
        MemorySegment sym = lib.find(name).orElseThrow(
                () -> new KernelException("the NVIDIA driver is too old: libcuda.so.1 has no " + name));
        return LINKER.downcallHandle(sym, FunctionDescriptor.of(JAVA_INT, args));
    }

    /**
     * A copy call that may take Java heap arrays directly (a "critical" downcall: the GC waits
     * for the copy), so uploads and reads need no off-heap staging copy.
     */
    private static MethodHandle heap(SymbolLookup lib, String name, MemoryLayout... args) {
        MemorySegment sym = lib.find(name).orElseThrow(
                () -> new KernelException("the NVIDIA driver is too old: libcuda.so.1 has no " + name));
        return LINKER.downcallHandle(sym, FunctionDescriptor.of(JAVA_INT, args), Linker.Option.critical(true));
    }

    static void check(int result, String call) {
        if (result == CUDA_SUCCESS) return;
        String name = "CUDA error " + result;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            if ((int) api.errorName.invokeExact(result, p) == CUDA_SUCCESS) {
                name = p.get(ADDRESS, 0).reinterpret(256).getString(0);
            }
        } catch (Throwable ignored) {
            // keep the number
        }
        throw new KernelException(call + " failed: " + name);
    }

    private static RuntimeException wrap(Throwable t, String call) {
        if (t instanceof RuntimeException re) return re;
        return new KernelException(call + " failed: " + t);
    }

    // ------------------------------------------------------------------ device and context

    static int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_INT);
            check((int) api().driverVersion.invokeExact(p), "cuDriverGetVersion");
            return p.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuDriverGetVersion");
        }
    }

    static int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_INT);
            check((int) api().deviceGet.invokeExact(p, ordinal), "cuDeviceGet");
            return p.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuDeviceGet");
        }
    }

    static String deviceName(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(256);
            check((int) api().deviceName.invokeExact(p, 256, dev), "cuDeviceGetName");
            return p.getString(0);
        } catch (Throwable t) {
            throw wrap(t, "cuDeviceGetName");
        }
    }

    static int attribute(int dev, int attr) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_INT);
            check((int) api().deviceAttr.invokeExact(p, attr, dev), "cuDeviceGetAttribute");
            return p.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuDeviceGetAttribute");
        }
    }

    static long totalMemory(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            check((int) api().deviceTotalMem.invokeExact(p, dev), "cuDeviceTotalMem");
            return p.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuDeviceTotalMem");
        }
    }

    /** {free, total} bytes of the current context's device. */
    static long[] memInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG), t = a.allocate(JAVA_LONG);
            check((int) api().memGetInfo.invokeExact(f, t), "cuMemGetInfo");
            return new long[]{f.get(JAVA_LONG, 0), t.get(JAVA_LONG, 0)};
        } catch (Throwable t) {
            throw wrap(t, "cuMemGetInfo");
        }
    }

    static MemorySegment primaryContext(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check((int) api().primaryCtxRetain.invokeExact(p, dev), "cuDevicePrimaryCtxRetain");
            return p.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuDevicePrimaryCtxRetain");
        }
    }

    static void setCurrent(MemorySegment ctx) {
        try {
            check((int) api().ctxSetCurrent.invokeExact(ctx), "cuCtxSetCurrent");
        } catch (Throwable t) {
            throw wrap(t, "cuCtxSetCurrent");
        }
    }

    static void synchronize() {
        try {
            check((int) api().ctxSynchronize.invokeExact(), "cuCtxSynchronize");
        } catch (Throwable t) {
            throw wrap(t, "cuCtxSynchronize");
        }
    }

    /** The device's default memory pool, which cuMemAllocAsync draws from. */
    static MemorySegment defaultPool(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pool = a.allocate(ADDRESS);
            check((int) api().defaultMemPool.invokeExact(pool, dev), "cuDeviceGetDefaultMemPool");
            return pool.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuDeviceGetDefaultMemPool");
        }
    }

    /**
     * Keeps freed device memory in the pool instead of returning it at each synchronisation (the
     * release threshold): re-allocating it is then free. {@link #trimPool} returns it on demand.
     */
    static void keepPoolMemory(MemorySegment pool) {
        setPoolAttribute(pool, MEMPOOL_RELEASE_THRESHOLD, -1L); // UINT64_MAX
    }

    /** Sets a cuuint64_t pool attribute (the release threshold; 0 to reset a high watermark). */
    static void setPoolAttribute(MemorySegment pool, int attr, long value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            v.set(JAVA_LONG, 0, value);
            check((int) api().memPoolSetAttribute.invokeExact(pool, attr, v), "cuMemPoolSetAttribute(" + attr + ")");
        } catch (Throwable t) {
            throw wrap(t, "cuMemPoolSetAttribute");
        }
    }

    /** A cuuint64_t pool attribute: {@link #POOL_RESERVED}, {@link #POOL_USED} and their high watermarks, in bytes. */
    static long poolAttribute(MemorySegment pool, int attr) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check((int) api().memPoolGetAttribute.invokeExact(pool, attr, v), "cuMemPoolGetAttribute(" + attr + ")");
            return v.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuMemPoolGetAttribute");
        }
    }

    /**
     * Returns the pool's unused memory to the device, keeping at least {@code keep} bytes reserved.
     * Frees not yet seen complete by the host may stay reserved: synchronise first.
     */
    static void trimPool(MemorySegment pool, long keep) {
        try {
            check((int) api().memPoolTrimTo.invokeExact(pool, keep), "cuMemPoolTrimTo");
        } catch (Throwable t) {
            throw wrap(t, "cuMemPoolTrimTo");
        }
    }

    // ------------------------------------------------------------------ modules

    /** Loads PTX text (JIT-compiled by the driver for the current device); the error log is in the exception. */
    static MemorySegment loadModule(String ptx, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            int logSize = 16384;
            MemorySegment log = a.allocate(logSize);
            MemorySegment opts = a.allocate(JAVA_INT, 2);
            opts.setAtIndex(JAVA_INT, 0, JIT_ERROR_LOG_BUFFER);
            opts.setAtIndex(JAVA_INT, 1, JIT_ERROR_LOG_BUFFER_SIZE);
            MemorySegment vals = a.allocate(ADDRESS, 2);
            vals.setAtIndex(ADDRESS, 0, log);
            vals.setAtIndex(ADDRESS, 1, MemorySegment.ofAddress(logSize));
            int r = (int) api().moduleLoadDataEx.invokeExact(p, a.allocateFrom(ptx), 2, opts, vals);
            if (r != CUDA_SUCCESS) {
                String msg = log.getString(0).strip();
                try {
                    check(r, "loading " + what);
                } catch (KernelException e) {
                    String hint = r == 222 || r == 218 ? " (the PTX needs a newer NVIDIA driver: CUDA 13, driver 580 or later)" : "";
                    throw new KernelException(e.getMessage() + hint + (msg.isEmpty() ? "" : ": " + msg));
                }
            }
            return p.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuModuleLoadDataEx");
        }
    }

    static MemorySegment function(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check((int) api().moduleGetFunction.invokeExact(p, module, a.allocateFrom(name)), "cuModuleGetFunction(" + name + ")");
            return p.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuModuleGetFunction");
        }
    }

    static void setMaxDynamicSharedMemory(MemorySegment fn, int bytes) {
        try {
            check((int) api().funcSetAttribute.invokeExact(fn, FUNC_MAX_DYNAMIC_SMEM, bytes), "cuFuncSetAttribute");
        } catch (Throwable t) {
            throw wrap(t, "cuFuncSetAttribute");
        }
    }

    /** A kernel launch on {@code stream} (NULL: the legacy default stream). */
    static void launch(MemorySegment fn, int gx, int gy, int gz, int bx, int by, int bz, int smem, MemorySegment stream, MemorySegment params) {
        try {
            check((int) api().launchKernel.invokeExact(fn, gx, gy, gz, bx, by, bz, smem, stream, params, MemorySegment.NULL),
                    "cuLaunchKernel");
        } catch (Throwable t) {
            throw wrap(t, "cuLaunchKernel");
        }
    }

    // ------------------------------------------------------------------ tensor maps

    /** CUtensorMap's size and alignment (cuda.h: 16 quad words, alignas(128)). */
    static final int TENSOR_MAP_BYTES = 128;
    private static final int TMA_BF16 = 9, TMA_INTERLEAVE_NONE = 0, TMA_SWIZZLE_64B = 2, TMA_SWIZZLE_128B = 3, TMA_L2_256B = 3, TMA_OOB_ZERO = 0;

    /**
     * Writes into {@code map} (128 bytes, 128-byte aligned) the TMA descriptor of a row-major bf16
     * matrix at device address {@code ptr}: {@code rows} rows of {@code cols} elements, rows
     * {@code rowStrideBytes} apart, copied in boxes of {@code boxRows} × {@code boxCols} with the
     * {@code swizzleBytes} swizzle (128 or 64; a box row must be that many bytes at most: boxCols
     * 64 or 32) and zeros outside the matrix.
     */
    static void encodeTensorMap(MemorySegment map, long ptr, long rows, long cols, long rowStrideBytes, int boxRows, int boxCols, int swizzleBytes) {
        int swizzle = switch (swizzleBytes) {
            case 128 -> TMA_SWIZZLE_128B;
            case 64 -> TMA_SWIZZLE_64B;
            default -> throw new IllegalArgumentException("tensor map: a " + swizzleBytes + "-byte swizzle (the kernels use 128 or 64)");
        };
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dims = a.allocate(JAVA_LONG, 2), strides = a.allocate(JAVA_LONG, 1);
            MemorySegment box = a.allocate(JAVA_INT, 2), elem = a.allocate(JAVA_INT, 2);
            dims.setAtIndex(JAVA_LONG, 0, cols);
            dims.setAtIndex(JAVA_LONG, 1, rows);
            strides.setAtIndex(JAVA_LONG, 0, rowStrideBytes);
            box.setAtIndex(JAVA_INT, 0, boxCols);
            box.setAtIndex(JAVA_INT, 1, boxRows);
            elem.setAtIndex(JAVA_INT, 0, 1);
            elem.setAtIndex(JAVA_INT, 1, 1);
            check((int) api().tensorMapEncodeTiled.invokeExact(map, TMA_BF16, 2, MemorySegment.ofAddress(ptr), dims, strides, box, elem,
                    TMA_INTERLEAVE_NONE, swizzle, TMA_L2_256B, TMA_OOB_ZERO), "cuTensorMapEncodeTiled");
        } catch (Throwable t) {
            throw wrap(t, "cuTensorMapEncodeTiled");
        }
    }

    // ------------------------------------------------------------------ memory
    // Every call names its stream. NULL is the legacy default stream, where the copies and the
    // memset use the synchronous entry points, as the backend always has (one stream for
    // everything). On a created stream (a thread's own queue, CudaContext.Lane) they are the Async
    // ones, ordered on that stream; a copy to or from Java heap memory (pageable to the driver)
    // returns only once the host memory is no longer needed: a host-to-device copy after its source
    // was staged, a device-to-host copy after it completed (the CUDA runtime's "API synchronization
    // behavior"), and copyToHost also waits for the stream, so that no pointer into the heap
    // outlives the call.

    /** Device memory for {@code bytes}, ordered on {@code stream}; a full device gives a {@link DeviceMemoryException}. */
    static long alloc(long bytes, MemorySegment stream) {
        int result;
        long ptr;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            result = (int) api().memAllocAsync.invokeExact(p, bytes, stream);
            ptr = p.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuMemAllocAsync");
        }
        if (result == CUDA_ERROR_OUT_OF_MEMORY) {
            long[] info = memInfo();
            throw new DeviceMemoryException("out of GPU memory: " + DeviceMemoryException.size(bytes) + " asked for, "
                    + DeviceMemoryException.size(info[0]) + " free of " + DeviceMemoryException.size(info[1]), bytes);
        }
        check(result, "cuMemAllocAsync(" + bytes + " bytes)");
        return ptr;
    }

    /** Frees, ordered after the work issued to {@code stream} so far (and only that work). */
    static void free(long ptr, MemorySegment stream) {
        try {
            check((int) api().memFreeAsync.invokeExact(ptr, stream), "cuMemFreeAsync");
        } catch (Throwable t) {
            throw wrap(t, "cuMemFreeAsync");
        }
    }

    static void copyToDevice(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            if (stream.address() == 0) check((int) api().memcpyHtoD.invokeExact(dst, src, bytes), "cuMemcpyHtoD");
            else check((int) api().memcpyHtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyHtoDAsync");
        } catch (Throwable t) {
            throw wrap(t, "cuMemcpyHtoD");
        }
    }

    static void copyToHost(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        try {
            if (stream.address() == 0) {
                check((int) api().memcpyDtoH.invokeExact(dst, src, bytes), "cuMemcpyDtoH");
            } else {
                check((int) api().memcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync");
                check((int) api().streamSynchronize.invokeExact(stream), "cuStreamSynchronize");
            }
        } catch (Throwable t) {
            throw wrap(t, "cuMemcpyDtoH");
        }
    }

    static void copyOnDevice(long dst, long src, long bytes, MemorySegment stream) {
        try {
            if (stream.address() == 0) check((int) api().memcpyDtoD.invokeExact(dst, src, bytes), "cuMemcpyDtoD");
            else check((int) api().memcpyDtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoDAsync");
        } catch (Throwable t) {
            throw wrap(t, "cuMemcpyDtoD");
        }
    }

    static void fill32(long dst, int bits, long count, MemorySegment stream) {
        try {
            if (stream.address() == 0) check((int) api().memsetD32.invokeExact(dst, bits, count), "cuMemsetD32");
            else check((int) api().memsetD32Async.invokeExact(dst, bits, count, stream), "cuMemsetD32Async");
        } catch (Throwable t) {
            throw wrap(t, "cuMemsetD32");
        }
    }

    // ------------------------------------------------------------------ streams

    /** A stream that does not synchronise implicitly with the legacy default stream. */
    static MemorySegment stream() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check((int) api().streamCreate.invokeExact(p, STREAM_NON_BLOCKING), "cuStreamCreate");
            return p.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuStreamCreate");
        }
    }

    /** Destroys a stream (work still queued on it completes first, asynchronously). */
    static void destroyStream(MemorySegment stream) {
        try {
            check((int) api().streamDestroy.invokeExact(stream), "cuStreamDestroy");
        } catch (Throwable t) {
            throw wrap(t, "cuStreamDestroy");
        }
    }

    /** Waits until everything issued to {@code stream} has completed. */
    static void synchronize(MemorySegment stream) {
        try {
            check((int) api().streamSynchronize.invokeExact(stream), "cuStreamSynchronize");
        } catch (Throwable t) {
            throw wrap(t, "cuStreamSynchronize");
        }
    }

    /** Work issued to {@code stream} after this call waits for the work {@code event} captured when it was last recorded. */
    static void waitEvent(MemorySegment stream, MemorySegment event) {
        try {
            check((int) api().streamWaitEvent.invokeExact(stream, event, 0), "cuStreamWaitEvent");
        } catch (Throwable t) {
            throw wrap(t, "cuStreamWaitEvent");
        }
    }

    // ------------------------------------------------------------------ events

    /** An event with timing (benchmarks, the kernel profile). */
    static MemorySegment event() {
        return event(0);
    }

    /** An event for ordering only, no timing. */
    static MemorySegment orderingEvent() {
        return event(EVENT_DISABLE_TIMING);
    }

    private static MemorySegment event(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check((int) api().eventCreate.invokeExact(p, flags), "cuEventCreate");
            return p.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuEventCreate");
        }
    }

    /** Captures the work issued to {@code stream} so far (NULL: the legacy default stream). */
    static void record(MemorySegment event, MemorySegment stream) {
        try {
            check((int) api().eventRecord.invokeExact(event, stream), "cuEventRecord");
        } catch (Throwable t) {
            throw wrap(t, "cuEventRecord");
        }
    }

    /** Milliseconds between two recorded events (waits for the second). */
    static float elapsedMs(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            check((int) api().eventSynchronize.invokeExact(end), "cuEventSynchronize");
            MemorySegment p = a.allocate(JAVA_FLOAT);
            check((int) api().eventElapsed.invokeExact(p, start, end), "cuEventElapsedTime");
            return p.get(JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw wrap(t, "cuEventElapsedTime");
        }
    }

    static void destroy(MemorySegment event) {
        try {
            check((int) api().eventDestroy.invokeExact(event), "cuEventDestroy");
        } catch (Throwable t) {
            throw wrap(t, "cuEventDestroy");
        }
    }
}
