package livetalk.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import livetalk.model.dit.DitConfig;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import livetalk.testkit.DitWeights;
import livetalk.testkit.RandomWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Writes a full-size (1.3B) DiT checkpoint with seeded random weights in the official format
 * ({@code model.safetensors}: the 857 names and shapes of docs/model.md#dit-state-dict), streamed tensor by tensor.
 * For benchmarks and load tests: the video it would make is noise.
 */
@Command(name = "make-random-dit", mixinStandardHelpOptions = true,
        description = "Write a random-weight 1.3B DiT checkpoint in the official format (for benchmarks).")
final class MakeRandomDitCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory (model.safetensors is written there)")
    Path out;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32 (as released) or bf16 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--seed", defaultValue = "0", description = "weight seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        DType dt = switch (dtype.toLowerCase()) {
            case "f32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new InputException("--dtype must be f32 or bf16, not '" + dtype + "'");
        };
        Files.createDirectories(out);
        DitConfig cfg = DitWeights.official1_3B();
        RandomWeights weights = DitWeights.random(cfg, seed, dt);
        long bytes = 0;
        for (long[] shape : weights.shapes().values()) bytes += Tensor.numel(shape) * dt.byteSize();
        Path file = out.resolve("model.safetensors");
        System.out.printf("writing %s: %d tensors, %.2f GB %s, seed %d%n", file, weights.shapes().size(), bytes / 1e9, dt, seed);
        long t0 = System.nanoTime();
        // sorted, so the header (and the file) is byte-identical run to run
        weights.write(file, new java.util.TreeMap<>(Map.of("format", "pt", "livetalk", "random weights, seed " + seed)));
        System.out.printf("done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
