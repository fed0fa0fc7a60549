package livetalk.tests.serve;

import static livetalk.tests.serve.ServeFixture.num;
import static livetalk.tests.serve.ServeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import livetalk.server.MediaPacket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control API and the WebSocket media of {@code serve} on the demo models (64×64 frames, fast):
 * turns, prompt switches, barge-in, several sessions, and bad input answered with 4xx JSON while
 * the server and the other sessions carry on.
 */
class ServeApiTest {
    @TempDir
    static Path tmp;
    static ServeFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new ServeFixture(tmp, 64, 3, null);
    }

    /** Each test leaves no session behind, even when it fails, so the admission limit holds for the next. */
    @org.junit.jupiter.api.AfterEach
    void deleteSessions() throws Exception {
        for (Object id : (java.util.List<?>) f.get("/api/sessions").map().get("sessions")) f.send("DELETE", "/api/sessions/" + id, null, null);
    }

    @AfterAll
    static void stop() throws Exception {
        f.close();
    }

    static byte[] wav(double seconds, double hz) {
        int n = (int) (seconds * 16000);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (0.3 * Math.sin(2 * Math.PI * hz * i / 16000) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * i / 16000)));
        return livetalk.server.Pcm.wav(x, 16000);
    }

    @Test
    void aWavTurnStreamsFramesAndAudioOnOneClock() throws Exception {
        String id = f.newSession();
        try (ServeFixture.Socket s = f.socket(id)) {
            var r = f.send("POST", "/api/sessions/" + id + "/audio?prompt=" + java.net.URLEncoder.encode("a person singing", "UTF-8"), wav(1.2, 180), "audio/wav");
            assertEquals(202, r.status(), r.body());
            assertTrue(waitFor(30, () -> {
                try {
                    Map<String, Object> st = f.stats(id);
                    return num(st, "turns") == 1 && "listening".equals(st.get("state"));
                } catch (Exception e) {
                    return false;
                }
            }), "the turn ends and the avatar listens again");
            Map<String, Object> st = f.stats(id);
            for (String k : new String[] {"state", "turns", "blocks", "frames", "audio_samples", "first_frame_ms", "real_time_factor",
                    "deadline_misses", "sink_frames", "memory_bytes"}) {
                assertTrue(st.containsKey(k), "stats has " + k + ": " + st);
            }
            assertNotNull(st.get("first_frame_ms"));
            // serve paces its media: the turn's first frame is on screen no sooner than it left, and, since a reply skips
            // what is queued ahead of it (LiveStream.SKIP_MIN_S), no more than 50 ms later (0.1 ms for the rounding)
            double out = ((Number) st.get("first_frame_ms")).doubleValue(), shown = ((Number) st.get("first_frame_shown_ms")).doubleValue();
            assertTrue(shown >= out && shown <= out + 50.1, st.toString());
            assertEquals(9L, num(st, "sink_frames"));
            assertTrue(num(st, "prompt_switches") >= 2, "listening → 'a person singing' → listening: " + st);
            assertTrue(waitFor(20, () -> s.media.size() > 60), "media keeps coming while listening");
            // every video frame i and the audio that plays with it carry the same time: sample = 1000·i
            long frames = 0, lastFrame = -1, nextSample = -1;
            boolean synced = false;                   // the socket may have joined mid-block: start at the first audio packet
            for (ByteBuffer m : s.media) {
                int kind = m.get(0), stamp = m.getInt(8), n = m.getInt(12);
                if (!synced) {
                    if (kind == MediaPacket.AUDIO) {
                        synced = true;
                        nextSample = stamp + n;
                        lastFrame = (stamp + n) / 1000 - 1;
                    }
                    continue;
                }
                if (kind == MediaPacket.VIDEO) {
                    assertEquals(lastFrame + 1, stamp, "frames in order without gaps");
                    lastFrame = stamp;
                    frames++;
                    assertEquals(64, n);
                    assertEquals((byte) 0xFF, m.get(16), "JPEG data");
                    assertEquals((byte) 0xD8, m.get(17), "JPEG start of image");
                } else {
                    assertEquals(MediaPacket.AUDIO, kind);
                    assertEquals(nextSample, stamp, "audio continuous on the same clock");
                    assertEquals(1000L * (lastFrame + 1), (long) stamp + n, "a block's audio ends where its last frame ends");
                    nextSample = stamp + n;
                }
            }
            assertTrue(frames >= 21, "frames arrived: " + frames);
            // the sinks are written once (the first 9 latent frames) and never touched again across turns
            String hash = (String) st.get("sink_hash");
            f.send("POST", "/api/sessions/" + id + "/audio", wav(0.8, 220), "audio/wav");
            long turns = num(st, "turns");
            assertTrue(waitFor(30, () -> {
                try {
                    return num(f.stats(id), "turns") == turns + 1;
                } catch (Exception e) {
                    return false;
                }
            }));
            assertEquals(hash, f.stats(id).get("sink_hash"), "sink K/V bit-identical across turns and prompt switches");
        }
        assertEquals(200, f.send("DELETE", "/api/sessions/" + id, null, null).status());
    }

    @Test
    void bargeInCutsTheTurnAndDropsItsAudio() throws Exception {
        String id = f.newSession();
        try (ServeFixture.Socket s = f.socket(id)) {
            f.send("POST", "/api/sessions/" + id + "/audio", wav(6, 200), "audio/wav");
            assertTrue(waitFor(20, () -> {
                try {
                    return "speaking".equals(f.stats(id).get("state"));
                } catch (Exception e) {
                    return false;
                }
            }));
            long epochBefore = num(f.stats(id), "epoch");
            long samplesBefore = num(f.stats(id), "audio_samples");
            assertEquals(200, f.post("/api/sessions/" + id + "/interrupt", null).status());
            assertTrue(s.hasText("\"cut\"") || waitFor(2, () -> s.hasText("\"cut\"")), "the pages are told to drop what they hold");
            Map<String, Object> st = f.stats(id);
            assertEquals(epochBefore + 1, num(st, "epoch"));
            assertTrue(waitFor(5, () -> {
                try {
                    return "listening".equals(f.stats(id).get("state"));
                } catch (Exception e) {
                    return false;
                }
            }));
            // 6 s of speech were queued; after the cut at most the block being made and one more are produced from it
            Thread.sleep(1500);
            long spokenAfter = num(f.stats(id), "audio_samples") - samplesBefore;
            assertTrue(spokenAfter < 6 * 16000 - 24000, "the rest of the 6 s turn was dropped: " + spokenAfter + " samples since");
            assertEquals(1L, num(f.stats(id), "turns"), "the cut turn counts as a turn");
        }
        f.send("DELETE", "/api/sessions/" + id, null, null);
    }

    @Test
    void badInputGetsAClear4xxAndTheServerCarriesOn() throws Exception {
        String id = f.newSession();
        String other = f.newSession();
        record Case(int status, ServeFixture.Reply reply, String fragment) {
        }
        byte[] big = new byte[17 << 20];
        Case[] cases = {
                new Case(404, f.get("/api/sessions/0123456789abcdef/stats"), "no session"),
                new Case(404, f.post("/api/sessions/nope/say", "{\"text\":\"hi\"}"), "no session"),
                new Case(404, f.send("DELETE", "/api/sessions/nope", null, null), "no session"),
                new Case(400, f.post("/api/sessions/" + id + "/say", "{not json"), "not JSON"),
                new Case(400, f.post("/api/sessions/" + id + "/say", "{\"txt\":\"hi\"}"), "missing \"text\""),
                new Case(400, f.post("/api/sessions/" + id + "/say", "{\"text\":42}"), "must be a string"),
                new Case(413, f.post("/api/sessions/" + id + "/say", "{\"text\":\"" + "a".repeat(3000) + "\"}"), "longer than"),
                new Case(415, f.send("POST", "/api/sessions/" + id + "/audio", "hello, not a wav".getBytes(), "audio/wav"), "not a WAV"),
                new Case(400, f.send("POST", "/api/sessions/" + id + "/audio", new byte[0], "audio/wav"), "empty body"),
                new Case(413, f.send("POST", "/api/sessions/" + id + "/audio", big, "audio/wav"), "larger than"),
                new Case(415, multipartImage("this is not a picture".getBytes()), "not a picture"),
                new Case(404, f.get("/api/sessions/" + id + "/recording"), "no finished recording"),
        };
        for (Case c : cases) {
            assertEquals(c.status(), c.reply().status(), c.reply().body());
            assertNotNull(c.reply().error(), "a JSON error body: " + c.reply().body());
            assertTrue(c.reply().error().contains(c.fragment()), c.reply().error());
        }
        // paths that try to leave the server's folders are refused before any handler (Jetty answers 400 to
        // ambiguous encoded paths) or match nothing (404); either way no file is read
        for (String p : new String[] {"/api/sessions/..%2F..%2Fetc%2Fpasswd/stats", "/../../etc/passwd", "/api/sessions/%2e%2e/recording", "/app.js/../../pom.xml"}) {
            ServeFixture.Reply r = f.getAlone(p);
            assertTrue(r.status() == 400 || r.status() == 404, p + " → " + r.status());
            assertTrue(!r.body().contains("root:") && !r.body().contains("<project"), p + " leaked a file");
        }
        // past the admission limit (3): a clear refusal, and creation works again after a delete
        String third = f.newSession();
        ServeFixture.Reply refused = f.post("/api/sessions", null);
        assertEquals(429, refused.status());
        assertTrue(refused.error().contains("limit of 3"), refused.error());
        assertEquals(200, f.send("DELETE", "/api/sessions/" + third, null, null).status());
        // malformed and oversized WebSocket messages: an error message, the connection stays, valid input still works
        try (ServeFixture.Socket s = f.socket(id)) {
            s.ws.sendText("{\"type\":", true).join();
            s.ws.sendText("{\"type\":\"dance\"}", true).join();
            s.ws.sendBinary(ByteBuffer.wrap(new byte[] {9, 9, 9}), true).join();
            s.ws.sendText("{\"type\":\"say\",\"text\":\"" + "b".repeat(300_000) + "\"}", true).join();
            assertTrue(waitFor(5, () -> s.texts.stream().filter(t -> t.contains("\"error\"")).count() >= 4), s.texts.toString());
            assertTrue(s.hasText("malformed message") && s.hasText("unknown message type") && s.hasText("malformed binary") && s.hasText("larger than"));
            assertEquals(-1, s.closeCode, "still connected");
            s.ws.sendText("{\"type\":\"interrupt\"}", true).join();
        }
        try (ServeFixture.Socket s = f.socket("0123456789abcdef")) {
            assertTrue(waitFor(5, () -> s.closeCode == 1008), "a socket to an unknown session is closed with a reason");
        }
        // a recording: start, some blocks, stop, fetch
        assertEquals(200, f.post("/api/sessions/" + other + "/recording/start", null).status());
        long b0 = num(f.stats(other), "blocks");
        assertTrue(waitFor(20, () -> {
            try {
                return num(f.stats(other), "blocks") >= b0 + 2;
            } catch (Exception e) {
                return false;
            }
        }));
        ServeFixture.Reply stop = f.post("/api/sessions/" + other + "/recording/stop", null);
        assertEquals(200, stop.status(), stop.body());
        var mp4 = f.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(f.base + "/api/sessions/" + other + "/recording")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, mp4.statusCode());
        assertEquals("ftyp", new String(mp4.body(), 4, 4), "an MP4 file");
        // and everything still answers
        assertEquals(200, f.get("/api/health").status());
        assertEquals(200, f.get("/api/sessions/" + other + "/stats").status());
        f.send("DELETE", "/api/sessions/" + id, null, null);
        f.send("DELETE", "/api/sessions/" + other, null, null);
    }

    @Test
    void twoSessionsShareTheModelAndBothRunInRealTime() throws Exception {
        String a = f.newSession(), b = f.newSession();
        f.send("POST", "/api/sessions/" + a + "/audio", wav(2, 170), "audio/wav");
        f.send("POST", "/api/sessions/" + b + "/audio", wav(2, 240), "audio/wav");
        assertTrue(waitFor(40, () -> {
            try {
                return num(f.stats(a), "turns") == 1 && num(f.stats(b), "turns") == 1;
            } catch (Exception e) {
                return false;
            }
        }), "both turns finish");
        for (String id : new String[] {a, b}) {
            Map<String, Object> st = f.stats(id);
            assertTrue(num(st, "frames") >= 33, st.toString());
            assertTrue(((Number) st.get("real_time_factor")).doubleValue() < 1, "each session faster than real time: " + st);
        }
        assertTrue(!f.stats(a).get("sink_hash").equals(f.stats(b).get("sink_hash")), "each session has its own sinks (own seed and audio)");
        f.send("DELETE", "/api/sessions/" + a, null, null);
        f.send("DELETE", "/api/sessions/" + b, null, null);
    }

    static ServeFixture.Reply multipartImage(byte[] image) throws Exception {
        String boundary = "b0undary";
        var body = new java.io.ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\na person\r\n").getBytes());
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\n").getBytes());
        body.writeBytes(image);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes());
        return f.send("POST", "/api/sessions", body.toByteArray(), "multipart/form-data; boundary=" + boundary);
    }
}
