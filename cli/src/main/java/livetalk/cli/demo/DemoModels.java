package livetalk.cli.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import livetalk.cli.InputException;
import livetalk.session.ModelLayout;
import livetalk.io.Checkpoint;
import livetalk.io.Json;
import livetalk.io.PthWriter;
import livetalk.io.SafetensorsWriter;
import livetalk.model.dit.DitConfig;
import livetalk.model.text.SentencePieceModel;
import livetalk.model.vae.VaeConfig;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import livetalk.testkit.DitWeights;
import livetalk.testkit.VaeWeights;

/**
 * The demo's model set: every checkpoint in its official file format, names and directory layout
 * ({@link ModelLayout}), but tiny and filled with seeded random weights, so {@code livetalk demo}
 * exercises the whole pipeline (tokenizer → umT5 → wav2vec2 → DiT → VAE) without the 20 GB
 * download. The video it makes is structured noise; the point is the machinery.
 *
 * <pre>
 * demo-models-v2/
 *   LiveTalk-1.3B-V0.1/model.safetensors             DiT, F32 (dim 64, 2 heads, 4 layers, 2 audio projections)
 *   LiveTalk-1.3B-V0.1/config.json                   {"num_heads": 2, ...}: what shapes cannot tell (DitConfig.infer)
 *   Wan2.1-T2V-1.3B/Wan2.1_VAE.pth                   VAE, F32 torch zip (base dim 8, z 16)
 *   Wan2.1-T2V-1.3B/models_t5_umt5-xxl-enc-bf16.pth  umT5 encoder, BF16 torch zip (dim 32, 2 heads, 2 layers)
 *   Wan2.1-T2V-1.3B/google/umt5-xxl/spiece.model     a 512-piece SentencePiece unigram model (golden data)
 *   wav2vec2/{config,preprocessor_config}.json, model.safetensors   wav2vec2 (hidden 32, 2 layers), F32
 * </pre>
 *
 * <p><b>For the generate command:</b> the DiT's head count is not in its tensor shapes; when
 * {@link #DIT_CONFIG} exists beside the DiT checkpoint, it must be parsed and passed to
 * {@code CausalDit.load(backend, checkpoint, config)} (without it the official 12 heads are
 * assumed, which does not divide the demo's width 64).
 *
 * <p>Generation is deterministic (same bytes on every run: fixed seeds, per-tensor streams,
 * StrictMath) and takes well under a second. The set is built in a temporary directory that is
 * renamed into place only when complete, so an interrupted run never leaves a half cache.
 */
public final class DemoModels {
    private DemoModels() {
    }

    /** Cache folder name; bump the version whenever any value or file below changes. */
    public static final String VERSION = "demo-models-v2";   // v2: one random-weight generator (testkit)
    /** The DiT's JSON config (num_heads, eps, rope_theta), relative to the model directory. */
    public static final String DIT_CONFIG = "LiveTalk-1.3B-V0.1/config.json";

    static final long DIT_SEED = 1, VAE_SEED = 2;
    /** The golden tokenizer model, the fallback when the jar lacks its copy (resource {@code spiece.model}). */
    static final String GOLDEN_TOKENIZER = "tests/golden/tokenizer/umt5_style_unigram.model";

    /**
     * The tiny DiT with the official structure: in 33 (16 noisy + 16 reference + mask), out 16,
     * patch 1×2×2, freq 256, AudioPack 4 → 32; text width = the tiny umT5's, audio input = the tiny
     * wav2vec2's (N+2)·H; head_dim 32 so the 3-axis RoPE split (12/10/10) works; with 4 layers audio
     * is added before layer 2 only (layers ≤ L/2), projection 1 exists as in the official layout.
     */
    public static DitConfig ditConfig() {
        return new DitConfig(64, 128, 4, 2, 33, 16, 1, 2, 2, DemoEncoders.T5_DIM, 256,
                DemoEncoders.audioFeatureDim(), DitConfig.AUDIO_PACK, 32, 2, DitConfig.DEFAULT_EPS, DitConfig.DEFAULT_THETA);
    }

    /** The tiny VAE: the official stage structure (mult 1,2,4,4, 2 residual blocks, time down F,T,T), base dim 8, z 16. */
    public static VaeConfig vaeConfig() {
        return new VaeConfig(8, 16, List.of(1, 2, 4, 4), 2, List.of(false, true, true));
    }

