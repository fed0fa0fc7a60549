package livetalk.session;

/**
 * The 16 kHz audio a live session has fed to the model, addressed by absolute sample index on the
 * session clock. Only the last {@code capacity} samples are kept (a ring), so a session that runs
 * for hours holds a fixed amount of audio.
 */
public final class AudioTimeline {
    private final float[] ring;
    private long end;
    /** The oldest sample still held: past a {@link #truncate}, the ring's slots it had overwritten are gone too. */
    private long from;

    public AudioTimeline(int capacity) {
        ring = new float[capacity];
    }

    /** Absolute index one past the last sample appended. */
    public long end() {
        return end;
    }

    public void append(float[] x) {
        for (float v : x) ring[(int) (end++ % ring.length)] = v;
        from = Math.max(from, end - ring.length);
    }

    /**
     * Forgets the samples from {@code newEnd} on (a block that was abandoned before it was made:
     * its audio is not the session's). The samples its append had overwritten in the ring are gone
     * as well, until appends move past them again.
     */
    public void truncate(long newEnd) {
        if (newEnd > end || newEnd < from) throw new IllegalArgumentException("cannot truncate [" + from + ", " + end + ") at " + newEnd);
        end = newEnd;
    }

    /** Samples {@code [from, from+n)}; they must still be held. */
    public float[] read(long from, int n) {
        if (from < this.from || from < 0 || from + n > end) {
            throw new IllegalArgumentException("samples [" + from + ", " + (from + n) + ") not held (have [" + this.from + ", " + end + "))");
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = ring[(int) ((from + i) % ring.length)];
        return out;
    }

    public long bytes() {
        return 4L * ring.length;
    }
}
