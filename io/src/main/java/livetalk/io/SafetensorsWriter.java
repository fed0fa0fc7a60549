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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import livetalk.tensor.Tensor;

/**
 * Writes tensors as a safetensors file. The file appears under its final name only when complete
 * (written beside it, then moved), so a failed or interrupted write leaves no half file.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {
    }

    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            header.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", t.dtype().name());
            List<Object> shape = new ArrayList<>();
            for (long s : t.shape()) shape.add(s);
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + t.byteSize()));
            offset += t.byteSize();
            header.put(e.getKey(), info);
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8; // keep the data section 8-byte aligned
        byte[] padded = new byte[json.length + pad];
        System.arraycopy(json, 0, padded, 0, json.length);
        for (int i = json.length; i < padded.length; i++) padded[i] = ' ';

        Path dir = path.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + path.getFileName() + ".partial");
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length).array());
            out.write(padded);
            byte[] buf = new byte[1 << 20];
            for (Tensor t : tensors.values()) {
                MemorySegment seg = t.contiguous().segment();
                for (long pos = 0; pos < seg.byteSize(); pos += buf.length) {
                    int n = (int) Math.min(buf.length, seg.byteSize() - pos);
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original error is the one to report
            }
            throw new CheckpointException(path + ": cannot write (" + e.getMessage() + ")", e);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot move the finished file into place (" + e.getMessage() + ")", e);
        }
    }
}
