package livetalk.kernels.opencl;

import static org.jocl.CL.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import livetalk.kernels.KernelException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/** An OpenCL device and the facts about it the backend needs. Discovery is here, nothing else. */
record ClDevice(cl_platform_id platform, cl_device_id id, String name, String platformName, String vendor,
                boolean gpu, long globalMemBytes, long localMemBytes, long maxWorkGroup, String extensions) {

    /** True for NVIDIA devices, the only ones on which inline PTX could ever be considered. */
    boolean nvidia() {
        return vendor.toUpperCase().contains("NVIDIA") || extensions.contains("cl_nv_");
    }

    /**
     * The device to use: the first GPU of any platform, else (unless {@code gpuOnly}) the first
     * device of any kind. Throws a {@link KernelException} naming the reason when there is none or
     * when the OpenCL native library cannot be loaded.
     */
    static ClDevice choose(boolean gpuOnly) {
        List<ClDevice> all = list();
        for (ClDevice d : all) {
            if (d.gpu) return d;
        }
        if (gpuOnly || all.isEmpty()) {
            throw new KernelException(all.isEmpty() ? "no OpenCL device found on any platform"
                    : "no OpenCL GPU found (devices: " + all.stream().map(ClDevice::name).toList() + ")");
        }
        return all.get(0);
    }

    /**
     * Every device of every platform, in platform order. The first OpenCL calls of the process are
     * made here: the JVM's signal handlers are read before them and put back after (the driver may
     * install its own when it loads; {@link JvmSignalHandlers}).
     */
    static List<ClDevice> list() {
        JvmSignalHandlers jvm = JvmSignalHandlers.jvm();
        try {
            return discover();
        } finally {
            jvm.restore();
        }
    }

    private static List<ClDevice> discover() {
        int[] n = new int[1];
        int status;
        try {
            status = clGetPlatformIDs(0, null, n);
        } catch (LinkageError e) {
            throw new KernelException("the OpenCL native library (JOCL or the ICD loader libOpenCL.so) cannot be loaded: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new KernelException("OpenCL is not usable: " + e.getMessage(), e);
        }
        if (status != CL_SUCCESS || n[0] == 0) {
            throw new KernelException("no OpenCL platform (clGetPlatformIDs: " + (status == CL_SUCCESS ? "0 platforms" : ClErrors.name(status))
                    + "); install a driver with an ICD, e.g. pocl-opencl-icd for the CPU");
        }
        cl_platform_id[] platforms = new cl_platform_id[n[0]];
        ClErrors.check(clGetPlatformIDs(platforms.length, platforms, null), "clGetPlatformIDs");
        List<ClDevice> out = new ArrayList<>();
        for (cl_platform_id p : platforms) {
            int[] nd = new int[1];
            if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, null, nd) != CL_SUCCESS || nd[0] == 0) continue;
            cl_device_id[] ds = new cl_device_id[nd[0]];
            ClErrors.check(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, ds.length, ds, null), "clGetDeviceIDs");
            String pname = platformString(p, CL_PLATFORM_NAME);
            for (cl_device_id d : ds) {
                long type = deviceLong(d, CL_DEVICE_TYPE);
                out.add(new ClDevice(p, d, deviceString(d, CL_DEVICE_NAME), pname, deviceString(d, CL_DEVICE_VENDOR),
                        (type & CL_DEVICE_TYPE_GPU) != 0, deviceLong(d, CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(d, CL_DEVICE_LOCAL_MEM_SIZE),
                        deviceSizeT(d, CL_DEVICE_MAX_WORK_GROUP_SIZE), deviceString(d, CL_DEVICE_EXTENSIONS)));
            }
        }
        return out;
    }

    private static String deviceString(cl_device_id d, int param) {
        long[] size = new long[1];
        ClErrors.check(clGetDeviceInfo(d, param, 0, null, size), "clGetDeviceInfo");
        byte[] b = new byte[(int) size[0]];
        ClErrors.check(clGetDeviceInfo(d, param, b.length, Pointer.to(b), null), "clGetDeviceInfo");
        return cString(b);
    }

    private static String platformString(cl_platform_id p, int param) {
        long[] size = new long[1];
        ClErrors.check(clGetPlatformInfo(p, param, 0, null, size), "clGetPlatformInfo");
        byte[] b = new byte[(int) size[0]];
        ClErrors.check(clGetPlatformInfo(p, param, b.length, Pointer.to(b), null), "clGetPlatformInfo");
        return cString(b);
    }

    private static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        ClErrors.check(clGetDeviceInfo(d, param, Sizeof.cl_ulong, Pointer.to(v), null), "clGetDeviceInfo");
        return v[0];
    }

    private static long deviceSizeT(cl_device_id d, int param) {
        long[] v = new long[1];
        ClErrors.check(clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null), "clGetDeviceInfo");
        return v[0];
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8).trim();
    }
}
