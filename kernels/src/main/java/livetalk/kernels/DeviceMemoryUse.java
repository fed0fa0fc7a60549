package livetalk.kernels;

/**
 * A device's memory as a backend sees it: what its buffers and weights hold, what the device has
 * free (−1 where the device does not say, as OpenCL's), and the device's size, in bytes.
 */
public record DeviceMemoryUse(long heldBytes, long freeBytes, long totalBytes) {
}
