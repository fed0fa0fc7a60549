package livetalk.kernels;

import livetalk.kernels.cpu.CpuBackend;
import livetalk.kernels.opencl.OpenClBackend;

/** Creates a backend from its command-line name. */
public final class Backends {
    private Backends() {
    }

    /** {@code cpu}, {@code opencl} or {@code auto} (a GPU when one is present, else the CPU). */
    public static Backend create(String device) {
        return switch (device) {
            case "cpu" -> new CpuBackend();
            case "auto" -> OpenClBackend.gpuPresent() ? new OpenClBackend() : new CpuBackend();
            case "opencl" -> openCl();
            default -> throw new KernelException("unknown device '" + device + "' (expected cpu, opencl or auto)");
        };
    }

    /** True when an OpenCL platform with at least one device can be used (the native library loads). */
    public static boolean openClAvailable() {
        return OpenClBackend.unavailableReason() == null;
    }

    /** Why OpenCL cannot be used, or null when it can (for test skip messages). */
    public static String openClUnavailableReason() {
        return OpenClBackend.unavailableReason();
    }

    private static Backend openCl() {
        try {
            return new OpenClBackend();
        } catch (KernelException e) {
            throw new KernelException("--device opencl: " + e.getMessage(), e);
        } catch (LinkageError e) {
            throw new KernelException("--device opencl: the OpenCL native library cannot be loaded: " + e.getMessage(), e);
        }
    }
}
