package livetalk.io;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.SequencedSet;
import livetalk.tensor.Tensor;

/** A checkpoint held in memory (tests, random-weight models): tensors by name, in insertion order. */
public final class MemoryCheckpoint implements Checkpoint {
    private final Path path;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    public MemoryCheckpoint(String label, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = Path.of(label);
        this.tensors = new LinkedHashMap<>(tensors);
        this.metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public SequencedSet<String> names() {
        return Collections.unmodifiableSequencedSet(new LinkedHashSet<>(tensors.keySet()));
    }

    @Override
    public Tensor find(String name) {
        return tensors.get(name);
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
    }
}
