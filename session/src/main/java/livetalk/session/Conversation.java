package livetalk.session;

import java.util.ArrayDeque;

/**
 * The turn state machine of one live session over one never-reset KV cache:
 * listening → thinking → speaking → listening.
 *
 * <ul>
 *   <li>{@link #startTurn} (the user said or typed something): thinking, while a speech source
 *       works out the reply. Any turn still running is cancelled first (barge-in).</li>
 *   <li>{@link #addSpeech} hands in the reply's audio, in chunks as it arrives (16 kHz mono);
 *       {@link #endSpeech} says it is complete.</li>
 *   <li>{@link #take} gives each block its audio: the reply while there is some (speaking), room
 *       tone otherwise (listening, thinking). A speaking turn whose audio has not arrived yet makes
 *       the block wait ({@code null}), so streamed speech is never padded in the middle.</li>
 *   <li>{@link #interrupt} drops the rest of the turn. Every turn has an epoch; speech that arrives
 *       for an old epoch is refused, which is how a cancelled source's late output is discarded.</li>
 * </ul>
 */
public final class Conversation {
    public enum State { LISTENING, THINKING, SPEAKING }

    /** A block's audio and what it means for the turn. {@code prompt}: the prompt the block should use. */
    public record Take(float[] pcm, State state, long epoch, boolean firstOfTurn, String prompt) {
    }

    private final RoomTone tone;
    private final String listeningPrompt;
    private String speakingPrompt;
    private final ArrayDeque<float[]> speech = new ArrayDeque<>();
    private int queued, headOffset;
    private State state = State.LISTENING;
    private long epoch;
    private boolean speechEnded, started;
    private int turns;

    /** @param speakingPrompt the prompt of speaking blocks until a turn brings its own; {@code listeningPrompt} that of the others */
    public Conversation(long seed, String speakingPrompt, String listeningPrompt) {
        this.tone = new RoomTone(seed);
        this.speakingPrompt = speakingPrompt;
        this.listeningPrompt = listeningPrompt;
    }

    public synchronized State state() {
        return state;
    }

    /** Completed or cancelled turns that spoke at least one block. */
    public synchronized int turns() {
        return turns;
    }

    public synchronized long epoch() {
        return epoch;
    }

    /** Starts a new turn (cancelling any running one); returns its epoch. {@code prompt}: this and later turns' speaking prompt, or null to keep it. */
    public synchronized long startTurn(String prompt) {
        dropTurn();
        state = State.THINKING;
        if (prompt != null && !prompt.isBlank()) speakingPrompt = prompt;
        return epoch;
    }

    /** Barge-in without a new turn: the rest of the current turn is dropped and the avatar listens. */
    public synchronized void interrupt() {
        dropTurn();
        state = State.LISTENING;
    }

    /** The speech source of turn {@code e} failed: back to listening (if that turn is still current). */
    public synchronized void fail(long e) {
        if (e != epoch) return;
        dropTurn();
        state = State.LISTENING;
    }

    private void dropTurn() {
        if (started) turns++;
        epoch++;
        speech.clear();
        queued = 0;
        headOffset = 0;
        speechEnded = false;
        started = false;
    }

    /** Appends reply audio for turn {@code e}; false if that turn was cancelled meanwhile. */
    public synchronized boolean addSpeech(long e, float[] pcm16k) {
        if (e != epoch || state == State.LISTENING) return false;
        if (pcm16k.length > 0) {
            speech.add(pcm16k);
            queued += pcm16k.length;
        }
        return true;
    }

    /** The reply of turn {@code e} is complete. */
    public synchronized void endSpeech(long e) {
        if (e != epoch || state == State.LISTENING) return;
        speechEnded = true;
    }

    /** Samples of reply audio waiting to be spoken. */
    public synchronized int queued() {
        return queued;
    }

    /**
     * Whether the next {@link #take} of {@code n} samples would be the first block of a reply: a
     * turn has its reply's audio for a block and has spoken none yet. Until then, every block taken
     * (listening, thinking, or one of a turn since cut) only fills the time before the reply.
     */
    public synchronized boolean replyStarts(int n) {
        return state != State.LISTENING && !started && hasBlock(n);
    }

    /** Whether the reply's queued audio makes a block of {@code n} samples (the last one may be short). Under this monitor. */
    private boolean hasBlock(int n) {
        return queued >= n || (speechEnded && queued > 0);
    }

    /** Whether {@link #take} would give a block now (speaking turns wait for their audio). */
    public synchronized boolean ready(int n) {
        return !(state == State.SPEAKING && !speechEnded && queued < n);
    }

    /**
     * Audio for the next block of {@code n} samples, room tone mixed under everything; null if the
     * current turn is speaking and its next audio has not arrived yet.
     */
    public synchronized Take take(int n) {
        if (!hasBlock(n)) {
            if (state == State.SPEAKING && !speechEnded) return null;     // streamed speech: wait for it
            if (state == State.SPEAKING || (state == State.THINKING && speechEnded)) {
                // the reply is over (or was empty): back to listening
                dropTurn();
                state = State.LISTENING;
            }
            return new Take(tone.next(n), state, epoch, false, listeningPrompt);
        }
        float[] out = new float[n];
        int filled = 0;
        while (filled < n && !speech.isEmpty()) {
            float[] head = speech.peek();
            int k = Math.min(n - filled, head.length - headOffset);
            System.arraycopy(head, headOffset, out, filled, k);
            filled += k;
            headOffset += k;
            queued -= k;
            if (headOffset == head.length) {
                speech.poll();
                headOffset = 0;
            }
        }
        boolean first = !started;
        started = true;
        state = State.SPEAKING;
        return new Take(tone.under(out), state, epoch, first, speakingPrompt);
    }
}
