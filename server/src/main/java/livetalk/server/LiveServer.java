package livetalk.server;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import io.javalin.websocket.WsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import livetalk.io.CheckpointException;
import livetalk.kernels.DeviceMemoryException;
import livetalk.kernels.DeviceMemoryUse;
import livetalk.io.Json;
import livetalk.io.MediaException;
import livetalk.io.image.ImageFiles;
import livetalk.io.image.RgbImage;
import livetalk.session.InputException;
import livetalk.session.LiveStream;
import livetalk.session.ModelSet;
import livetalk.session.SamplingPlan;

/**
 * {@code livetalk serve}: the page, the JSON control API and one WebSocket per session for media
 * (see README "Serve"). Every error is a 4xx/5xx JSON body {@code {"error": "..."}}; nothing a
 * request sends can stop the server or another session. Files are only read from the classpath
 * (the page) and read or written under {@link ServerOptions#dataDir()}, by names the server makes.
 */
public final class LiveServer implements AutoCloseable {
    private final ModelSet models;
    private final SamplingPlan plan;
    private final ServerOptions opts;
    private final Sessions sessions;
    private final BlockScheduler scheduler;
    private final Path uploads, recordings;
    private final AtomicLong seeds = new AtomicLong(42);
    private final Javalin app;

    public LiveServer(ModelSet models, SamplingPlan plan, ServerOptions opts) throws IOException {
        this.models = models;
        this.plan = plan;
        this.opts = opts;
        this.sessions = new Sessions(opts.maxSessions());
        this.uploads = Files.createDirectories(opts.dataDir().resolve("uploads"));
        this.recordings = Files.createDirectories(opts.dataDir().resolve("recordings"));
        this.scheduler = new BlockScheduler(sessions);
        this.app = Javalin.create(cfg -> {
            cfg.jetty.host = opts.host();
            cfg.jetty.port = opts.port();
            cfg.http.maxRequestSize = ServerOptions.MAX_UPLOAD_BYTES;
            cfg.startup.showJavalinBanner = false;
            cfg.jetty.modifyWebSocketServletFactory(f -> {
                // Jetty's own ceiling (it closes with 1009 above it); the page's messages are checked far below it
                f.setMaxTextMessageSize(4L * ServerOptions.MAX_WS_MESSAGE_BYTES);
                f.setMaxBinaryMessageSize(4L * ServerOptions.MAX_WS_MESSAGE_BYTES);
                f.setIdleTimeout(java.time.Duration.ofMinutes(10));
                // JPEG and PCM do not compress: permessage-deflate would only cost CPU on every frame. A
                // Jetty whose extension set is read-only keeps it on, which is slower but correct.
                try {
                    f.getAvailableExtensionNames().remove("permessage-deflate");
                } catch (UnsupportedOperationException e) {
                    System.err.println("livetalk serve: permessage-deflate stays on (" + e.getMessage() + ")");
                }
            });
            cfg.routes.get("/", ctx -> page(ctx, "index.html", "text/html; charset=utf-8"));
            cfg.routes.get("/app.js", ctx -> page(ctx, "app.js", "text/javascript; charset=utf-8"));
            cfg.routes.get("/player.js", ctx -> page(ctx, "player.js", "text/javascript; charset=utf-8"));
            cfg.routes.get("/mic.js", ctx -> page(ctx, "mic.js", "text/javascript; charset=utf-8"));
            cfg.routes.get("/api/health", this::health);
            cfg.routes.get("/api/sessions", ctx -> json(ctx, 200, Map.of("sessions", sessions.all().stream().map(s -> s.id).toList())));
            cfg.routes.post("/api/sessions", this::create);
            cfg.routes.post("/api/sessions/{id}/say", this::say);
            cfg.routes.post("/api/sessions/{id}/audio", this::audio);
            cfg.routes.post("/api/sessions/{id}/interrupt", ctx -> {
                sessions.get(ctx.pathParam("id")).interrupt();
                scheduler.wake();
                json(ctx, 200, Map.of("ok", true));
            });
            cfg.routes.get("/api/sessions/{id}/stats", ctx -> json(ctx, 200, sessions.get(ctx.pathParam("id")).stats(true)));
            cfg.routes.post("/api/sessions/{id}/recording/start", this::startRecording);
            cfg.routes.post("/api/sessions/{id}/recording/stop", ctx -> {
                Path p = sessions.get(ctx.pathParam("id")).stopRecording();
                json(ctx, 200, Map.of("file", "/api/sessions/" + ctx.pathParam("id") + "/recording", "bytes", Files.size(p)));
            });
            cfg.routes.get("/api/sessions/{id}/recording", this::recording);
            cfg.routes.delete("/api/sessions/{id}", ctx -> {
                sessions.remove(ctx.pathParam("id")).close();
                json(ctx, 200, Map.of("ok", true));
            });
            cfg.routes.ws("/ws/sessions/{id}", this::socket);
            cfg.routes.exception(ApiException.class, (e, ctx) -> json(ctx, e.status(), Map.of("error", e.getMessage())));
            cfg.routes.exception(DeviceMemoryException.class, (e, ctx) -> json(ctx, 503, Map.of("error", deviceFull(e))));
            cfg.routes.exception(InputException.class, (e, ctx) -> json(ctx, 400, Map.of("error", e.getMessage())));
            cfg.routes.exception(MediaException.class, (e, ctx) -> json(ctx, 415, Map.of("error", e.getMessage())));
            cfg.routes.exception(CheckpointException.class, (e, ctx) -> json(ctx, 500, Map.of("error", e.getMessage())));
            cfg.routes.exception(Exception.class, (e, ctx) -> json(ctx, 500, Map.of("error", "internal error: " + e)));
            cfg.routes.error(404, "*", ctx -> {
                if (ctx.result() == null || !ctx.result().startsWith("{")) json(ctx, 404, Map.of("error", "no such resource: " + ctx.path()));
            });
            cfg.routes.error(413, "*", ctx -> {
                if (ctx.result() == null || !ctx.result().startsWith("{")) {
                    json(ctx, 413, Map.of("error", "request larger than " + (ServerOptions.MAX_UPLOAD_BYTES >> 20) + " MB"));
                }
            });
        });
    }

