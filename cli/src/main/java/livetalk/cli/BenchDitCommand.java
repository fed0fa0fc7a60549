package livetalk.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import livetalk.cli.bench.OpTimes;
import livetalk.io.Checkpoint;
import livetalk.io.Json;
import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.kernels.cpu.Parallel;
import livetalk.kernels.cuda.CudaBackend;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.dit.KvCache;
import livetalk.model.dit.TextCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Times one DiT forward of one block against a full KV window (docs/model.md#flops: 3072 tokens, 15-frame
 * window, 16.7 TFLOP at full size). The cache is prefilled with random keys for the earlier
 * blocks, so the timed call attends to exactly what a steady-state call attends to.
 */
@Command(name = "bench-dit", mixinStandardHelpOptions = true,
        description = "Time one DiT forward of one block with a full KV window (GFLOP/s, peak RSS).")
final class BenchDitCommand implements Callable<Integer> {
    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "DiT checkpoint (safetensors or .pth)")
    Path weights;

    @Option(names = "--config", paramLabel = "JSON", description = "config for what shapes cannot tell (num_heads, eps, rope_theta)")
    Path config;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--latent", defaultValue = "64x64", paramLabel = "HxW", description = "latent size (default: ${DEFAULT-VALUE} = 512×512 video)")
    String latent;

    @Option(names = "--frames-per-block", defaultValue = "3")
    int framesPerBlock;

    @Option(names = "--window", defaultValue = "15", description = "KV window in frames (default: ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--sink", defaultValue = "9", description = "sink frames (default: ${DEFAULT-VALUE})")
    int sink;

    @Option(names = "--layers", paramLabel = "N", description = "time only the first N layers (FLOPs counted for those)")
    Integer layers;

    @Option(names = "--text-len", defaultValue = "512")
    int textLen;

    @Option(names = "--profile", description = "time per op over the last forward: on the CPU the wall time of each backend op "
            + "(the products' and the attention's GFLOP/s with it); with --device cuda the GPU time per kernel (events around every launch)")
    boolean profile;

    @Option(names = "--runs", defaultValue = "1", description = "timed forwards (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--save-output", paramLabel = "FILE",
            description = "write the last forward's output to FILE (float32, little-endian), for --compare-output in a run with other kernels")
    Path saveOutput;

    @Option(names = "--compare-output", paramLabel = "FILE",
            description = "compare the last forward's output with one written by --save-output: prints its relative L2 and largest difference")
    Path compareOutput;

    @Override
    @SuppressWarnings("unchecked")
    public Integer call() throws Exception {
        String[] hw = latent.toLowerCase().split("x");
        if (hw.length != 2) throw new InputException("--latent must look like 64x64, not '" + latent + "'");
        int h = Integer.parseInt(hw[0]), w = Integer.parseInt(hw[1]);
        Map<String, Object> cfgJson = null;
        if (config != null) cfgJson = (Map<String, Object>) Json.parse(Files.readString(config));
        try (Checkpoint ck = Checkpoint.open(weights); Backend be = backendOptions.create()) {
            DitConfig full = DitConfig.infer(ck, cfgJson);
            DitConfig cfg = layers == null ? full : new DitConfig(full.dim(), full.ffnDim(), Math.min(layers, full.numLayers()), full.numHeads(),
                    full.inDim(), full.outDim(), full.patchT(), full.patchH(), full.patchW(), full.textDim(), full.freqDim(),
                    full.audioInputDim(), full.audioPack(), full.audioHidden(), full.numAudioProjs(), full.eps(), full.ropeTheta());
            long t0 = System.nanoTime();
            // On the CPU the profile times each op through a proxy of the backend (OpTimes); the CUDA
            // backend has events of its own; OpenCL's ops return before they finish, so it has none.
            OpTimes times = OpTimes.forProfile(profile, be);
            CausalDit dit = new CausalDit(times != null ? times.wrap(be) : be, ck, cfg);
            System.out.printf("model: %s, %d of %d layers, D %d, %d heads, backend %s, GEMM operands %s (load %.1f s)%n", weights.getFileName(),
                    cfg.numLayers(), full.numLayers(), cfg.dim(), cfg.numHeads(),
                    be.name() + (be instanceof CudaBackend cuda ? ", GEMM " + cuda.gemmKernel() + ", flash " + cuda.flashKernel() : ""), be.operandDtype(), secs(t0));

            SplittableRandom rnd = new SplittableRandom(1);
            int perFrame = dit.frameSeqLength(h, w), n = framesPerBlock * perFrame, d = cfg.dim();
            t0 = System.nanoTime();
            TextCache text = dit.encodeText(random(rnd, textLen * cfg.textDim()), textLen);
            System.out.printf("text K/V for %d positions: %.1f s (once per prompt)%n", textLen, secs(t0));

            // prefill: earlier blocks' K/V as random values, until the window is full
            KvCache kv = dit.newKvCache(perFrame, window, sink, KvCache.DEFAULT_DTYPE);
            int prefill = Math.max(0, (window - framesPerBlock) / framesPerBlock);
            Buf junk = be.upload(random(rnd, n * d));
            for (int b = 0; b < prefill; b++) {
                kv.beginCall((long) b * n, n);
                for (int l = 0; l < cfg.numLayers(); l++) {
                    be.copy(junk, kv.newKeys(l));
                    be.copy(junk, kv.newValues(l));
                    kv.store(l);
                }
            }
            long startFrame = (long) prefill * framesPerBlock;
            int lkv = Math.min(kv.capacity(), kv.localEnd() + n);
            float[] x = random(rnd, framesPerBlock * cfg.outDim() * h * w);
            float[] y = random(rnd, (cfg.inDim() - cfg.outDim()) * framesPerBlock * h * w);
            float[] audio = random(rnd, cfg.numAudioProjs() * framesPerBlock * d);
            float[] ts = new float[framesPerBlock];
            java.util.Arrays.fill(ts, 936f);
            double flop = flops(cfg, n, lkv, textLen, perFrame);
            System.out.printf("call: %d tokens, %d cached + own = %d keys, %.3f TFLOP%n", n, kv.localEnd(), lkv, flop / 1e12);
            float[] last = null;
            double peakBefore = cpuPeak(be);
            for (int r = 0; r < runs; r++) {
                KvCache use = kv;
                t0 = System.nanoTime();
                if (profile && r == runs - 1 && be instanceof CudaBackend cuda) cuda.startProfile();
                if (times != null && r == runs - 1) times.start();
                last = dit.forward(new CausalDit.Input(x, y, framesPerBlock, h, w, ts, audio, startFrame), use, text);
                double s = secs(t0);
                if (times != null) times.stop();
                double peakAfter = cpuPeak(be);   // also the next forward's "before"
                System.out.printf(java.util.Locale.ROOT, "forward %d: %.3f s (%.2f ms), %.1f GFLOP/s%s%n", r, s, s * 1e3, flop / s / 1e9,
                        ofPeak(flop / s / 1e9, peakBefore, peakAfter));
                if (times != null && r == runs - 1) {
                    System.out.printf("profile of forward %d (wall time per backend op; the share is of the forward's %.3f s):%n", r, s);
                    System.out.print(times.report(s, (peakBefore + peakAfter) / 2));
                }
                peakBefore = peakAfter;
                if (profile && r == runs - 1 && be instanceof CudaBackend cuda) System.out.print(cuda.profileReport());
                // later runs: same block again (same slots overwritten, like the next denoising step)
            }
            // The same weights file and seeds give the same output bits on one backend: two runs (bf16
            // operands on and off, docs/cuda-performance.md) compare by this line.
            if (last != null) System.out.printf("output checksum: %016x%n", checksum(last));
            if (last != null && !(be instanceof CpuBackend)) backToBack(be, dit, kv, text, x, y, audio, ts, h, w, startFrame, flop, last);
            // Kernels that change only the float rounding (the wgmma GEMM or flash attention against
            // mma.sync) give different bits: two runs compare by these lines instead.
            if (last != null && saveOutput != null) Files.write(saveOutput, toBytes(last));
            if (last != null && compareOutput != null) System.out.println(compare(last, compareOutput));
            System.out.printf("peak RSS: %s%n", ProcessStats.peakRss());
        }
        return 0;
    }

    /**
     * The forward as a block's steps run it on a device (docs/sampler.md#block-loop): inputs
     * already on the device, {@code runs} forwards issued back to back, one read after the last.
     * Each forward above also waited for its inputs' upload and its output's read; the difference
     * is what the pipeline no longer pays. The output must be the forwards' above, bit for bit.
     */
    private void backToBack(Backend be, CausalDit dit, KvCache kv, TextCache text, float[] x, float[] y, float[] audio, float[] ts, int h, int w,
                            long startFrame, double flop, float[] expected) {
        DitConfig cfg = dit.config();
        Buf xb = be.upload(x), yb = be.upload(y), ab = cfg.numAudioProjs() > 0 ? be.upload(audio) : null, flow = be.alloc(x.length);
        CausalDit.Step step = new CausalDit.Step(xb, yb, framesPerBlock, h, w, ts, ab, startFrame);
        dit.forward(step, kv, text, flow);
        be.read(flow);                                     // the first: waits for the uploads
        long t0 = System.nanoTime();
        for (int r = 0; r < runs; r++) dit.forward(step, kv, text, flow);
        float[] out = be.read(flow);
        double s = secs(t0) / runs;
        System.out.printf(java.util.Locale.ROOT, "back to back (%d forwards on device inputs, one read): %.2f ms each, %.1f GFLOP/s; the same output as above: %s%n",
                runs, s * 1e3, flop / s / 1e9, java.util.Arrays.equals(out, expected) ? "yes" : "NO");
        for (Buf b : new Buf[] {xb, yb, ab, flow}) {
            if (b != null) be.free(b);
        }
    }

    /** FLOPs of one call (1 MAC = 2 FLOP, docs/model.md#flops): linears, self/cross attention, patch embedding, head. */
    static double flops(DitConfig c, long n, long lkv, long textLen, int perFrame) {
        double d = c.dim();
        double linear = n * (6 * d * d + 2 * d * c.ffnDim());          // q,k,v,o + cross q,o + FFN
        double attn = 2 * n * lkv * d + 2 * n * textLen * d;           // QKᵀ + AV, self and cross
        double perLayer = 2 * (linear + attn);
        double embed = 2.0 * n * d * c.inDim() * c.patchH() * c.patchW() + 2.0 * n * d * c.patchOut();
        return c.numLayers() * perLayer + embed;
    }

    /** A 64-bit hash of the values' raw bits (FNV-1a over the 32-bit words). */
    private static byte[] toBytes(float[] v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * Float.BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    /** "output vs FILE: rel_l2 …, max|diff| …" for an output saved by another run of the same call. */
    static String compare(float[] out, Path saved) throws java.io.IOException {
        byte[] bytes = Files.readAllBytes(saved);
        if (bytes.length != out.length * Float.BYTES) {
            throw new InputException(saved + " holds " + bytes.length / Float.BYTES + " floats, this call's output " + out.length
                    + " (save and compare the same call)");
        }
        java.nio.FloatBuffer ref = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        double num = 0, den = 0, maxDiff = 0, maxRef = 0;
        for (int i = 0; i < out.length; i++) {
            double r = ref.get(i), d = Math.abs(out[i] - r);
            if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
            num += d * d;
            den += r * r;
            maxDiff = Math.max(maxDiff, d);
            maxRef = Math.max(maxRef, Math.abs(r));
        }
        return String.format(java.util.Locale.ROOT, "output vs %s: rel_l2 = %.2e, max|diff| = %.2e (max|ref| %.2e)", saved.getFileName(),
                Math.sqrt(num / Math.max(den, 1e-30)), maxDiff, maxRef);
    }

    static long checksum(float[] v) {
        long h = 0xcbf29ce484222325L;
        for (float f : v) {
            h ^= Float.floatToRawIntBits(f) & 0xffffffffL;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }


    /**
     * The FMA peak ({@link FmaPeak}) now, on the CPU backend; NaN on a device. Measured before and
     * after each timed run: these machines change speed within minutes, so only the peak of the same
     * minutes makes a fraction.
     */
    static double cpuPeak(Backend be) {
        return be instanceof CpuBackend ? FmaPeak.measure(Parallel.threads(), 2) : Double.NaN;
    }

    /** ", N % of the FMA peak (P before, Q after)" against the mean of the two; "" on a device (NaN peaks). */
    static String ofPeak(double gflops, double peakBefore, double peakAfter) {
        if (Double.isNaN(peakBefore) || Double.isNaN(peakAfter)) return "";
        double mean = (peakBefore + peakAfter) / 2;
        return String.format(java.util.Locale.ROOT, ", %.0f %% of the FMA peak (%.1f GFLOP/s before, %.1f after)", 100 * gflops / mean, peakBefore, peakAfter);
    }
}
