package livetalk.server;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
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
 * of media is buffered ahead of it. A block's frames leave a latent frame's worth at a time, with
 * their audio; frames that leave after the clock reached their start make the block a deadline
 * miss, and the clock waits for them (the page buffers rather than desyncing). After a barge-in
 * the page drops what it has queued, so the clock restarts at the next block.
 *
 * <p><b>Locks.</b> The generator sends frames from inside {@link LiveSession#next}, that is while it
 * holds the model lock, and takes this session's monitor to do so; so nothing may take the model
 * lock while it holds this monitor (the sink hash of {@link #stats} is read before taking it).
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

    // pacing (scheduler thread, read by stats)
    private long clockStartNanos = -1;
    private double clockOffset, generatedEnd;
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

    /** Whether a block should be generated now. */
    boolean due(long now) {
        return !closed && generatedEnd - playhead(now) < LEAD_S && conv.ready(live.samplesForNextBlock());
    }

    /** When the page runs out of media (for earliest-deadline-first across sessions). */
    long deadline() {
        if (clockStartNanos < 0) return created;
        return clockStartNanos + (long) ((generatedEnd - clockOffset) * 1e9);
    }

    /**
     * Generates one block and sends it as it is made: each latent frame's frames (4) and their
     * audio leave as soon as they are decoded, before the block's cache refresh, so a turn's first
     * frame does not wait for the rest of its block (docs/sampler.md#streaming).
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
        java.util.List<byte[][]> sentFrames = new java.util.ArrayList<>();
        java.util.List<float[]> sentAudio = new java.util.ArrayList<>();
        boolean[] late = {false};
        LiveSession.Block b = live.next(t.pcm(), null, (first, rgb) -> {
            int from = (int) ((first - blockFirst) * BlockClock.SAMPLES_PER_FRAME);
            float[] pcm = java.util.Arrays.copyOfRange(t.pcm(), from, from + rgb.length * BlockClock.SAMPLES_PER_FRAME);
            if (send(t, first, rgb, pcm, late)) {
                sentFrames.add(rgb);
                sentAudio.add(pcm);
            }
        });
        Recorder r;
        synchronized (this) {
            stats.block(b.computeSeconds(), b.pcm().length / (double) BlockClock.SAMPLE_RATE);
            if (t.epoch() != conv.epoch()) stats.droppedBlocks++;   // cut while it was being made: the rest never shown
            r = recorder;
        }
        if (r != null) {
            for (int i = 0; i < sentFrames.size(); i++) r.frames(sentFrames.get(i), sentAudio.get(i));
        }
        broadcast(statsMessage());
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
            if (t.epoch() != conv.epoch()) return false;   // cut while it was being made: never shown
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

    void close() {
        closed = true;
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
