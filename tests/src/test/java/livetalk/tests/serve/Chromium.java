package livetalk.tests.serve;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import livetalk.io.Json;

/**
 * Debian's headless Chromium driven over the DevTools protocol with the JDK's own HTTP client and
 * WebSocket: no driver binary, no extra dependency. Started with the background-networking flags
 * (toolchain.md) and a fresh profile, so it talks to nothing but 127.0.0.1.
 */
final class Chromium implements AutoCloseable {
    private final Process process;
    private final HttpClient http = HttpClient.newHttpClient();
    private final int port;

    Chromium(Path profile, Path fakeMicWav) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                "--disable-default-apps", "--disable-extensions", "--metrics-recording-only", "--no-default-browser-check",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
                "--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                "--window-size=1000,700", "--remote-debugging-port=0", "--user-data-dir=" + profile));
        if (fakeMicWav != null) cmd.add("--use-file-for-fake-audio-capture=" + fakeMicWav + "%noloop");
        cmd.add("about:blank");
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Path portFile = profile.resolve("DevToolsActivePort");
        long end = System.nanoTime() + 30_000_000_000L;
        while (!Files.isRegularFile(portFile) || Files.readAllLines(portFile).isEmpty()) {
            if (System.nanoTime() > end || !process.isAlive()) throw new IOException("chromium did not start its DevTools endpoint");
            Thread.sleep(100);
        }
        port = Integer.parseInt(Files.readAllLines(portFile).getFirst().strip());
    }

    static boolean installed() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, "chromium"))) return true;
        }
        return false;
    }

    /** A new tab showing {@code url}. */
    Tab open(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/new?" + url))
                .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        Map<?, ?> target = (Map<?, ?>) Json.parse(r.body());
        return new Tab((String) target.get("webSocketDebuggerUrl"));
    }

    /** One page, driven by DevTools commands. */
    final class Tab implements WebSocket.Listener, AutoCloseable {
        private final WebSocket ws;
        private final AtomicInteger ids = new AtomicInteger();
        private final Map<Integer, CompletableFuture<Map<?, ?>>> pending = new ConcurrentHashMap<>();
        private final StringBuilder part = new StringBuilder();

        Tab(String wsUrl) {
            ws = http.newWebSocketBuilder().buildAsync(URI.create(wsUrl), this).join();
        }

        Map<?, ?> call(String method, Map<String, Object> params) throws Exception {
            int id = ids.incrementAndGet();
            CompletableFuture<Map<?, ?>> f = new CompletableFuture<>();
            pending.put(id, f);
            ws.sendText(Json.write(Map.of("id", id, "method", method, "params", params)), true).join();
            Map<?, ?> r = f.get(60, TimeUnit.SECONDS);
            if (r.containsKey("error")) throw new IllegalStateException(method + ": " + r.get("error"));
            return (Map<?, ?>) r.get("result");
        }

        /** Evaluates a JavaScript expression in the page (promises awaited) and returns its JSON value. */
        Object eval(String expression) throws Exception {
            Map<?, ?> r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
            if (r.containsKey("exceptionDetails")) throw new IllegalStateException(expression + ": " + r.get("exceptionDetails"));
            return ((Map<?, ?>) r.get("result")).get("value");
        }

        double num(String expression) throws Exception {
            return ((Number) eval(expression)).doubleValue();
        }

        /** A PNG of the page. */
        byte[] screenshot() throws Exception {
            return java.util.Base64.getDecoder().decode((String) call("Page.captureScreenshot", Map.of("format", "png")).get("data"));
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            part.append(data);
            if (last) {
                try {
                    Map<?, ?> m = (Map<?, ?>) Json.parse(part.toString());
                    if (m.get("id") instanceof Number n) {
                        CompletableFuture<Map<?, ?>> f = pending.remove(n.intValue());
                        if (f != null) f.complete(m);
                    }
                } catch (Json.ParseException ignored) {
                    // not for us
                }
                part.setLength(0);
            }
            w.request(1);
            return null;
        }

        @Override
        public void close() {
            ws.abort();
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
    }
}
