package livetalk.io.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import livetalk.io.MediaException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A video whose final move fails (here: a non-empty folder took its name) leaves no partial file behind. */
class NoPartialFileTest {
    @TempDir
    Path tmp;

    @Test
    void javaWriter() throws IOException {
        check(new JavaVideoWriter(tmp.resolve("v.mp4"), 32, 32, 16, null));
    }

    @Test
    void ffmpegWriter() throws IOException {
        Assumptions.assumeTrue(FfmpegVideoWriter.available(), "ffmpeg is not installed");
        check(new FfmpegVideoWriter(tmp.resolve("v.mp4"), 32, 32, 16, null));
    }

    private void check(VideoWriter w) throws IOException {
        for (int i = 0; i < 3; i++) w.frame(new byte[32 * 32 * 3]);
        Path blocker = Files.createDirectories(tmp.resolve("v.mp4"));
        Files.writeString(blocker.resolve("keep"), "x");
        assertThrows(MediaException.class, w::close);
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(blocker), s.toList(), "only the folder that blocked the move is left");
        }
    }
}
