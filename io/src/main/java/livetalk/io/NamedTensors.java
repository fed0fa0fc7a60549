package livetalk.io;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.SequencedSet;
import livetalk.tensor.Tensor;

/** The part every {@link Checkpoint} shares: an ordered name → tensor map, metadata and the file's path. */
abstract class NamedTensors implements Checkpoint {
    private final Path path;
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    /** {@code tensors} must keep file order (e.g. a LinkedHashMap) and is not copied. */
    NamedTensors(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = metadata == null ? Map.of() : Collections.unmodifiableMap(metadata);
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
}
