package livetalk.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import livetalk.io.Json;

/**
 * A speech source behind an OpenAI-compatible endpoint: {@code /v1/chat/completions} writes the
 * reply, {@code /v1/audio/speech} (response_format {@code pcm}: 24 kHz 16-bit mono, streamed)
 * speaks it, {@code /v1/audio/transcriptions} turns a microphone utterance into text first. The
 * conversation is remembered (the last {@link #MEMORY} messages) and trimmed to what the user
 * heard when they cut a reply, as the OpenAI Realtime API's {@code conversation.item.truncate} does.
 */
public final class OpenAiSpeech implements SpeechSource {
    /** @param baseUrl e.g. {@code http://127.0.0.1:8000} (the {@code /v1/...} paths are appended) */
    public record Config(String baseUrl, String apiKey, String chatModel, String ttsModel, String voice, String sttModel) {
    }

    static final int MEMORY = 12;
    static final int SPEECH_RATE = 24000;
    private static final String SYSTEM = "You are a friendly talking avatar. Answer in one or two short spoken sentences.";

    private final Config cfg;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Map<String, Object>> history = new ArrayList<>();

    public OpenAiSpeech(Config cfg) {
        this.cfg = cfg;
    }

    @Override
    public String name() {
        return "openai-compatible (" + cfg.baseUrl() + ")";
    }

    @Override
    public boolean echoesMicrophone() {
        return false;
    }

    @Override
    public String replyToText(String text, Sink out) throws Exception {
        String reply = chat(text);
        speak(reply, out);
        return reply;
    }

    @Override
    public String replyToSpeech(float[] speech16k, Sink out) throws Exception {
        String text = transcribe(speech16k);
        if (text.isBlank()) return "";
        return replyToText(text, out);
    }

    @Override
    public synchronized void heard(double fraction) {
        if (history.isEmpty()) return;
        Map<String, Object> last = history.getLast();
        if (!"assistant".equals(last.get("role"))) return;
        String c = (String) last.get("content");
        int keep = (int) Math.round(c.length() * Math.max(0, Math.min(1, fraction)));
        last.put("content", c.substring(0, keep) + "…");
    }

    /** The reply text to {@code userText}, with the conversation so far. */
    String chat(String userText) throws IOException, InterruptedException {
        List<Object> messages = new ArrayList<>();
        messages.add(Map.of("role", "system", "content", SYSTEM));
        synchronized (this) {
            history.add(new LinkedHashMap<>(Map.of("role", "user", "content", userText)));
            while (history.size() > MEMORY) history.removeFirst();
            messages.addAll(history);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", cfg.chatModel());
        body.put("messages", messages);
        body.put("stream", false);
        Object resp = parse(send(post("/v1/chat/completions", "application/json", HttpRequest.BodyPublishers.ofString(Json.write(body)))));
        String reply = choiceText(resp);
        synchronized (this) {
            history.add(new LinkedHashMap<>(Map.of("role", "assistant", "content", reply)));
        }
        return reply;
    }

    /** Streams {@code /v1/audio/speech} as 24 kHz PCM and hands it on in ~0.25 s chunks at 16 kHz. */
    void speak(String text, Sink out) throws IOException, InterruptedException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", cfg.ttsModel());
        body.put("input", text);
        body.put("voice", cfg.voice());
        body.put("response_format", "pcm");
        HttpResponse<InputStream> r = http.send(post("/v1/audio/speech", "application/json", HttpRequest.BodyPublishers.ofString(Json.write(body))),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() / 100 != 2) {
                throw new IOException("/v1/audio/speech answered " + r.statusCode() + ": " + snippet(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            }
            byte[] chunk = new byte[SPEECH_RATE / 2];        // 0.25 s of 16-bit samples
            int filled = 0;
            while (true) {
                int n = in.read(chunk, filled, chunk.length - filled);
                if (n < 0) break;
                filled += n;
                if (filled == chunk.length) {
                    if (!out.accept(Pcm.pcm16To16k(chunk, 0, filled, SPEECH_RATE))) return;
                    filled = 0;
                }
                if (Thread.interrupted()) throw new InterruptedException();
            }
            if (filled >= 2) out.accept(Pcm.pcm16To16k(chunk, 0, filled & ~1, SPEECH_RATE));
        }
    }

    /** {@code /v1/audio/transcriptions} of a 16 kHz utterance, sent as a WAV file (multipart). */
    String transcribe(float[] speech16k) throws IOException, InterruptedException {
        String boundary = "livetalk-" + UUID.randomUUID();
        byte[] wav = Pcm.wav(speech16k, 16000);
        var parts = new java.io.ByteArrayOutputStream();
        parts.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + cfg.sttModel() + "\r\n").getBytes(StandardCharsets.UTF_8));
        parts.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"speech.wav\"\r\nContent-Type: audio/wav\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        parts.writeBytes(wav);
        parts.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        Object resp = parse(send(post("/v1/audio/transcriptions", "multipart/form-data; boundary=" + boundary,
                HttpRequest.BodyPublishers.ofByteArray(parts.toByteArray()))));
        if (resp instanceof Map<?, ?> m && m.get("text") instanceof String s) return s;
        throw new IOException("/v1/audio/transcriptions: no \"text\" in the answer");
    }

    private HttpRequest post(String path, String type, HttpRequest.BodyPublisher body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(cfg.baseUrl().replaceAll("/+$", "") + path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", type).POST(body);
        if (cfg.apiKey() != null && !cfg.apiKey().isBlank()) b.header("Authorization", "Bearer " + cfg.apiKey());
        return b.build();
    }

    private String send(HttpRequest req) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) throw new IOException(req.uri().getPath() + " answered " + r.statusCode() + ": " + snippet(r.body()));
        return r.body();
    }

    private static Object parse(String s) throws IOException {
        try {
            return Json.parse(s);
        } catch (Json.ParseException e) {
            throw new IOException("the endpoint answered something that is not JSON: " + snippet(s));
        }
    }

    private static String choiceText(Object resp) throws IOException {
        if (resp instanceof Map<?, ?> m && m.get("choices") instanceof List<?> l && !l.isEmpty() && l.getFirst() instanceof Map<?, ?> c
                && c.get("message") instanceof Map<?, ?> msg && msg.get("content") instanceof String s) {
            return s;
        }
        throw new IOException("/v1/chat/completions: no choices[0].message.content in the answer");
    }

    private static String snippet(String s) {
        s = s == null ? "" : s.strip();
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}
