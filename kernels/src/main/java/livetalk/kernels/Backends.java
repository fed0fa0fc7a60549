package livetalk.kernels;

import livetalk.kernels.cpu.CpuBackend;
import livetalk.kernels.cuda.CudaBackend;
import livetalk.kernels.opencl.OpenClBackend;

/** Creates a backend from its command-line name. */
public final class Backends {
    private Backends() {
    }

    /**
     * The device names {@link #create} accepts, as a sentence: the one list that option help and
     * error messages quote, so a new backend is named in one place.
     */
    public static final String NAMES = "cpu, opencl, cuda or auto";

    /**
     * {@code cpu}, {@code opencl}, {@code cuda} or {@code auto}: CUDA when an NVIDIA GPU can be
     * used, else an OpenCL GPU, else the CPU (saying on stderr why a GPU was passed over).
     */
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
            case "auto" -> auto(cpuThreads);
            case "opencl" -> openCl();
            case "cuda" -> cuda();
            default -> throw new KernelException("unknown device '" + device + "' (expected " + NAMES + ")");
        };
    }

    private static Backend auto(int cpuThreads) {
        String why = CudaBackend.unavailableReason();
        if (why == null) {
            try {
                return new CudaBackend();
            } catch (KernelException e) {
                why = e.getMessage();
            }
        }
        boolean nvidiaDriver = !why.startsWith("no NVIDIA driver");
        if (OpenClBackend.gpuPresent()) {
            if (nvidiaDriver) System.err.println("livetalk: CUDA not used (" + why + "); using OpenCL");
            return new OpenClBackend();
        }
        if (nvidiaDriver) System.err.println("livetalk: CUDA not used (" + why + "); using the CPU");
        return new CpuBackend(cpuThreads);
    }

    private static Backend cuda() {
        try {
            return new CudaBackend();
        } catch (KernelException e) {
            throw new KernelException("--device cuda: " + e.getMessage(), e);
        } catch (LinkageError e) {
            throw new KernelException("--device cuda: the NVIDIA driver cannot be used: " + e.getMessage(), e);
        }
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
