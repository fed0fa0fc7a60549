package livetalk.session;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import livetalk.io.image.RgbImage;

/**
 * One conversation as a client plays it: a {@link LiveSession} (the generator) and a
 * {@link Conversation} (the turns), stepped a block at a time when the client needs one, with
 * serve's model of the client's playback and its counters. What {@code serve} runs for each
 * session, without the transport, so that {@code bench-live} times the same thing.
 *
 * <p><b>Pacing.</b> The media clock starts when the first frames leave and runs in real time; a
 * block is due while less than {@link #LEAD_S} of media is ahead of it, counting what was sent and
 * what is still being decoded. A block's frames leave a latent frame's worth at a time, with their
 * audio; frames that leave after the clock reached their start make the block a deadline miss,
 * and the clock waits for them (the page buffers rather than desyncing). After a barge-in the
 * client drops what it has queued, so the clock restarts at the next block. A reply's first
 * frames skip what is queued ahead of them ({@link Output#skipTo}: the listening, and the thinking
 * while the reply was being made), so a reply starts on screen as its first frames leave instead
 * of after up to {@link #LEAD_S} of that; the picture jumps ahead by what was skipped, as at a
 * barge-in. A stream that is not
 * {@code paced} stands for a client that takes media as fast as it comes: every block is due at
 * once (what the machine can do, rather than what a player needs).
 *
 * <p><b>Two stages.</b> {@link #step} runs a block's DiT work ({@link LiveSession#submit}) on the
 * caller's thread and returns; the block is decoded on the live session's decode thread, which
 * hands each latent frame's frames to the {@link Output} as they exist, so the decode of block k
 * overlaps the DiT work of block k+1 (docs/sampler.md#streaming). A barge-in leaves the decode
 * thread alone: blocks of the cut turn already handed to it are decoded all the same (the decoder
 * is causal, so skipping one would change every later frame) and their frames are not output.
 *
 * <p><b>Locks.</b> The model set's locks come first (model, then VAE: {@link ModelSet}), then the
 * owner's monitor (serve's session), then this stream's monitor, then the conversation's. Nothing
 * takes a model lock or calls the output while holding this monitor, and nothing waits for the
 * decode thread while holding it, because the frame callback takes it.
 */
public final class LiveStream implements AutoCloseable {
    /** Media kept buffered ahead of playback when paced: small, so a barge-in cuts within about one block. */
    public static final double LEAD_S = 1.0;

    /** Where a stream's media goes (serve: the pages; bench-live: its counters). */
    public interface Output {
        /**
         * Frames {@code [first, first + rgb.length)} of block {@code t} and the audio that plays
         * with them, in order, as they are decoded (on the decode thread); never those of a cut turn.
         */
        void frames(Conversation.Take t, long first, byte[][] rgb, float[] pcm);

        /** A block is complete or failed ({@link Completed}), on whichever thread completes it. */
        void blockDone(Completed c);

        /**
         * Right after {@link #frames} handed out a reply's first frames, {@code [first, …)}: a
         * player in real time drops the media it has queued before them, so the reply starts now
         * rather than after that (paced streams only; see {@link LiveStream#SKIP_MIN_S}). serve
         * tells its pages; a consumer that keeps no queue has nothing to do.
         */
        default void skipTo(Conversation.Take t, long first) {
        }
    }

    /**
     * A reply's first frames skip the media queued ahead of them when more than this is queued:
     * without it a turn that starts while the avatar listens showed its first frame after up to
     * {@link #LEAD_S} of listening (README, "serve"). Below it the skip would gain less than a
     * frame's worth of time for a jump in the picture.
     */
    static final double SKIP_MIN_S = 0.05;

    /**
     * A block at its end: complete (its frames out, its clean pass done; {@code failure} null) or
     * failed. {@code sentFrames} and {@code sentAudio}: what {@link Output#frames} got of it (less
     * than the block if its turn was cut); {@code late}: its frames came after the media clock
     * reached them (a deadline miss).
     */
    public record Completed(Conversation.Take take, LiveSession.Block block, Throwable failure, List<byte[][]> sentFrames,
                            List<float[]> sentAudio, boolean late) {
    }

    /** A turn just started: its epoch, and whether it cut a turn that was running (barge-in). */
    public record Turn(long epoch, boolean cut) {
    }

