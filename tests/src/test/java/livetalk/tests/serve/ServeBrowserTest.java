package livetalk.tests.serve;

import static livetalk.tests.serve.ServeFixture.num;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import livetalk.io.audio.WavReader;
import livetalk.server.EspeakSpeech;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} end to end in headless Chromium on the demo models at the {@code --demo} size:
 * the page's own counters (frames drawn, audio played, loudness, A/V offset) after a typed turn,
 * a screenshot that is not one flat colour, barge-in, several turns over the same sinks, two
 * sessions at once, and a fake microphone fed an espeak-ng WAV.
 */
class ServeBrowserTest {
    static final String FIRST = "Hello! I am a live avatar, and I answer turn after turn.";
    static final String LONG = "This is a much longer sentence, so that there is plenty of time to cut it off in the middle of what it is saying.";
    static final String SECOND = "Sorry, let me stop you there.";

    @TempDir
    Path tmp;

    /** Seconds of speech espeak-ng makes of {@code text}, the way the server calls it. */
    static double espeakSeconds(String text, Path wav) throws Exception {
        Process p = new ProcessBuilder("espeak-ng", "-w", wav.toString(), "-s", "160", "-v", "en-us", text).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0);
        return WavReader.read(wav).seconds();
    }

    static void waitUntil(Chromium.Tab tab, String condition, double seconds) throws Exception {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            if (Boolean.TRUE.equals(tab.eval("!!(" + condition + ")"))) return;
            Thread.sleep(100);
        }
        throw new AssertionError("page: " + condition + " not true after " + seconds + " s; lt = " + tab.eval("JSON.stringify(window.lt)"));
    }

    @Test
    void theAvatarTalksBackInTheBrowser() throws Exception {
        Assumptions.assumeTrue(Chromium.installed(), "chromium is not installed: browser test skipped");
        Assumptions.assumeTrue(EspeakSpeech.available(), "espeak-ng is not installed: browser test skipped");
        Path mic = tmp.resolve("mic.wav");
        double firstSeconds = espeakSeconds(FIRST, tmp.resolve("first.wav"));
        espeakSeconds("Testing the microphone, one two three.", mic);
        try (ServeFixture f = new ServeFixture(tmp, 96, 3, null);
             Chromium browser = new Chromium(Files.createDirectories(tmp.resolve("profile")), mic)) {
            Chromium.Tab page = browser.open(f.base + "/");
            waitUntil(page, "window.lt && lt.ready && lt.framesDrawn > 5", 30);
            String id = (String) page.eval("lt.sessionId");

            // ---- a typed turn
            page.eval("lt.say(" + livetalk.io.Json.write(FIRST) + ")");
            waitUntil(page, "lt.stats && lt.stats.turns >= 1 && lt.stats.state === 'listening' && lt.framesSpeaking > 0", 60);
            Thread.sleep(1500);                                      // let the page play out what it buffered
            double frames = page.num("lt.framesSpeaking"), rms = page.num("lt.speakingRms"), av = page.num("lt.maxAbsAvOffsetMs");
            assertNotNull(page.eval("lt.replyDrawnMs"), "the page saw the reply's first frame drawn (a frame of a newer turn, speaking)");
            System.out.printf("browser: speech %.2f s, %d speaking frames drawn (need %.0f), speaking RMS %.4f, max |A/V| %.0f ms, underruns %d,"
                    + " queued media skipped for the reply %d time(s), the reply's first frame drawn %.0f ms after the text was sent (speech source"
                    + " included; server: out %s ms, on screen %s ms after the turn started)%n",
                    firstSeconds, (long) frames, 0.9 * 16 * firstSeconds, rms, av, (long) page.num("lt.underruns"), (long) page.num("lt.skips"),
                    page.num("lt.replyDrawnMs"), f.stats(id).get("first_frame_ms"), f.stats(id).get("first_frame_shown_ms"));
            assertTrue(frames >= 0.9 * 16 * firstSeconds, "frames drawn while speaking: " + frames);
            assertTrue(page.num("lt.speakingSamples") >= 0.9 * 16000 * firstSeconds, "speech samples played");
            assertTrue(rms > 0.01, "the played speech is audible: RMS " + rms);
            assertTrue(av <= 750, "A/V offset within one block: " + av + " ms");
            assertTrue(((List<?>) page.eval("lt.errors")).isEmpty(), "no errors: " + page.eval("lt.errors"));
            // one session (plus the browser) on the demo models keeps up; the page's first block may wait for the JIT
            assertTrue(num(f.stats(id), "deadline_misses") <= 3, "the demo keeps its deadlines: " + f.stats(id));
            byte[] png = page.screenshot();
            Files.write(tmp.resolve("serve.png"), png);
            Path shot = Path.of("target", "serve-screenshot.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, png);                                  // README's docs/serve.png is a copy of this
            assertTrue(distinctColours(png) > 50, "the screenshot is not one flat colour");

            // ---- multi-turn: the sink frames' K/V stay bit-identical
            String sinks = (String) f.stats(id).get("sink_hash");

            // ---- barge-in: a second sentence mid-turn cuts the first within one block
            page.eval("lt.say(" + livetalk.io.Json.write(LONG) + ")");
            waitUntil(page, "lt.state === 'speaking' && lt.framesSpeaking > " + (long) frames + " + 20", 60);
            long epochLong = (long) page.num("lt.epoch");
            page.eval("lt.say(" + livetalk.io.Json.write(SECOND) + ")");
            waitUntil(page, "lt.epoch > " + epochLong + " && lt.stats.turns >= 3 && lt.stats.state === 'listening'", 60);
            double oldAfterCut = page.num("lt.oldSamplesAfterCut");
            System.out.printf("browser: barge-in: %.0f samples of the cut turn played after the cut%n", oldAfterCut);
            assertTrue(oldAfterCut <= 12000, "the cut turn stops within one block (12000 samples): " + oldAfterCut);
            assertTrue(page.num("lt.framesByEpoch[lt.epoch] || 0") > 0, "the new turn is shown");
            assertEquals(sinks, f.stats(id).get("sink_hash"), "sink K/V bit-identical across turns");

            // ---- two sessions at once
            Chromium.Tab second = browser.open(f.base + "/");
            waitUntil(second, "window.lt && lt.ready && lt.framesDrawn > 5", 30);
            assertNotEquals(id, second.eval("lt.sessionId"));
            double before1 = page.num("lt.framesSpeaking"), before2 = second.num("lt.framesSpeaking");
            page.eval("lt.say('One, two, three.')");
            second.eval("lt.say('Four, five, six.')");
            waitUntil(page, "lt.framesSpeaking > " + before1 + " + 12", 60);
            waitUntil(second, "lt.framesSpeaking > " + before2 + " + 12", 60);
            assertTrue(second.num("lt.maxAbsAvOffsetMs") <= 750 && page.num("lt.maxAbsAvOffsetMs") <= 750, "both in sync");

            // ---- a fake microphone (espeak-ng WAV): echoed, the avatar lip-syncs the user
            double micBefore = second.num("lt.framesSpeaking");
            second.eval("lt.startMic()");
            Thread.sleep(3000);
            second.eval("lt.stopMic()");
            waitUntil(second, "lt.framesSpeaking > " + micBefore + " + 12 && lt.speakingRms > 0.01", 60);
            assertTrue(((List<?>) second.eval("lt.errors")).isEmpty(), "no errors: " + second.eval("lt.errors"));
            System.out.printf("browser: two sessions + Chromium on %d cores: deadline misses %d and %d%n", Runtime.getRuntime().availableProcessors(),
                    num(f.stats(id), "deadline_misses"), num(f.stats((String) second.eval("lt.sessionId")), "deadline_misses"));
            second.close();
            page.close();
        }
    }

    /** Distinct colours in the PNG's left half (the canvas). */
    static int distinctColours(byte[] png) throws Exception {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) {
            for (int x = 0; x < img.getWidth() / 2; x += 3) colours.add(img.getRGB(x, y));
        }
        return colours.size();
    }
}
