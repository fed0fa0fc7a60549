package livetalk.model.text;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;
import livetalk.io.SafetensorsFile;
import livetalk.io.SafetensorsWriter;
import livetalk.tensor.Tensor;

/**
 * Prompt embeddings on disk (docs/model.md#prompt-cache: the text context depends only on the prompt). One
 * safetensors file per entry, named by the SHA-256 of the prompt text and of the encoder file's
 * absolute path, size and modification time, so replacing the encoder invalidates the entry.
 * The file holds {@code prompt_embeds [seqLen, dim]} (F32) and the prompt itself in the
 * metadata, which is compared on read so a hash collision cannot return a wrong embedding.
 */
public final class PromptEmbeddingCache {
    public static final String TENSOR = "prompt_embeds";

    /** A cached embedding: {@code [seqLen, dim]} row-major, rows from {@code length} on zero. */
    public record Entry(float[] embeds, int seqLen, int dim, int length) {
    }

    private final Path dir;

    public PromptEmbeddingCache(Path dir) {
        this.dir = dir;
    }

    /** The cache file for this prompt and encoder file. */
    public Path fileFor(String prompt, Path encoderFile) {
        return dir.resolve(key(prompt, encoderFile) + ".safetensors");
    }

    public Optional<Entry> get(String prompt, Path encoderFile) {
        Path f = fileFor(prompt, encoderFile);
        if (!Files.isRegularFile(f)) return Optional.empty();
        try (Checkpoint c = SafetensorsFile.open(f)) {
            if (!prompt.equals(c.metadata().get("prompt"))) return Optional.empty();
            Tensor t = c.get(TENSOR);
            if (t.rank() != 2) throw new CheckpointException(f + ": '" + TENSOR + "' has rank " + t.rank() + ", expected 2");
            int length = Integer.parseInt(c.metadata().getOrDefault("length", String.valueOf(t.dim(0))));
            return Optional.of(new Entry(t.toFloatArray(), (int) t.dim(0), (int) t.dim(1), length));
        } catch (CheckpointException | NumberFormatException e) {
            return Optional.empty();   // an unreadable entry is a miss; put() replaces it
        }
    }

    public void put(String prompt, Path encoderFile, Entry e) {
        try {
            Files.createDirectories(dir);
        } catch (IOException ex) {
            throw new CheckpointException(dir + ": cannot create the prompt cache directory (" + ex.getMessage() + ")", ex);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("prompt", prompt);
        meta.put("encoder", encoderFile.toAbsolutePath().toString());
        meta.put("length", String.valueOf(e.length()));
        SafetensorsWriter.write(fileFor(prompt, encoderFile), Map.of(TENSOR, Tensor.wrap(e.embeds(), e.seqLen(), e.dim())), meta);
    }

    /** The cached entry, or {@code compute}'s result, stored first. */
    public Entry getOrCompute(String prompt, Path encoderFile, Supplier<Entry> compute) {
        Optional<Entry> hit = get(prompt, encoderFile);
        if (hit.isPresent()) return hit.get();
        Entry e = compute.get();
        put(prompt, encoderFile, e);
        return e;
    }

    static String key(String prompt, Path encoderFile) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            Path abs = encoderFile.toAbsolutePath();
            BasicFileAttributes a = Files.readAttributes(abs, BasicFileAttributes.class);
            md.update(prompt.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update((abs + "\0" + a.size() + "\0" + a.lastModifiedTime().toMillis()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException ex) {
            throw new CheckpointException(encoderFile + ": cannot stat the text encoder file (" + ex.getMessage() + ")", ex);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
