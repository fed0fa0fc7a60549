package livetalk.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The offline default: the avatar says the typed text with espeak-ng (Debian's {@code espeak-ng}).
 * The text goes in on stdin, never on the command line, so no text can become an option. The WAV
 * comes back on stdout. Microphone audio is echoed.
 */
public final class EspeakSpeech implements SpeechSource {
    private final String voice;

    public EspeakSpeech(String voice) {
        this.voice = voice;
    }

    @Override
    public String name() {
        return "espeak-ng";
    }

    /** Whether espeak-ng is on the PATH. */
    public static boolean available() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(d, "espeak-ng"))) return true;
        }
        return false;
    }

    @Override
    public String replyToText(String text, Sink out) throws Exception {
        if (!available()) throw new ApiException(503, "espeak-ng is not installed (apt-get install espeak-ng), so typed text cannot be spoken");
        Process p = new ProcessBuilder(List.of("espeak-ng", "--stdout", "--stdin", "-s", "160", "-v", voice))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            }
            byte[] wav;
            try (InputStream o = p.getInputStream()) {
                wav = o.readAllBytes();
            }
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("espeak-ng failed (exit " + p.exitValue() + ")");
            // espeak-ng streams an unknown length: its header says 0x7FFFFFFF bytes; fix the sizes before parsing
            fixStreamedSizes(wav);
            out.accept(Pcm.wavTo16k(wav, "espeak-ng output"));
            return text;
        } finally {
            p.destroyForcibly();
        }
    }

    /** A WAV written to a pipe has placeholder RIFF/data sizes: set them from the actual length. */
    static void fixStreamedSizes(byte[] wav) {
        if (wav.length < 44) return;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(wav).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(4, wav.length - 8);
        int pos = 12;
        while (pos + 8 <= wav.length) {
            int size = b.getInt(pos + 4);
            if (wav[pos] == 'd' && wav[pos + 1] == 'a' && wav[pos + 2] == 't' && wav[pos + 3] == 'a') {
                b.putInt(pos + 4, wav.length - pos - 8);
                return;
            }
            if (size < 0 || pos + 8L + size > wav.length) return;
            pos += 8 + size + (size & 1);
        }
    }
}
