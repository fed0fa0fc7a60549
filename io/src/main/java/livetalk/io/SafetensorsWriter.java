package livetalk.io;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import livetalk.tensor.Tensor;

/**
 * Writes tensors held in memory as a safetensors file (the header is padded so the data start
 * 8-byte aligned). The file appears under its final name only when complete (written beside it,
 * then moved), so a failed or interrupted write leaves no half file. For checkpoints too large to
 * hold, see {@link SafetensorsStreamWriter}, which does the writing for both.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {
    }

    public static void write(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Map<String, SafetensorsStreamWriter.Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            entries.put(e.getKey(), new SafetensorsStreamWriter.Entry(e.getValue().dtype(), e.getValue().shape()));
        }
        SafetensorsStreamWriter.write(path, entries, metadata, tensors::get);
    }
}
