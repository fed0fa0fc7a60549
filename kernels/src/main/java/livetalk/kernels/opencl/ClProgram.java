package livetalk.kernels.opencl;

import static org.jocl.CL.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import livetalk.kernels.KernelException;
import org.jocl.Pointer;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * The backend's kernels: the {@code .cl} resources of this package built once into one program
 * (drivers cache the binary: PoCL in the user's cache directory, NVIDIA in ~/.nv), and one
 * cl_kernel object per kernel function. Kernel objects hold their arguments, so a program belongs
 * to one backend; {@link ClLaunch} locks a kernel object while it sets its arguments and enqueues it.
 */
final class ClProgram implements AutoCloseable {
    /** common.cl first: the others use its helpers. */
    static final String[] SOURCES = {"common.cl", "gemm.cl", "attention.cl", "norms.cl", "elementwise.cl", "rope.cl", "vae.cl", "sampler.cl"};

    /** gemm.cl is included once per tile variant: kernel name, tile size TS, per-item tile WPT. */
    static final String[][] GEMM_VARIANTS = {{"linear", "64", "4"}, {"linear_t128", "128", "8"}};

    private final cl_program program;
    private final Map<String, cl_kernel> kernels = new HashMap<>();

    ClProgram(cl_context context, cl_device_id device, String options) {
        List<String> src = new ArrayList<>();
        for (String name : SOURCES) {
            if (name.equals("attention.cl")) {
                // Once for float32 k and v, once for bf16 k and v (kernel names with the suffix _bf16).
                for (int bf16 = 0; bf16 <= 1; bf16++) {
                    src.add("#define KV_BF16 " + bf16 + "\n" + withLine(name, resource(name)) + "#undef KV_BF16\n");
                }
                continue;
            }
            if (!name.equals("gemm.cl")) {
                src.add(withLine(name, resource(name)));
                continue;
            }
            for (String[] v : GEMM_VARIANTS) {
                src.add("#define GEMM_NAME " + v[0] + "\n#define TS " + v[1] + "\n#define WPT " + v[2] + "\n" + withLine(name, resource(name))
                        + "#undef GEMM_NAME\n#undef TS\n#undef WPT\n");
            }
        }
        int[] err = new int[1];
        program = clCreateProgramWithSource(context, src.size(), src.toArray(new String[0]), null, err);
        ClErrors.check(err[0], "clCreateProgramWithSource");
        int status = clBuildProgram(program, 1, new cl_device_id[]{device}, options, null, null);
        if (status != CL_SUCCESS) {
            String log = buildLog(device);
            clReleaseProgram(program);
            throw new KernelException("OpenCL kernel build failed: " + ClErrors.name(status) + " (" + status + ")\n" + log);
        }
    }

    /** The kernel object for a function of the program (created on first use, then reused). */
    synchronized cl_kernel kernel(String name) {
        return kernels.computeIfAbsent(name, n -> {
            int[] err = new int[1];
            cl_kernel k = clCreateKernel(program, n, err);
            ClErrors.check(err[0], "clCreateKernel(" + n + ")");
            return k;
        });
    }

    private String buildLog(cl_device_id device) {
        long[] size = new long[1];
        if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, size) != CL_SUCCESS) return "(no build log)";
        byte[] b = new byte[(int) size[0]];
        clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, b.length, Pointer.to(b), null);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    /** The #line directive makes the build log name the file and line of an error. */
    private static String withLine(String name, String text) {
        return "#line 1 \"" + name + "\"\n" + text + "\n";
    }

    static String resource(String name) {
        try (InputStream in = ClProgram.class.getResourceAsStream(name)) {
            if (in == null) throw new KernelException("OpenCL kernel source " + name + " missing from the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KernelException("cannot read OpenCL kernel source " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        for (cl_kernel k : kernels.values()) clReleaseKernel(k);
        kernels.clear();
        clReleaseProgram(program);
    }
}