    /** Starts listening; returns the page's URL. */
    public String start() {
        app.start();
        return "http://" + (opts.host().contains(":") ? "[" + opts.host() + "]" : opts.host()) + ":" + app.port() + "/";
    }

    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        scheduler.close();
        for (ServerSession s : sessions.all()) s.close();
        app.stop();
    }

    // ------------------------------------------------------------------ handlers

    private void page(Context ctx, String name, String type) throws IOException {
        try (InputStream in = LiveServer.class.getResourceAsStream("web/" + name)) {
            if (in == null) throw new ApiException(404, "no such resource: " + name);
            ctx.contentType(type).header("Cache-Control", "no-store").result(in.readAllBytes());
        }
    }

    private void health(Context ctx) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "ok");
        m.put("sessions", sessions.size());
        m.put("max_sessions", sessions.max());
        m.put("size", opts.size());
        m.put("fps", 16);
        m.put("sink_frames", plan.sinkFrames());
        m.put("window_frames", plan.windowFrames());
        m.put("device", models.backend().name());
        DeviceMemoryUse mem = models.backend().deviceMemory();
        if (mem != null) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("held_bytes", mem.heldBytes());
            if (mem.freeBytes() >= 0) dm.put("free_bytes", mem.freeBytes());
            dm.put("total_bytes", mem.totalBytes());
            m.put("device_memory", dm);
        }
        m.put("source", source().name());
        m.put("espeak", EspeakSpeech.available());
        json(ctx, 200, m);
    }

    /**
     * What to tell a client when the device is full: a new session (its own KV cache, 2.6 GiB at
     * 512×512, and decoder history) or a new prompt's text context did not fit beside the others.
     */
    static String deviceFull(DeviceMemoryException e) {
        return e.getMessage() + ". Each session holds its own KV cache and decoding history: close a session"
                + " (DELETE /api/sessions/{id}), or restart serve with a smaller --max-sessions or --size";
    }

    private SpeechSource source() {
        return opts.openAi() != null ? new OpenAiSpeech(opts.openAi()) : new EspeakSpeech("en-us");
    }

    private void create(Context ctx) throws IOException {
        checkSize(ctx);
        String prompt = null;
        RgbImage portrait = null;
        if (ctx.isMultipartFormData()) {
            prompt = ctx.formParam("prompt");
            UploadedFile f = ctx.uploadedFile("image");
            if (f != null) portrait = image(f);
        } else if (ctx.contentLength() > 0 && ctx.contentType() != null && ctx.contentType().startsWith("application/json")) {
            prompt = text(body(ctx), "prompt", false);
        }
        if (prompt != null && prompt.length() > ServerOptions.MAX_TEXT_CHARS) throw new ApiException(413, "prompt longer than " + ServerOptions.MAX_TEXT_CHARS + " characters");
        if (prompt == null || prompt.isBlank()) prompt = opts.speakingPrompt();
        if (portrait == null) portrait = ImageFiles.read(opts.defaultPortrait());
        String id = sessions.reserve();
        try {
            long seed = seeds.getAndIncrement();
            // paced: the page plays in real time, so the server keeps only about a second of media ahead of it
            LiveStream stream = LiveStream.open(models, plan, portrait, opts.size(), prompt, opts.listeningPrompt(), seed, true);
            sessions.add(new ServerSession(id, stream, source()));
        } catch (RuntimeException | Error e) {
            sessions.release();
            throw e;
        }
        scheduler.wake();
        json(ctx, 201, Map.of("id", id, "ws", "/ws/sessions/" + id, "memory_bytes", sessions.get(id).stats(false).get("memory_bytes")));
    }

    /** An uploaded portrait, decoded from a file of the server's own naming in its uploads folder. */
    private RgbImage image(UploadedFile f) throws IOException {
        if (f.size() > ServerOptions.MAX_UPLOAD_BYTES) throw new ApiException(413, "image larger than " + (ServerOptions.MAX_UPLOAD_BYTES >> 20) + " MB");
        Path tmp = Files.createTempFile(uploads, "portrait-", ".upload");
        try {
            try (InputStream in = f.content()) {
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            try {
                return ImageFiles.read(tmp);
            } catch (MediaException e) {
                throw new ApiException(415, "image: not a picture this server can read (PNG, JPEG, BMP, GIF)");
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private void say(Context ctx) {
        ServerSession s = sessions.get(ctx.pathParam("id"));
        checkSize(ctx);
        Map<String, Object> body = body(ctx);
        String text = text(body, "text", true);
        String prompt = turnPrompt(text(body, "prompt", false));
        s.say(text, prompt);
        scheduler.wake();
        json(ctx, 202, Map.of("ok", true));
    }

    private void audio(Context ctx) {
        ServerSession s = sessions.get(ctx.pathParam("id"));
        checkSize(ctx);
        byte[] wav = ctx.bodyAsBytes();
        if (wav.length == 0) throw new ApiException(400, "empty body: send a WAV file as the request body");
        float[] pcm = Pcm.wavTo16k(wav, "upload");
        if (pcm.length > 120 * 16000) throw new ApiException(413, "audio longer than 120 s");
        String prompt = ctx.queryParam("prompt");
        if (prompt != null && prompt.length() > ServerOptions.MAX_TEXT_CHARS) {
            throw new ApiException(413, "\"prompt\" longer than " + ServerOptions.MAX_TEXT_CHARS + " characters");
        }
        s.speak(pcm, turnPrompt(prompt));
        scheduler.wake();
        json(ctx, 202, Map.of("ok", true, "seconds", pcm.length / 16000.0));
    }

    /**
     * A turn's own prompt made ready on the request's thread (umT5 if it is new, then its text K/V),
     * so that the generator, which every session shares, finds it cached, and a prompt that cannot
     * be used fails this request (400, or 503 on a full device) instead of the session's next
     * block. Blank: none (the turn keeps the session's prompt).
     */
    private String turnPrompt(String prompt) {
        if (prompt == null || prompt.isBlank()) return null;
        models.textContext(prompt);
        return prompt;
    }

    private void startRecording(Context ctx) throws IOException {
        ServerSession s = sessions.get(ctx.pathParam("id"));
        s.startRecording(recordings.resolve(s.id + ".mp4"));      // the id is 16 hex digits: the name stays in the folder
        json(ctx, 200, Map.of("ok", true));
    }

    private void recording(Context ctx) throws IOException {
        Path p = sessions.get(ctx.pathParam("id")).recording();
        if (p == null || !Files.isRegularFile(p)) throw new ApiException(404, "no finished recording for this session (POST …/recording/stop first)");
        ctx.contentType("video/mp4").result(Files.readAllBytes(p));
    }

    private void socket(WsConfig ws) {
        ws.onConnect(ctx -> {
            String origin = ctx.header("Origin"), host = ctx.header("Host");
            if (origin != null && host != null && !origin.replaceFirst("^https?://", "").equals(host)) {
                ctx.closeSession(1008, "cross-origin connections are refused");
                return;
            }
            ServerSession s;
            try {
                s = sessions.get(ctx.pathParam("id"));
            } catch (ApiException e) {
                ctx.send(Json.write(Map.of("type", "error", "message", e.getMessage())));
                ctx.closeSession(1008, "no such session");
                return;
            }
            Client c = new Client(ctx);
            ctx.attribute("client", c);
            s.attach(c);
        });
        ws.onMessage(ctx -> {
            Client c = ctx.attribute("client");
            if (c == null) return;
            ServerSession s = sessions.get(ctx.pathParam("id"));
            try {
                onText(s, ctx.message());
            } catch (ApiException | InputException e) {
                c.send(Json.write(Map.of("type", "error", "message", e.getMessage())));
            } catch (DeviceMemoryException e) {
                c.send(Json.write(Map.of("type", "error", "message", deviceFull(e))));
            }
        });
        ws.onBinaryMessage(ctx -> {
            Client c = ctx.attribute("client");
            if (c == null) return;
            ServerSession s = sessions.get(ctx.pathParam("id"));
            try {
                onBinary(s, ctx.data());
            } catch (ApiException e) {
                c.send(Json.write(Map.of("type", "error", "message", e.getMessage())));
            }
        });
        ws.onClose(ctx -> {
            Client c = ctx.attribute("client");
            if (c == null) return;
            try {
                sessions.get(ctx.pathParam("id")).detach(c);
            } catch (ApiException gone) {
                c.close();
            }
        });
        ws.onError(ctx -> {
            Client c = ctx.attribute("client");
            if (c != null) c.close();
        });
    }

    /** {@code {"type":"say","text":…}}, {@code {"type":"interrupt"}}, {@code {"type":"mic_end"}}. */
    private void onText(ServerSession s, String message) {
        if (message.length() > ServerOptions.MAX_WS_MESSAGE_BYTES) throw new ApiException(413, "message larger than " + ServerOptions.MAX_WS_MESSAGE_BYTES + " bytes");
        Object parsed;
        try {
            parsed = Json.parse(message);
        } catch (Json.ParseException e) {
            throw new ApiException(400, "malformed message (expected JSON like {\"type\":\"say\",\"text\":\"…\"}): " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> m) || !(m.get("type") instanceof String type)) {
            throw new ApiException(400, "malformed message: expected a JSON object with a \"type\"");
        }
        @SuppressWarnings("unchecked") Map<String, Object> body = (Map<String, Object>) m;
        switch (type) {
            case "say" -> s.say(text(body, "text", true), turnPrompt(text(body, "prompt", false)));
            case "interrupt" -> s.interrupt();
            case "mic_end" -> s.microphoneEnd();
            default -> throw new ApiException(400, "unknown message type \"" + type + "\" (say, interrupt, mic_end)");
        }
        scheduler.wake();
    }

    /** Microphone audio: a {@link MediaPacket} of kind 3 with PCM16 at the rate given in {@code n}. */
    private void onBinary(ServerSession s, java.nio.ByteBuffer data) {
        if (data.remaining() > ServerOptions.MAX_WS_MESSAGE_BYTES) throw new ApiException(413, "message larger than " + ServerOptions.MAX_WS_MESSAGE_BYTES + " bytes");
        if (data.remaining() < MediaPacket.HEADER || data.get(data.position()) != MediaPacket.MIC) {
            throw new ApiException(400, "malformed binary message: expected a 16-byte header with kind 3 (microphone PCM16)");
        }
        java.nio.ByteBuffer b = data.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int rate = b.getInt(b.position() + 12);
        if (rate < 8000 || rate > 96000) throw new ApiException(400, "microphone sample rate " + rate + " outside 8000..96000");
        byte[] pcm = new byte[b.remaining() - MediaPacket.HEADER];
        b.position(b.position() + MediaPacket.HEADER);
        b.get(pcm);
        s.microphone(Pcm.pcm16To16k(pcm, 0, pcm.length & ~1, rate));
        scheduler.wake();
    }

    // ------------------------------------------------------------------ helpers

    private static void checkSize(Context ctx) {
        if (ctx.contentLength() > ServerOptions.MAX_UPLOAD_BYTES) {
            drain(ctx, 4 * ServerOptions.MAX_UPLOAD_BYTES);
            throw new ApiException(413, "request larger than " + (ServerOptions.MAX_UPLOAD_BYTES >> 20) + " MB");
        }
    }

    /**
     * Reads and drops the rest of a refused body, up to {@code limit} bytes: a client still sending
     * then receives the 413 instead of a connection reset mid-upload (seen as "no bytes" by HTTP
     * clients and as a network error by the page). Past the limit the connection is left to close.
     */
    private static void drain(Context ctx, long limit) {
        try {
            java.io.InputStream in = ctx.req().getInputStream();
            byte[] buf = new byte[64 << 10];
            long n = 0;
            int r;
            while (n < limit && (r = in.read(buf)) > 0) n += r;
        } catch (java.io.IOException ignored) {
            // the client went away: nothing to answer
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> body(Context ctx) {
        String s = new String(ctx.bodyAsBytes(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            if (Json.parse(s) instanceof Map<?, ?> m) return (Map<String, Object>) m;
        } catch (Json.ParseException e) {
            throw new ApiException(400, "the body is not JSON: " + e.getMessage());
        }
        throw new ApiException(400, "the body must be a JSON object");
    }

    private static String text(Map<String, Object> body, String key, boolean required) {
        Object v = body.get(key);
        if (v == null) {
            if (required) throw new ApiException(400, "missing \"" + key + "\"");
            return null;
        }
        if (!(v instanceof String s)) throw new ApiException(400, "\"" + key + "\" must be a string");
        if (required && s.isBlank()) throw new ApiException(400, "\"" + key + "\" is empty");
        if (s.length() > ServerOptions.MAX_TEXT_CHARS) throw new ApiException(413, "\"" + key + "\" longer than " + ServerOptions.MAX_TEXT_CHARS + " characters");
        return s;
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(Json.write(body));
    }
}
