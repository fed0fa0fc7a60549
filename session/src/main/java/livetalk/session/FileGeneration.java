package livetalk.session;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import livetalk.io.audio.AudioLoader;
import livetalk.io.audio.WavReader;
import livetalk.io.image.ImageFiles;
import livetalk.io.image.PortraitPreprocess;
import livetalk.io.image.RgbImage;
import livetalk.io.video.VideoWriter;
import livetalk.kernels.Backend;
import livetalk.model.dit.TextCache;
import livetalk.sampler.SeededNoise;
import livetalk.sampler.StreamingPipeline;

/**
 * One {@code generate} run, top to bottom (docs/architecture.md#data-path): check every input, load the model set,
 * encode the prompt (or take it from the prompt cache), the speech and the portrait, then denoise
 * block by block and stream the decoded frames into the video file. The CLI's {@code generate}
 * is a thin client of this class; the live server uses the same {@link ModelSet} and
 * {@link SamplingPlan}.
 */
public final class FileGeneration {
    /** Official frame rate (docs/model.md#constants); the official size, 512×512, is GenerateCommand's default. */
    public static final int FPS = 16;

    public record Options(Path image, Path audio, String prompt, Path out, Path framesDir, ModelLayout models, Double seconds,
                          long seed, SamplingPlan plan, int size, Path cacheDir, boolean ignoreExif) {
    }

    private final Options o;
    private final Backend backend;
    private final PrintStream log;

    public FileGeneration(Options options, Backend backend, PrintStream log) {
        this.o = options;
        this.backend = backend;
        this.log = log;
    }

    /** Runs the generation; returns the pipeline's result. Ctrl-C leaves a playable file with the frames made so far. */
    public StreamingPipeline.Result run() {
        // ---- inputs first, so a mistake is reported before minutes of model loading
        EarlyChecks.run(o);
        RgbImage portrait = ImageFiles.read(o.image(), !o.ignoreExif());
        WavReader.Audio wav = WavReader.read(o.audio());
        double seconds = o.seconds() != null ? o.seconds() : wav.seconds();
        if (!(seconds > 0) || seconds > 3600) {
            throw new InputException("--seconds " + seconds + ": expected a length in (0, 3600] seconds");
        }
        int size = o.size();
        float[] pixels = PortraitPreprocess.prepare(portrait, size, size);     // [3, S, S] in [-1, 1]

        // ---- models (weights stay memory-mapped)
        try (ModelSet models = ModelSet.load(o.models(), backend, o.cacheDir(), log)) {
            SamplingPlan plan = o.plan();
            StreamingPipeline pipe = new StreamingPipeline(models.dit(), models.vae(), plan.settings(), plan.stepTimesteps(), true);

            // Frame counts (docs/model.md#frame-counts): T = 16·s + 1 frames, as the reference's 16d + 1; whole blocks are
            // generated and the surplus frames dropped, so any length works (no 3n+2 rule).
            int pixelFrames = (int) Math.floor(seconds * FPS + 1e-9) + 1;
            int latentFrames = pipe.latentFramesFor(pixelFrames);
            int audioFrames = pipe.audioFramesFor(latentFrames);

            log.printf("livetalk: %.2f s → %d frames (%d latent frames, %d blocks) at %dx%d, %d fps, seed %d, device %s%n",
                    seconds, pixelFrames, latentFrames, latentFrames / 3, size, size, FPS, o.seed(), backend.name());
            TextCache text = models.textContext(o.prompt());
            float[] features = models.audioFeatures(AudioLoader.loadMono(o.audio(), AudioLoader.WAV2VEC_RATE), latentFrames);
            StreamingPipeline.Conditioning cond = pipe.condition(pixels, size, size, features, audioFrames, text);
            return stream(pipe, cond, pixelFrames, size);
        }
    }
    /** Denoise and decode, writing frames as they arrive; a shutdown hook finishes the file on Ctrl-C. */
    private StreamingPipeline.Result stream(StreamingPipeline pipe, StreamingPipeline.Conditioning cond, int pixelFrames, int size) {
        VideoWriter video = VideoWriter.open(o.out(), size, size, FPS, o.audio());
        AtomicBoolean cancelled = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            cancelled.set(true);
            if (video.frames() == 0) {
                video.abort();   // nothing to show: leave no file rather than an empty one
                log.printf("%nlivetalk: interrupted before the first frame; no file written%n");
                return;
            }
            video.close();   // a playable file with the frames written so far
            log.printf("%nlivetalk: interrupted; %s holds the %d frames made so far%n", o.out(), video.frames());
        }, "livetalk-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        ProgressBar bar = new ProgressBar(log, cond.latentFrames() / 3, pixelFrames);
        StreamingPipeline.Result r;
        try {
            r = pipe.run(cond, pixelFrames, new SeededNoise(o.seed()), new SeededNoise(renoiseSeed(o.seed())), (px, n, first) -> {
                int plane = 3 * size * size;
                for (int i = 0; i < n; i++) {
                    byte[] rgb = Frames.toRgb8(px, i * plane, size, size);
                    video.frame(rgb);
                    if (o.framesDir() != null) {
                        ImageFiles.writePng(o.framesDir().resolve(String.format("frame_%05d.png", first + i)), size, size, rgb);
                    }
                }
            }, (done, total, frames) -> bar.update(done, frames), cancelled::get);
        } catch (RuntimeException | Error e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            video.abort();
            throw e;
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        bar.finish();
        video.close();
        log.printf("livetalk: wrote %s (%d frames, %s); first frame after %.2f s, %.2f frames/s overall%n",
                o.out(), r.pixelFrames(), video.description(), r.firstFrameSeconds(), r.framesPerSecond());
        return r;
    }

    /** The re-noising stream is separate from the initial-noise stream, so block noise does not depend on the step count. */
    static long renoiseSeed(long seed) {
        return seed ^ 0x9E3779B97F4A7C15L;
    }
}