    private final LiveSession live;
    private final Conversation conv;
    private final boolean paced;
    private final LiveStats stats = new LiveStats();
    private final long created = System.nanoTime();
    private volatile boolean closed;

    // pacing (guarded by this: the decode thread reports frames, the stepping thread reads)
    private final MediaClock clock = new MediaClock();
    /** Media seconds of blocks handed to the decode thread and not yet out, counting only blocks not cut ({@link #inFlight}). */
    private double inFlight;
    /**
     * The epoch of the last cut: media of older turns is not output (the pages drop it too). Not
     * the current epoch, which also moves when a turn starts from listening or a reply ends: the
     * blocks then still with the decode thread play on, without a gap.
     */
    private long cutEpoch;
    // the current turn (guarded by this)
    private long turnStartNanos = -1, turnEpoch = -1, spokenSamples;

    public LiveStream(LiveSession live, Conversation conv, boolean paced) {
        this.live = live;
        this.conv = conv;
        this.paced = paced;
    }

    /** A new session on {@code models}, listening, as serve opens one for a page. */
    public static LiveStream open(ModelSet models, SamplingPlan plan, RgbImage portrait, int size, String speakingPrompt,
                                  String listeningPrompt, long seed, boolean paced) {
        LiveSession live = new LiveSession(models, plan, portrait, size, listeningPrompt, seed);
        return new LiveStream(live, new Conversation(seed, speakingPrompt, listeningPrompt), paced);
    }

    public LiveSession session() {
        return live;
    }

    public Conversation conversation() {
        return conv;
    }

    // ------------------------------------------------------------------ turns

    /**
     * A new turn (the user said something): a barge-in if a turn is running. The turn's first-frame
     * time counts from here. {@code prompt}: its speaking prompt, or null to keep the last.
     */
    public synchronized Turn startTurn(String prompt) {
        boolean cutting = conv.state() != Conversation.State.LISTENING;
        long epoch = conv.startTurn(prompt);
        turnStartNanos = System.nanoTime();
        turnEpoch = epoch;
        spokenSamples = 0;
        if (cutting) cut();
        return new Turn(epoch, cutting);
    }

    /** Barge-in without a new turn: the rest of the turn is dropped and the avatar listens. Returns whether a turn was cut. */
    public synchronized boolean interrupt() {
        boolean cutting = conv.state() != Conversation.State.LISTENING;
        conv.interrupt();
        if (cutting) cut();
        return cutting;
    }

    /** Forgets the media in flight: it will never be shown. The media clock restarts at the next block. */
    private void cut() {
        cutEpoch = conv.epoch();
        inFlight = 0;
        clock.restart();
    }

    /** Samples of the current turn's speech output so far (what the user heard of it, if cut now). */
    public synchronized long spokenSamples() {
        return spokenSamples;
    }

    // ------------------------------------------------------------------ generation

    /**
     * Whether a block should be generated now. Not while the decode thread holds two blocks: the
     * stepping thread would wait for it instead of serving other sessions. When paced, not while
     * {@link #LEAD_S} of media is ahead of the client, unless the block is a reply's first: that
     * one skips what is queued ahead of it ({@link Output#skipTo}), so waiting for the lead to
     * drain would only delay the reply.
     */
    public boolean due(long now) {
        if (closed || live.submitWouldWait()) return false;
        int samples = live.samplesForNextBlock();
        if (paced) {
            synchronized (this) {
                if (clock.buffered(now) + inFlight >= LEAD_S && !conv.replyStarts(samples)) return false;
            }
        }
        return conv.ready(samples);
    }

    /**
     * When the client runs out of media, for earliest-deadline-first across sessions; a reply that
     * can start (the next block its first) comes before every other block ({@link Long#MIN_VALUE}):
     * its page will skip what it has queued, so that lead protects nothing, and a user is waiting.
     */
    public long deadline() {
        if (conv.replyStarts(live.samplesForNextBlock())) return Long.MIN_VALUE;
        synchronized (this) {
            return clock.runsDryAt(created);
        }
    }

