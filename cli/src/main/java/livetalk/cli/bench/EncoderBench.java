package livetalk.cli.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.model.audio.Wav2Vec2;
import livetalk.model.text.Umt5Config;
import livetalk.model.text.Umt5Encoder;
import livetalk.tensor.DType;
import livetalk.testkit.EncoderWeights;
import livetalk.testkit.RandomWeights;

/**
 * Timings of the conditioning encoders at full size with random weights in the official layout,
 * for {@code livetalk bench-encoders}: umT5-XXL (BF16 file, mapped) on TOKENS real tokens of 512,
 * or wav2vec2-base (F32) on SECONDS of 16 kHz audio at 16 fps. The checkpoint is written once to FILE (default: the temp directory) and reused. Prints the
 * wall time and the peak resident set (VmHWM, which counts mapped weight pages that were read).
 */
public final class EncoderBench {
    private EncoderBench() {
    }

    public static void umt5(Backend be, int tokens, int layers, Path file) throws Exception {
        int vocab = 256384, dim = 4096, ffn = 10240, heads = 64, buckets = 32;   // docs/model.md#umt5
        Path f = file != null ? file : Path.of(System.getProperty("java.io.tmpdir"), "umt5_random_bf16_" + layers + "l.safetensors");
        if (!Files.isRegularFile(f)) {
            RandomWeights specs = EncoderWeights.umt5(new EncoderWeights.Umt5(vocab, dim, heads, ffn, layers, buckets), 1, DType.BF16);
            long t0 = System.nanoTime();
            specs.write(f, Map.of("format", "pt"));
            System.out.printf("wrote %s (%.2f GB) in %.1f s%n", f, Files.size(f) / 1e9, (System.nanoTime() - t0) / 1e9);
        }
        try (Checkpoint ckpt = Checkpoint.open(f)) {
            Umt5Config cfg = Umt5Config.infer(ckpt, Umt5Config.DEFAULT_MAX_DIST);
            Umt5Encoder enc = new Umt5Encoder(be, ckpt, cfg);
            long[] ids = new long[512];
            for (int i = 0; i < tokens - 1; i++) ids[i] = 300 + (i * 7919L) % 250000;
            ids[tokens - 1] = 1;
            long[] mask = new long[512];
            for (int i = 0; i < tokens; i++) mask[i] = 1;
            int runs = Integer.getInteger("livetalk.bench.runs", 1);   // run 1 includes JIT warm-up and page-in
            for (int run = 1; run <= runs; run++) {
            double c0 = cpuSeconds();
            long t0 = System.nanoTime();
            float[] out = tokens == 512 ? enc.forward(ids, mask) : enc.promptEmbeds(ids, tokens, 512);
            double s = (System.nanoTime() - t0) / 1e9;
            double gflop = 2.0 * tokens * layers * (4.0 * dim * dim + 3.0 * dim * ffn) / 1e9;
            double cpu = cpuSeconds() - c0;
            System.out.printf("umt5 %s: %d layers, %d tokens computed: %.2f s wall, %.2f s CPU on %d cores (%.1f GFLOP in the linears, %.2f GFLOP/s wall), out[0]=%.4f%n",
                    be.name(), layers, tokens, s, cpu, Runtime.getRuntime().availableProcessors(), gflop, gflop / s, out[0]);
            }
            memory();
        }
    }

    public static void wav2vec2(Backend be, double seconds, Path file) throws Exception {
        Path f = file != null ? file : Path.of(System.getProperty("java.io.tmpdir"), "wav2vec2_base_random.safetensors");
        if (!Files.isRegularFile(f)) {
            EncoderWeights.wav2vec2(EncoderWeights.Wav2Vec2.base(), 2).write(f, Map.of("format", "pt"));   // docs/model.md#wav2vec2
        }
        int samples = (int) Math.round(seconds * 16000);
        int latent = ((int) Math.round(seconds * 16) + 4) / 4;          // docs/model.md#frame-counts: (d·16+4)//4 latent frames
        int frames = 4 * latent - 3;                                   // 81 for 5 s
        float[] x = new float[samples];
        for (int i = 0; i < samples; i++) x[i] = (float) Math.sin(i * 0.05) * 0.5f;
        try (Checkpoint ckpt = Checkpoint.open(f)) {
            Wav2Vec2 model = new Wav2Vec2(be, ckpt);
            for (int run = 1; run <= 2; run++) {   // run 1 includes JIT warm-up
            double c0 = cpuSeconds();
            long t0 = System.nanoTime();
            Wav2Vec2.Result r = model.forward(livetalk.io.audio.FeatureNormalizer.normalize(x), frames);
            double s = (System.nanoTime() - t0) / 1e9;
            double cpu = cpuSeconds() - c0;
            System.out.printf("run %d: ", run);
            System.out.printf("wav2vec2-base %s: %.1f s audio (%d samples, %d conv frames → %d frames): %.2f s wall, %.2f s CPU on %d cores, features %d wide%n",
                    be.name(), seconds, samples, r.convFrames(), frames, s, cpu, Runtime.getRuntime().availableProcessors(), r.features().length / frames);
            }
            memory();
        }
    }

    /** CPU seconds used by the process so far (all threads): wall time on a shared machine is not the cost. */
    static double cpuSeconds() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    static void memory() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM") || line.startsWith("VmRSS")) System.out.println(line.replaceAll("\\s+", " "));
        }
        var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        System.out.printf("heap used %.0f MB (committed %.0f MB)%n", heap.getUsed() / 1e6, heap.getCommitted() / 1e6);
    }
}
