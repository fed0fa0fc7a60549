package livetalk.io;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import livetalk.tensor.Tensor;

/** A checkpoint held in memory (tests, random-weight models): tensors by name, in insertion order. */
public final class MemoryCheckpoint extends NamedTensors {
    public MemoryCheckpoint(String label, Map<String, Tensor> tensors, Map<String, String> metadata) {
        super(Path.of(label), new LinkedHashMap<>(tensors), metadata == null ? null : Map.copyOf(metadata));
    }

    @Override
    public void close() {
    }
}
