package livetalk.io;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;

/**
 * Writes a safetensors file whose tensors are produced one at a time, so a multi-gigabyte
 * checkpoint needs memory for one tensor only. The header is written first from the declared
 * dtypes and shapes; each produced tensor must match its declaration. Like
 * {@link SafetensorsWriter}, the file appears under its final name only when complete.
 */
public final class SafetensorsStreamWriter {
    private SafetensorsStreamWriter() {
    }

    /** A declared tensor: dtype and shape. */
    public record Entry(DType dtype, long[] shape) {
        long bytes() {
            return Tensor.numel(shape) * dtype.byteSize();
        }
    }

    public static void write(Path path, Map<String, Entry> entries, Map<String, String> metadata, Function<String, Tensor> producer) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", e.getValue().dtype().name());
            List<Object> shape = new ArrayList<>();
            for (long s : e.getValue().shape()) shape.add(s);
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + e.getValue().bytes()));
            offset += e.getValue().bytes();
            header.put(e.getKey(), info);
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;
        byte[] padded = Arrays.copyOf(json, json.length + pad);
        for (int i = json.length; i < padded.length; i++) padded[i] = ' ';

        Path dir = path.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + path.getFileName() + ".partial");
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length).array());
            out.write(padded);
            byte[] buf = new byte[1 << 20];
            for (Map.Entry<String, Entry> e : entries.entrySet()) {
                Tensor t = producer.apply(e.getKey());
                if (t.dtype() != e.getValue().dtype() || !Arrays.equals(t.shape(), e.getValue().shape())) {
                    throw new CheckpointException(path + ": tensor '" + e.getKey() + "' produced as " + t.dtype() + Arrays.toString(t.shape())
                            + ", declared " + e.getValue().dtype() + Arrays.toString(e.getValue().shape()));
                }
                MemorySegment seg = t.contiguous().segment();
                for (long pos = 0; pos < seg.byteSize(); pos += buf.length) {
                    int n = (int) Math.min(buf.length, seg.byteSize() - pos);
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original error is the one to report
            }
            if (e instanceof RuntimeException re) throw re;
            throw new CheckpointException(path + ": cannot write (" + e.getMessage() + ")", e);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot move the finished file into place (" + e.getMessage() + ")", e);
        }
    }
}
