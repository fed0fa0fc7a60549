package livetalk.session;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;
import livetalk.io.Json;
import livetalk.kernels.Backend;
import livetalk.model.audio.AudioFeatures;
import livetalk.model.audio.Wav2Vec2;
import livetalk.model.dit.CausalDit;
import livetalk.model.dit.TextCache;
import livetalk.model.text.PromptEmbeddingCache;
import livetalk.model.text.Umt5Config;
import livetalk.model.text.Umt5Encoder;
import livetalk.model.text.Umt5Tokenizer;
import livetalk.model.vae.WanVae;
import livetalk.sampler.WarmUp;

/**
 * One loaded model set, shared by every user: the DiT, the VAE and wav2vec2 loaded by the
 * official layout (weights stay memory-mapped), the tokenizer and umT5 behind the on-disk prompt
 * cache, and a small in-memory cache of prompt text contexts so that switching between a few
 * prompts costs no umT5 run.
 *
 * <p>The networks keep reusable workspaces, so two threads must not run the same network at once.
 * Two fair locks see to that; fairness is what lets several sessions take turns.
 * <ul>
 *   <li>{@link #lock()}, the model lock: the DiT (a prompt's text context included) and wav2vec2,
 *       held around a block's denoising and around its clean pass, so sessions take turns there.</li>
 *   <li>{@link #vaeLock()}: the VAE, whose workspaces and one decoder tower every session's
 *       decoder shares ({@code WanVae.decoder}). A session's decode thread holds it for one latent
 *       frame at a time and never holds the model lock, so the decode of one block runs beside
 *       the DiT's work on the next (docs/sampler.md#streaming).</li>
 * </ul>
 * Lock order: the model lock, then the VAE lock (the warm-up and a session's reference encode
 * hold both); never the VAE lock and then the model lock. Neither is held while waiting for a
 * decode thread, whose frame callbacks may take the model lock.
 */
public final class ModelSet implements AutoCloseable {
    private static final int TEXT_CACHE_ENTRIES = 8;

    /**
     * Turns a prompt into the DiT's text input, embeddings {@code [512, textDim]}: umT5 behind the
     * on-disk prompt cache for a model layout, or a benchmark's stand-in, which spares it the 11 GB
     * text encoder (the timings do not depend on the text). Fails with a {@link CheckpointException}
     * naming its file if it cannot give {@code textDim}-wide embeddings.
     */
    public interface PromptEncoder {
        float[] embeds(String prompt, int textDim);
    }

