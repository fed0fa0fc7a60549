package livetalk.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import livetalk.tensor.DType;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PthReader against checkpoints written by real PyTorch (see fixtures/make_fixtures.py). */
class PthReaderTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"f32_state_dict", "dtypes", "views", "nested", "nested_plain", "params"})
    void matchesWhatPyTorchWrote(String name) {
        try (Checkpoint pth = Checkpoint.open(TestFiles.fixture(name + ".pth"));
                Checkpoint expected = Checkpoint.open(TestFiles.fixture(name + ".expected.safetensors"))) {
            assertInstanceOf(PthReader.class, pth);
            assertEquals(List.copyOf(expected.names()), List.copyOf(pth.names()), "names in dict order");
            for (String n : expected.names()) {
                assertSameTensor(expected.get(n), pth.get(n), name + ":" + n);
            }
        }
    }

    static void assertSameTensor(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.dtype(), actual.dtype(), what + " dtype");
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        if (expected.dtype() == DType.I64) {
            assertArrayEquals(expected.toLongArray(), actual.toLongArray(), what);
        } else {
            float[] e = expected.toFloatArray(), a = actual.toFloatArray();
            for (int i = 0; i < e.length; i++) {
                assertEquals(Float.floatToRawIntBits(e[i]), Float.floatToRawIntBits(a[i]), what + " element " + i);
            }
        }
    }

    @Test
    void stateDictNamesAndShapes() {
        try (Checkpoint ck = Checkpoint.open(TestFiles.fixture("f32_state_dict.pth"))) {
            assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"), List.copyOf(ck.names()));
            assertArrayEquals(new long[] {3, 4}, ck.get("0.weight").shape());
            assertEquals(DType.F32, ck.get("1.bias").dtype());
        }
    }

    @Test
    void nestedDictsFlattenWithDots() {
        try (Checkpoint ck = Checkpoint.open(TestFiles.fixture("nested.pth"))) {
            // {"model": {...}} is unwrapped
            assertEquals(List.of("encoder.weight", "encoder.bias", "head.weight"), List.copyOf(ck.names()));
            assertEquals(DType.BF16, ck.get("head.weight").dtype());
        }
        try (Checkpoint ck = Checkpoint.open(TestFiles.fixture("nested_plain.pth"))) {
            assertEquals(List.of("a.b.c", "a.d", "e"), List.copyOf(ck.names()));
        }
    }

    @Test
    void parametersUnwrapAndScalarsBecomeMetadata() {
        try (Checkpoint ck = Checkpoint.open(TestFiles.fixture("params.pth"))) {
            assertEquals(List.of("weight"), List.copyOf(ck.names()));
            assertEquals(DType.F16, ck.get("weight").dtype());
            assertEquals(Map.of("step", "5"), ck.metadata());
        }
    }

    @Test
    void contiguousTensorsAreSlicesOfTheMapping() {
        try (PthReader ck = PthReader.open(TestFiles.fixture("views.pth"))) {
            MemorySegment map = ck.mapping();
            assertTrue(map.isMapped());
            for (String n : List.of("row_slice", "shared_a", "shared_b", "scalar")) {
                Tensor t = ck.get(n);
                assertTrue(t.isContiguous(), n);
                MemorySegment seg = t.segment();
                assertTrue(seg.isNative() && seg.isMapped(), n + " is mapped");
                assertTrue(seg.address() >= map.address() && seg.address() + seg.byteSize() <= map.address() + map.byteSize(),
                        n + " lies inside the mapping");
            }
            // Two tensors on one storage share their bytes; a slice starts at its storage offset.
            assertEquals(ck.get("shared_a").segment().address(), ck.get("shared_b").segment().address());
            assertEquals(ck.get("shared_a").segment().address() + 6 * 4, ck.get("row_slice").segment().address());
            // Non-contiguous views stay views of the mapping.
            for (String n : List.of("transposed", "col_slice")) {
                Tensor t = ck.get(n);
                assertFalse(t.isContiguous(), n);
                assertTrue(t.isNative(), n);
            }
            assertArrayEquals(new long[] {1, 6}, ck.get("transposed").strides());
            assertArrayEquals(new long[] {0, 3}, ck.get("empty").shape());
        }
    }

    @Test
    void zip64LayoutReadsTheSame() {
        Map<String, byte[]> entries = TestFiles.unzip(TestFiles.fixture("views.pth"));
        Path p = TestFiles.write(tmp, "views64.pth", TestFiles.zip(entries, true));
        Path plain = TestFiles.write(tmp, "views32.pth", TestFiles.zip(entries, false));
        try (Checkpoint a = Checkpoint.open(p); Checkpoint b = Checkpoint.open(plain);
                Checkpoint ref = Checkpoint.open(TestFiles.fixture("views.expected.safetensors"))) {
            for (String n : ref.names()) {
                assertSameTensor(ref.get(n), a.get(n), "zip64 " + n);
                assertSameTensor(ref.get(n), b.get(n), "zip32 " + n);
            }
        }
    }

    @Test
    void compressedEntriesAreRefused() throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (Map.Entry<String, byte[]> e : TestFiles.unzip(TestFiles.fixture("views.pth")).entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        Path p = TestFiles.write(tmp, "deflated.pth", bos.toByteArray());
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(p));
        assertTrue(e.getMessage().contains("compressed") && e.getMessage().contains("deflated.pth"), e.getMessage());
    }

    @Test
    void zipWithoutDataPklIsNotACheckpoint() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("readme.txt", "hello".getBytes(StandardCharsets.US_ASCII));
        Path p = TestFiles.write(tmp, "plain.zip", TestFiles.zip(m, false));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(p));
        assertTrue(e.getMessage().contains("not a PyTorch checkpoint") && e.getMessage().contains("plain.zip"), e.getMessage());
    }

    @Test
    void legacyFormatIsNamed() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(TestFiles.fixture("legacy.pth")));
        assertTrue(e.getMessage().contains("legacy (non-zip) PyTorch file"), e.getMessage());
    }

    @Test
    void unknownOpcodeIsNamed() {
        // PROTO 2, then 0x81 (NEWOBJ), which a state dict never uses.
        Path p = TestFiles.write(tmp, "op.pth", TestFiles.pthWithPickle(new byte[] {(byte) 0x80, 2, (byte) 0x81, '.'}));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(p));
        assertTrue(e.getMessage().contains("opcode 0x81") && e.getMessage().contains("op.pth"), e.getMessage());
    }

    @Test
    void unknownGlobalIsNamed() {
        byte[] pkl = "\u0080\u0002cos\nsystem\nq\u0000.".getBytes(StandardCharsets.ISO_8859_1);
        Path p = TestFiles.write(tmp, "global.pth", TestFiles.pthWithPickle(pkl));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(p));
        assertTrue(e.getMessage().contains("'os.system'") && e.getMessage().contains("global.pth"), e.getMessage());
    }

    @Test
    void bigEndianIsRefused() {
        Map<String, byte[]> entries = TestFiles.unzip(TestFiles.fixture("dtypes.pth"));
        entries.put("dtypes/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        Path p = TestFiles.write(tmp, "big.pth", TestFiles.zip(entries, false));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(p));
        assertTrue(e.getMessage().contains("byte order 'big'"), e.getMessage());
        entries.put("dtypes/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        Path q = TestFiles.write(tmp, "little.pth", TestFiles.zip(entries, false));
        try (Checkpoint ck = Checkpoint.open(q)) {
            assertEquals(4, ck.names().size());
        }
    }

    @Test
    void missingStorageIsNamed() {
        Map<String, byte[]> entries = TestFiles.unzip(TestFiles.fixture("dtypes.pth"));
        entries.remove("dtypes/data/1");
        Path p = TestFiles.write(tmp, "nostorage.pth", TestFiles.zip(entries, false));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(p));
        assertTrue(e.getMessage().contains("storage '1' is missing"), e.getMessage());
    }

    @Test
    void storageShorterThanItsTensorsIsRefused() {
        Map<String, byte[]> entries = TestFiles.unzip(TestFiles.fixture("views.pth"));
        entries.put("views/data/0", new byte[40]); // was 24 floats
        Path p = TestFiles.write(tmp, "short.pth", TestFiles.zip(entries, false));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(p));
        assertTrue(e.getMessage().contains("storage '0'"), e.getMessage());
    }

    @Test
    void topLevelMustBeADict() {
        // PROTO 2, EMPTY_LIST, STOP
        Path p = TestFiles.write(tmp, "list.pth", TestFiles.pthWithPickle(new byte[] {(byte) 0x80, 2, ']', '.'}));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(p));
        assertTrue(e.getMessage().contains("not a dict of tensors"), e.getMessage());
    }

    @Test
    void scalarsBecomeMetadata() {
        // {"epoch": 3, "name": "x", "w": None} written with EMPTY_DICT, MARK, SETITEMS
        byte[] pkl = "\u0080\u0002}(X\u0005\u0000\u0000\u0000epochK\u0003X\u0004\u0000\u0000\u0000name\u008c\u0001xX\u0001\u0000\u0000\u0000wNu."
                .getBytes(StandardCharsets.ISO_8859_1);
        Path p = TestFiles.write(tmp, "meta.pth", TestFiles.pthWithPickle(pkl));
        try (Checkpoint ck = Checkpoint.open(p)) {
            assertTrue(ck.names().isEmpty());
            assertEquals(Map.of("epoch", "3", "name", "x"), ck.metadata());
        }
    }

    @Test
    void selfContainingListDoesNotRecurseForever() {
        // d = {"a": l} with l = [l]: MARK-free APPEND of a memo reference to itself
        byte[] pkl = "\u0080\u0002}X\u0001\u0000\u0000\u0000a]q\u0000h\u0000as.".getBytes(StandardCharsets.ISO_8859_1);
        Path p = TestFiles.write(tmp, "cycle.pth", TestFiles.pthWithPickle(pkl));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(p));
        assertTrue(e.getMessage().contains("nested deeper"), e.getMessage());
    }
}
