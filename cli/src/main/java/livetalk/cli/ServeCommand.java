package livetalk.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import livetalk.cli.demo.DemoAssets;
import livetalk.cli.demo.DemoModels;
import livetalk.kernels.Backend;
import livetalk.server.LiveServer;
import livetalk.server.OpenAiSpeech;
import livetalk.server.ServerOptions;
import livetalk.session.ModelLayout;
import livetalk.session.ModelSet;
import livetalk.session.SamplingPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code livetalk serve}: a browser page where the avatar talks back, turn after turn (README "Serve"). */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serve the live avatar: a web page, a JSON control API and WebSocket media.")
final class ServeCommand implements Callable<Integer> {
    /** The demo's frame size: measured at least real time on 2 cores (README). */
    static final int DEMO_SIZE = 96;

    @Option(names = "--models", paramLabel = "DIR", description = "checkpoint directory in the official layout")
    Path models;

    @Option(names = "--demo", description = "use the tiny random-weight demo models (no download; the picture is noise, not a face)")
    boolean demo;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind (default: ${DEFAULT-VALUE}, this machine only)")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port;

    @Mixin
    BackendOptions backendOptions;

    @Option(names = "--max-sessions", defaultValue = "4", paramLabel = "N", description = "sessions at once; more are refused (default: ${DEFAULT-VALUE})")
    int maxSessions;

    @Option(names = "--size", paramLabel = "PX", description = "frame size (default: 512, or " + DEMO_SIZE + " with --demo)")
    Integer size;

    @Option(names = "--image", paramLabel = "FILE", description = "portrait for sessions created without one (default: the demo's drawn face)")
    Path image;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "prompt while speaking (default: ${DEFAULT-VALUE})",
            defaultValue = "a person talking to the camera with a calm smile")
    String prompt;

    @Option(names = "--listening-prompt", paramLabel = "TEXT", description = "prompt while listening (default: ${DEFAULT-VALUE})",
            defaultValue = "a person listening quietly to the camera, calm and attentive")
    String listeningPrompt;

    @Option(names = "--openai-url", paramLabel = "URL", description = "OpenAI-compatible endpoint for replies, voice and transcription (env OPENAI_BASE_URL); without it typed text is spoken by espeak-ng and the microphone is echoed")
    String openAiUrl;

    @Option(names = "--openai-key", paramLabel = "KEY", description = "API key (env OPENAI_API_KEY)")
    String openAiKey;

    @Option(names = "--openai-model", defaultValue = "gpt-4o-mini", description = "chat model (default: ${DEFAULT-VALUE})")
    String openAiModel;

    @Option(names = "--openai-tts-model", defaultValue = "tts-1", description = "speech model (default: ${DEFAULT-VALUE})")
    String openAiTts;

    @Option(names = "--openai-voice", defaultValue = "alloy", description = "voice (default: ${DEFAULT-VALUE})")
    String openAiVoice;

    @Option(names = "--openai-stt-model", defaultValue = "whisper-1", description = "transcription model (default: ${DEFAULT-VALUE})")
    String openAiStt;

    @Option(names = "--data", paramLabel = "DIR", description = "the server's folder for uploads and recordings (default: .livetalk-cache/serve)")
    Path data;

    @Option(names = "--cache", paramLabel = "DIR", description = "prompt-embedding cache (default: .livetalk-cache in the checkout)")
    Path cache;

    @Override
    public Integer call() throws Exception {
        if (demo == (models != null)) throw new InputException("pass either --models DIR or --demo");
        if (maxSessions < 1) throw new InputException("--max-sessions " + maxSessions + ": expected at least 1");
        if (port < 0 || port > 65535) throw new InputException("--port " + port + ": expected 0..65535");
        int px = size != null ? size : demo ? DEMO_SIZE : 512;
        if (px < 16 || px % 16 != 0) throw new InputException("--size " + px + ": expected a positive multiple of 16");
        Path cacheDir = cache != null ? cache : Launcher.home().resolve(".livetalk-cache");
        Path dataDir = data != null ? data : cacheDir.resolve("serve");
        Path modelDir = demo ? DemoModels.ensure(cacheDir) : models;
        ModelLayout layout = ModelLayout.resolve(modelDir, null, null, null, null, null);
        Path portrait = image;
        if (portrait == null) {
            portrait = Files.createDirectories(cacheDir.resolve("demo-assets")).resolve("portrait.png");
            DemoAssets.portrait(portrait);
        }
        String url = openAiUrl != null ? openAiUrl : System.getenv("OPENAI_BASE_URL");
        String key = openAiKey != null ? openAiKey : System.getenv("OPENAI_API_KEY");
        OpenAiSpeech.Config openAi = url == null || url.isBlank() ? null
                : new OpenAiSpeech.Config(url, key, openAiModel, openAiTts, openAiVoice, openAiStt);
        ServerOptions opts = new ServerOptions(host, port, maxSessions, px, dataDir, portrait, prompt, listeningPrompt, openAi);
        if (demo) System.err.println("livetalk serve: demo models (RANDOM weights): the video shows noise, not a face");
        try (Backend backend = backendOptions.create();
             ModelSet set = ModelSet.load(layout, backend, cacheDir, System.err);
             LiveServer server = new LiveServer(set, SamplingPlan.official(), opts)) {
            // both prompts encoded now, so the first turn does not wait for umT5; then every network once,
            // the demo's at the sessions' own size (a cheap block there; see warmUpSize)
            System.err.printf(java.util.Locale.ROOT, "livetalk serve: every network run once (weights in place, kernels loaded) in %.1f s%n",
                    set.prepare(SamplingPlan.official(), warmUpSize(demo, px), prompt, listeningPrompt));
            String where = server.start();
            System.out.println("livetalk serve: ready at " + where + "  (" + px + "x" + px + ", " + backend.name() + ", up to " + maxSessions
                    + " sessions; Ctrl-C stops)");
            System.out.flush();
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
        return 0;
    }

    /**
     * The warm-up's frame size: the sessions' own with the demo models, whose block there costs
     * about two seconds on a CPU (the first session's first frame then comes after about 0.06 s
     * instead of 0.7–0.9 s); the smallest otherwise, since a block of the real model at 512×512 takes minutes
     * on a CPU (what it would save on a GPU is not yet measured).
     */
    static int warmUpSize(boolean demo, int px) {
        return demo ? px : livetalk.sampler.WarmUp.SIZE;
    }
}
