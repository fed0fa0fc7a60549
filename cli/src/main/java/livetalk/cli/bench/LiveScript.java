package livetalk.cli.bench;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import livetalk.cli.demo.DemoAssets;
import livetalk.io.image.Jpeg;
import livetalk.session.BlockClock;
import livetalk.session.Conversation;
import livetalk.session.LiveSession;
import livetalk.session.LiveStream;

/**
 * {@code bench-live}'s scripted conversation on one {@link LiveStream}, stepped as serve's
 * generator thread steps a session (a block whenever {@link LiveStream#due} says so): the avatar
 * listens, then speaks {@code turns} turns of synthetic speech with listening between them; with
 * a barge-in, the last turn starts halfway through the one before it (once half of that one's
 * blocks are made and its first frame is out), which cuts it as new input cuts a turn in serve.
 * A turn starts from a thread of its own while the stream goes on stepping, half a block's DiT
 * work after the moment it is due, so it finds a block being made, as a user's input does in
 * serve (where it may overtake that block: {@link LiveStream#step}). The client takes each frame as it
 * comes and encodes it to JPEG as serve does for the page, so the decode thread does the same work.
 * Records every block and turn for {@link LiveReport}.
 */
public final class LiveScript implements LiveStream.Output {
    /**
     * The script: turns of {@code turnSeconds} of speech, {@code listenSeconds} of listening before
     * the first and after each; {@code paced}: whether the stream is (the report then counts deadline misses).
     */
    public record Options(int turns, double turnSeconds, double listenSeconds, boolean bargeIn, boolean paced) {
        /** Blocks of speech per turn (the last one padded with room tone, as the conversation does). */
        int speechBlocks() {
            return (int) Math.ceil(speechSamples() / (double) BlockClock.pcmSamples(1));
        }

        int speechSamples() {
            return (int) Math.round(turnSeconds * BlockClock.SAMPLE_RATE);
        }

        int listenBlocks() {
            return (int) Math.ceil(listenSeconds / BLOCK_SECONDS - 1e-9);
        }

        /** The turn the next one cuts (1-based), or 0 without a barge-in. */
        int cutTurn() {
            return bargeIn ? turns - 1 : 0;
        }
    }

    /** Media of a 12-frame block at 16 fps. */
    static final double BLOCK_SECONDS = (double) BlockClock.pcmSamples(1) / BlockClock.SAMPLE_RATE;

    /** Memory at the end of a turn: resident set, GPU memory held (-1: no GPU), the session's own (KV cache, audio). */
    public record Memory(long rssBytes, long gpuBytes, long sessionBytes) {
    }

    /** One block as the client saw it. Fields written on the decode thread are read after {@link #run} has waited for every block. */
    static final class BlockRecord {
        Conversation.Take take;
        long steppedNanos, firstOutNanos, lastOutNanos;
        int framesOut;
        LiveSession.Block block;
        boolean late, done;
    }

    /** One turn: when it started, when its frames came, what the stream said its first-frame time was. */
    static final class TurnRecord {
        final int number;
        final long epoch, startNanos;
        final boolean cutThePrevious;
        double firstFrameMs = Double.NaN, firstFrameShownMs = Double.NaN;
        long firstOutNanos, lastOutNanos;
        int frames, firstGroupFrames;
        Memory memory;

        TurnRecord(int number, long epoch, long startNanos, boolean cutThePrevious) {
            this.number = number;
            this.epoch = epoch;
            this.startNanos = startNanos;
            this.cutThePrevious = cutThePrevious;
        }
    }

    private final LiveStream stream;
    private final Options options;
    private final Supplier<Memory> memory;
    private final Map<Conversation.Take, BlockRecord> byTake = new IdentityHashMap<>();
    private final List<BlockRecord> blocks = new ArrayList<>();
    private final List<TurnRecord> turns = new ArrayList<>();
    private int done;
    private Throwable failure;
    /** Each step's time (a block's DiT work, a prompt switch's re-cache with it), for when a turn starts. Stepping thread only. */
    private final List<Long> stepNanos = new ArrayList<>();

    public LiveScript(LiveStream stream, Options options, Supplier<Memory> memory) {
        this.stream = stream;
        this.options = options;
        this.memory = memory;
    }

    /** Plays the script, waits for every block, and returns what happened. */
    public LiveReport run() throws InterruptedException {
        int listen = options.listenBlocks(), half = (options.speechBlocks() + 1) / 2;
        long before = System.nanoTime();
        runUntil(() -> listeningSince(-1) >= listen);
        for (int i = 1; i <= options.turns(); i++) {
            // the whole reply at once, as for an uploaded WAV: the turn's audio is there when it starts
            // (made before the clock starts: a speech source's own time is not the session's)
            float[] speech = DemoAssets.syntheticSpeech((long) i * options.speechSamples(), options.speechSamples());
            TurnRecord turn = startTurnMidBlock(i, speech);
            if (i == options.cutTurn()) {
                // half of its blocks made, then, stepping no further, its first frame out: a user who
                // interrupts has seen the avatar start, and the rest of its speech is still to come, so the next turn cuts it
                runUntil(() -> spoken(turn.epoch) >= half);
                waitFor(() -> firstOut(turn));
            } else {
                runUntil(() -> listeningSince(turn.epoch) >= listen);
            }
            turn.memory = memory.get();
        }
        waitFor(() -> done == blocks.size());
        return new LiveReport(options, blocks, turns, stream.droppedBlocks(), stream.overtakenBlocks(), before, System.nanoTime() - before);
    }

