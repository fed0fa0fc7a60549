package livetalk.kernels.opencl;

import static org.jocl.CL.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
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
 * to one backend and is used from one thread at a time.
 */
final class ClProgram implements AutoCloseable {
    /** common.cl first: the others use its helpers. */
    static final String[] SOURCES = {"common.cl", "gemm.cl", "attention.cl", "norms.cl", "elementwise.cl", "rope.cl", "vae.cl"};

    private final cl_program program;
    private final Map<String, cl_kernel> kernels = new HashMap<>();

    ClProgram(cl_context context, cl_device_id device, String options) {
        String[] src = new String[SOURCES.length];
        // The #line directives make the build log name the file and line of an error.
        for (int i = 0; i < src.length; i++) src[i] = "#line 1 \"" + SOURCES[i] + "\"\n" + resource(SOURCES[i]) + "\n";
        int[] err = new int[1];
        program = clCreateProgramWithSource(context, src.length, src, null, err);
        ClErrors.check(err[0], "clCreateProgramWithSource");
        int status = clBuildProgram(program, 1, new cl_device_id[]{device}, options, null, null);
        if (status != CL_SUCCESS) {
            String log = buildLog(device);
            clReleaseProgram(program);
            throw new KernelException("OpenCL kernel build failed: " + ClErrors.name(status) + " (" + status + ")\n" + log);
        }
    }

    /** The kernel object for a function of the program (created on first use, then reused). */
    cl_kernel kernel(String name) {
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

    static String resource(String name) {
        try (InputStream in = ClProgram.class.getResourceAsStream(name)) {
            if (in == null) throw new KernelException("OpenCL kernel source " + name + " missing from the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KernelException("cannot read OpenCL kernel source " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        for (cl_kernel k : kernels.values()) clReleaseKernel(k);
        kernels.clear();
        clReleaseProgram(program);
    }
}
