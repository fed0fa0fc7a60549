package livetalk.io.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import livetalk.io.MediaException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoWriterTest {
    @TempDir
    Path tmp;

    static byte[] frame(int w, int h, int t) {
        byte[] f = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                f[i] = (byte) (x * 4 + t);
                f[i + 1] = (byte) (y * 4);
                f[i + 2] = (byte) (t * 8);
            }
        }
        return f;
    }

    /** A 16-bit mono PCM WAV of a 440 Hz tone. */
    static Path tone(Path p, double seconds) throws IOException {
        int rate = 16000, n = (int) (seconds * rate);
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + 2 * n).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
                .putShort((short) 1).putShort((short) 1).putInt(rate).putInt(2 * rate).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes()).putInt(2 * n);
        for (int i = 0; i < n; i++) b.putShort((short) (8000 * Math.sin(2 * Math.PI * 440 * i / rate)));
        Files.write(p, b.array());
        return p;
    }

    static String probe(Path file, String... args) throws Exception {
        var cmd = new java.util.ArrayList<>(java.util.List.of("ffprobe", "-v", "error"));
        cmd.addAll(java.util.List.of(args));
        cmd.add(file.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String s = new String(p.getInputStream().readAllBytes()).strip();
        p.waitFor(30, TimeUnit.SECONDS);
        return s;
    }

    @Test
    void ffmpegWritesVideoWithAudioCutToTheVideoLength() throws Exception {
        Assumptions.assumeTrue(FfmpegVideoWriter.available(), "ffmpeg is not installed: skipping the ffmpeg writer test");
        Path out = tmp.resolve("a.mp4");
        Path wav = tone(tmp.resolve("a.wav"), 3.0); // longer than the video: must be cut
        try (VideoWriter w = new FfmpegVideoWriter(out, 64, 48, 16, wav)) {
            for (int t = 0; t < 24; t++) w.frame(frame(64, 48, t));
        }
        assertTrue(Files.size(out) > 0);
        assertEquals("24", probe(out, "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"));
        assertEquals("aac", probe(out, "-select_streams", "a:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0"));
        double dur = Double.parseDouble(probe(out, "-show_entries", "format=duration", "-of", "csv=p=0"));
        assertEquals(1.5, dur, 1.0 / 16 + 0.03, "duration");
        try (var s = Files.list(tmp)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().contains("partial")), "no partial file left");
        }
    }

    @Test
    void javaWriterWritesPlayableH264() throws Exception {
        Path out = tmp.resolve("b.mp4");
        try (VideoWriter w = new JavaVideoWriter(out, 64, 48, 16, tone(tmp.resolve("in.wav"), 1.0))) {
            for (int t = 0; t < 10; t++) w.frame(frame(64, 48, t));
        }
        assertTrue(Files.size(out) > 0);
        assertTrue(Files.exists(tmp.resolve("b.wav")), "audio copied beside the video");
        Assumptions.assumeTrue(FfmpegVideoWriter.available(), "ffprobe not installed: stream check skipped");
        assertEquals("h264", probe(out, "-select_streams", "v:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0"));
        assertEquals("10", probe(out, "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"));
    }

    @Test
    void missingDirectoryIsAClearErrorAndLeavesNothing() {
        Path out = tmp.resolve("no/such/dir/c.mp4");
        MediaException e = assertThrows(MediaException.class, () -> VideoWriter.open(out, 64, 48, 16, null));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void abortRemovesThePartialFile() throws Exception {
        Path out = tmp.resolve("d.mp4");
        VideoWriter w = VideoWriter.open(out, 64, 48, 16, null);
        w.frame(frame(64, 48, 0));
        w.abort();
        try (var s = Files.list(tmp)) {
            assertEquals(0, s.count());
        }
    }
}
