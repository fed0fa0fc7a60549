package livetalk.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import livetalk.tensor.DType;
import livetalk.tensor.Half;
import livetalk.tensor.Props;
import livetalk.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SafetensorsWriter → SafetensorsFile round trips, and one clear error per kind of bad file. */
class SafetensorsTest {
    @TempDir
    Path tmp;

    static Map<String, Tensor> sample(SplittableRandom rnd) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        float[] f = Props.normal(rnd, 12);
        m.put("f32", Tensor.wrap(f, 3, 4));
        short[] bf = new short[6], hf = new short[5];
        for (int i = 0; i < bf.length; i++) bf[i] = (short) rnd.nextInt(1 << 16);
        for (int i = 0; i < hf.length; i++) hf[i] = Half.f32ToF16((float) rnd.nextGaussian() * 100);
        m.put("bf16", Tensor.of(DType.BF16, MemorySegment.ofArray(bf), 2, 3));
        m.put("f16", Tensor.of(DType.F16, MemorySegment.ofArray(hf), 5));
        m.put("i64", Tensor.wrap(new long[] {0, -1, Long.MAX_VALUE, Long.MIN_VALUE, rnd.nextLong(), 42}, 2, 1, 3));
        m.put("scalar", Tensor.wrap(new float[] {7.25f}));
        m.put("empty", Tensor.zeros(0, 4));
        return m;
    }

    @Test
    void roundTripKeepsDtypesShapesBitsOrderAndMetadata() {
        Props.forAll("safetensors round trip", 20, 7, rnd -> {
            Map<String, Tensor> in = sample(rnd);
            Map<String, String> md = new LinkedHashMap<>();
            md.put("format", "pt");
            md.put("note", "quote \" backslash \\ newline \n unicode é");
            Path p = tmp.resolve("rt.safetensors");
            SafetensorsWriter.write(p, in, md);
            try (Checkpoint ck = Checkpoint.open(p)) {
                assertInstanceOf(SafetensorsFile.class, ck);
                assertEquals(List.copyOf(in.keySet()), List.copyOf(ck.names()));
                assertEquals(md, ck.metadata());
                for (String n : in.keySet()) {
                    Tensor a = in.get(n), b = ck.get(n);
                    assertEquals(a.dtype(), b.dtype(), n);
                    assertArrayEquals(a.shape(), b.shape(), n);
                    assertArrayEquals(bytes(a), bytes(b), n + " bytes");
                    assertTrue(b.isNative() && b.segment().isMapped(), n + " is a view of the mapping");
                }
            }
        });
    }

    private static byte[] bytes(Tensor t) {
        return t.contiguous().segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    @Test
    void writerCopiesStridedViewsAndPadsTheHeader() throws Exception {
        Tensor base = Tensor.wrap(new float[] {0, 1, 2, 3, 4, 5}, 2, 3);
        Path p = tmp.resolve("t.safetensors");
        SafetensorsWriter.write(p, Map.of("t", base.transpose(0, 1)), Map.of());
        byte[] raw = Files.readAllBytes(p);
        long headerLen = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLen) % 8, "data section 8-byte aligned");
        try (Checkpoint ck = Checkpoint.open(p)) {
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, ck.get("t").toFloatArray());
            assertTrue(ck.metadata().isEmpty());
            assertFalse(Files.list(tmp).anyMatch(f -> f.getFileName().toString().endsWith(".partial")));
        }
    }

    @Test
    void headerLengthStartingLikeAPickleIsStillSafetensors() {
        // 640 = 0x0280: the first two bytes are 80 02, as in a pickle's PROTO 2
        String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        Path p = TestFiles.write(tmp, "proto.safetensors", file(h + " ".repeat(640 - h.length()), 4));
        try (Checkpoint ck = Checkpoint.open(p)) {
            assertEquals(List.of("a"), List.copyOf(ck.names()));
        }
    }

    @Test
    void missingTensorNamesTheTensorAndFile() {
        Path p = tmp.resolve("m.safetensors");
        SafetensorsWriter.write(p, Map.of("a", Tensor.zeros(1)), null);
        try (Checkpoint ck = Checkpoint.open(p)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> ck.get("b"));
            assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("m.safetensors"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ bad files

    /** A safetensors image with this header text and {@code dataLen} zero bytes of data. */
    static byte[] file(String header, int dataLen) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataLen).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    private String failure(byte[] image, String name) {
        Path p = TestFiles.write(tmp, name, image);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(p).close());
        assertTrue(e.getMessage().contains(name), "message names the file: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertMentions(String message, String... words) {
        for (String w : words) assertTrue(message.contains(w), "'" + w + "' in: " + message);
    }

    @Test
    void truncatedFile() {
        Path p = tmp.resolve("ok.safetensors");
        SafetensorsWriter.write(p, sample(new SplittableRandom(1)), Map.of());
        byte[] full = TestFiles.bytes(p);
        assertMentions(failure(Arrays.copyOf(full, full.length - 3), "cut.safetensors"), "data_offsets", "truncated");
        assertMentions(failure(Arrays.copyOf(full, 20), "cuthead.safetensors"), "runs past the end");
        assertMentions(failure(Arrays.copyOf(full, 5), "tiny.safetensors"), "shorter than the 8-byte header length");
        assertMentions(failure(new byte[0], "empty.safetensors"), "0 bytes");
    }

    @Test
    void offsetsPastTheEnd() {
        assertMentions(failure(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8), "past.safetensors"),
                "tensor 'a'", "outside the 8-byte data section");
        assertMentions(failure(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12), "size.safetensors"),
                "tensor 'a'", "needs 8");
    }

    @Test
    void headerLengthOverTheLimit() {
        byte[] b = file("{}", 0);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, SafetensorsFile.MAX_HEADER_BYTES + 1);
        assertMentions(failure(b, "huge.safetensors"), "100000001", "outside");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1);
        assertMentions(failure(b, "neg.safetensors"), "18446744073709551615");
    }

    @Test
    void headerNotJson() {
        assertMentions(failure(file("{\"a\": [1, 2", 0), "json.safetensors"), "not well-formed JSON");
        assertMentions(failure(file("[1,2]", 0), "array.safetensors"), "not a JSON object");
        assertMentions(failure(file("{\"a\":1}\u0000", 0).clone(), "nul.safetensors"), "JSON");
        assertMentions(failure(file("{\"a\":1.\u0663}", 0), "digits.safetensors"), "not well-formed JSON"); // Arabic-Indic 3
        assertMentions(failure(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[\u0661],\"data_offsets\":[0,4]}}", 4), "digit1.safetensors"),
                "not well-formed JSON");
        byte[] bad = file("{\"a\":\"xx\"}", 0);
        bad[14] = (byte) 0xC3; // a lone UTF-8 lead byte
        assertMentions(failure(bad, "utf8.safetensors"), "UTF-8");
    }

    @Test
    void overlappingTensors() {
        assertMentions(failure(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap.safetensors"), "'a'", "'b'", "overlap");
    }

    @Test
    void unknownDtype() {
        assertMentions(failure(file("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2), "dtype.safetensors"),
                "tensor 'a'", "unsupported dtype 'F8_E4M3'");
    }

    @Test
    void malformedEntries() {
        assertMentions(failure(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0), "negshape.safetensors"),
                "non-negative");
        assertMentions(failure(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8), "offs.safetensors"),
                "data_offsets");
        assertMentions(failure(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
                + "\"data_offsets\":[0,0]}}", 0), "big.safetensors"), "too large");
        assertMentions(failure(file("{\"__metadata__\":{\"k\":1}}", 0), "md.safetensors"), "__metadata__");
    }

    @Test
    void missingFile() {
        Path p = tmp.resolve("nothing-here.safetensors");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.open(p));
        assertMentions(e.getMessage(), "nothing-here.safetensors", "no such file");
        CheckpointException d = assertThrows(CheckpointException.class, () -> Checkpoint.open(tmp));
        assertMentions(d.getMessage(), "cannot read");
    }

    @Test
    void pthFixtureValuesMatchTheirExpectedFile() {
        // The expected files are plain safetensors written by Python: they must read as such.
        try (Checkpoint ck = Checkpoint.open(TestFiles.fixture("dtypes.expected.safetensors"))) {
            assertEquals(List.of("bf16", "f16", "i64", "f16_special"), List.copyOf(ck.names()));
            assertArrayEquals(new long[] {0, -1, 1L << 40, 7, -(1L << 62), 123456789}, ck.get("i64").toLongArray());
            float[] sp = ck.get("f16_special").toFloatArray();
            assertEquals(Float.POSITIVE_INFINITY, sp[0]);
            assertEquals(Float.NEGATIVE_INFINITY, sp[1]);
            assertEquals(0x1p-24f, sp[2]); // 6e-8 rounds to the smallest f16 subnormal
            assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(sp[3]));
            assertEquals(65504f, sp[4]);
        }
    }
}
