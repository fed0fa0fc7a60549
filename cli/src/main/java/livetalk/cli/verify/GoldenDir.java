package livetalk.cli.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import livetalk.io.Checkpoint;
import livetalk.io.CheckpointException;
import livetalk.io.Json;
import livetalk.io.SafetensorsFile;
import livetalk.tensor.Tensor;

/**
 * A directory in the golden format: {@code STEM.safetensors} trace and weight files with their
 * {@code STEM.json} metadata copies. Files are opened once and closed with the directory.
 */
public final class GoldenDir implements AutoCloseable {
    private final Path dir;
    private final Map<String, Checkpoint> open = new LinkedHashMap<>();

    public GoldenDir(Path dir) {
        this.dir = dir;
    }

    public Path path() {
        return dir;
    }

    public boolean has(String stem) {
        return Files.isRegularFile(dir.resolve(stem + ".safetensors"));
    }

    /**
     * The safetensors file {@code STEM.safetensors}, opened (and validated) on first use; a file
     * that is not in the directory is {@link Missing}.
     */
    public Checkpoint file(String stem) {
        if (!has(stem)) throw new Missing(stem + ".safetensors is not in the directory");
        return open.computeIfAbsent(stem, s -> SafetensorsFile.open(dir.resolve(s + ".safetensors")));
    }

    /** Whether the file {@code stem} exists and holds tensor {@code name}. */
    public boolean has(String stem, String name) {
        return has(stem) && file(stem).contains(name);
    }

    /** Tensor {@code name} of {@code STEM.safetensors}; a tensor (or file) that is not there is {@link Missing}. */
    public Tensor tensor(String stem, String name) {
        Checkpoint f = file(stem);
        if (!f.contains(name)) throw new Missing("tensor '" + name + "' is not in " + stem + ".safetensors");
        return f.get(name);
    }

    public float[] floats(String stem, String name) {
        return tensor(stem, name).toFloatArray();
    }

    /**
     * The JSON object in the {@code STEM.json} metadata copy; {@link Missing} when there is none.
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> json(String stem) {
        Path p = dir.resolve(stem + ".json");
        if (!Files.isRegularFile(p)) throw new Missing(stem + ".json is not in the directory");
        try {
            Object o = Json.parse(Files.readString(p));
            if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
            throw new CheckpointException(p + ": not a JSON object");
        } catch (IOException e) {
            throw new CheckpointException(p + ": cannot read (" + e.getMessage() + ")", e);
        } catch (Json.ParseException e) {
            throw new CheckpointException(p + ": not well-formed JSON: " + e.getMessage());
        }
    }

    /**
     * A golden set may omit debug intermediates, stage inputs or whole files (docs/numerics.md#verify): what
     * needs them is reported {@code SKIPPED} with this message as the reason, never {@code FAIL}.
     */
    public static final class Missing extends RuntimeException {
        public Missing(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public void close() {
        for (Checkpoint c : open.values()) c.close();
        open.clear();
    }
}
