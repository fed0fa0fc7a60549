package livetalk.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import livetalk.cli.Main;
import livetalk.cli.demo.DemoAssets;
import livetalk.cli.demo.DemoModels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code livetalk generate} end to end on the demo's tiny random-weight models (official formats
 * and layout): the file plays (ffprobe, headless Chromium), the same seed gives the same frames,
 * and bad input gives one line, exit code 2 and no output file.
 */
class GenerateCommandTest {
    /** Small frames keep the run short; the pipeline is the one real checkpoints go through. */
    static final String SIZE = "128";

    @TempDir
    static Path shared;
    static Path models, face, speech;

    @BeforeAll
    static void setUp() throws IOException {
        models = DemoModels.ensure(shared.resolve("cache"));
        face = shared.resolve("face.png");
        DemoAssets.portrait(face);
        speech = tone(shared.resolve("speech.wav"), 1.3);
    }

    record Run(int exit, String err) {
    }

    static Run generate(String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--prompt", "a person talking",
                "--size", SIZE, "--cache", shared.resolve("cache").toString(), "--threads", "2"));
        args.addAll(List.of(extra));
        if (!args.contains("--models")) args.addAll(List.of("--models", models.toString()));
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true));
        try {
            int code = Main.execute(args.toArray(String[]::new));
            return new Run(code, buf.toString());
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void writesAVideoThatPlayersAndBrowsersRead(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("talk.mp4");
        Run r = generate("--image", face.toString(), "--audio", speech.toString(), "--out", out.toString(), "--seconds", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.size(out) > 0);
        Assumptions.assumeTrue(onPath("ffprobe"), "ffprobe is not installed: stream checks skipped");
        // 1 s → 16·1 + 1 = 17 frames (docs/model.md#frame-counts), at 16 fps, with one audio stream cut to the video.
        assertEquals("17", probe(out, "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames"));
        assertEquals("16/1", probe(out, "-select_streams", "v:0", "-show_entries", "stream=r_frame_rate"));
        assertEquals("aac", probe(out, "-select_streams", "a", "-show_entries", "stream=codec_name"));
        double video = Double.parseDouble(probe(out, "-select_streams", "v:0", "-show_entries", "stream=duration"));
        double audio = Double.parseDouble(probe(out, "-select_streams", "a:0", "-show_entries", "stream=duration"));
        assertEquals(17 / 16.0, video, 1e-3);
        assertEquals(video, audio, 1 / 16.0, "audio and video durations within one frame");

        Assumptions.assumeTrue(onPath("chromium"), "chromium is not installed: browser check skipped");
        double browser = browserDuration(out, tmp);
        assertEquals(video, browser, 1 / 16.0, "duration reported by headless Chromium");
    }

    @Test
    void sameSeedGivesByteIdenticalFrames(@TempDir Path tmp) throws Exception {
        Path a = Files.createDirectory(tmp.resolve("a")), b = Files.createDirectory(tmp.resolve("b"));
        for (Path d : List.of(a, b)) {
            Run r = generate("--image", face.toString(), "--audio", speech.toString(), "--out", d.resolve("v.mp4").toString(),
                    "--seconds", "0.5", "--seed", "7", "--frames", d.toString());
            assertEquals(0, r.exit(), r.err());
        }
        List<Path> frames;
        try (Stream<Path> s = Files.list(a)) {
            frames = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        assertEquals(9, frames.size());   // 0.5 s → 9 frames
        for (Path f : frames) assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(b.resolve(f.getFileName())), f.toString());
    }

    @Test
    void badInputIsOneLineExitTwoAndNoFile(@TempDir Path tmp) throws Exception {
        Path notImage = Files.writeString(tmp.resolve("face.jpg"), "this is not a picture");
        Path empty = Files.write(tmp.resolve("empty.wav"), new byte[0]);
        Path corrupt = Files.write(tmp.resolve("corrupt.wav"), "RIFF\u0010\u0000\u0000\u0000WAVEjunkjunk".getBytes());
        Path partialModels = tmp.resolve("models");
        copyTree(models, partialModels);
        Files.delete(partialModels.resolve("Wan2.1-T2V-1.3B/Wan2.1_VAE.pth"));
        Path out = tmp.resolve("out.mp4");
        String img = face.toString(), wav = speech.toString();
        record Case(String expect, String[] args) {
        }
        List<Case> cases = List.of(
                new Case("no such file", new String[] {"--image", tmp.resolve("missing.png").toString(), "--audio", wav, "--out", out.toString()}),
                new Case("not an image", new String[] {"--image", notImage.toString(), "--audio", wav, "--out", out.toString()}),
                new Case("empty.wav", new String[] {"--image", img, "--audio", empty.toString(), "--out", out.toString()}),
                new Case("corrupt.wav", new String[] {"--image", img, "--audio", corrupt.toString(), "--out", out.toString()}),
                new Case("does not exist", new String[] {"--image", img, "--audio", wav, "--out", tmp.resolve("no/dir/out.mp4").toString()}),
                new Case("Wan2.1_VAE.pth", new String[] {"--image", img, "--audio", wav, "--out", out.toString(), "--models", partialModels.toString()}));
        for (Case c : cases) {
            Run r = generate(c.args());
            String msg = String.join(" ", c.args());
            assertEquals(2, r.exit(), msg + "\n" + r.err());
            List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
            assertEquals(1, lines.size(), "one line for " + msg + ":\n" + r.err());
            assertTrue(lines.getFirst().startsWith("error: ") && lines.getFirst().contains(c.expect()), lines.getFirst());
            assertFalse(lines.getFirst().contains("Exception"), "no stack trace: " + lines.getFirst());
            try (Stream<Path> s = Files.list(tmp)) {
                assertFalse(s.anyMatch(p -> p.getFileName().toString().contains("out.mp4")), "no output file for " + msg);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /** 16-bit mono 16 kHz WAV: a vowel-like 150 Hz buzz. */
    static Path tone(Path p, double seconds) throws IOException {
        int rate = 16000, n = (int) (seconds * rate);
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + 2 * n).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
                .putShort((short) 1).putShort((short) 1).putInt(rate).putInt(2 * rate).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes()).putInt(2 * n);
        for (int i = 0; i < n; i++) {
            double t = (double) i / rate;
            b.putShort((short) (6000 * Math.sin(2 * Math.PI * 150 * t) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t))));
        }
        return Files.write(p, b.array());
    }

    static boolean onPath(String exe) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, exe))) return true;
        }
        return false;
    }

    static String probe(Path file, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ffprobe", "-v", "error", "-of", "csv=p=0"));
        cmd.addAll(List.of(args));
        cmd.add(file.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String s = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return s;
    }

    /** Loads the video in headless Chromium and returns the duration the page's video element reports. */
    static double browserDuration(Path video, Path tmp) throws Exception {
        Path page = tmp.resolve("page.html");
        Files.writeString(page, "<!doctype html><html><head><title>pending</title></head><body>"
                + "<video id=\"v\" src=\"" + video.getFileName() + "\" preload=\"metadata\" muted></video><script>"
                + "const v=document.getElementById('v');"
                + "v.addEventListener('loadedmetadata',()=>{document.title='duration='+v.duration;});"
                + "v.addEventListener('error',()=>{document.title='error='+(v.error?v.error.code:'?');});"
                + "</script></body></html>");
        Path profile = Files.createTempDirectory(tmp, "chromium");
        Process p = new ProcessBuilder("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom", page.toUri().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        Matcher m = Pattern.compile("<title>duration=([0-9.]+)</title>").matcher(dom);
        assertTrue(m.find(), "Chromium did not report a duration: " + dom.replaceAll("(?s).*<title>(.*?)</title>.*", "$1"));
        return Double.parseDouble(m.group(1));
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
