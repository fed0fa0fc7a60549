package livetalk.cli;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import livetalk.cli.bench.OpTimes;
import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.kernels.cuda.CudaBackend;
import livetalk.kernels.cuda.CudaSwitches;
import livetalk.model.vae.StreamingDecoder;
import livetalk.model.vae.VaeConfig;
import livetalk.model.vae.WanVae;
import livetalk.testkit.VaeWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Times the streaming VAE decoder on full-size latent frames (docs/model.md#flops: 8.88 TFLOP per latent
 * frame after the first at 64×64 latents = 512×512 video). Without {@code --weights} it builds
 * the official dim-96 architecture with random weights in memory.
 */
@Command(name = "bench-vae", mixinStandardHelpOptions = true,
        description = "Time the streaming VAE decoder per latent frame (GFLOP/s against docs/model.md#flops, peak memory).")
final class BenchVaeCommand implements Callable<Integer> {
    /** docs/model.md#flops: decoder FLOPs of one non-first latent frame at 64×64 latents (4 frames of 512×512). */
    static final double FLOP_PER_LATENT_512 = 8.88e12;

    @Option(names = "--weights", paramLabel = "FILE", description = "VAE checkpoint (Wan2.1_VAE.pth or safetensors); default: random official-size weights")
    Path weights;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--latent", defaultValue = "64x64", paramLabel = "HxW", description = "latent size (default: ${DEFAULT-VALUE} = 512×512 video)")
    String latent;

    @Option(names = "--profile", description = "time per op over the last latent frame: on the CPU the wall time of each backend op "
            + "(the convolutions' GFLOP/s with it); with --device cuda the GPU time per kernel (events around every launch)")
    boolean profile;

    @Option(names = "--frames", defaultValue = "1", description = "timed latent frames after frame 0 (default: ${DEFAULT-VALUE})")
    int frames;

    @Override
    public Integer call() {
        String[] hw = latent.toLowerCase().split("x");
        if (hw.length != 2) throw new InputException("--latent must look like 64x64, not '" + latent + "'");
        int h, w;
        try {
            h = Integer.parseInt(hw[0]);
            w = Integer.parseInt(hw[1]);
        } catch (NumberFormatException e) {
            throw new InputException("--latent must look like 64x64, not '" + latent + "'");
        }
        if (h < 1 || w < 1 || frames < 1) throw new InputException("--latent sizes and --frames must be positive");
        System.out.printf("max heap %d MiB, %d CPUs%n", Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());
        long t0 = System.nanoTime();
        try (Checkpoint ck = weights != null ? Checkpoint.open(weights)
                : VaeWeights.checkpoint(VaeWeights.generate(VaeWeights.official(), 1));
             Backend be = backendOptions.create()) {
            // On the CPU the profile times each op through a proxy of the backend (OpTimes, as bench-dit's)
            OpTimes times = OpTimes.forProfile(profile, be);
            WanVae vae = WanVae.load(ck, times != null ? times.wrap(be) : be);
            VaeConfig cfg = vae.config();
            System.out.printf("VAE: %s, dim %d, z %d, backend %s (build %.1f s)%n", weights == null ? "random official-size weights" : weights,
                    cfg.dim(), cfg.zDim(), be.name() + (be instanceof CudaBackend cuda ? ", conv " + cuda.convLayout()
                            + (cuda.vaeFuse() ? ", norm fused into the copy (" + CudaSwitches.VAE_FUSE_ENV + "=1)" : "") : ""), secs(t0));
            double flop = FLOP_PER_LATENT_512 * h * w / (64.0 * 64.0);
            SplittableRandom rnd = new SplittableRandom(7);
            int frame = cfg.zDim() * h * w;
            StreamingDecoder dec = vae.decoder(h, w);
            t0 = System.nanoTime();
            dec.push(random(rnd, frame), 1);
            double first = secs(t0);
            System.out.printf("latent frame 0 (1 frame of %dx%d): %.2f s (%.2f ms)%n", h * cfg.spatialFactor(), w * cfg.spatialFactor(), first, first * 1e3);
            double peakBefore = BenchDitCommand.cpuPeak(be);
            for (int i = 1; i <= frames; i++) {
                long c0 = cpuNanos();
                t0 = System.nanoTime();
                if (profile && i == frames && be instanceof CudaBackend cuda) cuda.startProfile();
                if (times != null && i == frames) times.start();
                float[] px = dec.push(random(rnd, frame), 1);
                double s = secs(t0), cpu = (cpuNanos() - c0) / 1e9;
                if (times != null) times.stop();
                double peakAfter = BenchDitCommand.cpuPeak(be);   // also the next frame's "before"
                // CPU seconds as well as wall time: on a shared machine the wall time says little.
                // milliseconds too: on a GPU a latent frame takes tens of them, and variants differ by a few
                System.out.printf("latent frame %d (%d frames): %.2f s (%.2f ms), %.1f GFLOP/s (%.2f TFLOP per latent frame, docs/model.md#flops); "
                                + "process CPU %.1f s = %.1f GFLOP per CPU-second%s%n", i,
                        px.length / (3 * h * w * cfg.spatialFactor() * cfg.spatialFactor()), s, s * 1e3, flop / s / 1e9, flop / 1e12, cpu,
                        cpu > 0 ? flop / cpu / 1e9 : Double.NaN, BenchDitCommand.ofPeak(flop / s / 1e9, peakBefore, peakAfter));
                if (times != null && i == frames) {
                    System.out.printf("profile of latent frame %d (wall time per backend op; the share is of its %.3f s):%n", i, s);
                    System.out.print(times.report(s, (peakBefore + peakAfter) / 2));
                }
                peakBefore = peakAfter;
                if (profile && i == frames && be instanceof CudaBackend cuda) System.out.print(cuda.profileReport());
            }
            System.out.printf("decoder activation buffers: %d MiB; peak heap %d MiB; peak RSS %s%n", vae.decoderWorkspaceFloats() * 4 >> 20,
                    peakHeap() >> 20, ProcessStats.peakRss());
        }
        return 0;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** CPU time of the whole process (all threads), or 0 where the JVM cannot tell. */
    private static long cpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.max(0, os.getProcessCpuTime());
        }
        return 0;
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Sum of the heap pools' peak usage since start. */
    private static long peakHeap() {
        long n = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) n += p.getPeakUsage().getUsed();
        }
        return n;
    }

}
