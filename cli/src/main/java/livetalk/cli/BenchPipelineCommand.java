package livetalk.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import livetalk.io.Checkpoint;
import livetalk.kernels.Backend;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.dit.TextCache;
import livetalk.model.vae.WanVae;
import livetalk.sampler.CausalInference;
import livetalk.sampler.FlowMatchSchedule;
import livetalk.sampler.SeededNoise;
import livetalk.sampler.StreamingPipeline;
import livetalk.testkit.VaeWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The whole generation loop at full size on random weights, as {@code generate} runs it
 * (docs/architecture.md#data-path): per block 4 denoising DiT forwards and the clean pass, then the
 * VAE decode of its 3 latent frames (12 video frames, on a second thread while the next block is
 * denoised). The conditioning (reference latent, audio, text) is random: the encoders run once per
 * video and are timed by {@code bench-encoders} and {@code bench-vae}. Prints each block's time,
 * the first-frame latency, peak RSS and the load average, for the README's table.
 */
@Command(name = "bench-pipeline", mixinStandardHelpOptions = true,
        description = "Time the generation loop (DiT blocks + streaming VAE decode) at full size on random weights.")
final class BenchPipelineCommand implements Callable<Integer> {
    @Option(names = "--dit", required = true, paramLabel = "FILE", description = "DiT checkpoint, e.g. from make-random-dit")
    Path dit;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--blocks", defaultValue = "2", description = "blocks of 3 latent frames to generate (default: ${DEFAULT-VALUE}); "
            + "the window fills after block 4, so steady state needs 6 or more")
    int blocks;

    @Option(names = "--layers", paramLabel = "N", description = "run only the first N DiT layers (a quick check; not the full model)")
    Integer layers;

    @Option(names = "--latent", defaultValue = "64x64", paramLabel = "HxW", description = "latent size (default: ${DEFAULT-VALUE} = 512×512 video)")
    String latent;

    @Option(names = "--kv", defaultValue = "bf16", description = "KV cache dtype: bf16 (the default everywhere) or f32")
    String kv;

    @Override
    public Integer call() throws Exception {
        String[] hw = latent.toLowerCase().split("x");
        if (hw.length != 2) throw new InputException("--latent must look like 64x64, not '" + latent + "'");
        int h = Integer.parseInt(hw[0]), w = Integer.parseInt(hw[1]);
        if (blocks < 1) throw new InputException("--blocks must be at least 1");
        livetalk.tensor.DType kvDtype = switch (kv.toLowerCase()) {
            case "bf16" -> livetalk.tensor.DType.BF16;
            case "f32" -> livetalk.tensor.DType.F32;
            default -> throw new InputException("--kv must be bf16 or f32, not '" + kv + "'");
        };
        System.out.printf("%s, %d CPUs, max heap %d MiB, load average %s%n", LocalDate.now(), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, loadAverage());
        long t0 = System.nanoTime();
        try (Checkpoint ck = Checkpoint.open(dit);
             Checkpoint vck = VaeWeights.checkpoint(VaeWeights.generate(VaeWeights.official(), 1));
             Backend be = backendOptions.create()) {
            DitConfig full = DitConfig.infer(ck, null);
            DitConfig cfg = layers == null ? full : new DitConfig(full.dim(), full.ffnDim(), Math.min(layers, full.numLayers()), full.numHeads(),
                    full.inDim(), full.outDim(), full.patchT(), full.patchH(), full.patchW(), full.textDim(), full.freqDim(),
                    full.audioInputDim(), full.audioPack(), full.audioHidden(), full.numAudioProjs(), full.eps(), full.ropeTheta());
            CausalDit model = new CausalDit(be, ck, cfg);
            WanVae vae = WanVae.load(vck, be);
            System.out.printf("DiT %s (%d of %d layers), random official-size VAE, backend %s, KV cache %s (load %.1f s)%n",
                    dit.getFileName(), cfg.numLayers(), full.numLayers(), be.name(), kvDtype, secs(t0));

            SplittableRandom rnd = new SplittableRandom(3);
            CausalInference.Settings settings = CausalInference.Settings.official().withKvDtype(kvDtype);
            int latentFrames = blocks * settings.framesPerBlock(), textLen = 512;
            TextCache text = model.encodeText(random(rnd, textLen * cfg.textDim()), textLen);
            float[] refLatent = random(rnd, cfg.outDim() * h * w);
            float[] audio = random(rnd, cfg.numAudioProjs() * latentFrames * cfg.dim());
            StreamingPipeline.Conditioning c = new StreamingPipeline.Conditioning(refLatent, h, w, audio, latentFrames, text);
            StreamingPipeline pipe = new StreamingPipeline(model, vae, settings, FlowMatchSchedule.official().embeddingTimesteps(true), true);
            int pixelFrames = 1 + vae.config().temporalFactor() * (latentFrames - 1);
            List<Double> doneAt = new ArrayList<>();
            long start = System.nanoTime();
            StreamingPipeline.Result r = pipe.run(c, pixelFrames, new SeededNoise(1), new SeededNoise(2), (frames, n, first) -> { },
                    (done, total, frames) -> {
                        double t = secs(start);
                        double prev = doneAt.isEmpty() ? 0 : doneAt.get(doneAt.size() - 1);
                        doneAt.add(t);
                        System.out.printf("block %d/%d: %d frames out at %.1f s (%.1f s after the previous block), load average %s%n",
                                done, total, frames, t, t - prev, loadAverage());
                    }, () -> false);
            System.out.printf("first frame after %.1f s; %d frames in %.1f s (%.2f frames/s); peak RSS %s; load average %s%n",
                    r.firstFrameSeconds(), r.pixelFrames(), r.seconds(), r.framesPerSecond(), peakRss(), loadAverage());
        }
        return 0;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "n/a";
        }
    }

    private static String peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return line.substring(6).trim();
            }
        } catch (Exception e) {
            // not Linux
        }
        return "n/a";
    }
}