    /**
     * Starts turn {@code number} (its whole reply at once) from a thread of its own, half a step's
     * time from now (the median so far: a step that also re-caches for a prompt switch takes
     * several times longer), and goes on stepping the stream until it has started: the turn finds
     * a block being made. Returns its record.
     */
    private TurnRecord startTurnMidBlock(int number, float[] speech) throws InterruptedException {
        int before;
        synchronized (this) {
            before = turns.size();
        }
        long delayNanos = stepNanos.isEmpty() ? 0 : stepNanos.stream().sorted().toList().get(stepNanos.size() / 2) / 2;
        Thread starter = Thread.ofVirtual().name("bench-live-turn-" + number).start(() -> {
            try {
                Thread.sleep(java.time.Duration.ofNanos(delayNanos));
            } catch (InterruptedException e) {
                return;
            }
            long start = System.nanoTime();
            LiveStream.Turn started = stream.startTurn(null);
            Conversation conv = stream.conversation();
            conv.addSpeech(started.epoch(), speech);
            conv.endSpeech(started.epoch());
            synchronized (this) {
                turns.add(new TurnRecord(number, started.epoch(), start, started.cut()));
            }
        });
        try {
            runUntil(() -> turns.size() > before);
        } finally {
            starter.interrupt();                         // a failure stopped the script: the turn is not started
        }
        synchronized (this) {
            return turns.getLast();
        }
    }

    /** Steps the stream whenever a block is due, until {@code stop} holds. */
    private void runUntil(BooleanSupplier stop) throws InterruptedException {
        while (!stopOrFail(stop)) {
            if (!stream.due(System.nanoTime())) {
                Thread.sleep(1);
                continue;
            }
            long t0 = System.nanoTime();
            Conversation.Take t = stream.step(this);
            stepNanos.add(System.nanoTime() - t0);
            if (t == null) continue;                     // no audio yet, or the block was overtaken by a reply
            synchronized (this) {
                BlockRecord r = record(t);
                r.steppedNanos = t0;
                blocks.add(r);
            }
        }
    }

    /** Waits, stepping nothing, until {@code stop} holds. */
    private void waitFor(BooleanSupplier stop) throws InterruptedException {
        while (!stopOrFail(stop)) Thread.sleep(1);
    }

    private synchronized boolean stopOrFail(BooleanSupplier stop) {
        if (failure != null) throw new IllegalStateException("a block failed: " + failure, failure);
        return stop.getAsBoolean();
    }

    /** Listening blocks stepped after turn {@code epoch} ended (−1: from the start). Under this monitor. */
    private int listeningSince(long epoch) {
        int n = 0;
        for (BlockRecord r : blocks) {
            if (r.take.state() == Conversation.State.LISTENING && r.take.epoch() > epoch) n++;
        }
        return n;
    }

    /** Speaking blocks of turn {@code epoch} stepped so far. Under this monitor. */
    private int spoken(long epoch) {
        int n = 0;
        for (BlockRecord r : blocks) {
            if (r.take.state() == Conversation.State.SPEAKING && r.take.epoch() == epoch) n++;
        }
        return n;
    }

    private static boolean firstOut(TurnRecord t) {
        return t.firstOutNanos != 0;
    }

    /** The record of block {@code t}, made by whichever of the stepping and the decode thread comes first. Under this monitor. */
    private BlockRecord record(Conversation.Take t) {
        return byTake.computeIfAbsent(t, k -> {
            BlockRecord r = new BlockRecord();
            r.take = k;
            return r;
        });
    }

    @Override
    public void frames(Conversation.Take t, long first, byte[][] rgb, float[] pcm) {
        long now = System.nanoTime();
        synchronized (this) {
            BlockRecord r = record(t);
            if (r.firstOutNanos == 0) r.firstOutNanos = now;
            r.lastOutNanos = now;
            r.framesOut += rgb.length;
            for (TurnRecord turn : turns) {
                if (turn.epoch != t.epoch() || t.state() != Conversation.State.SPEAKING) continue;
                if (turn.firstOutNanos == 0) {
                    turn.firstOutNanos = now;
                    turn.firstGroupFrames = rgb.length;
                    // the stream's own figure (what serve's stats show), booked just before these frames came
                    turn.firstFrameMs = stream.firstFrameMs();
                    turn.firstFrameShownMs = stream.firstFrameShownMs();
                }
                turn.lastOutNanos = now;
                turn.frames += rgb.length;
            }
        }
        // what serve does with every group of frames before they leave: encoded on several threads, this (the decode) thread waiting
        Jpeg.encodeAll(rgb, stream.session().size());
    }

    @Override
    public synchronized void blockDone(LiveStream.Completed c) {
        BlockRecord r = record(c.take());
        r.block = c.block();
        r.late = c.late();
        r.done = true;
        done++;
        if (c.failure() != null && failure == null) failure = c.failure();
    }
}
