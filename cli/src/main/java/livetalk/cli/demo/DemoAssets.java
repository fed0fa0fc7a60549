package livetalk.cli.demo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/** The demo's inputs, made on the spot: a drawn portrait and a few seconds of speech. */
public final class DemoAssets {
    private DemoAssets() {
    }

    /** The demo's prompt. */
    public static final String PROMPT = "a person talking to the camera with a calm smile";

    public static final String SENTENCE = "Hello! This is a live talking avatar, generated block by block in pure Java.";

    /** A 512×512 cartoon face (PNG): enough structure for the VAE to encode something visible. */
    public static void portrait(Path png) throws IOException {
        BufferedImage img = new BufferedImage(512, 512, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setPaint(new java.awt.GradientPaint(0, 0, new Color(70, 110, 160), 0, 512, new Color(20, 30, 60)));
        g.fillRect(0, 0, 512, 512);
        g.setColor(new Color(60, 40, 30));
        g.fillOval(126, 60, 260, 300);                 // hair
        g.setColor(new Color(235, 190, 160));
        g.fillOval(146, 110, 220, 280);                // face
        g.fillRect(226, 370, 60, 60);                  // neck
        g.setColor(new Color(40, 80, 140));
        g.fillRoundRect(116, 420, 280, 140, 80, 80);   // shoulders
        g.setColor(Color.WHITE);
        g.fillOval(196, 210, 44, 26);
        g.fillOval(272, 210, 44, 26);
        g.setColor(new Color(50, 30, 20));
        g.fillOval(210, 213, 18, 20);
        g.fillOval(286, 213, 18, 20);
        g.setStroke(new BasicStroke(5));
        g.drawLine(192, 196, 240, 190);
        g.drawLine(272, 190, 320, 196);
        g.setColor(new Color(200, 140, 120));
        g.drawLine(256, 240, 248, 290);
        g.setColor(new Color(170, 60, 60));
        g.fillArc(216, 310, 80, 36, 180, 180);         // mouth
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    /**
     * Speech: espeak-ng reading {@link #SENTENCE} when it is installed, else a synthetic
     * speech-like signal (a 120 Hz voice with moving formants, syllables at ~4 Hz). Returns
     * which one was made.
     */
    public static String speech(Path wav, double seconds) throws IOException {
        if (onPath("espeak-ng")) {
            try {
                Process p = new ProcessBuilder("espeak-ng", "-w", wav.toString(), "-s", "150", SENTENCE)
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 && Files.size(wav) > 44) {
                    return "espeak-ng";
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        writeSynthetic(wav, seconds);
        return "synthesised";
    }

    static void writeSynthetic(Path wav, double seconds) throws IOException {
        int rate = 16000, n = (int) Math.round(seconds * rate);
        float[] x = syntheticSpeech(0, n);
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + 2 * n).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
                .putShort((short) 1).putShort((short) 1).putInt(rate).putInt(2 * rate).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes()).putInt(2 * n);
        for (float v : x) b.putShort((short) (v * 32768));
        Files.write(wav, b.array());
    }

    /**
     * Samples {@code [from, from + n)} of the synthetic speech-like signal at 16 kHz, in [-1, 1): a
     * 120 Hz voice with moving formants, syllables at ~4 Hz, at a speaking level (not silence,
     * which is out of distribution for wav2vec2). The same samples whatever the split, so
     * consecutive slices make one utterance.
     */
    public static float[] syntheticSpeech(long from, int n) {
        int rate = 16000;
        float[] out = new float[n];
        for (int j = 0; j < n; j++) {
            double t = (double) (from + j) / rate;
            // the phase of a voice whose pitch moves as 120 + 15·sin(2π·0.7·t): the integral of its frequency
            double f0 = 120 + 15 * Math.sin(2 * Math.PI * 0.7 * t);
            double phase = 2 * Math.PI * (120 * t - 15 * Math.cos(2 * Math.PI * 0.7 * t) / (2 * Math.PI * 0.7));
            double syllable = Math.max(0, Math.sin(2 * Math.PI * 4 * t));
            double f1 = 500 + 300 * Math.sin(2 * Math.PI * 1.3 * t), f2 = 1500 + 600 * Math.sin(2 * Math.PI * 0.9 * t);
            double v = 0;
            for (int h = 1; h <= 30; h++) {
                double f = h * f0;
                double formant = Math.exp(-Math.pow((f - f1) / 150, 2)) + 0.6 * Math.exp(-Math.pow((f - f2) / 250, 2)) + 0.05;
                v += formant * Math.sin(h * phase) / h;
            }
            out[j] = (float) (Math.max(-32768, Math.min(32767, 9000 * syllable * v)) / 32768);
        }
        return out;
    }

    static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String d : List.of(path.split(java.io.File.pathSeparator))) {
            if (Files.isExecutable(Path.of(d, exe))) return true;
        }
        return false;
    }
}
