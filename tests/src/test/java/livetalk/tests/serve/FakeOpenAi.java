package livetalk.tests.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import livetalk.io.Json;

/**
 * A small stand-in for an OpenAI-compatible endpoint on 127.0.0.1, following the API's shapes:
 * chat completions answer "You said: …", {@code /v1/audio/speech} streams 24 kHz 16-bit PCM (a
 * voiced tone, 0.6 s per word) in small chunks, transcriptions answer a fixed sentence. It records
 * every request; {@code failing} makes every call answer 500.
 */
final class FakeOpenAi implements AutoCloseable {
    record Call(String path, String contentType, String auth, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static final String TRANSCRIPT = "hello from the microphone";
    final List<Call> calls = new CopyOnWriteArrayList<>();
    volatile boolean failing;
    private final HttpServer server;

    FakeOpenAi() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        String path = ex.getRequestURI().getPath();
        calls.add(new Call(path, ex.getRequestHeaders().getFirst("Content-Type"), ex.getRequestHeaders().getFirst("Authorization"), body));
        try (ex) {
            if (failing) {
                reply(ex, 500, "{\"error\":{\"message\":\"the fake is told to fail\"}}");
                return;
            }
            switch (path) {
                case "/v1/chat/completions" -> {
                    Map<?, ?> req = (Map<?, ?>) Json.parse(new String(body, StandardCharsets.UTF_8));
                    List<?> msgs = (List<?>) req.get("messages");
                    String last = (String) ((Map<?, ?>) msgs.getLast()).get("content");
                    reply(ex, 200, Json.write(Map.of("id", "x", "object", "chat.completion",
                            "choices", List.of(Map.of("index", 0, "message", Map.of("role", "assistant", "content", "You said: " + last))))));
                }
                case "/v1/audio/speech" -> {
                    Map<?, ?> req = (Map<?, ?>) Json.parse(new String(body, StandardCharsets.UTF_8));
                    int words = ((String) req.get("input")).split("\\s+").length;
                    int n = (int) (0.6 * words * 24000);
                    ByteBuffer pcm = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < n; i++) pcm.putShort((short) (8000 * Math.sin(2 * Math.PI * 160 * i / 24000.0)));
                    ex.getResponseHeaders().set("Content-Type", "audio/pcm");
                    ex.sendResponseHeaders(200, 0);                       // chunked: streamed as it is made
                    try (OutputStream o = ex.getResponseBody()) {
                        for (int off = 0; off < pcm.capacity(); off += 4800) {
                            o.write(pcm.array(), off, Math.min(4800, pcm.capacity() - off));
                            o.flush();
                        }
                    }
                }
                case "/v1/audio/transcriptions" -> reply(ex, 200, Json.write(Map.of("text", TRANSCRIPT)));
                default -> reply(ex, 404, "{\"error\":{\"message\":\"no route\"}}");
            }
        } catch (Json.ParseException e) {
            reply(ex, 400, "{\"error\":{\"message\":\"bad json\"}}");
        }
    }

    private static void reply(HttpExchange ex, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    List<Call> calls(String path) {
        return calls.stream().filter(c -> c.path().equals(path)).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
