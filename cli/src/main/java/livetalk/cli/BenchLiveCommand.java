package livetalk.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import livetalk.cli.bench.LiveReport;
import livetalk.cli.bench.LiveScript;
import livetalk.cli.demo.DemoAssets;
import livetalk.cli.demo.DemoModels;
import livetalk.io.Checkpoint;
import livetalk.io.Json;
import livetalk.io.image.ImageFiles;
import livetalk.io.image.RgbImage;
import livetalk.kernels.Backend;
import livetalk.kernels.cuda.CudaBackend;
import livetalk.session.LiveStream;
import livetalk.session.ModelLayout;
import livetalk.session.ModelSet;
import livetalk.session.SamplingPlan;
import livetalk.testkit.EncoderWeights;
import livetalk.testkit.VaeWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code livetalk bench-live}: what a user of {@code serve} experiences, timed. One live session
 * made as serve makes it (the model set prepared as serve prepares it before it is ready, the
 * same {@link LiveStream}, decode thread and locks), driven by a scripted conversation
 * ({@link LiveScript}): listening, turns of synthetic speech, one barge-in. Either on a DiT
 * checkpoint ({@code --dit}, e.g. from make-random-dit) with random official-size VAE and
 * wav2vec2-base weights and random text embeddings (no 11 GB text encoder: the timings do not
 * depend on the text), or on the demo's tiny models ({@code --demo}, as {@code serve --demo}).
 * Prints a table per turn ({@link LiveReport}) and one JSON line; never asserts a timing.
 */
