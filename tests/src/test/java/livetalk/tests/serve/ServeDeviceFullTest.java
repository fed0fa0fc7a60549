package livetalk.tests.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import livetalk.kernels.Buf;
import livetalk.kernels.DeviceMemoryException;
import livetalk.kernels.ForwardingBackend;
import livetalk.kernels.Weight;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} on a device that fills up, as a GPU does when one session too many asks for its KV
 * cache: the request that does not fit gets a 503 that says why and what to do, the sessions that
 * run go on, and a block that fails part way ends its session (its pages told why) while the
 * server and the other sessions carry on. The device is the CPU backend with switches that make
 * it refuse memory, on the request threads or on the generator thread.
 */
class ServeDeviceFullTest {
    @TempDir
    Path tmp;

    /** The CPU backend, whose allocations can be made to fail as a full device's do. */
    static final class FillableDevice extends ForwardingBackend {
        /** Allocations on the request threads (new sessions, new prompts) fail. */
        volatile boolean fullForRequests;
        /** The generator thread's next product fails (the DiT work of a block). */
        volatile boolean failGenerator;

        FillableDevice() {
            super(new CpuBackend());
        }

        @Override
        public String name() {
            return "fillable " + inner.name();
        }

        private void check(long bytes) {
            if (fullForRequests && !Thread.currentThread().getName().startsWith("livetalk-")) {
                throw new DeviceMemoryException("out of GPU memory: " + bytes + " bytes asked for (test)", bytes);
            }
        }

        @Override
        public Buf alloc(long n) {
            check(4 * n);
            return super.alloc(n);
        }

        @Override
        public Buf alloc(long n, DType dtype) {
            check(n * dtype.byteSize());
            return super.alloc(n, dtype);
        }

        @Override
        public void linear(Buf x, Buf out, int rows, Weight w, Weight bias) {
            if (failGenerator && Thread.currentThread().getName().equals("livetalk-generator")) {
                failGenerator = false;
                throw new DeviceMemoryException("out of GPU memory: a block's product (test)", 1);
            }
            super.linear(x, out, rows, w, bias);
        }
    }

    @Test
    void aSessionThatDoesNotFitGets503AndTheOthersGoOn() throws Exception {
        FillableDevice device = new FillableDevice();
        try (ServeFixture f = new ServeFixture(tmp, 32, 3, null, device)) {
            String a = f.newSession();
            assertTrue(ServeFixture.waitFor(60, () -> blocks(f, a) >= 1), "session a makes blocks");

            device.fullForRequests = true;
            ServeFixture.Reply full = f.post("/api/sessions", null);
            assertEquals(503, full.status(), full.body());
            assertTrue(full.error().contains("out of GPU memory") && full.error().contains("close a session")
                    && full.error().contains("--max-sessions"), full.error());
            assertEquals(1L, ServeFixture.num(f.get("/api/health").map(), "sessions"), "the refused session holds no slot");

            // a turn's new prompt needs its text K/V on the device: refused as the request, not later as the session's block
            ServeFixture.Reply say = f.post("/api/sessions/" + a + "/say", "{\"text\": \"hello\", \"prompt\": \"a person reading the news\"}");
            assertEquals(503, say.status(), say.body());
            assertTrue(say.error().contains("out of GPU memory"), say.error());
            assertEquals(202, f.post("/api/sessions/" + a + "/say", "{\"text\": \"hello\", \"prompt\": \" \"}").status(),
                    "a blank prompt keeps the session's");

            long before = blocks(f, a);
            assertTrue(ServeFixture.waitFor(60, () -> blocks(f, a) > before), "session a goes on while the device is full");

            device.fullForRequests = false;
            String b = f.newSession();
            assertTrue(ServeFixture.waitFor(60, () -> blocks(f, b) >= 1), "once there is room, a new session runs");
        }
    }

    @Test
    void aBlockThatFailsEndsItsSessionAndTheServerGoesOn() throws Exception {
        FillableDevice device = new FillableDevice();
        try (ServeFixture f = new ServeFixture(tmp, 32, 3, null, device)) {
            String a = f.newSession();
            try (ServeFixture.Socket s = f.socket(a)) {
                assertTrue(ServeFixture.waitFor(60, () -> blocks(f, a) >= 1), "session a makes blocks");
                device.failGenerator = true;
                assertTrue(ServeFixture.waitFor(60, () -> s.hasText("\"closed\"")), "the failed session is closed: " + s.texts);
                assertTrue(s.hasText("generation failed, the session is closed") && s.hasText("out of GPU memory"), String.valueOf(s.texts));
                assertEquals(1, s.texts.stream().filter(t -> t.contains("generation failed")).count(), "one error, not one per scheduler round: " + s.texts);
            }
            assertEquals(404, f.get("/api/sessions/" + a + "/stats").status(), "the failed session is gone");
            assertEquals(0L, ServeFixture.num(f.get("/api/health").map(), "sessions"));

            String b = f.newSession();
            assertTrue(ServeFixture.waitFor(60, () -> blocks(f, b) >= 2), "the generator goes on with the next session");
        }
    }

    private static long blocks(ServeFixture f, String id) {
        try {
            Map<String, Object> s = f.stats(id);
            return s == null || s.get("blocks") == null ? -1 : ServeFixture.num(s, "blocks");
        } catch (Exception e) {
            return -1;
        }
    }
}
