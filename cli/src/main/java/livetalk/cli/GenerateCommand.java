package livetalk.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import livetalk.kernels.Backend;
import livetalk.session.FileGeneration;
import livetalk.session.ModelLayout;
import livetalk.session.SamplingPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code livetalk generate}: portrait + speech + prompt → a lip-synced 512×512, 16 fps video. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate a talking-avatar video from a portrait, speech audio and a text prompt.")
final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "reference portrait (PNG, JPEG, BMP, GIF, TIFF)")
    Path image;

    @Option(names = "--ignore-exif", description = "do not apply the image's EXIF orientation (the reference does not; for parity runs)")
    boolean ignoreExif;

    @Option(names = "--audio", required = true, paramLabel = "FILE", description = "speech (WAV: PCM 8/16/24/32-bit or float, any rate)")
    Path audio;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "text prompt describing the video (one that starts with -- is given as --prompt=--TEXT)")
    String prompt;

    @Option(names = "--prompt-file", paramLabel = "FILE", description = "read the prompt from a UTF-8 text file instead")
    Path promptFile;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "output video (.mp4; its folder must exist)")
    Path out;

    @Option(names = "--models", paramLabel = "DIR", description = "checkpoint directory in the official download layout (default: ./models)")
    Path models;

    @Option(names = "--dit", paramLabel = "FILE", description = "override: LiveTalk DiT (model.safetensors)")
    Path dit;

    @Option(names = "--vae", paramLabel = "FILE", description = "override: Wan2.1_VAE.pth")
    Path vae;

    @Option(names = "--t5", paramLabel = "FILE", description = "override: models_t5_umt5-xxl-enc-bf16.pth")
    Path t5;

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "override: google/umt5-xxl tokenizer directory")
    Path tokenizer;

    @Option(names = "--wav2vec", paramLabel = "DIR", description = "override: wav2vec2-base-960h directory")
    Path wav2vec;

    @Option(names = "--seconds", paramLabel = "S", description = "video length (default: the audio's length)")
    Double seconds;

    @Option(names = "--seed", defaultValue = "42", description = "noise seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--sink-frames", defaultValue = "9", description = "identity-sink latent frames kept forever (default: ${DEFAULT-VALUE})")
    int sinkFrames;

    @Option(names = "--window-frames", defaultValue = "15", description = "attention window in latent frames (default: ${DEFAULT-VALUE})")
    int windowFrames;

    @Option(names = "--exact-timesteps", description = "feed the exact warped timesteps to the time embedding instead of the reference run's bf16-rounded ones")
    boolean exactTimesteps;

    @Option(names = "--frames", paramLabel = "DIR", description = "also write every frame as PNG into DIR")
    Path frames;

    /** Only for tiny test and demo models: the published model is trained for 512×512 (docs/model.md#constants). */
    @Option(names = "--size", hidden = true, defaultValue = "512", paramLabel = "PX")
    int size;

    @Option(names = "--cache", paramLabel = "DIR", description = "prompt-embedding cache (default: .livetalk-cache in the checkout)")
    Path cache;

    @Override
    public Integer call() {
        SamplingPlan plan = new SamplingPlan(sinkFrames, windowFrames, exactTimesteps);
        if (size < 16 || size % 16 != 0) throw new InputException("--size " + size + ": expected a positive multiple of 16");
        String text = PromptFile.resolve(prompt, promptFile);
        Path modelDir = models != null ? models : (dit == null ? Path.of("models") : null);
        ModelLayout layout = ModelLayout.resolve(modelDir, dit, vae, t5, tokenizer, wav2vec);
        Path cacheDir = cache != null ? cache : Launcher.home().resolve(".livetalk-cache");
        FileGeneration.Options o = new FileGeneration.Options(image, audio, text, out, frames, layout, seconds, seed, plan, size, cacheDir,
                ignoreExif);
        try (Backend backend = backendOptions.create()) {
            new FileGeneration(o, backend, System.err).run();
        }
        return 0;
    }
}
