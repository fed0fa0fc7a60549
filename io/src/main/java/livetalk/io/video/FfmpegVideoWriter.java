package livetalk.io.video;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import livetalk.io.MediaException;

/**
 * Pipes raw RGB frames into ffmpeg, which encodes H.264 (yuv420p, CRF 18, like the reference's
 * imageio call, docs/model.md#video-output) and muxes the original audio as AAC 96 kb/s, 48 kHz mono. The audio is
 * padded with silence and cut to the video length, so the file's duration is the video's.
 */
final class FfmpegVideoWriter implements VideoWriter {
    private final Path out;
    private final Path partial;
    private final int width, height;
    private final Process process;
    private final OutputStream stdin;
    private final Path log;
    private int frames;
    private boolean closed;

    static boolean available() {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "ffmpeg"))) return true;
        }
        return false;
    }

    FfmpegVideoWriter(Path out, int width, int height, int fps, Path audio) {
        this.out = out.toAbsolutePath();
        this.width = width;
        this.height = height;
        Path dir = this.out.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new MediaException(out + ": the directory " + dir + " does not exist");
        }
        String name = this.out.getFileName().toString();
        this.partial = dir.resolve("." + name + ".partial" + extension(name));
        List<String> cmd = new ArrayList<>();
        // In its own session ffmpeg does not see the terminal's Ctrl-C: the engine's shutdown hook
        // closes the pipe instead, and ffmpeg finishes a playable file with the frames so far.
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) cmd.add("/usr/bin/setsid");
        cmd.addAll(List.of("ffmpeg", "-y", "-hide_banner", "-loglevel", "error",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", width + "x" + height, "-r", String.valueOf(fps), "-i", "pipe:0"));
        if (audio != null) {
            cmd.addAll(List.of("-i", audio.toAbsolutePath().toString(), "-map", "0:v:0", "-map", "1:a:0",
                    "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "1", "-af", "apad", "-shortest"));
        }
        cmd.addAll(List.of("-c:v", "libx264", "-crf", "18", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                "-movflags", "+faststart", partial.toString()));
        try {
            this.log = Files.createTempFile("livetalk-ffmpeg", ".log");
            log.toFile().deleteOnExit();           // removed in close()/abort(), and at exit if neither ran
            this.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new MediaException(out + ": cannot start ffmpeg (" + e.getMessage() + ")");
        }
        this.stdin = new BufferedOutputStream(process.getOutputStream(), 1 << 20);
    }

    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        return dot >= 0 ? name.substring(dot) : ".mp4";
    }

    @Override
    public synchronized void frame(byte[] rgb) {
        if (closed) throw new IllegalStateException("video writer already closed");
        if (rgb.length != width * height * 3) {
            throw new IllegalArgumentException("frame of " + rgb.length + " bytes, expected " + width + "x" + height + "x3");
        }
        try {
            stdin.write(rgb);
            frames++;
        } catch (IOException e) {
            String why = ffmpegLog();
            abort();
            throw new MediaException(out + ": ffmpeg stopped accepting frames: " + why);
        }
    }

    @Override
    public synchronized int frames() {
        return frames;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        boolean moved = false;
        try {
            stdin.close();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new MediaException(out + ": ffmpeg did not finish within 120 s");
            }
            if (process.exitValue() != 0) {
                Files.deleteIfExists(partial);
                throw new MediaException(out + ": ffmpeg failed (exit " + process.exitValue() + "): " + ffmpegLog());
            }
            Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
        } catch (IOException e) {
            throw new MediaException(out + ": cannot finish the video (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MediaException(out + ": interrupted while ffmpeg was finishing");
        } finally {
            if (!moved) {                       // no partial file is ever left behind
                process.destroyForcibly();
                deleteQuietly(partial);
            }
            deleteQuietly(log);
        }
    }

    @Override
    public synchronized void abort() {
        closed = true;
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteQuietly(partial);
        deleteQuietly(log);
    }

    @Override
    public String description() {
        return "H.264 + AAC via ffmpeg";
    }

    private String ffmpegLog() {
        try {
            String s = Files.readString(log).strip();
            return s.isEmpty() ? "(no message)" : s.lines().reduce((a, b) -> b).orElse(s);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: a leftover temp file is not worth failing for
        }
    }
}
