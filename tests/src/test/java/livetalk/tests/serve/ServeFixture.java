package livetalk.tests.serve;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import livetalk.cli.demo.DemoAssets;
import livetalk.cli.demo.DemoModels;
import livetalk.io.Json;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.server.LiveServer;
import livetalk.server.OpenAiSpeech;
import livetalk.server.ServerOptions;
import livetalk.session.ModelLayout;
import livetalk.session.ModelSet;
import livetalk.session.SamplingPlan;

/** A {@code serve} on the demo models, on a free loopback port, with HTTP and WebSocket helpers for the tests. */
final class ServeFixture implements AutoCloseable {
    static final String SPEAK = "a person talking to the camera with a calm smile";
    static final String LISTEN = "a person listening quietly to the camera, calm and attentive";

    final Path dir;
    final Backend backend;
    final ModelSet models;
    final LiveServer server;
    final String base;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ServeFixture(Path dir, int size, int maxSessions, OpenAiSpeech.Config openAi) throws IOException {
        this(dir, size, maxSessions, openAi, new CpuBackend());
    }

    ServeFixture(Path dir, int size, int maxSessions, OpenAiSpeech.Config openAi, Backend backend) throws IOException {
        this.dir = dir;
        this.backend = backend;
        Path cache = dir.resolve("cache");
        Path portrait = dir.resolve("portrait.png");
        DemoAssets.portrait(portrait);
        models = ModelSet.load(ModelLayout.resolve(DemoModels.ensure(cache), null, null, null, null, null), backend, cache, System.err);
        server = new LiveServer(models, SamplingPlan.official(),
                new ServerOptions("127.0.0.1", 0, maxSessions, size, dir.resolve("data"), portrait, SPEAK, LISTEN, openAi));
        base = server.start().replaceAll("/$", "");
    }

    record Reply(int status, Object json, String body) {
        @SuppressWarnings("unchecked")
        Map<String, Object> map() {
            return (Map<String, Object>) json;
        }

        String error() {
            return json instanceof Map<?, ?> m ? (String) m.get("error") : null;
        }
    }

    Reply send(String method, String path, byte[] body, String type) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (type != null) b.header("Content-Type", type);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return reply(http, b.build());
    }

    /**
     * A GET on a connection of its own, closed after it: for paths Jetty refuses with 400 and then
     * closes the connection on, so that no later request is written to a connection the server has
     * dropped (once seen as a request that got no bytes back, once as one that waited out its 60 s).
     */
    Reply getAlone(String path) throws Exception {
        try (HttpClient alone = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            return reply(alone, HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).GET().build());
        }
    }

    private static Reply reply(HttpClient http, HttpRequest request) throws Exception {
        HttpResponse<String> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            // Jetty closes the connection after refusing a malformed path with 400; a request the
            // client then writes to that pooled connection gets no bytes back. It never reached the
            // server, so sending it once more on a new connection is safe, even for a POST.
            if (e.getMessage() == null || !e.getMessage().contains("received no bytes")) throw e;
            r = http.send(request, HttpResponse.BodyHandlers.ofString());
        }
        Object json = null;
        try {
            json = Json.parse(r.body());
        } catch (Json.ParseException ignored) {
            // not JSON: the test looks at the body
        }
        return new Reply(r.statusCode(), json, r.body());
    }

    Reply get(String path) throws Exception {
        return send("GET", path, null, null);
    }

    Reply post(String path, String json) throws Exception {
        return send("POST", path, json == null ? null : json.getBytes(), json == null ? null : "application/json");
    }

    String newSession() throws Exception {
        Reply r = post("/api/sessions", null);
        if (r.status() != 201) throw new AssertionError("create: " + r.status() + " " + r.body());
        return (String) r.map().get("id");
    }

    Map<String, Object> stats(String id) throws Exception {
        return get("/api/sessions/" + id + "/stats").map();
    }

    static long num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).longValue();
    }

    /** Polls until {@code cond} holds or {@code seconds} pass; false on timeout. */
    static boolean waitFor(double seconds, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            if (cond.getAsBoolean()) return true;
            Thread.sleep(50);
        }
        return cond.getAsBoolean();
    }

    /** A WebSocket to a session that keeps every text and binary message it receives. */
    final class Socket implements WebSocket.Listener, AutoCloseable {
        final List<String> texts = new CopyOnWriteArrayList<>();
        final List<ByteBuffer> media = new CopyOnWriteArrayList<>();
        volatile int closeCode = -1;
        final WebSocket ws;
        private final StringBuilder partText = new StringBuilder();
        private java.io.ByteArrayOutputStream partBin = new java.io.ByteArrayOutputStream();

        Socket(String id) {
            ws = http.newWebSocketBuilder().buildAsync(URI.create(base.replace("http", "ws") + "/ws/sessions/" + id), this).join();
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            partText.append(data);
            if (last) {
                texts.add(partText.toString());
                partText.setLength(0);
            }
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            partBin.writeBytes(b);
            if (last) {
                media.add(ByteBuffer.wrap(partBin.toByteArray()).order(java.nio.ByteOrder.LITTLE_ENDIAN));
                partBin = new java.io.ByteArrayOutputStream();
            }
            w.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
            closeCode = statusCode;
            return null;
        }

        boolean hasText(String fragment) {
            return texts.stream().anyMatch(t -> t.contains(fragment));
        }

        @Override
        public void close() {
            ws.abort();
        }
    }

    Socket socket(String id) {
        return new Socket(id);
    }

    @Override
    public void close() throws IOException {
        server.close();
        models.close();
        backend.close();
        if (Files.exists(dir.resolve("data"))) {
            try (var s = Files.walk(dir.resolve("data"))) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
