package livetalk.cli.bench;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import livetalk.kernels.Backend;
import livetalk.kernels.Conv3dSpec;
import livetalk.kernels.Weight;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.kernels.cuda.CudaBackend;

/**
 * Wall time per backend op, for the CPU's {@code bench-dit --profile} and {@code bench-vae
 * --profile}: {@link #wrap} puts a proxy in front of a backend that times every call by the op's
 * name while {@link #start started}. Right only for a backend whose ops finish before they return
 * (the CPU's; a GPU's return at launch, and the CUDA backend has its own event profile). A call
 * made inside another op (a default method calling another op of the wrapped backend) is not seen:
 * each op's time is counted once. The products ({@code linear}, {@code linearGelu},
 * {@code linearResidual}: 2·rows·N·K), the attention (4·nq·nk·heads·headDim) and the VAE's
 * convolutions (2·cin·taps per output element, taps on zero padding in time left out) also count
 * their FLOPs from the call's arguments (docs/model.md#flops), so the table gives their rate where
 * the model runs them.
 *
 * <p>Why a profile of its own next to JFR: a sampler says which methods run, this says what each op
 * of the forward costs as the model calls it, in the forward's own conditions (cold weights, the
 * KV cache, other ops' data in the caches), to set beside {@code bench}'s kernels timed alone.
 */
public final class OpTimes {
    private final Map<String, double[]> byOp = new LinkedHashMap<>();   // op name -> {calls, nanoseconds, FLOPs}
    private volatile boolean on;

    /**
     * The op timer for a benchmark's {@code --profile} on {@code be}: one for the CPU backend, null
     * elsewhere (the CUDA backend profiles itself with events; another backend's ops return before
     * they finish, so it gets a note on stderr and no profile).
     */
    public static OpTimes forProfile(boolean profile, Backend be) {
        if (!profile) return null;
        if (be instanceof CpuBackend) return new OpTimes();
        if (!(be instanceof CudaBackend)) System.err.println("note: --profile times the CPU and CUDA backends only, not " + be.name());
        return null;
    }

    /** A backend that runs every op on {@code inner} and records its time while started. */
    public Backend wrap(Backend inner) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy, method, args) -> {
            long t0 = System.nanoTime();
            try {
                return method.invoke(inner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                if (on) record(method.getName(), System.nanoTime() - t0, flops(method.getName(), args));
            }
        });
    }

    /** Forgets what was recorded and records from now on. */
    public synchronized void start() {
        byOp.clear();
        on = true;
    }

    public void stop() {
        on = false;
    }

    private synchronized void record(String op, long nanos, double flops) {
        double[] a = byOp.computeIfAbsent(op, k -> new double[3]);
        a[0]++;
        a[1] += nanos;
        a[2] += flops;
    }

    /** The FLOPs of one call of a product, the attention or a convolution; 0 for every other op. */
    static double flops(String op, Object[] args) {
        return switch (op) {
            case "linear", "linearGelu", "linearResidual" -> {
                long[] shape = ((Weight) args[3]).shape();           // [N, K]
                yield 2.0 * (int) args[2] * shape[0] * shape[1];
            }
            case "attention" -> 4.0 * (int) args[4] * (int) args[5] * (int) args[6] * (int) args[7];
            // the convolutions: (history frames, frames, h, w, spec) at each op's own positions
            case "conv3d" -> convFlops((int) args[1], (int) args[3], (int) args[4], (int) args[5], (Conv3dSpec) args[7]);
            case "conv3dResidual" -> convFlops((int) args[1], (int) args[3], (int) args[4], (int) args[5], (Conv3dSpec) args[8]);
            case "conv3dNormSilu" -> convFlops((int) args[1], (int) args[4], (int) args[5], (int) args[6], (Conv3dSpec) args[12]);
            case "conv3dUpsample2x" -> convFlops(0, (int) args[1], 2 * (int) args[2], 2 * (int) args[3], (Conv3dSpec) args[6]);
            default -> 0;
        };
    }

    /**
     * 2·cin·kh·kw FLOPs per output element and time tap that reads a real frame (history or input):
     * taps on a causal convolution's front padding multiply zeros, which no kernel needs to do (the
     * CPU's skips them), so they are not counted. The VAE's temporal upsample runs its time
     * convolution on padding alone for two of three taps.
     */
    static double convFlops(int histFrames, int frames, int h, int w, Conv3dSpec s) {
        int in = histFrames + frames, outFrames = s.outFrames(in);
        long taps = 0;                                            // (output frame, time tap) pairs on real frames
        for (int t = 0; t < outFrames; t++) {
            for (int dt = 0; dt < s.kt(); dt++) {
                int tau = t * s.st() + dt - s.padFront();
                if (tau >= 0 && tau < in) taps++;
            }
        }
        return 2.0 * taps * s.outH(h) * s.outW(w) * s.cout() * s.cin() * s.kh() * s.kw();
    }

    /** Every op recorded, the longest first. */
    public synchronized List<Entry> entries() {
        List<Entry> list = new ArrayList<>();
        byOp.forEach((op, a) -> list.add(new Entry(op, (long) a[0], a[1] / 1e9, a[2])));
        list.sort((x, y) -> Double.compare(y.seconds(), x.seconds()));
        return list;
    }

    /** One op's calls, total wall time and FLOPs (0 where they are not counted). */
    public record Entry(String op, long calls, double seconds, double flops) {
    }

    /**
     * The table: one line per op, the longest first, with its share of {@code totalSeconds}; the
     * products, the attention and the convolutions also get GFLOP/s and, when {@code peak} is a
     * number, the fraction of it. Then the time spent outside every op (the model's own Java code),
     * and the FLOPs counted in all ops over the whole span: the work the kernels had to do, zero
     * taps left out.
     */
    public String report(double totalSeconds, double peak) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "  %-26s %7s %11s %7s %9s %8s%n", "op", "calls", "total ms", "share", "GFLOP/s", "of peak"));
        double inOps = 0, counted = 0;
        for (Entry e : entries()) {
            inOps += e.seconds();
            counted += e.flops();
            String rate = "", ofPeak = "";
            if (e.flops() > 0 && e.seconds() > 0) {
                double g = e.flops() / e.seconds() / 1e9;
                rate = String.format(Locale.ROOT, "%.1f", g);
                if (!Double.isNaN(peak)) ofPeak = String.format(Locale.ROOT, "%.0f %%", 100 * g / peak);
            }
            sb.append(String.format(Locale.ROOT, "  %-26s %7d %11.1f %6.1f%% %9s %8s%n", e.op(), e.calls(), e.seconds() * 1e3,
                    100 * e.seconds() / totalSeconds, rate, ofPeak));
        }
        double rest = totalSeconds - inOps;
        sb.append(String.format(Locale.ROOT, "  %-26s %7s %11.1f %6.1f%%%n", "(outside the ops)", "", rest * 1e3, 100 * rest / totalSeconds));
        if (counted > 0) {
            double g = counted / totalSeconds / 1e9;
            sb.append(String.format(Locale.ROOT, "  FLOPs counted in these ops: %.3f TFLOP, %.1f GFLOP/s over the whole span%s%n", counted / 1e12, g,
                    Double.isNaN(peak) ? "" : String.format(Locale.ROOT, ", %.0f %% of the peak", 100 * g / peak)));
        }
        return sb.toString();
    }
}
