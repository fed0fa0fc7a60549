package livetalk.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import livetalk.io.video.VideoWriter;
import livetalk.session.BlockClock;

/**
 * Records a session to MP4 with the engine's video writer while it runs: frames go to the writer
 * as they are made, audio to a raw file beside it. On {@link #finish} the audio becomes a WAV and,
 * with ffmpeg, is muxed in as AAC; without ffmpeg the WAV stays beside the video (as generate does).
 */
final class Recorder {
    private final Path out, video, pcm;
    private final VideoWriter writer;
    private final OutputStream audio;
    private long samples;

    Recorder(Path out, int size) throws IOException {
        this.out = out;
        this.video = out.resolveSibling(out.getFileName() + ".video.mp4");
        this.pcm = out.resolveSibling(out.getFileName() + ".pcm");
        this.writer = VideoWriter.open(video, size, size, BlockClock.FPS, null);
        this.audio = Files.newOutputStream(pcm);
    }

    /** Frames as they were sent, and the audio that plays with them. */
    synchronized void frames(byte[][] rgb, float[] pcm) throws IOException {
        for (byte[] f : rgb) writer.frame(f);
        audio.write(Pcm.toPcm16(pcm));
        samples += pcm.length;
    }

    /** Closes the file; returns what was written (the mp4, and the WAV when it could not be muxed). */
    synchronized Path finish() throws IOException, InterruptedException {
        writer.close();
        audio.close();
        Path wav = out.resolveSibling(out.getFileName().toString().replaceAll("\\.mp4$", "") + ".wav");
        byte[] raw = Files.readAllBytes(pcm);
        float[] x = new float[raw.length / 2];
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < x.length; i++) x[i] = bb.getShort() / 32768f;
        Files.write(wav, Pcm.wav(x, BlockClock.SAMPLE_RATE));
        Files.deleteIfExists(pcm);
        Process p;
        try {
            p = new ProcessBuilder(List.of("ffmpeg", "-y", "-loglevel", "error", "-i", video.toString(), "-i", wav.toString(), "-map", "0:v:0",
                    "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a", "96k", "-shortest", out.toString()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException noFfmpeg) {
            Files.move(video, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return out;
        }
        if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
            Files.deleteIfExists(video);
            Files.deleteIfExists(wav);
        } else {
            p.destroyForcibly();
            Files.move(video, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return out;
    }

    long samples() {
        return samples;
    }
}
