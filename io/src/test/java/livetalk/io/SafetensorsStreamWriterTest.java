package livetalk.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsStreamWriterTest {
    @TempDir
    Path tmp;

    @Test
    void streamedTensorsReadBackAsWritten() {
        Props.forAll("stream-writer", 5, 8, rnd -> {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, SafetensorsStreamWriter.Entry> entries = new LinkedHashMap<>();
            int count = 1 + rnd.nextInt(5);
            for (int i = 0; i < count; i++) {
                long[] shape = {1 + rnd.nextInt(4), 1 + rnd.nextInt(5)};
                Tensor t = Tensor.wrap(Props.normal(rnd, (int) (shape[0] * shape[1])), shape);
                if (rnd.nextBoolean()) t = t.to(DType.BF16);
                tensors.put("t" + i, t);
                entries.put("t" + i, new SafetensorsStreamWriter.Entry(t.dtype(), t.shape()));
            }
            Path p = tmp.resolve("s" + rnd.nextInt(1 << 20) + ".safetensors");
            SafetensorsStreamWriter.write(p, entries, Map.of("k", "v"), tensors::get);
            try (Checkpoint ck = Checkpoint.open(p)) {
                assertEquals(tensors.keySet(), ck.names());
                assertEquals("v", ck.metadata().get("k"));
                for (String n : tensors.keySet()) {
                    assertEquals(tensors.get(n).dtype(), ck.get(n).dtype());
                    assertArrayEquals(tensors.get(n).toFloatArray(), ck.get(n).toFloatArray());
                }
            }
        });
    }

    @Test
    void aTensorThatDoesNotMatchItsDeclarationLeavesNoFile() {
        Path p = tmp.resolve("bad.safetensors");
        Map<String, SafetensorsStreamWriter.Entry> entries = Map.of("a", new SafetensorsStreamWriter.Entry(DType.F32, new long[] {2, 2}));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> SafetensorsStreamWriter.write(p, entries, null, n -> Tensor.zeros(3)));
        assertEquals(true, e.getMessage().contains("'a'"));
        assertFalse(Files.exists(p));
    }
}
