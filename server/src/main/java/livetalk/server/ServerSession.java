package livetalk.server;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArraySet;
import livetalk.io.Json;
import livetalk.io.image.Jpeg;
import livetalk.session.BlockClock;
import livetalk.session.Conversation;
import livetalk.session.LiveSession;
import livetalk.session.LiveStream;

/**
 * One conversation on the server: the session layer's {@link LiveStream} (the generator, the turns
 * and the pacing of the page's playback), the pages watching it, a speech-source job per turn and
 * an optional recording. The stream outputs each latent frame's frames as they are decoded; this
 * sends them to the pages at once, with their audio (docs/sampler.md#streaming).
 *
 * <p><b>Locks.</b> The model set's locks come first (model, then VAE: {@code ModelSet}); then this
 * session's monitor, then the stream's. Nothing takes the model lock while holding this monitor
 * (the sink hash of {@link #stats} is read before taking it), and nothing waits for the decode
 * thread while holding it ({@link #close} ends that thread outside it), because a block's
 * {@link #blockDone}, which may run there, takes it.
 */
final class ServerSession implements LiveStream.Output {
    final String id;
    private final LiveStream stream;
    private final LiveSession live;
    private final Conversation conv;
    private final SpeechSource source;
    private volatile Throwable failure;
    private final Set<Client> clients = new CopyOnWriteArraySet<>();
    private Thread job;
    private long replySamples;
    private Recorder recorder;
    private Path recording;
    private float[] mic = new float[0];
    private long micEpoch = -1;

    ServerSession(String id, LiveStream stream, SpeechSource source) {
        this.id = id;
        this.stream = stream;
        this.live = stream.session();
        this.conv = stream.conversation();
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
        trimHeard();
        micEpoch = -1;
        if (stream.interrupt()) cut();
    }

    private long newTurn(String prompt) {
        cancelJob();
        if (conv.state() != Conversation.State.LISTENING) trimHeard();
        LiveStream.Turn turn = stream.startTurn(prompt);
        replySamples = 0;
        if (turn.cut()) cut();
        event("state", Map.of("state", "thinking", "epoch", turn.epoch()));
        return turn.epoch();
    }

    /** Tells the pages to drop everything older than the current epoch (the stream has forgotten it). */
    private void cut() {
        event("cut", Map.of("epoch", conv.epoch()));
    }

    private boolean countReply(float[] pcm) {
        synchronized (this) {
            replySamples += pcm.length;
        }
        return true;
    }

    private void trimHeard() {
        if (replySamples > 0) source.heard(Math.min(1.0, stream.spokenSamples() / (double) replySamples));
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

    boolean due(long now) {
        return stream.due(now);
    }

    long deadline() {
        return stream.deadline();
    }

    /** One block's DiT work; its frames come to {@link #frames} as they are decoded. */
    void step() {
        stream.step(this);
    }

    /** Frames of the current turn, as they are decoded: to the pages at once, with the audio that plays with them. */
    @Override
    public void frames(Conversation.Take t, long first, byte[][] rgb, float[] pcm) {
        byte[][] jpeg = Jpeg.encodeAll(rgb, live.size());
        for (int i = 0; i < jpeg.length; i++) {
            broadcast(MediaPacket.of(MediaPacket.VIDEO, t.state().ordinal(), t.epoch(), first + i, live.size(), jpeg[i]));
        }
        broadcast(MediaPacket.of(MediaPacket.AUDIO, t.state().ordinal(), t.epoch(), first * BlockClock.SAMPLES_PER_FRAME, pcm.length, Pcm.toPcm16(pcm)));
    }

    /**
     * A reply's first frames are out: the pages drop what they have queued before them (listening,
     * thinking), so the reply starts now (LiveStream.Output#skipTo). After the frames, on the same
     * ordered channel, so a page has them when it drops the rest.
     */
    @Override
    public void skipTo(Conversation.Take t, long first) {
        event("skip", Map.of("epoch", t.epoch(), "frame", first, "sample", first * BlockClock.SAMPLES_PER_FRAME));
    }

    /** A block is complete (its frames out, its clean pass done) or failed: recording, stats message. */
    @Override
    public void blockDone(LiveStream.Completed c) {
        Recorder r;
        synchronized (this) {
            r = recorder;
        }
        try {
            if (c.failure() != null) {
                Throwable f = c.failure(), cause = f instanceof CompletionException && f.getCause() != null ? f.getCause() : f;
                if (!closed() && failure == null) failure = cause;   // the scheduler ends the session; a close drops blocks: no error
                return;
            }
            if (r != null) {
                for (int i = 0; i < c.sentFrames().size(); i++) r.frames(c.sentFrames().get(i), c.sentAudio().get(i));
            }
            broadcast(statsMessage());
        } catch (Exception e) {
            event("error", Map.of("message", "recording failed: " + e));
        }
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
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.putAll(stream.stats());
            if (hash != null) m.put("sink_hash", hash);
            m.put("clients", clients.size());
            m.put("source", source.name());
            m.put("recording", recorder != null);
            return m;
        }
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
        // outside this monitor: the decode thread's frame output may take it, and this waits for that thread to end
        stream.close();
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
        return stream.closed();
    }

    /** What a block of this session failed with (its decode, or its clean pass), or null: the generator then ends the session. */
    Throwable failure() {
        return failure;
    }
}
