package livetalk.tests.serve;

import static livetalk.tests.serve.ServeFixture.num;
import static livetalk.tests.serve.ServeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import livetalk.server.OpenAiSpeech;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAI-compatible speech source against a local fake endpoint: replies, voice, transcription, failures. */
class ServeOpenAiTest {
    @TempDir
    Path tmp;

    @Test
    void typedAndSpokenTurnsGoThroughTheEndpointAndFailuresAreReported() throws Exception {
        try (FakeOpenAi fake = new FakeOpenAi();
             ServeFixture f = new ServeFixture(tmp, 64, 2, new OpenAiSpeech.Config(fake.url(), "sk-test", "chat-m", "tts-m", "nova", "stt-m"))) {
            String id = f.newSession();
            try (ServeFixture.Socket s = f.socket(id)) {
                // a typed turn: chat → speech, the reply streamed into the session
                assertEquals(202, f.post("/api/sessions/" + id + "/say", "{\"text\":\"good morning avatar\"}").status());
                assertTrue(waitFor(30, () -> s.hasText("You said: good morning avatar")), s.texts.toString());
                assertTrue(waitFor(30, () -> {
                    try {
                        return num(f.stats(id), "turns") == 1;
                    } catch (Exception e) {
                        return false;
                    }
                }));
                FakeOpenAi.Call chat = fake.calls("/v1/chat/completions").getFirst();
                assertEquals("Bearer sk-test", chat.auth());
                assertTrue(chat.text().contains("\"model\":\"chat-m\"") && chat.text().contains("good morning avatar"), chat.text());
                FakeOpenAi.Call tts = fake.calls("/v1/audio/speech").getFirst();
                assertTrue(tts.text().contains("\"response_format\":\"pcm\"") && tts.text().contains("\"voice\":\"nova\"")
                        && tts.text().contains("You said: good morning avatar"), tts.text());

                // a microphone turn: PCM16 packets, mic_end → transcription → chat → speech
                byte[] pkt = new byte[16 + 2 * 1600];
                ByteBuffer b = ByteBuffer.wrap(pkt).order(ByteOrder.LITTLE_ENDIAN);
                b.put(0, (byte) 3).putInt(12, 16000);
                for (int i = 0; i < 1600; i++) b.putShort(16 + 2 * i, (short) (5000 * Math.sin(i * 0.1)));
                for (int k = 0; k < 8; k++) s.ws.sendBinary(ByteBuffer.wrap(pkt), true).join();
                s.ws.sendText("{\"type\":\"mic_end\"}", true).join();
                assertTrue(waitFor(30, () -> s.hasText("You said: " + FakeOpenAi.TRANSCRIPT)), s.texts.toString());
                FakeOpenAi.Call stt = fake.calls("/v1/audio/transcriptions").getFirst();
                assertTrue(stt.contentType().startsWith("multipart/form-data") && stt.text().contains("stt-m") && stt.text().contains("RIFF"),
                        "a multipart upload with the model and a WAV");
                // the second chat carries the conversation so far
                assertTrue(fake.calls("/v1/chat/completions").get(1).text().contains("good morning avatar"), "conversation memory");

                // a failing endpoint: a clear error in the page, the session goes back to listening and keeps running
                fake.failing = true;
                f.post("/api/sessions/" + id + "/say", "{\"text\":\"are you there\"}");
                assertTrue(waitFor(20, () -> s.hasText("answered 500")), s.texts.toString());
                long blocks = num(f.stats(id), "blocks");
                assertTrue(waitFor(10, () -> {
                    try {
                        return num(f.stats(id), "blocks") > blocks + 1 && "listening".equals(f.stats(id).get("state"));
                    } catch (Exception e) {
                        return false;
                    }
                }), "still generating, listening");
            }
        }
    }

    @Test
    void anUnreachableEndpointIsAClearError() throws Exception {
        int deadPort;
        try (var sock = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = sock.getLocalPort();
        }
        try (ServeFixture f = new ServeFixture(tmp, 64, 1, new OpenAiSpeech.Config("http://127.0.0.1:" + deadPort, null, "m", "t", "v", "s"))) {
            String id = f.newSession();
            try (ServeFixture.Socket s = f.socket(id)) {
                f.post("/api/sessions/" + id + "/say", "{\"text\":\"hello\"}");
                assertTrue(waitFor(20, () -> s.hasText("\"error\"") && s.hasText("speech source")), s.texts.toString());
                assertEquals(200, f.get("/api/health").status());
            }
        }
    }
}
