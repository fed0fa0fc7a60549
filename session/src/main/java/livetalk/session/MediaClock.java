package livetalk.session;

/**
 * serve's model of the page's playback: media plays in order, in real time, each piece once the
 * clock reaches its start. The clock starts once {@link #PREBUFFER_S} of media has left, as the
 * page's player starts (player.js): at a session's start the portrait's single frame waits on the
 * page for the first block's frames. Media that leaves after the clock reached its start is late: the
 * page waited for it (it buffers rather than letting audio and video drift apart), so the clock
 * waits too. After a cut (a barge-in: the page drops what it had queued) the clock starts again
 * once the prebuffer has left again; a skip (a reply's first frames: the page drops what is queued
 * before them and plays on) starts it again with those at once.
 *
 * <p>Wall times are {@link System#nanoTime} values, media positions seconds on the session's
 * media timeline. Not thread-safe: the owner's monitor guards it ({@link LiveStream}).
 */
final class MediaClock {
    /** Media that leaves more than this after the clock reached its start is late. */
    static final double LATE_S = 0.02;
    /** What the page's player queues before it starts, and again after it ran dry or was cut: player.js's prebuffer, 3200 samples at 16 kHz. */
    static final double PREBUFFER_S = 0.2;

    /** When the clock started; -1 while it waits for the prebuffer. */
    private long startNanos = -1;
    /** Media position of the wall time startNanos. */
    private double offset;
    /** End of the media that has left. */
    private double end;
    /** While the clock waits: where the media queued since it stopped starts (NaN before any). */
    private double waitingFrom = Double.NaN;

    /** A piece of media booked as leaving: whether it was late, and when the page shows its start. */
    record Sent(boolean late, long showsAtNanos) {
    }

    /** Media seconds the page has played by {@code now} (it cannot play past what has left). */
    double playhead(long now) {
        if (startNanos < 0) return Double.isNaN(waitingFrom) ? end : waitingFrom;
        return Math.min(end, (now - startNanos) / 1e9 + offset);
    }

    /** Media seconds that have left and not yet played at {@code now}. */
    double buffered(long now) {
        return end - playhead(now);
    }

    /** The wall time the page runs out of media, or {@code otherwise} while the clock is not running. */
    long runsDryAt(long otherwise) {
        if (startNanos < 0) return otherwise;
        return startNanos + (long) ((end - offset) * 1e9);
    }

    /**
     * Books media {@code [start, start + seconds)} as leaving at {@code now}. Its start shows at
     * once if the clock starts with it or it is late (the page waited for it), else when the
     * clock reaches it, after the media queued ahead of it.
     */
    Sent send(double start, double seconds, long now) {
        boolean late = false;
        if (startNanos >= 0) {
            double behind = (now - startNanos) / 1e9 + offset - start;
            if (behind > LATE_S) {               // the page ran dry and stopped: it starts again from here
                late = true;
                restart();
            }
        }
        end = start + seconds;
        if (startNanos < 0) {
            if (Double.isNaN(waitingFrom)) waitingFrom = start;
            // the page waits for more: it shows this when a later piece starts the clock, now at the earliest
            if (end - waitingFrom < PREBUFFER_S - 1e-9) return new Sent(late, now);
            startAt(now, waitingFrom);
        }
        return new Sent(late, Math.max(now, startNanos + (long) ((start - offset) * 1e9)));
    }

    /** A cut: the page dropped its queue; the clock starts again once the prebuffer has left. */
    void restart() {
        startNanos = -1;
        waitingFrom = Double.NaN;
    }

    /**
     * Books media {@code [start, start + seconds)} as leaving at {@code now} with the page told to
     * drop what it has queued before it: it shows at once, the clock starting again from it (the
     * page's player goes on playing through a skip).
     */
    Sent skipTo(double start, double seconds, long now) {
        startAt(now, start);
        end = start + seconds;
        return new Sent(false, now);
    }

    /** The page starts playing media position {@code from} at {@code now}. */
    private void startAt(long now, double from) {
        startNanos = now;
        offset = from;
        waitingFrom = Double.NaN;
    }
}
