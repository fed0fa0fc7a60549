package livetalk.kernels;

/** An operation called with shapes or buffers that do not fit together, or a device failure. */
public class KernelException extends RuntimeException {
    public KernelException(String message) {
        super(message);
    }

    public KernelException(String message, Throwable cause) {
        super(message, cause);
    }
}
