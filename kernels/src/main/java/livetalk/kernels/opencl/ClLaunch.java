package livetalk.kernels.opencl;

import static org.jocl.CL.*;

import java.util.ArrayList;
import java.util.List;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;

/**
 * Collects a kernel's arguments in order, then sets them and enqueues the kernel in one step:
 * {@code launch.arg(buf).arg(n).run1d(n, 256)}. A cl_kernel holds its arguments, so setting them
 * and enqueueing happen under the kernel object's lock: ops may be called from several threads
 * (the streaming pipeline decodes on a second thread), and OpenCL's other calls are thread-safe.
 */
final class ClLaunch {
    private final cl_command_queue queue;
    private final cl_kernel kernel;
    private final String name;
    private final List<Long> sizes = new ArrayList<>();
    private final List<Pointer> values = new ArrayList<>();

    ClLaunch(cl_command_queue queue, cl_kernel kernel, String name) {
        this.queue = queue;
        this.kernel = kernel;
        this.name = name;
    }

    /** A buffer as two arguments: its cl_mem and its element offset (a long). */
    ClLaunch arg(ClBuf b) {
        return mem(b.mem.mem).arg(b.off);
    }

    ClLaunch mem(cl_mem m) {
        return set(Sizeof.cl_mem, Pointer.to(m));
    }

    ClLaunch arg(int v) {
        return set(Sizeof.cl_int, Pointer.to(new int[]{v}));
    }

    ClLaunch arg(long v) {
        return set(Sizeof.cl_long, Pointer.to(new long[]{v}));
    }

    ClLaunch arg(float v) {
        return set(Sizeof.cl_float, Pointer.to(new float[]{v}));
    }

    ClLaunch arg(double v) {
        return set(Sizeof.cl_double, Pointer.to(new double[]{v}));
    }

    ClLaunch arg(boolean v) {
        return arg(v ? 1 : 0);
    }

    /** A local-memory argument of {@code floats} floats. */
    ClLaunch local(long floats) {
        return set(floats * Sizeof.cl_float, null);
    }

    private ClLaunch set(long size, Pointer p) {
        sizes.add(size);
        values.add(p);
        return this;
    }

    /** One item per element of {@code n}, in groups of {@code local}. */
    void run1d(long n, long local) {
        run(new long[]{roundUp(n, local)}, new long[]{local});
    }

    void run(long[] global, long[] local) {
        synchronized (kernel) {
            for (int i = 0; i < sizes.size(); i++) {
                ClErrors.check(clSetKernelArg(kernel, i, sizes.get(i), values.get(i)), "clSetKernelArg(" + name + ", " + i + ")");
            }
            ClErrors.check(clEnqueueNDRangeKernel(queue, kernel, global.length, null, global, local, 0, null, null),
                    "clEnqueueNDRangeKernel(" + name + ")");
        }
        JvmSignalHandlers.jvm().restoreIfSegvChanged(); // a kernel's first launch may compile it (PoCL does)
    }

    static long roundUp(long n, long m) {
        return (n + m - 1) / m * m;
    }
}
