package livetalk.kernels.cuda;

import java.util.Locale;

/**
 * Where a CUDA backend's device memory is, by what holds it: the bytes of its live allocations per
 * {@link Use} now and at the moment their total peaked, with what the driver says: the
 * stream-ordered pool's reserved and used bytes (now and their high watermarks, which include
 * memory the pool keeps after a free) and the device's free and total memory ({@code
 * cuMemGetInfo}, which also counts the context, the kernels' code and other processes).
 */
public record CudaMemoryReport(long[] live, long[] atPeak, long peak, long poolReserved, long poolReservedHigh, long poolUsed,
                               long poolUsedHigh, long deviceFree, long deviceTotal) {

    /** What an allocation holds. */
    public enum Use {
        /** Weights as the tensor cores read them: bf16 matrices. */
        WEIGHTS_BF16("weights, bf16 matrices"),
        /** Weights as float32 vectors: biases, norm gains, modulation. */
        WEIGHTS_F32("weights, float32 vectors"),
        /** Float32 buffers the model allocates: activations, workspaces, the VAE's causal history, the text K/V. */
        BUFFERS_F32("buffers, float32 (activations, workspaces, history)"),
        /** bf16 buffers: the KV cache (and the bf16 operand buffers when LIVETALK_CUDA_FUSE=1). */
        BUFFERS_BF16("buffers, bf16 (KV cache)"),
        /** The backend's per-thread scratch: GEMM operands rounded to bf16, padded clips, attention scores. */
        SCRATCH("per-thread scratch"),
        /** A weight's file bytes on their way to its device form (freed right after the conversion). */
        STAGING("upload staging");

        final String label;

        Use(String label) {
            this.label = label;
        }
    }

    public long live(Use u) {
        return live[u.ordinal()];
    }

    public long atPeak(Use u) {
        return atPeak[u.ordinal()];
    }

    public long liveTotal() {
        long s = 0;
        for (long b : live) s += b;
        return s;
    }

    /** A few lines for a benchmark's output: the peak by use, then the driver's figures. */
    public String format() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "GPU memory held by buffers and weights: %.2f GiB at the peak, %.2f GiB now%n", gib(peak), gib(liveTotal())));
        for (Use u : Use.values()) {
            s.append(String.format(Locale.ROOT, "  %-52s %7.3f GiB at the peak, %7.3f now%n", u.label, gib(atPeak(u)), gib(live(u))));
        }
        s.append(String.format(Locale.ROOT, "GPU memory pool: reserved %.2f GiB (high %.2f), in use %.2f GiB (high %.2f)%n", gib(poolReserved),
                gib(poolReservedHigh), gib(poolUsed), gib(poolUsedHigh)));
        s.append(String.format(Locale.ROOT, "GPU memory on the device (cuMemGetInfo): %.2f GiB used of %.2f GiB%n", gib(deviceTotal - deviceFree),
                gib(deviceTotal)));
        return s.toString();
    }

    static double gib(long bytes) {
        return bytes / (double) (1L << 30);
    }
}