    /**
     * Runs one block's DiT work and hands the block to the decode thread, which outputs it as it is
     * decoded: each latent frame's frames (4) and their audio as soon as they exist, so a turn's
     * first frame does not wait for the rest of its block, and the next block's DiT work need not
     * wait for this block's decode (docs/sampler.md#streaming). Returns the block's audio and turn
     * state, or null if its audio is not there yet (a speaking turn whose speech is still coming) or
     * the block was given up part way for a reply that can start (see {@link LiveSession#submit(float[],
     * float[], LiveSession.FrameGroups, BooleanSupplier)}; the next step makes the reply's block).
     */
    public Conversation.Take step(Output out) {
        int samples = live.samplesForNextBlock();
        Conversation.Take t = conv.take(samples);
        if (t == null) return null;
        if (t.prompt() != null && !t.prompt().equals(live.prompt())) {
            long s0 = System.nanoTime();
            live.switchPrompt(t.prompt());
            synchronized (this) {
                stats.promptSwitches++;
                stats.lastSwitchMs = (System.nanoTime() - s0) / 1e6;
            }
        }
        long blockFirst = BlockClock.firstFrame(live.blockIndex());
        double media = t.pcm().length / (double) BlockClock.SAMPLE_RATE;
        // filled on the decode thread, read when the block is complete (the future orders the two)
        List<byte[][]> sentFrames = new ArrayList<>();
        List<float[]> sentAudio = new ArrayList<>();
        boolean[] late = {false};
        double[] handled = {0};                          // media seconds of this block output or dropped so far; guarded by this
        // A block taken before a reply had its audio (listening, thinking, or one of a turn since cut) is
        // given up between its steps once the reply can start: its frames would be skipped or dropped on
        // the page, and it would hold the reply back by the rest of its DiT work and its decode. (The
        // reply's own blocks are never overtaken: once its first is taken, no reply starts.)
        BooleanSupplier overtaken = () -> conv.replyStarts(samples);
        CompletableFuture<LiveSession.Block> made = live.submit(t.pcm(), null, (first, rgb) -> {
            int from = (int) ((first - blockFirst) * BlockClock.SAMPLES_PER_FRAME);
            float[] pcm = java.util.Arrays.copyOfRange(t.pcm(), from, from + rgb.length * BlockClock.SAMPLES_PER_FRAME);
            Sending sending = send(t, first, first == blockFirst, rgb.length, pcm.length, late);
            if (sending != Sending.DROP) {
                out.frames(t, first, rgb, pcm);
                if (sending == Sending.SKIP) out.skipTo(t, first);
                sentFrames.add(rgb);
                sentAudio.add(pcm);
            }
            synchronized (this) {
                double s = pcm.length / (double) BlockClock.SAMPLE_RATE;
                handled[0] += s;
                inFlight(t, -s);
            }
        }, overtaken);
        if (made == null) {                              // given up: the next step makes the reply's block in its place
            synchronized (this) {
                stats.overtakenBlocks++;
            }
            return null;
        }
        synchronized (this) {
            inFlight(t, media);                          // its first frames may be out already: the sum is what counts
        }
        made.whenComplete((b, failure) -> blockDone(t, b, failure, media, handled, sentFrames, sentAudio, late, out));
        return t;
    }

    /**
     * Books {@code seconds} of block {@code t}'s media as handed to the decode thread (+) or out
     * (−), unless the block's turn was cut: a cut forgets the blocks then in flight. Under this
     * monitor. (cutEpoch only grows, so a block is forgotten from the cut on, whatever the order
     * of its bookings.)
     */
    private void inFlight(Conversation.Take t, double seconds) {
        if (t.epoch() >= cutEpoch) inFlight += seconds;
    }

    /** A block is complete or failed: its counters, then the output. */
    private void blockDone(Conversation.Take t, LiveSession.Block b, Throwable failure, double media, double[] handled,
                           List<byte[][]> sentFrames, List<float[]> sentAudio, boolean[] late, Output out) {
        synchronized (this) {
            inFlight(t, handled[0] - media);             // what a failure or a close left unsent
            if (failure == null) {
                // the busier of its two stages: blocks overlap, so that is what one costs in a running session
                stats.block(b.stageSeconds(), media);
                if (t.epoch() < cutEpoch) stats.droppedBlocks++;   // cut while it was being made: the rest never shown
            }
        }
        out.blockDone(new Completed(t, b, failure, sentFrames, sentAudio, late[0]));
    }

