package livetalk.io.audio;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import livetalk.io.MediaException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Hostile WAV inputs: chunk sizes near 2^31 and 2^32, endless streams, NaN and infinite samples. */
class WavLimitsTest {
    @TempDir
    Path tmp;

    static byte[] withChunk(long junkSize) {
        byte[] ok = WavReaderTest.wav(new float[][] {{0.1f, -0.2f, 0.3f}}, 16000, 1, 16, false, false);
        ByteBuffer b = ByteBuffer.allocate(ok.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ok, 0, 12).put("junk".getBytes()).putInt((int) junkSize).put(ok, 12, ok.length - 12);
        return b.array();
    }

    @Test
    void chunkSizesNearTheLimitsAreErrorsNotOverflows() {
        for (long size : new long[] {0x7FFFFFF0L, 0x7FFFFFF7L, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFF0L, 0xFFFFFFF7L, 0xFFFFFFFEL, 0xFFFFFFFFL}) {
            MediaException e = assertThrows(MediaException.class, () -> WavReader.parse(withChunk(size), "x.wav"), "size " + size);
            assertTrue(e.getMessage().startsWith("x.wav: "), e.getMessage());
        }
        byte[] ok = WavReaderTest.wav(new float[][] {{0.1f}}, 16000, 1, 16, false, false);
        for (long size : new long[] {0x7FFFFFFFL, 0xFFFFFFF0L, 0xFFFFFFFEL}) {      // a fmt chunk that claims to be huge
            ByteBuffer b = ByteBuffer.wrap(ok.clone()).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(16, (int) size);
            assertThrows(MediaException.class, () -> WavReader.parse(b.array(), "x.wav"));
        }
    }

    @Test
    @Timeout(10)
    void devZeroIsRefusedAtOnce() {
        Path zero = Path.of("/dev/zero");
        Assumptions.assumeTrue(Files.exists(zero));
        MediaException e = assertThrows(MediaException.class, () -> WavReader.read(zero));
        assertTrue(e.getMessage().contains("not a WAV file"), e.getMessage());
    }

    @Test
    @Timeout(30)
    void anEndlessStreamIsReadUpToTheLimit() throws Exception {
        Path fifo = tmp.resolve("endless.wav");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo not available");
        Thread writer = new Thread(() -> {
            try (OutputStream out = Files.newOutputStream(fifo)) {
                out.write(WavReaderTest.wav(new float[][] {{0f}}, 16000, 1, 16, false, false), 0, 36);
                byte[] block = new byte[1 << 16];
                while (true) out.write(block);               // endless: stops when the reader closes the pipe
            } catch (IOException expected) {
                // the reader gave up
            }
        });
        writer.setDaemon(true);
        writer.start();
        MediaException e = assertThrows(MediaException.class, () -> WavReader.readLimited(fifo, 8 << 20));
        assertTrue(e.getMessage().contains("endless input?"), e.getMessage());
        assertTrue(e.getMessage().startsWith(fifo.toString()), e.getMessage());
    }

    @Test
    void nanAndInfiniteSamplesAreRefusedNamingTheFile() throws IOException {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int bits : new int[] {32, 64}) {
                Path p = Files.write(tmp.resolve("bad.wav"), WavReaderTest.wav(new float[][] {{0.5f, bad, 0.1f}}, 16000, 3, bits, false, false));
                MediaException e = assertThrows(MediaException.class, () -> WavReader.read(p));
                assertTrue(e.getMessage().startsWith(p.toString()) && e.getMessage().contains("sample 1 of channel 0"), e.getMessage());
            }
        }
    }
}
