package livetalk.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;
import livetalk.kernels.cuda.CudaBackend;
import livetalk.kernels.cuda.FlashKernel;
import livetalk.kernels.cuda.GemmKernel;
import livetalk.kernels.cuda.TmaTileSchedule;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code livetalk bench-gpu}: the CUDA kernels at DiT shapes, timed with GPU events on random data
 * after warm-ups, two ways: each run alone between two events, waited for before the next (the
 * median; this includes the host's time to issue the launch, as the GPU sits idle until it
 * arrives: the figure of runs 1-9), and the repeats queued back to back between two events (the
 * mean: the kernel's own time when the host keeps ahead, as in a forward), from which the TFLOP/s
 * and the fraction of the card's dense bf16 peak are computed; beside them, the host's time to
 * issue one run. A queued time close to the host's says the host, not the kernel, set the pace. FLOPs: linear 2·M·N·K, attention 4·nq·nk·heads·headDim. The linear figures include
 * rounding the float32 input to bf16, as a forward pays it. Each linear runs on every GEMM kernel
 * the device has (mma.sync everywhere, the wgmma ones on compute capability 9.0); each wgmma
 * result is also compared with the mma.sync one (a "check" line; exit 1 when they differ by more
 * than 1e-4 of the largest output: both round the same operands to bf16 and sum in float32, so only
 * the order of the sums differs). Last, the wgmma flash attention (compute capability 9.0 only) is
 * timed at the same attention shapes and checked against the mma.sync one ({@link #flashOnWgmma}).
 */
@Command(name = "bench-gpu", mixinStandardHelpOptions = true,
        description = "Time the CUDA kernels at DiT shapes (TFLOP/s, fraction of the bf16 peak).")
final class BenchGpuCommand implements Callable<Integer> {
    @Option(names = "--repeat", defaultValue = "20", description = "timed runs per case after 3 warm-ups (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--peak-tflops", defaultValue = "790",
            description = "the card's dense bf16 peak for the fraction column (default: ${DEFAULT-VALUE}, measured on H100/H200 by an 8192³ product)")
    double peak;

    @Override
    public Integer call() {
        if (repeat < 1) throw new InputException("--repeat must be at least 1, got " + repeat);
        try (CudaBackend be = new CudaBackend()) {
            System.out.println("bench-gpu: " + be.deviceDescription());
            SplittableRandom rnd = new SplittableRandom(7);
            System.out.printf("%-" + NAME + "s  alone ms queued ms   TFLOP/s   of peak   host us%n", "case");
            int n = 3072;
            int[][] linears = {{1536, 1536}, {1536, 8960}, {8960, 1536}};
            List<LinearCase> cases = new ArrayList<>();
            for (int[] s : linears) {
                int in = s[0], out = s[1];
                Buf x = be.upload(random(rnd, n * in));
                Buf y = be.alloc((long) n * out);
                Weight w = be.weight(Tensor.wrap(random(rnd, out * in), out, in).to(DType.BF16));
                Weight b = be.weight(Tensor.wrap(random(rnd, out), out));
                cases.add(new LinearCase(String.format(Locale.ROOT, "linear %dx%d -> %d (+bias)", n, in, out), y,
                        () -> be.linear(x, y, n, w, b), 2.0 * n * in * out));
                if (out == 8960) {
                    cases.add(new LinearCase(String.format(Locale.ROOT, "linear %dx%d -> %d + GELU epilogue", n, in, out), y,
                            () -> be.linearGelu(x, y, n, w, b), 2.0 * n * in * out));
                }
            }
            // each row names its kernel: the TMA GEMM's schedule and the attention's key split are set
            // where a row asks for them, not taken from the device's defaults
            be.useGemmSchedule(TmaTileSchedule.TILES);
            be.useFlashSplits(1);
            // mma.sync first, and attention, so that a fault of the newer wgmma kernels (which poisons
            // the CUDA context) cannot cost these rows
            be.useGemm(GemmKernel.MMA_SYNC);
            for (LinearCase c : cases) row(c.name, time(be, c.op), c.flop);
            String noWgmma = be.wgmmaUnavailableReason();
            List<float[]> reference = new ArrayList<>();
            if (noWgmma == null) {
                for (LinearCase c : cases) reference.add(result(be, c));
            }
            int heads = 12, hd = 128, d = heads * hd;
            be.useFlash(FlashKernel.MMA_SYNC);   // these rows time the mma.sync kernels, whatever the device's default
            for (int nk : new int[]{15360, 9216, 3072, 512}) {
                Buf q = be.upload(random(rnd, n * d)), k = be.upload(random(rnd, nk * d)), v = be.upload(random(rnd, nk * d));
                Buf o = be.alloc((long) n * d);
                float scale = (float) (1 / Math.sqrt(hd));
                for (int warps : new int[]{4, 8}) {
                    be.useFlashWarps(warps);
                    Timing ms = time(be, () -> be.attention(q, k, v, o, n, nk, heads, hd, scale, null));
                    row(String.format(Locale.ROOT, "attention %d q x %d k, %d heads, d %d, %d warps", n, nk, heads, hd, warps), ms,
                            4.0 * n * nk * heads * hd);
                }
            }
            conversions(be, rnd);
            boolean mismatch = false;
            if (noWgmma != null) {
                System.out.println("linear on wgmma: skipped: " + noWgmma);
            } else {
                mismatch |= !gemmRows(be, new GemmKernel[]{GemmKernel.WGMMA_N128, GemmKernel.WGMMA_N256, GemmKernel.WGMMA}, cases, reference);
            }
            mismatch |= !flashOnWgmma(be, rnd, n, heads, hd);
            // the TMA GEMM last of all: the newest kernel, whose fault would poison the context
            if (noWgmma == null) {
                mismatch |= !gemmRows(be, new GemmKernel[]{GemmKernel.TMA_N128, GemmKernel.TMA_N256, GemmKernel.TMA}, cases, reference);
                // after run 9: the 96-wide tiles and the rule by waves (the default since run 10), last
                mismatch |= !gemmRows(be, new GemmKernel[]{GemmKernel.TMA_N96, GemmKernel.TMA_WAVES}, cases, reference);
                // the persistent kernels (the default since run 10) and the ping-pong ones (LIVETALK_CUDA_GEMM_PERSISTENT), beside the rows above
                for (TmaTileSchedule schedule : new TmaTileSchedule[]{TmaTileSchedule.PERSISTENT, TmaTileSchedule.PINGPONG}) {
                    be.useGemmSchedule(schedule);
                    try {
                        mismatch |= !gemmRows(be, schedule == TmaTileSchedule.PINGPONG
                                ? new GemmKernel[]{GemmKernel.TMA_N128, GemmKernel.TMA_N96, GemmKernel.TMA_WAVES}
                                : new GemmKernel[]{GemmKernel.TMA_N128, GemmKernel.TMA_N256, GemmKernel.TMA_N96, GemmKernel.TMA_WAVES}, cases, reference);
                    } finally {
                        be.useGemmSchedule(TmaTileSchedule.TILES);
                    }
                }
            }
            mismatch |= !flashOnTma(be, rnd, n, heads, hd);
            mismatch |= !flashSplit(be, rnd, n, heads, hd);
            mismatch |= !flashPingPong(be, rnd, n, heads, hd);
            mismatch |= !flashFastExp(be, rnd, n, heads, hd);
            return mismatch ? 1 : 0;
        }
    }

    /**
     * float32 → bf16 ({@code toBf16}, one launch of {@code f32_to_bf16_rows} over the buffer as one
     * row) at the sizes the VAE converts per latent frame (docs/cuda-performance.md, what comes
     * next: run 11's profile gave 6 such launches 213 µs each, 30 times a streaming pass's time,
     * unexplained) and at a DiT activation's, in GB/s of 6 bytes an element (a read of 4, a write
     * of 2) and as a fraction of {@link #HBM_GBPS}. Alone at the VAE's sizes near the DiT's rate: the
     * VAE's figure came from its context, not from the kernel.
     */
    private void conversions(CudaBackend be, SplittableRandom rnd) {
        for (int n : new int[]{1_572_864, 4_718_592, 12_582_912}) {   // the VAE attention's q, a DiT activation, the upsampler's cached frames
            Buf x = be.upload(random(rnd, n));
            Buf y = be.alloc(n, DType.BF16);
            Timing t = time(be, () -> be.toBf16(x, y));
            double gbps = 6.0 * n / (t.queuedMs * 1e-3) / 1e9;
            System.out.printf(Locale.ROOT, "%-" + NAME + "s %9.3f %9.3f %7.0f GB/s %6.1f%% %9.1f%n",
                    String.format(Locale.ROOT, "convert %d floats to bf16 (one row)", n), t.aloneMs, t.queuedMs, gbps, 100 * gbps / HBM_GBPS, t.hostUs);
            be.free(x);
            be.free(y);
        }
    }

    /** The H100/H200's memory bandwidth as its makers state it, for the conversions' fraction: 4.8 TB/s (H200; the H100 SXM's is 3.35). */
    private static final double HBM_GBPS = 4800;

    /** Times each case on each kernel and checks its result against mma.sync's; false on a mismatch. */
    private boolean gemmRows(CudaBackend be, GemmKernel[] kernels, List<LinearCase> cases, List<float[]> reference) {
        boolean ok = true;
        for (GemmKernel g : kernels) {
            be.useGemm(g);
            for (int i = 0; i < cases.size(); i++) {
                LinearCase c = cases.get(i);
                String kernel = g + (be.gemmSchedule() == TmaTileSchedule.TILES ? "" : " " + be.gemmSchedule().name().toLowerCase(Locale.ROOT));
                row(c.name + ", " + kernel, time(be, c.op), c.flop);
                double diff = relMaxDiff(reference.get(i), result(be, c));
                boolean same = diff <= 1e-4;
                ok &= same;
                System.out.printf(Locale.ROOT, "check %s vs mma_sync, %s: max|diff|/max|ref| = %.1e %s%n", kernel, c.name, diff,
                        same ? "OK" : "MISMATCH");
            }
        }
        be.useGemm(GemmKernel.MMA_SYNC);
        return ok;
    }

    /**
     * The wgmma flash attention (attention_sm90.cu), last of all: timed at the DiT shapes beside
     * the mma.sync rows above, and each result checked against the 8-warp mma.sync kernel's on the
     * same inputs. Both round q, k, v and the softmax weights P to bf16 and keep everything else in
     * float32; they differ in the order of the float sums and in when P is rounded (each within
     * 2^-9·max|v| of exact attention), so an output may differ by up to 2^-8·max|v|; over the whole
     * output the rounding differences are random and average out (expected rel_l2 at most about
     * 2e-3, docs/cuda-performance.md): a rel_l2 above 2^-7 means a wrong kernel, e.g. one that drops a key tile.
     * Returns false on a mismatch.
     */
    private boolean flashOnWgmma(CudaBackend be, SplittableRandom rnd, int n, int heads, int hd) {
        String why = be.flashWgmmaUnavailableReason();
        if (why != null) {
            System.out.println("attention on wgmma: skipped: " + why);
            return true;
        }
        boolean ok = true;
        for (int nk : new int[]{15360, 9216, 3072, 512}) {
            be.useFlashWarps(8);
            String name = String.format(Locale.ROOT, "attention %d q x %d k, %d heads, d %d, wgmma", n, nk, heads, hd);
            float[][] out = flashAgainst(be, rnd, n, nk, heads, hd, FlashKernel.MMA_SYNC, FlashKernel.WGMMA, name);
            ok &= closeEnough("flash wgmma vs mma_sync", name, out[0], out[1]);
        }
        return ok;
    }

    /**
     * The TMA flash attention (flash_attn_d128_tma), after everything else: timed at the DiT shapes
     * and checked against the wgmma kernel's output on the same inputs, which it must equal bit for
     * bit (the same wgmma sequence and float code; only the loads differ). False on a mismatch.
     */
    private boolean flashOnTma(CudaBackend be, SplittableRandom rnd, int n, int heads, int hd) {
        return flashSameBits(be, rnd, n, heads, hd, FlashKernel.WGMMA, FlashKernel.TMA, "tma", "wgmma");
    }

    /**
     * The TMA flash attention with its computing warpgroups in ping-pong (LIVETALK_CUDA_ATTN=tma_pingpong;
     * written without a GPU on 2026-11-28), last of all: timed at the DiT shapes beside the TMA rows
     * above, and checked against the TMA kernel's output, which it must equal bit for bit (only the
     * order in which the warpgroups issue their products differs). False on a mismatch.
     */
    private boolean flashPingPong(CudaBackend be, SplittableRandom rnd, int n, int heads, int hd) {
        return flashSameBits(be, rnd, n, heads, hd, FlashKernel.TMA, FlashKernel.TMA_PINGPONG, "tma ping-pong", "tma");
    }

    /**
     * The ping-pong attention with the short softmax (LIVETALK_CUDA_ATTN=tma_pingpong_fastexp; written
     * without a GPU on 2026-11-29), last of all: timed at the DiT shapes unsplit and with the keys in
     * the rule's ranges, beside the rows above, and checked against the ping-pong kernel on the same
     * inputs with flashOnWgmma's bounds (its exponents round otherwise). False on a mismatch.
     */
    private boolean flashFastExp(CudaBackend be, SplittableRandom rnd, int n, int heads, int hd) {
        if (be.flashWgmmaUnavailableReason() != null) return true;
        boolean ok = true;
        for (int nk : new int[]{15360, 9216, 3072, 512}) {
            String name = String.format(Locale.ROOT, "attention %d q x %d k, %d heads, d %d, tma ping-pong fastexp", n, nk, heads, hd);
            float[][] out = flashAgainst(be, rnd, n, nk, heads, hd, FlashKernel.TMA_PINGPONG, FlashKernel.TMA_PINGPONG_FASTEXP, name);
            ok &= closeEnough("flash fastexp vs tma ping-pong", name, out[0], out[1]);
        }
        for (int nk : new int[]{15360, 9216}) {
            ok &= splitAgainst(be, rnd, n, nk, heads, hd, FlashKernel.TMA_PINGPONG, FlashKernel.TMA_PINGPONG_FASTEXP, "tma ping-pong fastexp",
                    "flash fastexp split vs tma ping-pong");
        }
        return ok;
    }

    /**
     * {@code kernel} timed at the DiT shapes (rows named "…, LABEL") and held against
     * {@code reference}'s output bit for bit: one "check flash LABEL vs REFERENCE_LABEL" line per
     * key count. Skipped where the wgmma kernels cannot run. False on a mismatch.
     */
    private boolean flashSameBits(CudaBackend be, SplittableRandom rnd, int n, int heads, int hd, FlashKernel reference, FlashKernel kernel,
                                  String label, String referenceLabel) {
        if (be.flashWgmmaUnavailableReason() != null) return true;
        boolean ok = true;
        for (int nk : new int[]{15360, 9216, 3072, 512}) {
            String name = String.format(Locale.ROOT, "attention %d q x %d k, %d heads, d %d, %s", n, nk, heads, hd, label);
            float[][] out = flashAgainst(be, rnd, n, nk, heads, hd, reference, kernel, name);
            int differ = 0;
            for (int i = 0; i < out[1].length; i++) if (Float.floatToRawIntBits(out[1][i]) != Float.floatToRawIntBits(out[0][i])) differ++;
            ok &= differ == 0;
            System.out.printf(Locale.ROOT, "check flash %s vs %s, %s: %d of %d outputs differ %s%n", label, referenceLabel, name, differ,
                    out[1].length, differ == 0 ? "OK (same bits)" : "MISMATCH");
        }
        return ok;
    }

    /**
     * The split-key TMA flash attention (LIVETALK_CUDA_ATTN_SPLIT; {@code auto} the default since run 10),
     * last: timed with the keys in the ranges the rule picks, and checked against the unsplit TMA
     * kernel on the same inputs with flashOnWgmma's bounds (each range rounds P against its own
     * maximum: the same 2^-9 per weight, other roundings). False on a mismatch.
     */
    private boolean flashSplit(CudaBackend be, SplittableRandom rnd, int n, int heads, int hd) {
        if (be.flashWgmmaUnavailableReason() != null) return true;
        boolean ok = true;
        for (int nk : new int[]{15360, 9216, 4096}) {
            ok &= splitAgainst(be, rnd, n, nk, heads, hd, FlashKernel.TMA, FlashKernel.TMA, "tma", "flash tma split vs tma");
        }
        return ok;
    }

    /**
     * {@code kernel} with the keys in the ranges the split rule picks, timed as row "…, LABEL in SPLITS",
     * against {@code reference} unsplit on the same inputs with the flash bounds ({@link #closeEnough}).
     */
    private boolean splitAgainst(CudaBackend be, SplittableRandom rnd, int n, int nk, int heads, int hd, FlashKernel reference, FlashKernel kernel,
                                 String label, String check) {
        be.useFlashSplits(0);
        int splits = be.flashSplitsAt(n, nk, heads);
        String name = String.format(Locale.ROOT, "attention %d q x %d k, %d heads, d %d, %s in %d", n, nk, heads, hd, label, splits);
        float[][] out;
        try {
            out = flashAgainst(be, rnd, n, nk, heads, hd, reference, kernel, name, true);
        } finally {
            be.useFlashSplits(1);
        }
        return closeEnough(check, name, out[0], out[1]);
    }

    /**
     * Two flash kernels' outputs on the same inputs: max|diff| within 2^-8 (max|v| = 1: uniform(-1, 1)
     * values) and rel_l2 within 2^-7 (see {@link #flashOnWgmma}); prints the check line.
     */
    private static boolean closeEnough(String what, String name, float[] reference, float[] got) {
        double maxDiff = 0, num = 0, den = 0;
        for (int i = 0; i < got.length; i++) {
            double diff = Math.abs((double) got[i] - reference[i]);
            if (!(diff <= maxDiff)) maxDiff = Float.isNaN(got[i]) || Float.isNaN(reference[i]) ? Double.POSITIVE_INFINITY : diff;
            num += diff * diff;
            den += (double) reference[i] * reference[i];
        }
        double relL2 = Math.sqrt(num / Math.max(den, 1e-30)), bound = Math.scalb(1.0, -8);
        boolean good = maxDiff <= bound && relL2 <= Math.scalb(1.0, -7);
        System.out.printf(Locale.ROOT, "check %s, %s: max|diff| = %.1e (bound %.1e), rel_l2 = %.1e (bound %.1e) %s%n", what, name, maxDiff, bound,
                relL2, Math.scalb(1.0, -7), good ? "OK" : "MISMATCH");
        return good;
    }

    /**
     * Attention of n random queries over nk random keys on {@code reference} and then on
     * {@code kernel}, which is timed as row {@code name}: both outputs, {reference, kernel}. Leaves
     * the backend on mma.sync.
     */
    private float[][] flashAgainst(CudaBackend be, SplittableRandom rnd, int n, int nk, int heads, int hd, FlashKernel reference,
                                   FlashKernel kernel, String name) {
        return flashAgainst(be, rnd, n, nk, heads, hd, reference, kernel, name, false);
    }

    /** As above; with {@code splitKernel} the reference runs unsplit and the kernel with the split the backend is set to. */
    private float[][] flashAgainst(CudaBackend be, SplittableRandom rnd, int n, int nk, int heads, int hd, FlashKernel reference,
                                   FlashKernel kernel, String name, boolean splitKernel) {
        int d = heads * hd;
        float scale = (float) (1 / Math.sqrt(hd));
        Buf q = be.upload(random(rnd, n * d)), k = be.upload(random(rnd, nk * d)), v = be.upload(random(rnd, nk * d));
        Buf o = be.alloc((long) n * d);
        Runnable op = () -> be.attention(q, k, v, o, n, nk, heads, hd, scale, null);
        float[][] out = new float[2][];
        int split = be.flashSplitSetting();
        if (splitKernel) be.useFlashSplits(1);
        be.useFlash(reference);
        be.fill(o, Float.NaN);
        op.run();
        out[0] = be.read(o);
        be.useFlashSplits(split);
        be.useFlash(kernel);
        row(name, time(be, op), 4.0 * n * nk * heads * hd);
        be.fill(o, Float.NaN);
        op.run();
        out[1] = be.read(o);
        be.useFlash(FlashKernel.MMA_SYNC);
        return out;
    }

    private static final int NAME = 62;

    /** One timed product: its row name, the buffer it writes, the call, its FLOPs. */
    private record LinearCase(String name, Buf out, Runnable op, double flop) {
    }

    /** The output of one more run, over a NaN-filled buffer: a kernel that writes nothing cannot pass on an earlier result. */
    private static float[] result(CudaBackend be, LinearCase c) {
        be.fill(c.out, Float.NaN);
        c.op.run();
        return be.read(c.out);
    }

    private void row(String name, Timing t, double flop) {
        double tflops = flop / (t.queuedMs * 1e-3) / 1e12;
        System.out.printf(Locale.ROOT, "%-" + NAME + "s %9.3f %9.3f %9.1f %8.1f%% %9.1f%n", name, t.aloneMs, t.queuedMs, tflops, 100 * tflops / peak,
                t.hostUs);
    }

    /**
     * One case's times: the median of runs each alone between two events (host issue included),
     * the mean of runs queued back to back, and the host's time to issue one run.
     */
    private record Timing(double aloneMs, double queuedMs, double hostUs) {
    }

    /** max |a − b| / max |a|; NaN anywhere counts as infinitely different. */
    private static double relMaxDiff(float[] a, float[] b) {
        double diff = 0, ref = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) || Float.isNaN(b[i])) return Double.POSITIVE_INFINITY;
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            ref = Math.max(ref, Math.abs(a[i]));
        }
        return diff / Math.max(ref, 1e-30);
    }

    private Timing time(CudaBackend be, Runnable op) {
        for (int i = 0; i < 3; i++) op.run();
        be.synchronize();
        double[] ms = new double[repeat];
        CudaBackend.Timer t = be.timer();
        for (int i = 0; i < repeat; i++) {
            t.start();
            op.run();
            t.stop();
            ms[i] = t.elapsedMs();
        }
        Arrays.sort(ms);
        // queued: the GPU starts the first run at once and finds each next one waiting, as long as
        // the host issues faster than the kernels run
        t.start();
        long h0 = System.nanoTime();
        for (int i = 0; i < repeat; i++) op.run();
        long h1 = System.nanoTime();
        t.stop();
        return new Timing(ms[repeat / 2], t.elapsedMs() / repeat, (h1 - h0) / 1e3 / repeat);
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }
}