@Command(name = "bench-live", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Time a live session as serve runs it: first frame per turn, block times, real-time factor, barge-in, memory.")
final class BenchLiveCommand implements Callable<Integer> {
    @Option(names = "--dit", paramLabel = "FILE", description = "DiT checkpoint (e.g. from make-random-dit); the VAE and wav2vec2 get random official-size weights")
    Path dit;

    @Option(names = "--demo", description = "the demo's tiny random models instead (as serve --demo)")
    boolean demo;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--size", paramLabel = "PX", description = "frame size (default: 512, or " + ServeCommand.DEMO_SIZE + " with --demo)")
    Integer size;

    @Option(names = "--turns", defaultValue = "3", paramLabel = "N", description = "turns of speech (default: ${DEFAULT-VALUE})")
    int turns;

    @Option(names = "--turn-seconds", defaultValue = "3", paramLabel = "S", description = "speech per turn, in seconds (default: ${DEFAULT-VALUE})")
    double turnSeconds;

    @Option(names = "--listen-seconds", defaultValue = "1.5", paramLabel = "S",
            description = "listening before the first turn and after each, in seconds, rounded up to whole blocks of 0.75 s (default: ${DEFAULT-VALUE})")
    double listenSeconds;

    @Option(names = "--no-barge-in", description = "let every turn finish (by default the last turn cuts the one before it halfway)")
    boolean noBargeIn;

    @Option(names = "--paced", description = "a client that plays in real time, as serve's page: at most 1 s of media ahead, deadline misses counted"
            + " (default: frames taken as fast as they come, which shows capacity)")
    boolean paced;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the report as JSON to FILE")
    Path json;

    @Option(names = "--cache", paramLabel = "DIR", description = "where --demo keeps its models and prompt cache (default: .livetalk-cache in the checkout)")
    Path cache;

    @Override
    public Integer call() throws Exception {
        int px = checkOptions();
        LiveScript.Options script = new LiveScript.Options(turns, turnSeconds, listenSeconds, !noBargeIn, paced);
        Path cacheDir = cache != null ? cache : Launcher.home().resolve(".livetalk-cache");
        try (Backend be = backendOptions.create(); ModelSet set = models(be, cacheDir)) {
            SamplingPlan plan = SamplingPlan.official();
            String speak = DemoAssets.PROMPT, listen = "a person listening quietly to the camera, calm and attentive";
            double warm = set.prepare(plan, ServeCommand.warmUpSize(demo, px), speak, listen);     // what serve does before it says it is ready
            System.out.printf(Locale.ROOT, "bench-live: %s, %dx%d, %s, %d turns of %.2f s speech, %.2f s listening before and between, %s, %s;"
                            + " warm-up %.1f s; %s, load average %s%n", device(be), px, px, demo ? "demo models (random weights)" : dit.getFileName()
                            + " with random VAE and wav2vec2", turns, turnSeconds, listenSeconds,
                    noBargeIn ? "no barge-in" : "turn " + turns + " cuts turn " + (turns - 1),
                    paced ? "paced (a real-time player)" : "frames taken as fast as they come", warm, LocalDate.now(), ProcessStats.loadAverage());
            LiveReport report;
            try (LiveStream stream = LiveStream.open(set, plan, portrait(), px, speak, listen, 42, paced)) {
                report = new LiveScript(stream, script, () -> new LiveScript.Memory(ProcessStats.statusBytes("VmRSS"),
                        be instanceof CudaBackend cuda ? cuda.liveBytes() : -1, stream.session().memoryBytes())).run();
            }
            System.out.print(report.table());
            if (be instanceof CudaBackend cuda) System.out.print(cuda.memoryReport().format());
            System.out.printf(Locale.ROOT, "peak RSS %s; load average %s%n", ProcessStats.peakRss(), ProcessStats.loadAverage());
            Map<String, Object> header = new LinkedHashMap<>();
            header.put("command", "bench-live");
            header.put("device", be.name());
            header.put("size", px);
            header.put("models", demo ? "demo" : dit.toString());
            header.put("warm_up_s", warm);
            header.put("peak_rss_bytes", ProcessStats.statusBytes("VmHWM"));
            header.put("gpu_peak_bytes", be instanceof CudaBackend cuda ? cuda.memoryReport().peak() : null);
            String line = Json.write(report.json(header));
            System.out.println("json " + line);
            if (json != null) Files.writeString(json, line + System.lineSeparator());
        }
        return 0;
    }

    /** Every option, before any model loads; returns the frame size. */
    private int checkOptions() {
        if (demo == (dit != null)) throw new InputException("pass either --dit FILE or --demo");
        if (dit != null && !Files.isRegularFile(dit)) throw new InputException("--dit " + dit + ": no such file");
        int px = size != null ? size : demo ? ServeCommand.DEMO_SIZE : 512;
        if (px < 16 || px % 16 != 0) throw new InputException("--size " + px + ": expected a positive multiple of 16");
        if (turns < 1) throw new InputException("--turns " + turns + ": expected at least 1");
        if (!(turnSeconds >= 0.75) || turnSeconds > 600) throw new InputException("--turn-seconds " + turnSeconds + ": expected 0.75 (one block) to 600");
        if (!(listenSeconds >= 0.75) || listenSeconds > 600) {
            throw new InputException("--listen-seconds " + listenSeconds + ": expected 0.75 (one block) to 600");
        }
        if (!noBargeIn && turns < 2) throw new InputException("--turns " + turns + " leaves no turn to cut: a barge-in needs 2 or more (or pass --no-barge-in)");
        if (!noBargeIn && turnSeconds < 1.5) {
            throw new InputException("--turn-seconds " + turnSeconds + ": a barge-in needs turns of 1.5 s or more (two blocks), to cut one halfway (or pass --no-barge-in)");
        }
        if (json != null) {
            Path dir = json.toAbsolutePath().getParent();
            if (Files.isDirectory(json)) throw new InputException("--json " + json + " is a folder");
            if (dir == null || !Files.isDirectory(dir)) throw new InputException("--json " + json + ": the folder " + dir + " does not exist");
        }
        return px;
    }

    /** The demo's models as serve --demo loads them, or the DiT with random VAE, wav2vec2 and text. */
    private ModelSet models(Backend be, Path cacheDir) {
        if (demo) return ModelSet.load(ModelLayout.resolve(DemoModels.ensure(cacheDir), null, null, null, null, null), be, cacheDir, System.err);
        long t0 = System.nanoTime();
        Checkpoint vae = VaeWeights.checkpoint(VaeWeights.generate(VaeWeights.official(), 1));
        Checkpoint wav2vec = EncoderWeights.wav2vec2(EncoderWeights.Wav2Vec2.base(), 2).checkpoint("wav2vec2-base");
        ModelSet set = ModelSet.of(be, dit, vae, wav2vec, BenchLiveCommand::randomText);
        int audio = set.dit().config().audioInputDim(), expected = 14 * 768;     // [last, hs0 … hs12] of wav2vec2-base (docs/model.md#audio-features)
        if (audio != expected) {
            set.close();
            throw new InputException("--dit " + dit + ": audio input width " + audio + ", but the random wav2vec2-base gives " + expected
                    + " (a full-size DiT, e.g. from make-random-dit, or --demo)");
        }
        System.out.printf(Locale.ROOT, "random VAE and wav2vec2-base weights made and the DiT mapped in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return set;
    }

    /** Seeded random embeddings, per prompt, at bench-pipeline's scale: the DiT's cost does not depend on the text. */
    private static float[] randomText(String prompt, int textDim) {
        SplittableRandom rnd = new SplittableRandom(prompt.hashCode());
        float[] e = new float[512 * textDim];
        for (int i = 0; i < e.length; i++) e[i] = (float) ((rnd.nextDouble() * 2 - 1) * 0.1);
        return e;
    }

    /** The demo's drawn face, serve's default portrait. */
    private static RgbImage portrait() throws java.io.IOException {
        Path png = Files.createTempFile("livetalk-bench-live-", ".png");
        try {
            DemoAssets.portrait(png);
            return ImageFiles.read(png);
        } finally {
            Files.deleteIfExists(png);
        }
    }

    private static String device(Backend be) {
        return be.name() + (be instanceof CudaBackend cuda ? ", GEMM " + cuda.gemmKernel() + ", flash " + cuda.flashKernel()
                + ", conv " + cuda.convLayout() + (cuda.streamsPerThread() ? ", decoder on a stream of its own" : ", one stream") : "");
    }
}
