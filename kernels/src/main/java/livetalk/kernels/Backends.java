package livetalk.kernels;

import livetalk.kernels.cpu.CpuBackend;
import livetalk.kernels.opencl.OpenClBackend;

/** Creates a backend from its command-line name. */
public final class Backends {
    private Backends() {
    }

    /**
     * The device names {@link #create} accepts, as a sentence: the one list that option help and
     * error messages quote, so a new backend is named in one place.
     */
    public static final String DEVICES = "cpu, opencl or auto";

    /** {@code cpu}, {@code opencl} or {@code auto} (a GPU when one is present, else the CPU), on all cores. */
    public static Backend create(String device) {
        return create(device, CpuBackend.allCores());
    }

    /**
     * As {@link #create(String)}; a CPU backend runs its kernels on {@code cpuThreads} threads. A GPU
     * backend runs its kernels on the device and has no use for the count.
     */
    public static Backend create(String device, int cpuThreads) {
        return switch (device) {
            case "cpu" -> new CpuBackend(cpuThreads);
            case "auto" -> OpenClBackend.gpuPresent() ? new OpenClBackend() : new CpuBackend(cpuThreads);
            case "opencl" -> openCl();
            default -> throw new KernelException("unknown device '" + device + "' (expected " + DEVICES + ")");
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
