package livetalk.server;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArraySet;
import livetalk.io.Json;
import livetalk.session.BlockClock;
import livetalk.session.Conversation;
import livetalk.session.LiveSession;

/**
 * One conversation on the server: the session layer's {@link LiveSession} (generator) and
 * {@link Conversation} (turns), the pages watching it, a speech-source job per turn, the pacing
 * clock, the counters and an optional recording.
 *
 * <p><b>Pacing.</b> The server keeps a model of the page's playback: the media clock starts when
 * the first frames leave and runs in real time; a block is due while less than {@link #LEAD_S}
 * of media is ahead of it, counting what was sent and what is still being decoded. A block's
 * frames leave a latent frame's worth at a time, with their audio; frames that leave after the
 * clock reached their start make the block a deadline miss, and the clock waits for them (the
 * page buffers rather than desyncing). After a barge-in the page drops what it has queued, so the
 * clock restarts at the next block.
 *
 * <p><b>Two stages.</b> The scheduler's thread runs a block's DiT work ({@link LiveSession#submit})
 * and moves on; the block is decoded on the live session's decode thread, which sends each latent
 * frame's frames from the frame callback, so the decode of block k overlaps the DiT work of block
 * k+1 (docs/sampler.md#streaming). The block's counters, recording and stats message follow when
 * it is complete, on whichever thread completes it. A barge-in leaves the decode thread alone:
 * blocks of the cut turn already handed to it are decoded all the same (the decoder is causal, so
 * skipping one would change every later frame) and {@link #send} drops their frames.
 *
 * <p><b>Locks.</b> The model set's locks come first (model, then VAE: {@code ModelSet}); this
 * session's monitor is innermost. Nothing takes the model lock while holding it (the sink hash of
 * {@link #stats} is read before taking it), and nothing waits for the decode thread while holding
 * it ({@link #close} ends that thread outside it), because the frame callback takes it.
 */
final class ServerSession {
    /** Media kept buffered ahead of playback: small, so a barge-in cuts within about one block. */
    static final double LEAD_S = 1.0;

    final String id;
    private final LiveSession live;
    private final Conversation conv;
    private final SpeechSource source;
    private final Set<Client> clients = new CopyOnWriteArraySet<>();
    private final SessionStats stats = new SessionStats();
    private final long created = System.nanoTime();
    private volatile boolean closed;

    // pacing (guarded by this: the decode thread sends, the scheduler's thread reads)
    private long clockStartNanos = -1;
    private double clockOffset, generatedEnd;
    /** Media seconds of blocks handed to the decode thread and not yet out, counting only blocks not cut ({@link #inFlight}). */
    private double inFlight;
    /**
     * The epoch of the last cut: media of older turns is not sent (the pages drop it too). Not the
     * current epoch, which also moves when a turn starts from listening or a reply ends: the
     * blocks then still with the decode thread play on, without a gap.
     */
    private long cutEpoch;
    // turn bookkeeping
    private long turnStartNanos = -1;
    private Thread job;
    private long spokenSamples, replySamples;
    private Recorder recorder;
    private Path recording;
    private float[] mic = new float[0];
    private long micEpoch = -1;

    ServerSession(String id, LiveSession live, Conversation conv, SpeechSource source) {
        this.id = id;
        this.live = live;
        this.conv = conv;
        this.source = source;
    }

    // ------------------------------------------------------------------ clients

    void attach(Client c) {
        clients.add(c);
        c.send(statsMessage());
    }

    void detach(Client c) {
        clients.remove(c);
        c.close();
    }

    private void broadcast(Object message) {
        for (Client c : clients) {
            if (c.open()) c.send(message);
            else clients.remove(c);
        }
    }