    private final Backend backend;
    private final PromptEncoder prompts;
    private final Checkpoint ditFile, vaeFile;
    private final java.util.function.Supplier<Checkpoint> wav2vecOpener;
    private Checkpoint wav2vecFile;
    private final CausalDit dit;
    private final WanVae vae;
    private Wav2Vec2 wav2vec;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final ReentrantLock vaeLock = new ReentrantLock(true);
    private final Map<String, TextCache> texts = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, TextCache> e) {
            return size() > TEXT_CACHE_ENTRIES;
        }
    };

    /** Loads the DiT and the VAE from their checkpoints (the factories close them on a failure). */
    private ModelSet(Backend backend, Checkpoint d, Map<String, Object> ditConfig, Checkpoint v,
                     java.util.function.Supplier<Checkpoint> wav2vec, PromptEncoder prompts) {
        this.backend = backend;
        this.wav2vecOpener = wav2vec;
        this.prompts = prompts;
        this.dit = CausalDit.load(backend, d, ditConfig);
        this.vae = WanVae.load(v, backend);
        this.ditFile = d;
        this.vaeFile = v;
    }

    /** Opens the DiT and the VAE now; wav2vec2 and umT5 are opened when first needed. */
    public static ModelSet load(ModelLayout layout, Backend backend, Path cacheDir, PrintStream log) {
        Map<String, Object> config = ditConfig(layout.dit());
        Checkpoint d = Checkpoint.open(layout.dit()), v = null;
        try {
            v = Checkpoint.open(layout.vae());
            return new ModelSet(backend, d, config, v, () -> Checkpoint.open(ModelLayout.wav2vecWeights(layout.wav2vec())),
                    (prompt, textDim) -> umt5Embeds(layout, backend, cacheDir, log, prompt, textDim));
        } catch (RuntimeException | Error e) {
            d.close();
            if (v != null) v.close();
            throw e;
        }
    }

    /**
     * A set from a DiT file (with its optional {@code config.json} beside it) and checkpoints
     * already open (e.g. random weights in memory), whose text comes from {@code prompts}: what a
     * benchmark needs to run the live path at full size without the whole official layout.
     * Takes the two checkpoints over (closes them with the set, or at once on a failure).
     */
    public static ModelSet of(Backend backend, Path ditFile, Checkpoint vae, Checkpoint wav2vec, PromptEncoder prompts) {
        Checkpoint d = null;
        try {
            Map<String, Object> config = ditConfig(ditFile);
            d = Checkpoint.open(ditFile);
            ModelSet set = new ModelSet(backend, d, config, vae, () -> wav2vec, prompts);
            set.wav2vecFile = wav2vec;              // owned from now on: closed with the set even if never used
            return set;
        } catch (RuntimeException | Error e) {
            if (d != null) d.close();
            vae.close();
            wav2vec.close();
            throw e;
        }
    }

    public Backend backend() {
        return backend;
    }

    public CausalDit dit() {
        return dit;
    }

    public WanVae vae() {
        return vae;
    }

    /** The fair lock around the DiT's and wav2vec2's calls (see the class comment). */
    public ReentrantLock lock() {
        return lock;
    }

    /** The fair lock around the VAE's calls (see the class comment for the lock order). */
    public ReentrantLock vaeLock() {
        return vaeLock;
    }

    /**
     * Runs every network once on small zero inputs (sampler's {@link WarmUp} for the DiT and the VAE,
     * then wav2vec2 on a second of silence), so that the first turn of the first session does not pay
     * for first use: weight uploads on a GPU, page faults and first compilations on the CPU. Changes
     * no later result. Returns the wall time in seconds.
     */
    public double warmUp(SamplingPlan plan) {
        return warmUp(plan, WarmUp.SIZE);
    }

    /**
     * As {@link #warmUp(SamplingPlan)} with the DiT and VAE block at {@code size}×{@code size}
     * pixels: the size sessions will run at, where one block there is cheap (serve --demo), so
     * that the first session's first block finds its shapes' code compiled ({@link WarmUp#run}).
     */
    public double warmUp(SamplingPlan plan, int size) {
        long t0 = System.nanoTime();
        lock.lock();
        vaeLock.lock();                  // the lock order: model, then VAE
        try {
            WarmUp.run(dit, vae, plan.settings(), plan.stepTimesteps(), size);
            audioFeatures(new float[BlockClock.SAMPLE_RATE], SamplingPlan.FRAMES_PER_BLOCK);
        } finally {
            vaeLock.unlock();
            lock.unlock();
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * What serve does before it says it is ready (and bench-live before it times anything): the
     * text contexts of the prompts its sessions use, so that no turn waits for umT5, then
     * {@link #warmUp}. Returns the warm-up's wall time in seconds.
     */
    public double prepare(SamplingPlan plan, String... prompts) {
        return prepare(plan, WarmUp.SIZE, prompts);
    }

    /** As {@link #prepare(SamplingPlan, String...)}, warming up at {@code warmUpSize} ({@link #warmUp(SamplingPlan, int)}). */
    public double prepare(SamplingPlan plan, int warmUpSize, String... prompts) {
        for (String p : prompts) textContext(p);
        return warmUp(plan, warmUpSize);
    }

    /** wav2vec2, loaded on first use and kept. */
    public synchronized Wav2Vec2 wav2vec() {
        if (wav2vec == null) {
            wav2vecFile = wav2vecOpener.get();
            wav2vec = new Wav2Vec2(backend, wav2vecFile);
        }
        return wav2vec;
    }

    /**
     * wav2vec2 features {@code [4F−3, A]} for a whole clip of {@code latentFrames} (docs/model.md#audio-input),
     * with short audio padded with silence so the lips stay in sync.
     */
    public float[] audioFeatures(float[] mono16k, int latentFrames) {
        return AudioFeatures.compute(wav2vec(), mono16k, latentFrames, true);
    }

    /** The prompt's DiT text context (embedding and per-layer cross-attention K/V), cached by prompt. */
    public TextCache textContext(String prompt) {
        synchronized (texts) {
            TextCache t = texts.get(prompt);
            if (t != null) return t;
        }
        float[] embeds = promptEmbeds(prompt);
        TextCache t;
        lock.lock();
        try {
            t = dit.encodeText(embeds, Umt5Tokenizer.SEQ_LEN);
        } finally {
            lock.unlock();
        }
        synchronized (texts) {
            texts.put(prompt, t);
        }
        return t;
    }

    /** The prompt's text embeddings {@code [512, textDim]} (umT5's for a model layout). */
    public float[] promptEmbeds(String prompt) {
        if (prompt == null || prompt.isBlank()) throw new InputException("the prompt is empty");
        return prompts.embeds(prompt, dit.config().textDim());
    }

    /** umT5's embeddings of the prompt, from the on-disk cache when it has them (docs/model.md#prompt-cache). */
    private static float[] umt5Embeds(ModelLayout layout, Backend backend, Path cacheDir, PrintStream log, String prompt, int textDim) {
        PromptEmbeddingCache cache = new PromptEmbeddingCache(cacheDir.resolve("prompts"));
        PromptEmbeddingCache.Entry e = cache.getOrCompute(prompt, layout.t5(), () -> {
            log.println("livetalk: encoding the prompt with umT5 (cached afterwards)");
            Umt5Tokenizer tok = Umt5Tokenizer.fromDirectory(layout.tokenizer());
            Umt5Tokenizer.Encoding enc = tok.encode(prompt);
            try (Checkpoint t5 = Checkpoint.open(layout.t5())) {
                Umt5Encoder encoder = new Umt5Encoder(backend, t5, Umt5Config.infer(t5, Umt5Config.DEFAULT_MAX_DIST));
                float[] emb = encoder.promptEmbeds(enc.ids(), enc.length(), Umt5Tokenizer.SEQ_LEN);
                return new PromptEmbeddingCache.Entry(emb, Umt5Tokenizer.SEQ_LEN, encoder.config().dim(), enc.length());
            }
        });
        if (e.dim() != textDim) {
            throw new CheckpointException(layout.t5() + ": text encoder width " + e.dim() + " does not match the DiT's text_dim " + textDim);
        }
        return e.embeds();
    }

    /** The optional {@code config.json} beside the DiT file: what tensor shapes cannot tell (heads, eps, RoPE theta). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> ditConfig(Path ditFile) {
        Path cfg = ditFile.toAbsolutePath().resolveSibling("config.json");
        if (!Files.isRegularFile(cfg)) return null;
        try {
            Object o = Json.parse(Files.readString(cfg));
            if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
            throw new CheckpointException(cfg + ": not a JSON object");
        } catch (IOException e) {
            throw new CheckpointException(cfg + ": cannot read (" + e.getMessage() + ")", e);
        } catch (Json.ParseException e) {
            throw new CheckpointException(cfg + ": not well-formed JSON: " + e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        ditFile.close();
        vaeFile.close();
        if (wav2vecFile != null) wav2vecFile.close();
    }
}
