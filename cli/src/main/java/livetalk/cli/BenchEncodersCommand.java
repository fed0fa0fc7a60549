package livetalk.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import livetalk.cli.bench.EncoderBench;
import livetalk.kernels.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code livetalk bench-encoders}: full-size umT5-XXL or wav2vec2-base timings on random official-layout weights. */
@Command(name = "bench-encoders", mixinStandardHelpOptions = true,
        description = "Time umT5-XXL on one prompt or wav2vec2-base on N seconds of audio (random full-size weights).")
final class BenchEncodersCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "umt5 or wav2vec2")
    String model;

    @Option(names = "--tokens", defaultValue = "512", description = "umT5: real tokens of the 512 (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--seconds", defaultValue = "5", description = "wav2vec2: seconds of audio (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--weights", paramLabel = "FILE", description = "where the random checkpoint is written once and reused (default: the temp directory; umT5 takes 11.4 GB)")
    Path weights;

    @Mixin
    BackendOptions backendOptions;

    @Override
    public Integer call() throws Exception {
        try (Backend be = backendOptions.create()) {
            switch (model) {
                case "umt5" -> EncoderBench.umt5(be, tokens, 24, weights);
                case "wav2vec2" -> EncoderBench.wav2vec2(be, seconds, weights);
                default -> throw new InputException("unknown model '" + model + "' (expected umt5 or wav2vec2)");
            }
        }
        return 0;
    }
}