    /**
     * The demo model directory under {@code cacheDir} ({@code cacheDir/demo-models-v1}), generated
     * on first use and reused afterwards. Safe against interrupted runs and concurrent callers.
     */
    public static Path ensure(Path cacheDir) {
        Path target = cacheDir.resolve(VERSION);
        if (complete(target)) return target;
        try {
            Files.createDirectories(cacheDir);
            if (Files.exists(target)) deleteTree(target);   // incomplete (files removed by hand): rebuild
            Path tmp = Files.createTempDirectory(cacheDir, "." + VERSION + "-");
            try {
                generate(tmp);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException raced) {
                    // Linux reports a non-empty target as a plain FileSystemException (ENOTEMPTY):
                    // if another process finished first, its set is identical and is used.
                    if (!complete(target)) throw raced;
                }
            } finally {
                if (Files.exists(tmp)) deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(cacheDir + ": cannot create the demo models (" + e.getMessage() + ")", e);
        }
        if (!complete(target)) throw new IllegalStateException(target + ": demo model set incomplete after generation");
        return target;
    }

    /** Whether {@code dir} holds every file of the set (ModelLayout's and the DiT config). */
    static boolean complete(Path dir) {
        if (!Files.isDirectory(dir)) return false;
        try {
            ModelLayout.resolve(dir, null, null, null, null, null);
        } catch (livetalk.session.InputException e) {
            return false;
        }
        return Files.isRegularFile(dir.resolve(DIT_CONFIG)) && Files.isRegularFile(dir.resolve(ModelLayout.WAV2VEC).resolve("config.json"));
    }

    /** Writes the whole set into {@code dir} (which must exist). */
    static void generate(Path dir) throws IOException {
        byte[] spiece = tokenizerModel();
        int vocab = SentencePieceModel.parse(spiece).pieces.size();

        // DiT: F32 safetensors, as the released file
        Path dit = dir.resolve(ModelLayout.DIT);
        Files.createDirectories(dit.getParent());
        DitConfig dc = ditConfig();
        SafetensorsWriter.write(dit, DitWeights.random(dc, DIT_SEED, DType.F32).tensors(), Map.of("format", "pt"));
        Map<String, Object> ditJson = new LinkedHashMap<>();
        ditJson.put("num_heads", dc.numHeads());     // the keys DitConfig.infer reads
        ditJson.put("eps", dc.eps());
        ditJson.put("rope_theta", dc.ropeTheta());
        ditJson.put("note", "LiveTalk-J demo: tiny random-weight DiT (dim " + dc.dim() + ", " + dc.numLayers() + " layers), not a trained model");
        writeJson(dir.resolve(DIT_CONFIG), ditJson);

        // VAE and umT5: torch zip checkpoints, as the released .pth files
        Path vae = dir.resolve(ModelLayout.VAE);
        Files.createDirectories(vae.getParent());
        PthWriter.write(vae, VaeWeights.generate(vaeConfig(), VAE_SEED));
        PthWriter.write(dir.resolve(ModelLayout.T5), DemoEncoders.umt5(vocab));

        Path tok = dir.resolve(ModelLayout.TOKENIZER);
        Files.createDirectories(tok);
        Files.write(tok.resolve("spiece.model"), spiece);

        // wav2vec2: Hugging Face folder
        Path w2v = dir.resolve(ModelLayout.WAV2VEC);
        Files.createDirectories(w2v);
        writeJson(w2v.resolve("config.json"), DemoEncoders.wav2vec2Config());
        writeJson(w2v.resolve("preprocessor_config.json"), DemoEncoders.wav2vec2Preprocessor());
        SafetensorsWriter.write(w2v.resolve("model.safetensors"), DemoEncoders.wav2vec2(), Map.of("format", "pt"));

        Files.writeString(dir.resolve("README.txt"), """
                LiveTalk-J demo model set (%s): tiny networks with seeded RANDOM weights in the official
                file formats and layout. They exercise the pipeline; they are not trained models.
                Regenerated by `livetalk demo` when this folder is missing.
                """.formatted(VERSION), StandardCharsets.UTF_8);
    }

    /** The SentencePiece model: the jar's copy, else the golden file under livetalk.home (or the working directory). */
    static byte[] tokenizerModel() throws IOException {
        try (InputStream in = DemoModels.class.getResourceAsStream("spiece.model")) {
            if (in != null) return in.readAllBytes();
        }
        String home = System.getProperty("livetalk.home");
        Path file = (home != null ? Path.of(home) : Path.of("")).resolve(GOLDEN_TOKENIZER);
        if (Files.isRegularFile(file)) return Files.readAllBytes(file);
        throw new InputException("demo tokenizer not found: no resource livetalk/cli/demo/spiece.model on the class path and no "
                + file.toAbsolutePath() + " (run from the LiveTalk-J checkout or set -Dlivetalk.home)");
    }

    private static void writeJson(Path file, Map<String, Object> json) throws IOException {
        Files.writeString(file, Json.write(json) + "\n", StandardCharsets.UTF_8);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
