package livetalk.io.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import livetalk.io.Json;
import livetalk.io.MediaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fixture in {@code fixtures/image/decode} (made by Pillow 9.4, the reference's reader: gray,
 * gray+alpha, 1-bit, palette PNG/GIF/BMP, 16-bit gray/RGB/RGBA, CMYK JPEG, ICC profiles, EXIF
 * orientations 1–8) decodes to exactly the bytes of Pillow's {@code convert("RGB")}, and with EXIF
 * applied to those of {@code exif_transpose}.
 */
class ImageDecodeTest {
    static final Path DIR = Path.of("src/test/resources/fixtures/image/decode");

    @TempDir
    Path tmp;

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> images() throws Exception {
        Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(DIR.resolve("manifest.json")));
        return new ArrayList<>((List<Map<String, Object>>) m.get("images"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void decodesAsPillow(Map<String, Object> e) throws IOException {
        String f = (String) e.get("file");
        ImageFiles.Decoded d = ImageFiles.decode(DIR.resolve(f), false);
        assertEquals(((Number) e.get("width")).intValue(), d.width(), f);
        assertEquals(((Number) e.get("height")).intValue(), d.height(), f);
        assertSame(f + " (" + e.get("mode") + ")", Files.readAllBytes(DIR.resolve(f + ".rgb")), d.rgb());
        if (e.containsKey("exif_width")) {
            ImageFiles.Decoded t = ImageFiles.decode(DIR.resolve(f), true);
            assertEquals(((Number) e.get("exif_width")).intValue(), t.width(), f);
            assertEquals(((Number) e.get("exif_height")).intValue(), t.height(), f);
            assertSame(f + " with EXIF orientation", Files.readAllBytes(DIR.resolve(f + ".exif.rgb")), t.rgb());
        }
    }

    private static void assertSame(String what, byte[] expected, byte[] actual) {
        assertEquals(expected.length, actual.length, what);
        int diff = 0, first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                if (first < 0) first = i;
                diff++;
            }
        }
        if (diff > 0) {
            throw new AssertionError(what + ": " + diff + " bytes differ, first at " + first + ": "
                    + (actual[first] & 0xFF) + " vs Pillow " + (expected[first] & 0xFF));
        }
    }

    @Test
    void hugePicturesAreRefusedFromTheHeader() throws IOException {
        Path p = tmp.resolve("huge.png");
        Files.write(p, pngHeaderOnly(100_000, 100_000));
        MediaException e = assertThrows(MediaException.class, () -> ImageFiles.read(p));
        assertTrue(e.getMessage().contains("100000x100000 pixels is more than the limit"), e.getMessage());
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
    }

    @Test
    void notAnImageAndDirectoriesAreOneLineErrors() throws IOException {
        Path p = tmp.resolve("x.png");
        Files.writeString(p, "hello");
        assertThrows(MediaException.class, () -> ImageFiles.read(p));
        assertThrows(MediaException.class, () -> ImageFiles.read(tmp));
        assertThrows(MediaException.class, () -> ImageFiles.read(tmp.resolve("missing.png")));
    }

    /** An 8-bit RGB PNG header of any size, with one empty IDAT: enough for the size check. */
    static byte[] pngHeaderOnly(int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12 + 12);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        chunk(b, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put(new byte[3]).array());
        chunk(b, "IDAT", new byte[0]);
        chunk(b, "IEND", new byte[0]);
        return b.array();
    }

    private static void chunk(ByteBuffer b, String type, byte[] data) {
        b.putInt(data.length);
        byte[] t = type.getBytes();
        b.put(t).put(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        b.putInt((int) crc.getValue());
    }
}