    void event(String type, Map<String, Object> fields) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.putAll(fields);
        broadcast(Json.write(m));
    }

    // ------------------------------------------------------------------ input

    /** A typed sentence: a new turn (barge-in if one is running), spoken by the speech source. */
    synchronized void say(String text, String prompt) {
        long epoch = newTurn(prompt);
        startJob(epoch, () -> {
            String reply = source.replyToText(text, pcm -> conv.addSpeech(epoch, pcm) && countReply(pcm));
            conv.endSpeech(epoch);
            event("reply", Map.of("text", reply == null ? "" : reply, "epoch", epoch));
        });
    }

    /** An uploaded WAV (already 16 kHz mono): a new turn that speaks it. */
    synchronized void speak(float[] pcm16k, String prompt) {
        long epoch = newTurn(prompt);
        conv.addSpeech(epoch, pcm16k);
        countReply(pcm16k);
        conv.endSpeech(epoch);
    }

    /** Microphone audio from the page (16 kHz): echoed as it arrives, or gathered for the speech source. */
    synchronized void microphone(float[] pcm16k) {
        if (micEpoch < 0 || micEpoch != conv.epoch()) {
            micEpoch = newTurn(null);                    // the user speaks: barge-in
            mic = new float[0];
        }
        if (source.echoesMicrophone()) {
            conv.addSpeech(micEpoch, pcm16k);
            countReply(pcm16k);
        } else if (mic.length < 60 * BlockClock.SAMPLE_RATE) {
            float[] m = java.util.Arrays.copyOf(mic, mic.length + pcm16k.length);
            System.arraycopy(pcm16k, 0, m, mic.length, pcm16k.length);
            mic = m;
        }
    }

    /** The page stopped the microphone: the utterance is complete. */
    synchronized void microphoneEnd() {
        if (micEpoch < 0 || micEpoch != conv.epoch()) return;
        long epoch = micEpoch;
        micEpoch = -1;
        if (source.echoesMicrophone()) {
            conv.endSpeech(epoch);
            return;
        }
        float[] utterance = mic;
        mic = new float[0];
        startJob(epoch, () -> {
            String reply = source.replyToSpeech(utterance, pcm -> conv.addSpeech(epoch, pcm) && countReply(pcm));
            conv.endSpeech(epoch);
            event("reply", Map.of("text", reply == null ? "" : reply, "epoch", epoch));
        });
    }

    /** Barge-in without a new turn: the rest of the reply is dropped and the source cancelled. */
    synchronized void interrupt() {
        cancelJob();
        boolean wasSpeaking = conv.state() != Conversation.State.LISTENING;
        trimHeard();
        conv.interrupt();
        micEpoch = -1;
        if (wasSpeaking) cut();
    }

    private long newTurn(String prompt) {
        cancelJob();
        boolean cutting = conv.state() != Conversation.State.LISTENING;
        if (cutting) trimHeard();
        long epoch = conv.startTurn(prompt);
        turnStartNanos = System.nanoTime();
        spokenSamples = 0;
        replySamples = 0;
        if (cutting) cut();
        event("state", Map.of("state", "thinking", "epoch", epoch));
        return epoch;
    }

    /** Tells the pages to drop everything older than the current epoch; the media clock restarts at the next block. */
    private void cut() {
        cutEpoch = conv.epoch();
        inFlight = 0;                                    // the blocks in flight now are never shown: they hold no media ahead
        clockStartNanos = -1;
        event("cut", Map.of("epoch", conv.epoch()));
    }

    private boolean countReply(float[] pcm) {
        synchronized (this) {
            replySamples += pcm.length;
        }
        return true;
    }

    private void trimHeard() {
        if (replySamples > 0) source.heard(Math.min(1.0, spokenSamples / (double) replySamples));
    }

    private interface Job {
        void run() throws Exception;
    }

    private void startJob(long epoch, Job body) {
        job = Thread.ofVirtual().name("speech-" + id).start(() -> {
            try {
                body.run();
            } catch (InterruptedException e) {
                // cancelled by a barge-in
            } catch (Exception e) {
                if (conv.epoch() == epoch) {
                    conv.fail(epoch);
                    String msg = e instanceof ApiException ? e.getMessage() : "speech source " + source.name() + ": " + e.getMessage();
                    event("error", Map.of("message", msg == null ? e.toString() : msg));
                }
            }
        });
    }

    private void cancelJob() {
        if (job != null) job.interrupt();
        job = null;
    }

    // ------------------------------------------------------------------ generation (the scheduler's thread)

    /** Media seconds the page has played by {@code now}, in the server's model of it. */
    private double playhead(long now) {
        if (clockStartNanos < 0) return generatedEnd;
        return Math.min(generatedEnd, (now - clockStartNanos) / 1e9 + clockOffset);
    }

    /**
     * Whether a block should be generated now. Not while the decode thread holds two blocks: the
     * scheduler's thread would wait for it instead of serving the other sessions.
     */
    boolean due(long now) {
        if (closed || live.submitWouldWait()) return false;
        synchronized (this) {
            if (generatedEnd - playhead(now) + inFlight >= LEAD_S) return false;
        }
        return conv.ready(live.samplesForNextBlock());
    }

    /** When the page runs out of media (for earliest-deadline-first across sessions). */
    synchronized long deadline() {
        if (clockStartNanos < 0) return created;
        return clockStartNanos + (long) ((generatedEnd - clockOffset) * 1e9);
    }

    /**
     * Runs one block's DiT work and hands the block to the decode thread, which sends it as it is
     * decoded: each latent frame's frames (4) and their audio leave as soon as they exist, so a
     * turn's first frame does not wait for the rest of its block, and the next block's DiT work
     * need not wait for this block's decode (docs/sampler.md#streaming).
     */
    void step() throws Exception {
        Conversation.Take t = conv.take(live.samplesForNextBlock());
        if (t == null) return;
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
        java.util.List<byte[][]> sentFrames = new java.util.ArrayList<>();
        java.util.List<float[]> sentAudio = new java.util.ArrayList<>();
        boolean[] late = {false};
        double[] handled = {0};                          // media seconds of this block sent or dropped so far; guarded by this
        CompletableFuture<LiveSession.Block> made = live.submit(t.pcm(), null, (first, rgb) -> {
            int from = (int) ((first - blockFirst) * BlockClock.SAMPLES_PER_FRAME);
            float[] pcm = java.util.Arrays.copyOfRange(t.pcm(), from, from + rgb.length * BlockClock.SAMPLES_PER_FRAME);
            if (send(t, first, rgb, pcm, late)) {
                sentFrames.add(rgb);
                sentAudio.add(pcm);
            }
            synchronized (this) {
                double s = pcm.length / (double) BlockClock.SAMPLE_RATE;
                handled[0] += s;
                inFlight(t, -s);
            }
        });
        synchronized (this) {
            inFlight(t, media);                          // its first frames may be out already: the sum is what counts
        }
        made.whenComplete((b, failure) -> blockDone(t, b, failure, media, handled, sentFrames, sentAudio));
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

    /** A block is complete (its frames out, its clean pass done) or failed: counters, recording, stats message. */
    private void blockDone(Conversation.Take t, LiveSession.Block b, Throwable failure, double media, double[] handled,
                           java.util.List<byte[][]> sentFrames, java.util.List<float[]> sentAudio) {
        Recorder r;
        synchronized (this) {
            inFlight(t, handled[0] - media);             // what a failure or a close left unsent
            if (failure == null) {
                // the busier of its two stages: blocks overlap, so that is what one costs in a running session
                stats.block(b.stageSeconds(), media);
                if (t.epoch() < cutEpoch) stats.droppedBlocks++;   // cut while it was being made: the rest never shown
            }
            r = recorder;
        }
        try {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                if (!closed) event("error", Map.of("message", "generation failed: " + cause));   // a close drops blocks: no error
                return;
            }
            if (r != null) {
                for (int i = 0; i < sentFrames.size(); i++) r.frames(sentFrames.get(i), sentAudio.get(i));
            }
            broadcast(statsMessage());
        } catch (Exception e) {
            event("error", Map.of("message", "recording failed: " + e));
        }
    }

    /**
     * Sends frames {@code [first, first + rgb.length)} of the current block and the audio that
     * plays with them; false (nothing sent) if the turn was cut meanwhile. {@code late[0]}: this
     * block already counted a deadline miss.
     */
    private boolean send(Conversation.Take t, long first, byte[][] rgb, float[] pcm, boolean[] late) {
        long now = System.nanoTime();
        double start = first * BlockClock.SAMPLES_PER_FRAME / (double) BlockClock.SAMPLE_RATE, media = pcm.length / (double) BlockClock.SAMPLE_RATE;
        synchronized (this) {
            if (t.epoch() < cutEpoch) return false;       // cut while it was being made: never shown
            if (clockStartNanos < 0) {
                clockStartNanos = now;
                clockOffset = start;
            } else {
                double behind = (now - clockStartNanos) / 1e9 + clockOffset - start;
                if (behind > 0.02) {                    // the page ran dry before these frames came: it waits
                    if (!late[0]) stats.deadlineMisses++;   // counted once per block
                    late[0] = true;
                    clockOffset -= behind;
                }
            }
            generatedEnd = start + media;
            stats.frames += rgb.length;
            stats.audioSamples += pcm.length;
            if (t.state() == Conversation.State.SPEAKING) spokenSamples += pcm.length;
            if (t.firstOfTurn() && turnStartNanos > 0) {
                stats.firstFrameMs = (now - turnStartNanos) / 1e6;
                turnStartNanos = -1;
            }
        }
        for (int i = 0; i < rgb.length; i++) {
            broadcast(MediaPacket.of(MediaPacket.VIDEO, t.state().ordinal(), t.epoch(), first + i, live.size(), MediaPacket.jpeg(rgb[i], live.size())));
        }
        broadcast(MediaPacket.of(MediaPacket.AUDIO, t.state().ordinal(), t.epoch(), first * BlockClock.SAMPLES_PER_FRAME, pcm.length, Pcm.toPcm16(pcm)));
        return true;
    }

    // ------------------------------------------------------------------ recording, stats, end

    synchronized void startRecording(Path file) throws java.io.IOException {
        if (recorder != null) throw new ApiException(409, "session " + id + " is already recording");
        recorder = new Recorder(file, live.size());
        recording = null;
    }

    Path stopRecording() throws Exception {
        Recorder r;
        synchronized (this) {
            r = recorder;
            recorder = null;
        }
        if (r == null) throw new ApiException(409, "session " + id + " is not recording");
        Path p = r.finish();
        synchronized (this) {
            recording = p;
        }
        return p;
    }

    synchronized Path recording() {
        return recording;
    }

    /** The counters; {@code sinkHash} adds a hash of the sink K/V (reads the whole sink cache: API only, not per block). */
    Map<String, Object> stats(boolean sinkHash) {
        // the hash takes the model lock, so not under this session's monitor (see the lock order in the class comment)
        String hash = sinkHash ? live.sinkHash() : null;
        synchronized (this) {
            return counters(hash);
        }
    }

    private Map<String, Object> counters(String sinkHash) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("state", conv.state().name().toLowerCase());
        m.put("turns", conv.turns());
        m.put("epoch", conv.epoch());
        m.putAll(stats.json());
        m.put("buffered_ms", SessionStats.round((generatedEnd - playhead(System.nanoTime())) * 1000));
        m.put("sink_frames", live.sinkFrames());
        if (sinkHash != null) m.put("sink_hash", sinkHash);
        m.put("prompt", live.prompt());
        m.put("memory_bytes", live.memoryBytes());
        m.put("clients", clients.size());
        m.put("source", source.name());
        m.put("recording", recorder != null);
        return m;
    }

    private String statsMessage() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "stats");
        m.putAll(stats(false));
        return Json.write(m);
    }

    /**
     * Ends the session: its speech job, its recording, and the live session's decode thread, whose
     * blocks not yet decoded are dropped ({@link LiveSession#close}: they would never be shown).
     */
    void close() {
        closed = true;
        // outside this monitor: the decode thread's frame callback takes it, and this waits for that thread to end
        live.close();
        synchronized (this) {
            cancelJob();
            if (recorder != null) {
                try {
                    recorder.finish();
                } catch (Exception ignored) {
                    // best effort on the way out
                }
                recorder = null;
            }
        }
        event("closed", Map.of());
        for (Client c : clients) c.close();
        clients.clear();
    }

    boolean closed() {
        return closed;
    }
}
