package livetalk.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.SequencedSet;
import livetalk.tensor.Tensor;

/**
 * A named set of tensors read from one file, whatever its format: the view every model loads
 * from. Tensors are views of the memory-mapped file where the layout allows it, so they stay valid
 * only until {@link #close()}.
 */
public interface Checkpoint extends AutoCloseable {

    Path path();

    /** Tensor names in file order. */
    SequencedSet<String> names();

    /** The tensor called {@code name}, or null. */
    Tensor find(String name);

    /** Free-form string metadata (safetensors {@code __metadata__}; for .pth the str/int/float/bool entries of the dict, usually none). */
    Map<String, String> metadata();

    /** The tensor called {@code name}; a missing name is a {@link CheckpointException} that names it and the file. */
    default Tensor get(String name) {
        Tensor t = find(name);
        if (t == null) {
            throw new CheckpointException(path() + ": tensor '" + name + "' is missing (" + names().size() + " tensors in file)");
        }
        return t;
    }

    default boolean contains(String name) {
        return names().contains(name);
    }

    @Override
    void close();

    /**
     * Opens a safetensors file or a PyTorch zip checkpoint ({@code .pth}, {@code .bin}, {@code .pt}),
     * told apart by their first bytes, not by the file name.
     */
    static Checkpoint open(Path path) {
        byte[] head = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, 4);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(path + ": no such file");
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            return PthReader.open(path);
        }
        if (n == 4 && (head[0] & 0xFF) == 0x80 && head[1] == 2 && (head[2] & 0xFF) == 0x8a && head[3] == 10) {
            // a bare pickle starting with torch's magic number (PROTO 2, LONG1 of 10 bytes): torch.save before
            // 1.6, or with _use_new_zipfile_serialization=False. (As a safetensors header length it would be > 100 MB.)
            throw new CheckpointException(path + ": a legacy (non-zip) PyTorch file, which cannot be mapped; re-save it with "
                    + "torch.save(torch.load(f), f) from PyTorch 1.6 or newer");
        }
        return SafetensorsFile.open(path);
    }
}
