package livetalk.io.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import livetalk.io.MediaException;
import livetalk.tensor.Props;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WavReaderTest {
    @TempDir
    Path tmp;

    /** A WAV with the given encoding of {@code ch} interleaved channels, optionally extensible, with an extra chunk before data. */
    static byte[] wav(float[][] chans, int rate, int format, int bits, boolean extensible, boolean extraChunk) {
        int ch = chans.length, n = chans[0].length, bytes = bits / 8;
        ByteBuffer data = ByteBuffer.allocate(n * ch * bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            for (float[] c : chans) {
                double v = c[i];
                if (format == 3) {
                    if (bits == 32) data.putFloat((float) v); else data.putDouble(v);
                } else {
                    switch (bits) {
                        case 8 -> data.put((byte) (Math.round(v * 128) + 128));
                        case 16 -> data.putShort((short) Math.round(v * 32768));
                        case 24 -> {
                            int s = (int) Math.round(v * 8388608);
                            data.put((byte) s).put((byte) (s >> 8)).put((byte) (s >> 16));
                        }
                        default -> data.putInt((int) Math.round(v * 2147483648.0));
                    }
                }
            }
        }
        int fmtSize = extensible ? 40 : 16;
        ByteBuffer fmt = ByteBuffer.allocate(fmtSize).order(ByteOrder.LITTLE_ENDIAN);
        fmt.putShort((short) (extensible ? 0xFFFE : format)).putShort((short) ch).putInt(rate).putInt(rate * ch * bytes)
                .putShort((short) (ch * bytes)).putShort((short) bits);
        if (extensible) {
            fmt.putShort((short) 22).putShort((short) bits).putInt(0).putShort((short) format);
            fmt.put(new byte[]{0, 0, 0, 0, 0x10, 0, (byte) 0x80, 0, 0, (byte) 0xAA, 0, 0x38, (byte) 0x9B, 0x71});
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("WAVE".getBytes());
        chunk(body, "fmt ", fmt.array());
        if (extraChunk) chunk(body, "LIST", new byte[]{1, 2, 3});   // odd size: padded
        chunk(body, "data", data.array());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("RIFF".getBytes());
        out.writeBytes(le32(body.size()));
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    static void chunk(ByteArrayOutputStream o, String id, byte[] b) {
        o.writeBytes(id.getBytes());
        o.writeBytes(le32(b.length));
        o.writeBytes(b);
        if ((b.length & 1) == 1) o.write(0);
    }

    static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    @Test
    void everyEncodingReadsBack() {
        int[][] encodings = {{1, 8}, {1, 16}, {1, 24}, {1, 32}, {3, 32}, {3, 64}};
        Props.forAll("wav round trip", 24, 11, rnd -> {
            int[] e = encodings[rnd.nextInt(encodings.length)];
            int ch = 1 + rnd.nextInt(3), n = 1 + rnd.nextInt(300), rate = 8000 + rnd.nextInt(40000);
            boolean ext = rnd.nextBoolean(), extra = rnd.nextBoolean();
            float[][] chans = new float[ch][];
            for (int c = 0; c < ch; c++) chans[c] = Props.uniform(rnd, n, 0.99f);
            Path f = tmp.resolve("t" + rnd.nextInt(1 << 30) + ".wav");
            Files.write(f, wav(chans, rate, e[0], e[1], ext, extra));
            WavReader.Audio a = WavReader.read(f);
            assertEquals(rate, a.sampleRate());
            assertEquals(ch, a.channels());
            assertEquals(n, a.samples().length);
            double tol = e[0] == 3 ? 1e-6 : 1.0 / (1 << (e[1] - 1)) + 1e-6;
            for (int i = 0; i < n; i++) {
                double mean = 0;
                for (float[] c : chans) mean += c[i];
                mean /= ch;
                assertEquals(mean, a.samples()[i], tol, "sample " + i + " of " + e[0] + "/" + e[1]);
            }
        });
    }

    @Test
    void badFilesGiveMediaException() throws Exception {
        float[][] one = {{0.1f, 0.2f, 0.3f, 0.4f}};
        byte[] good = wav(one, 16000, 1, 16, false, false);
        Path f = tmp.resolve("bad.wav");

        Files.write(f, "this is not audio at all".getBytes());
        assertMessage(f, "not a WAV");

        Files.write(f, java.util.Arrays.copyOf(good, good.length - 3));
        assertMessage(f, "truncated");

        Files.write(f, wav(new float[][]{{}}, 16000, 1, 16, false, false));
        assertMessage(f, "zero samples");

        byte[] adpcm = good.clone();
        adpcm[20] = 2;   // format tag: MS ADPCM
        Files.write(f, adpcm);
        assertMessage(f, "unsupported encoding");

        Files.write(f, wav(one, 16000, 1, 12 * 0 + 16, false, false));
        assertEquals(4, WavReader.read(f).samples().length);
        assertThrows(MediaException.class, () -> WavReader.read(tmp.resolve("missing.wav")));
    }

    private static void assertMessage(Path f, String part) {
        MediaException e = assertThrows(MediaException.class, () -> WavReader.read(f));
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }
}
