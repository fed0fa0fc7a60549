package livetalk.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import livetalk.io.Checkpoint;
import livetalk.io.Json;
import livetalk.kernels.Backend;
import livetalk.kernels.cuda.CudaBackend;
import livetalk.kernels.cuda.CudaSwitches;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.DitConfig;
import livetalk.model.vae.WanVae;
import livetalk.sampler.CausalInference;
import livetalk.sampler.FlowMatchSchedule;
import livetalk.sampler.SeededNoise;
import livetalk.sampler.StreamingPipeline;
import livetalk.sampler.WarmUp;
import livetalk.tensor.DType;
import livetalk.testkit.VaeWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code livetalk bench-pipeline}: the whole streaming path after the encoders (reference
 * encode, audio projection, the block loop, streaming VAE decode overlapped with the next block)
 * at full size, on a DiT checkpoint (e.g. from {@code make-random-dit}), random official-size VAE
 * weights and random conditioning. Reports the first-frame latency, the sustained frame rate
 * (blocks after the first), each block's time (until its last frame is out: 4 DiT forwards, then
 * the decode of 12 frames beside the clean pass and the next block's forwards; the window fills
 * after block 4, so steady state needs 6 or more blocks), peak RSS and the load
 * average (on a shared machine the timings say little without it). On CUDA also the GPU memory
 * held after each block, and at the end what held it at the peak (docs/cuda-performance.md#gpu-memory);
 * {@code LIVETALK_CUDA_STREAMS=2} puts the decoder on a stream of its own.
 */
@Command(name = "bench-pipeline", mixinStandardHelpOptions = true,
        description = "Time the whole streaming pipeline at 512x512 (frames/s, first-frame latency, memory).")
final class BenchPipelineCommand implements Callable<Integer> {
    @Option(names = "--dit", required = true, paramLabel = "FILE", description = "DiT checkpoint (e.g. from make-random-dit)")
    Path dit;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--blocks", defaultValue = "8", description = "blocks to generate, 12 frames each (default: ${DEFAULT-VALUE})")
    int blocks;

    @Option(names = "--profile", description = "with --device cuda: GPU time per kernel over the last run (events around every launch)")
    boolean profile;

    @Option(names = "--size", defaultValue = "512", description = "video height and width (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--warm-up-size", paramLabel = "PX",
            description = "frame size of the warm-up block before the run (default: 16, as serve warms up the real model; the run's --size warms its own shapes)")
    Integer warmUpSize;

    @Option(names = "--kv", defaultValue = "bf16", description = "KV cache dtype: bf16 (the default everywhere) or f32")
    String kv;

    @Override
    public Integer call() throws Exception {
        if (blocks < 2) throw new InputException("--blocks must be at least 2 (the sustained rate is measured after the first), got " + blocks);
        if (size < 16 || size % 16 != 0) throw new InputException("--size must be a positive multiple of 16, got " + size);
        int warm = warmUpSize == null ? WarmUp.SIZE : warmUpSize;
        if (warm < WarmUp.SIZE || warm % 16 != 0 || warm > size) {
            throw new InputException("--warm-up-size must be a multiple of 16 from " + WarmUp.SIZE + " to --size (" + size + "), got " + warm);
        }
        DType kvDtype = switch (kv.toLowerCase(Locale.ROOT)) {
            case "bf16" -> DType.BF16;
            case "f32" -> DType.F32;
            default -> throw new InputException("--kv must be bf16 or f32, not '" + kv + "'");
        };
        try (Checkpoint ck = Checkpoint.open(dit);
             Checkpoint vck = VaeWeights.checkpoint(VaeWeights.generate(VaeWeights.official(), 1));
             Backend be = backendOptions.create()) {
            long t0 = System.nanoTime();
            Path json = dit.resolveSibling("config.json");   // heads, eps, theta beside the checkpoint, as in the official layout
            @SuppressWarnings("unchecked")
            Map<String, Object> cfgJson = Files.isRegularFile(json) ? (Map<String, Object>) Json.parse(Files.readString(json)) : null;
            CausalDit model = new CausalDit(be, ck, DitConfig.infer(ck, cfgJson));
            WanVae vae = WanVae.load(vck, be);
            DitConfig cfg = model.config();
            System.out.printf(Locale.ROOT, "bench-pipeline: %s, %dx%d, %d blocks, KV cache %s, weights loaded in %.1f s; %s, load average %s%n",
                    be.name() + (be instanceof CudaBackend cuda ? ", GEMM " + cuda.gemmKernel() + ", flash " + cuda.flashKernel()
                            + ", conv " + cuda.convLayout() + (cuda.vaeFuse() ? ", VAE norm fused (" + CudaSwitches.VAE_FUSE_ENV + "=1)" : "") + ", "
                            + (cuda.streamsPerThread() ? "decoder on a stream of its own (" + CudaSwitches.STREAMS_ENV + "=2)" : "one stream") : ""),
                    size, size, blocks, kvDtype, secs(t0), LocalDate.now(), ProcessStats.loadAverage());

            SplittableRandom rnd = new SplittableRandom(3);
            CausalInference.Settings settings = CausalInference.Settings.official().withKvDtype(kvDtype);
            float[] steps = FlowMatchSchedule.official().embeddingTimesteps(true);
            // as serve does before it is ready: the first block below then measures the pipeline, not every weight's first use
            System.out.printf(Locale.ROOT, "warm-up (one %dx%d block, every network once): %.3f s%n", warm, warm,
                    WarmUp.run(model, vae, settings, steps, warm));
            StreamingPipeline pipe = new StreamingPipeline(model, vae, settings, steps, true);
            int latentFrames = blocks * settings.framesPerBlock(), audioFrames = pipe.audioFramesFor(latentFrames);
            t0 = System.nanoTime();
            var text = model.encodeText(random(rnd, 512 * cfg.textDim(), 0.1), 512);
            var cond = pipe.condition(random(rnd, 3 * size * size, 1), size, size, random(rnd, audioFrames * cfg.audioInputDim(), 1),
                    audioFrames, text);
            System.out.printf(Locale.ROOT, "conditioning (text K/V, reference encode, audio projection): %.3f s%n", secs(t0));
            int pixelFrames = 1 + 4 * (latentFrames - 1);
            long[] blockDoneAt = new long[blocks + 1];
            int[] framesAt = new int[blocks + 1];
            // the timeline of each block: when its 4 steps and its clean pass ended (main thread),
            // when its first and last frames were out (decode thread)
            long[] stepsDoneAt = new long[blocks], cleanDoneAt = new long[blocks], firstOutAt = new long[blocks], lastOutAt = new long[blocks];
            int stepCount = steps.length;
            pipe.setCallListener(new CausalInference.CallListener() {
                @Override
                public void onCall(int block, int step, float t, float[] xIn, float[] flow, float[] x0) {
                    if (step == stepCount - 1) stepsDoneAt[block] = System.nanoTime();
                    if (step < 0) cleanDoneAt[block] = System.nanoTime();
                }

                @Override
                public boolean wantsValues() {
                    return false;      // timing only: the steps run as they do without a listener
                }
            });
            if (profile && be instanceof CudaBackend cuda) cuda.startProfile();
            long runStart = System.nanoTime();
            StreamingPipeline.Result r = pipe.run(cond, pixelFrames, new SeededNoise(1), new SeededNoise(2), (f, n, first) -> {
                        int block = first == 0 ? 0 : (first + 3) / 12;      // block b ≥ 1 holds frames 12b−3 .. 12b+8
                        long now = System.nanoTime();
                        if (firstOutAt[block] == 0) firstOutAt[block] = now;
                        lastOutAt[block] = now;
                    },
                    (done, total, frames) -> {
                        blockDoneAt[done] = System.nanoTime();
                        framesAt[done] = frames;
                        long prev = done == 1 ? runStart : blockDoneAt[done - 1];
                        // the GPU memory held after each block: it must settle after the first two (no leak over blocks)
                        String held = be instanceof CudaBackend cuda ? String.format(Locale.ROOT, ", GPU memory held %.2f GiB", gib(cuda.liveBytes())) : "";
                        System.out.printf(Locale.ROOT, "block %d/%d: %d frames out after %.1f s (%.1f s for this block)%s, load average %s%n",
                                done, total, frames, (blockDoneAt[done] - runStart) / 1e9, (blockDoneAt[done] - prev) / 1e9, held, ProcessStats.loadAverage());
                    }, () -> false);
            double sustained = (framesAt[blocks] - framesAt[1]) / ((blockDoneAt[blocks] - blockDoneAt[1]) / 1e9);
            System.out.printf(Locale.ROOT, "first frame after %.3f s (the reference frame, decoded before block 0's steps); first generated frame "
                    + "after %.3f s; %d frames in %.3f s = %.1f frames/s overall; sustained after block 1: %.1f frames/s (%.1f ms per 12-frame block)%n",
                    r.firstFrameSeconds(), r.firstGeneratedFrameSeconds(), r.pixelFrames(), r.seconds(), r.framesPerSecond(), sustained,
                    (blockDoneAt[blocks] - blockDoneAt[1]) / 1e6 / (blocks - 1));
            for (int b = 0; b < blocks; b++) {
                System.out.printf(Locale.ROOT, "block %d timeline: 4 steps done at %.1f s, frames out from %.1f s to %.1f s, clean pass %s%n", b + 1,
                        at(stepsDoneAt[b], runStart), at(firstOutAt[b], runStart), at(lastOutAt[b], runStart),
                        cleanDoneAt[b] == 0 ? "skipped (last block)" : String.format(Locale.ROOT, "done at %.1f s", at(cleanDoneAt[b], runStart)));
            }
            if (profile && be instanceof CudaBackend cuda) System.out.print(cuda.profileReport());
            if (be instanceof CudaBackend cuda) {
                // the peak is since the backend was made: weights, conditioning (the reference encode) and the run
                System.out.print(cuda.memoryReport().format());
            }
            // the large buffers by owner, from the model's own books (on the CPU: heap and native memory beside the mapped weights)
            int perFrame = model.frameSeqLength(size / 8, size / 8);
            long kvBytes = 2L * cfg.numLayers() * settings.localAttnFrames() * perFrame * cfg.dim() * kvDtype.byteSize();
            System.out.printf(Locale.ROOT, "%smemory by owner (the model's books): KV cache %.2f GiB (freed at the end of the run), text K/V %.2f,"
                            + " DiT workspace %.2f, VAE decoder workspace %.2f, VAE decoder causal history %.2f GiB%n",
                    be instanceof CudaBackend ? "GPU " : "", gib(kvBytes), gib(text.bytes()),
                    gib(model.workspaceBytes()), gib(4 * vae.decoderWorkspaceFloats()), gib(vae.decoderHistoryBytes()));
            System.out.printf(Locale.ROOT, "java heap used: %d MiB; peak RSS %s; load average %s%n",
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20, ProcessStats.peakRss(), ProcessStats.loadAverage());
        }
        return 0;
    }

    private static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return a;
    }

    private static double gib(long bytes) {
        return bytes / (double) (1L << 30);
    }

    private static double at(long t, long start) {
        return t == 0 ? Double.NaN : (t - start) / 1e9;
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

}