    /**
     * Books frames {@code [first, first + frames)} of block {@code t} and their {@code samples} of
     * audio as leaving now, on the media clock: {@link Sending#DROP} (nothing to output) if the
     * turn was cut meanwhile, {@link Sending#SKIP} for a reply's first frames with more than
     * {@link #SKIP_MIN_S} queued ahead of them on a paced stream. {@code firstGroup}: these are the
     * block's first frames; {@code late[0]}: this block already counted a deadline miss.
     */
    private synchronized Sending send(Conversation.Take t, long first, boolean firstGroup, int frames, int samples, boolean[] late) {
        long now = System.nanoTime();
        double start = first * BlockClock.SAMPLES_PER_FRAME / (double) BlockClock.SAMPLE_RATE, media = samples / (double) BlockClock.SAMPLE_RATE;
        if (t.epoch() < cutEpoch) return Sending.DROP;    // cut while it was being made: never shown
        boolean skip = paced && t.firstOfTurn() && firstGroup && clock.buffered(now) > SKIP_MIN_S;
        MediaClock.Sent sent = skip ? clock.skipTo(start, media, now) : clock.send(start, media, now);
        if (sent.late()) {                               // the client ran dry before these frames came: it waited
            if (!late[0]) stats.deadlineMisses++;        // counted once per block
            late[0] = true;
        }
        stats.frames += frames;
        stats.audioSamples += samples;
        if (t.state() == Conversation.State.SPEAKING) spokenSamples += samples;
        // the turn's own first block: a block of the turn before, still being decoded when this one started, is not it
        if (t.firstOfTurn() && t.epoch() == turnEpoch && turnStartNanos > 0) {
            stats.firstFrameMs = (now - turnStartNanos) / 1e6;
            // a player in real time shows it after the media queued ahead of it; one that takes media as it comes, now
            stats.firstFrameShownMs = ((paced ? sent.showsAtNanos() : now) - turnStartNanos) / 1e6;
            turnStartNanos = -1;
        }
        return skip ? Sending.SKIP : Sending.SEND;
    }

    /** What {@link #send} made of a group of frames. */
    private enum Sending { DROP, SEND, SKIP }

    // ------------------------------------------------------------------ counters, end

    /** Time from the last turn's start to its first frame out, in ms (NaN before one). */
    public synchronized double firstFrameMs() {
        return stats.firstFrameMs;
    }

    /**
     * Time from the last turn's start until the client shows its first frame, in ms (NaN before
     * one): when paced, once the media queued ahead of it has played, which is at once where the
     * reply skips that media ({@link Output#skipTo}) or a barge-in's page dropped it, and at most
     * {@link #SKIP_MIN_S} later otherwise; unpaced, the client takes frames as they come and this
     * is {@link #firstFrameMs}.
     */
    public synchronized double firstFrameShownMs() {
        return stats.firstFrameShownMs;
    }

    /** Blocks whose frames came after the media clock reached them (meaningful when paced). */
    public synchronized long deadlineMisses() {
        return stats.deadlineMisses;
    }

    /** Blocks of cut turns, decoded but not shown. */
    public synchronized long droppedBlocks() {
        return stats.droppedBlocks;
    }

    /** Blocks given up part way because a reply overtook them ({@link #step}). */
    public synchronized long overtakenBlocks() {
        return stats.overtakenBlocks;
    }

    /** The counters as serve's stats API shows them (state, turns, blocks, frames, first_frame_ms, block_ms, …). */
    public synchronized Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", conv.state().name().toLowerCase());
        m.put("turns", conv.turns());
        m.put("epoch", conv.epoch());
        m.putAll(stats.json());
        m.put("buffered_ms", LiveStats.round(clock.buffered(System.nanoTime()) * 1000));
        m.put("sink_frames", live.sinkFrames());
        m.put("prompt", live.prompt());
        m.put("memory_bytes", live.memoryBytes());
        return m;
    }

    /**
     * Ends the live session ({@link LiveSession#close}: blocks not yet decoded are dropped, the KV
     * cache freed). Not under the owner's monitor if a frame output takes it.
     */
    @Override
    public void close() {
        closed = true;
        live.close();
    }

    public boolean closed() {
        return closed;
    }
}
