package livetalk.session;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the checkpoints are: the directory layout the official download instructions leave
 * (README), with each file overridable on its own.
 *
 * <pre>
 * MODELS/
 *   LiveTalk-1.3B-V0.1/model.safetensors            DiT (F32 safetensors)
 *   Wan2.1-T2V-1.3B/Wan2.1_VAE.pth                  VAE
 *   Wan2.1-T2V-1.3B/models_t5_umt5-xxl-enc-bf16.pth umT5-XXL encoder (BF16)
 *   Wan2.1-T2V-1.3B/google/umt5-xxl/                tokenizer (spiece.model or tokenizer.json)
 *   wav2vec2/                                       wav2vec2-base-960h (config.json + weights)
 * </pre>
 */
public record ModelLayout(Path dit, Path vae, Path t5, Path tokenizer, Path wav2vec) {

    public static final String DIT = "LiveTalk-1.3B-V0.1/model.safetensors";
    public static final String VAE = "Wan2.1-T2V-1.3B/Wan2.1_VAE.pth";
    public static final String T5 = "Wan2.1-T2V-1.3B/models_t5_umt5-xxl-enc-bf16.pth";
    public static final String TOKENIZER = "Wan2.1-T2V-1.3B/google/umt5-xxl";
    public static final String WAV2VEC = "wav2vec2";

    public static final String EXPECTED = "expected layout under the model directory: " + String.join(", ",
            List.of(DIT, VAE, T5, TOKENIZER + "/", WAV2VEC + "/"));

    /** Resolves every path (an override wins over the directory) and checks that each exists. */
    public static ModelLayout resolve(Path modelDir, Path dit, Path vae, Path t5, Path tokenizer, Path wav2vec) {
        ModelLayout l = new ModelLayout(
                pick(modelDir, dit, DIT, false, "--dit"),
                pick(modelDir, vae, VAE, false, "--vae"),
                pick(modelDir, t5, T5, false, "--t5"),
                pick(modelDir, tokenizer, TOKENIZER, true, "--tokenizer"),
                pick(modelDir, wav2vec, WAV2VEC, true, "--wav2vec"));
        if (!Files.isRegularFile(l.tokenizer.resolve("spiece.model")) && !Files.isRegularFile(l.tokenizer.resolve("tokenizer.json"))) {
            throw new InputException(l.tokenizer + ": no spiece.model or tokenizer.json in the tokenizer directory");
        }
        if (wav2vecWeights(l.wav2vec) == null) {
            throw new InputException(l.wav2vec + ": no model.safetensors or pytorch_model.bin in the wav2vec2 directory");
        }
        return l;
    }

    /** The wav2vec2 weight file in its directory (safetensors preferred), or null. */
    public static Path wav2vecWeights(Path dir) {
        for (String n : List.of("model.safetensors", "pytorch_model.bin")) {
            if (Files.isRegularFile(dir.resolve(n))) return dir.resolve(n);
        }
        return null;
    }

    private static Path pick(Path modelDir, Path override, String relative, boolean directory, String flag) {
        Path p;
        if (override != null) {
            p = override;
        } else if (modelDir != null) {
            p = modelDir.resolve(relative);
        } else {
            throw new InputException("no model directory: pass --models DIR (" + EXPECTED + ") or " + flag);
        }
        boolean ok = directory ? Files.isDirectory(p) : Files.isRegularFile(p);
        if (!ok) {
            String what = directory ? "directory" : "file";
            throw new InputException(override != null
                    ? flag + " " + p + ": no such " + what
                    : "model directory " + modelDir + ": missing " + what + " " + relative + " (" + EXPECTED + ")");
        }
        return p;
    }
}
