package livetalk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import livetalk.io.SafetensorsWriter;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code livetalk inspect FILE}: the listing for good files, exit code 2 and one line for bad ones. */
class InspectCommandTest {
    /** A .pth written by PyTorch (io's fixtures; Surefire runs in the module folder). */
    private static final Path VIEWS_PTH = Path.of("..", "io", "src", "test", "resources", "fixtures", "views.pth");

    @TempDir
    Path tmp;

    static CommandRun inspect(Path file) {
        return CommandRun.of("inspect", file.toString());
    }

    @Test
    void listsASafetensorsFile() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("blocks.0.weight", Tensor.wrap(new float[6], 2, 3));
        m.put("ids", Tensor.wrap(new long[] {1, 2, 3, 4}, 4));
        m.put("half", Tensor.zeros(5).to(DType.BF16));
        Path p = tmp.resolve("small.safetensors");
        SafetensorsWriter.write(p, m, Map.of("format", "pt"));
        CommandRun r = inspect(p);
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(List.of("name", "dtype", "shape", "bytes"), Arrays.asList(lines.get(0).trim().split("\\s+")));
        assertEquals(List.of("blocks.0.weight", "F32", "[2,", "3]", "24"), Arrays.asList(lines.get(1).trim().split("\\s+")));
        assertEquals(List.of("ids", "I64", "[4]", "32"), Arrays.asList(lines.get(2).trim().split("\\s+")));
        assertEquals(List.of("half", "BF16", "[5]", "10"), Arrays.asList(lines.get(3).trim().split("\\s+")));
        assertEquals("3 tensors, 15 elements, 66 bytes", lines.get(4));
        assertEquals("metadata format = pt", lines.get(5));
        assertEquals(6, lines.size());
        assertTrue(r.err().isEmpty(), r.err());
    }

    @Test
    void listsAPthFile() {
        CommandRun r = inspect(VIEWS_PTH);
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        List<String> names = lines.subList(1, lines.size() - 1).stream().map(l -> l.trim().split("\\s+")[0]).toList();
        assertEquals(List.of("transposed", "row_slice", "col_slice", "shared_a", "shared_b", "scalar", "empty"), names);
        assertEquals(List.of("transposed", "F32", "[6,", "4]", "96"), Arrays.asList(lines.get(1).trim().split("\\s+")));
        assertEquals(List.of("scalar", "F32", "[]", "4"), Arrays.asList(lines.get(6).trim().split("\\s+")));
        // 24 + 12 + 12 + 24 + 24 + 1 + 0 elements
        assertEquals("7 tensors, 97 elements, 388 bytes", lines.getLast());
    }

    private void assertBadInput(Path file, String expectedInMessage) {
        CommandRun r = inspect(file);
        assertEquals(Main.EXIT_BAD_INPUT, r.code(), "exit code; stderr: " + r.err());
        List<String> errLines = r.err().lines().toList();
        assertEquals(1, errLines.size(), "one line on stderr: " + r.err());
        String line = errLines.getFirst();
        assertTrue(line.startsWith("error: "), line);
        assertTrue(line.contains(file.getFileName().toString()), "names the file: " + line);
        assertTrue(line.contains(expectedInMessage), "'" + expectedInMessage + "' in: " + line);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "no stack trace: " + r.err());
        assertTrue(r.out().isEmpty(), "nothing on stdout: " + r.out());
    }

    @Test
    void missingFile() {
        assertBadInput(tmp.resolve("missing.safetensors"), "no such file");
    }

    @Test
    void garbageFile() throws IOException {
        assertBadInput(Files.writeString(tmp.resolve("garbage.bin"), "this is not a checkpoint at all"), "header length");
    }

    @Test
    void truncatedPth() throws IOException {
        byte[] full = Files.readAllBytes(VIEWS_PTH);
        assertBadInput(Files.write(tmp.resolve("cut.pth"), Arrays.copyOf(full, full.length / 2)), "zip");
    }

    @Test
    void pthWithUnknownOpcode() throws IOException {
        byte[] pkl = {(byte) 0x80, 2, (byte) 0x81, '.'};
        Path p = tmp.resolve("opcode.pth");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            ZipEntry e = new ZipEntry("opcode/data.pkl");
            e.setMethod(ZipEntry.STORED);
            e.setSize(pkl.length);
            CRC32 crc = new CRC32();
            crc.update(pkl);
            e.setCrc(crc.getValue());
            z.putNextEntry(e);
            z.write(pkl);
            z.closeEntry();
        }
        assertBadInput(p, "opcode 0x81");
    }
}
