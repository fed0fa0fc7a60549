package livetalk.kernels;

import livetalk.kernels.cpu.CpuBackend;

/** Creates a backend from its command-line name. */
public final class Backends {
    private Backends() {
    }

    /** {@code cpu}, {@code opencl} or {@code auto} (a GPU when one is present, else the CPU). */
    public static Backend create(String device) {
        return switch (device) {
            case "cpu", "auto" -> new CpuBackend();
            case "opencl" -> throw new KernelException("--device opencl: the OpenCL backend is not available in this build yet");
            default -> throw new KernelException("unknown device '" + device + "' (expected cpu, opencl or auto)");
        };
    }
}
