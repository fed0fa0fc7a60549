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

    /** The safetensors file {@code STEM.safetensors}, opened (and validated) on first use. */
    public Checkpoint file(String stem) {
        return open.computeIfAbsent(stem, s -> SafetensorsFile.open(dir.resolve(s + ".safetensors")));
    }

    public Tensor tensor(String stem, String name) {
        return file(stem).get(name);
    }

    public float[] floats(String stem, String name) {
        return tensor(stem, name).toFloatArray();
    }

    /**
     * The JSON object stored as {@code __metadata__[key]} of the file when present, else in the
     * {@code STEM.json} copy. Throws when neither has it.
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> json(String stem) {
        Path p = dir.resolve(stem + ".json");
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

    @Override
    public void close() {
        for (Checkpoint c : open.values()) c.close();
        open.clear();
    }
}
