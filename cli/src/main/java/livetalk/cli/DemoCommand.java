package livetalk.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import livetalk.cli.demo.DemoAssets;
import livetalk.cli.demo.DemoModels;
import livetalk.kernels.Backend;
import livetalk.session.FileGeneration;
import livetalk.session.ModelLayout;
import livetalk.session.SamplingPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code livetalk demo}: the whole pipeline on a small random-weight model set in the official
 * file formats (generated once, deterministically, and cached), a drawn portrait and generated
 * speech. It shows the engine working end to end without the multi-gigabyte download; with
 * random weights the picture is not a talking face.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline on small random weights (no download) and write demo.mp4.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "demo.mp4", paramLabel = "FILE", description = "output video (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--seconds", defaultValue = "3", paramLabel = "S", description = "video length (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--size", defaultValue = "512", paramLabel = "PX", description = "frame size, a multiple of 16 (default: ${DEFAULT-VALUE}, the real model's)")
    int size;

    @Mixin
    BackendOptions backendOptions;

    @Override
    public Integer call() throws IOException {
        if (size < 16 || size % 16 != 0) throw new InputException("--size " + size + ": expected a positive multiple of 16");
        Path cache = Launcher.home().resolve(".livetalk-cache");
        Files.createDirectories(cache);
        System.err.println("livetalk demo: the weights are RANDOM (a tiny model in the official file formats, made on the spot),");
        System.err.println("  so the video shows what the pipeline does, not a talking face. README explains how to run the real model.");
        long t0 = System.nanoTime();
        Path models = DemoModels.ensure(cache);
        Path assets = Files.createDirectories(cache.resolve("demo-assets"));
        Path face = assets.resolve("portrait.png"), speech = assets.resolve("speech.wav");
        DemoAssets.portrait(face);
        String how = DemoAssets.speech(speech, seconds);
        System.err.printf("livetalk demo: models in %s, portrait %s, speech %s (%s), ready in %.1f s%n", models, face, speech, how,
                (System.nanoTime() - t0) / 1e9);
        ModelLayout layout = ModelLayout.resolve(models, null, null, null, null, null);
        FileGeneration.Options o = new FileGeneration.Options(face, speech, DemoAssets.PROMPT, out, null,
                layout, seconds, 42, SamplingPlan.official(), size, cache, false);
        try (Backend backend = backendOptions.create()) {
            new FileGeneration(o, backend, System.err).run();
        }
        System.err.printf("livetalk demo: done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
