package livetalk.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

    /** Reads a checkpoint image whose tensors are views of {@code file}, which lives as long as {@code arena}. */
    interface Parser<T> {
        T parse(Path path, MemorySegment file, Arena arena);
    }

    /**
     * Maps the whole file read-only (any size) and parses it. The arena is handed to the result,
     * which closes it; on any failure it is closed here, so a bad file leaves no mapping behind.
     */
    static <T> T mapAndParse(Path path, Parser<T> parser) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment file = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return parser.parse(path, file, arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new CheckpointException(path + ": no such file");
        } catch (IOException e) {
            arena.close();
            throw new CheckpointException(path + ": cannot read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
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
