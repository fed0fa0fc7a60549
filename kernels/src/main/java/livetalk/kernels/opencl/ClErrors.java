package livetalk.kernels.opencl;

import livetalk.kernels.KernelException;
import org.jocl.CL;

/** Turns OpenCL status codes into {@link KernelException}s that name the call and the error. */
final class ClErrors {
    private ClErrors() {
    }

    /** Throws unless {@code status} is CL_SUCCESS. */
    static void check(int status, String call) {
        if (status != CL.CL_SUCCESS) {
            throw new KernelException("OpenCL " + call + " failed: " + name(status) + " (" + status + ")");
        }
    }

    /** The symbolic name of a status code, e.g. CL_OUT_OF_RESOURCES. */
    static String name(int status) {
        try {
            return CL.stringFor_errorCode(status);
        } catch (RuntimeException e) {
            return "OpenCL error";
        }
    }
}
