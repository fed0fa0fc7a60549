package livetalk.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** serve's model of the page's playback, on made-up wall times (nanoseconds from an arbitrary origin). */
class MediaClockTest {
    private static final long S = 1_000_000_000L;
    private static final long T0 = 5 * S;       // any origin: nanoTime values are only compared

    @Test
    void mediaQueuedAheadPlaysFirst() {
        MediaClock c = new MediaClock();
        assertEquals(T0, c.runsDryAt(T0), "not running: the caller's value");
        MediaClock.Sent first = c.send(0, 0.75, T0);
        assertFalse(first.late());
        assertEquals(T0, first.showsAtNanos(), "the clock starts with the first media");
        assertEquals(0.75, c.buffered(T0), 1e-9);
        // the next block leaves 0.3 s later: it shows when the first has played, 0.45 s after it left
        MediaClock.Sent second = c.send(0.75, 0.75, T0 + 3 * S / 10);
        assertFalse(second.late());
        assertEquals(T0 + 3 * S / 4, second.showsAtNanos());
        assertEquals(1.2, c.buffered(T0 + 3 * S / 10), 1e-9);
        assertEquals(T0 + 3 * S / 2, c.runsDryAt(0));
        assertEquals(1.5, c.playhead(T0 + 10 * S), 1e-9, "the page cannot play past what left");
    }

    @Test
    void lateMediaShowsAtOnceAndTheClockWaitsForIt() {
        MediaClock c = new MediaClock();
        c.send(0, 0.75, T0);
        // 2 s later: the page ran dry at 0.75 s and waited 1.25 s
        long now = T0 + 2 * S;
        MediaClock.Sent s = c.send(0.75, 0.75, now);
        assertTrue(s.late());
        assertEquals(now, s.showsAtNanos());
        assertEquals(0.75, c.playhead(now), 1e-9);
        assertEquals(now + 3 * S / 4, c.runsDryAt(0));
        // within the tolerance it is not late, and shows no sooner than it left
        MediaClock.Sent nearly = c.send(1.5, 0.75, now + 3 * S / 4 + S / 100);
        assertFalse(nearly.late());
        assertEquals(now + 3 * S / 4 + S / 100, nearly.showsAtNanos());
    }

    @Test
    void aCutStartsTheClockAgainWithTheNextMedia() {
        MediaClock c = new MediaClock();
        c.send(0, 0.75, T0);
        c.send(0.75, 0.75, T0 + S / 10);
        c.restart();
        assertEquals(0, c.buffered(T0 + S / 5), 1e-9, "the page dropped its queue");
        long now = T0 + S / 2;
        MediaClock.Sent s = c.send(1.5, 0.75, now);
        assertFalse(s.late());
        assertEquals(now, s.showsAtNanos(), "after a cut the next media shows at once, not behind the dropped");
        assertEquals(0.75, c.buffered(now), 1e-9);
    }

    @Test
    void aSkipShowsTheMediaAtOnceAndDropsWhatWasQueued() {
        MediaClock c = new MediaClock();
        c.send(0, 0.75, T0);
        c.send(0.75, 0.75, T0 + S / 10);
        long now = T0 + S / 5;
        assertEquals(1.3, c.buffered(now), 1e-9);
        MediaClock.Sent s = c.skipTo(1.5, 0.25, now);
        assertFalse(s.late());
        assertEquals(now, s.showsAtNanos(), "not behind the 1.3 s that were queued");
        assertEquals(1.5, c.playhead(now), 1e-9);
        assertEquals(0.25, c.buffered(now), 1e-9);
        assertEquals(now + S / 4, c.runsDryAt(0));
    }

    @Test
    void theClockWaitsForThePagesPrebufferAtTheStart() {
        // a session's first media is the portrait's single frame (1/16 s); the page's player starts
        // only with 0.2 s queued, so the first block's frames, a second later, are not late
        MediaClock c = new MediaClock();
        MediaClock.Sent portrait = c.send(0, 0.0625, T0);
        assertFalse(portrait.late());
        assertEquals(T0, portrait.showsAtNanos(), "no sooner than it left (a later piece starts the clock)");
        assertEquals(T0 + 7, c.runsDryAt(T0 + 7), "not running yet: the caller's value");
        assertEquals(0.0625, c.buffered(T0), 1e-9, "queued, not played");
        long now = T0 + S;
        MediaClock.Sent block = c.send(0.0625, 0.25, now);
        assertFalse(block.late(), "the page was still filling its prebuffer, not waiting for this");
        assertEquals(now + S / 16, block.showsAtNanos(), "the clock starts now, from the portrait's start");
        assertEquals(0, c.playhead(now), 1e-9);
        assertEquals(now + 5 * S / 16, c.runsDryAt(0));
    }

    @Test
    void afterACutTheClockWaitsForThePrebufferAgain() {
        MediaClock c = new MediaClock();
        c.send(0, 0.75, T0);
        c.restart();
        long now = T0 + S / 2;
        assertFalse(c.send(2.0, 0.1, now).late());
        assertEquals(now, c.runsDryAt(now), "0.1 s queued: the page has not started again");
        assertEquals(0.1, c.buffered(now), 1e-9);
        MediaClock.Sent more = c.send(2.1, 0.25, now + S);
        assertFalse(more.late());
        assertEquals(now + S + S / 10, more.showsAtNanos());
        assertEquals(2.0, c.playhead(now + S), 1e-9);
    }

    @Test
    void thePrebufferIsThePagesOwn() throws Exception {
        // the model and the page's player (server module, player.js) must wait for the same amount
        String js = Files.readString(Path.of("..", "server", "src", "main", "resources", "livetalk", "server", "web", "player.js"));
        Matcher m = Pattern.compile("this\\.prebuffer = (\\d+);").matcher(js);
        assertTrue(m.find(), "player.js sets this.prebuffer");
        assertEquals(Integer.parseInt(m.group(1)), MediaClock.PREBUFFER_S * BlockClock.SAMPLE_RATE, 1e-9, "samples the page waits for");
    }
}
