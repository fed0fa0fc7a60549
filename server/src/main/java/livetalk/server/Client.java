package livetalk.server;

import io.javalin.websocket.WsContext;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.eclipse.jetty.websocket.api.Callback;

/**
 * One page connected to a session. Messages go through a bounded queue drained by the client's
 * own virtual thread, so a slow or stalled browser never holds up the generator (or the other
 * sessions); a page that falls {@link #QUEUE} messages behind is disconnected.
 */
final class Client {
    /** About 6 blocks of frames at 12 frames + 3 audio (one per latent frame) + 1 stats message each. */
    static final int QUEUE = 96;

    private final WsContext ws;
    private final BlockingQueue<Object> out = new ArrayBlockingQueue<>(QUEUE);
    private final Thread sender;
    private volatile boolean open = true;
    /** After the last message a closed session queues: its sender ends there. */
    private static final Object END = new Object();

    Client(WsContext ws) {
        this.ws = ws;
        this.sender = Thread.ofVirtual().name("ws-send-" + ws.sessionId).start(this::drain);
    }

    String id() {
        return ws.sessionId;
    }

    boolean open() {
        return open;
    }

    void send(Object message) {
        if (!open) return;
        if (!out.offer(message instanceof ByteBuffer b ? b.duplicate() : message)) {
            open = false;
            sender.interrupt();
            try {
                ws.closeSession(1008, "the page fell too far behind the stream");
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
    }

    /**
     * Takes no more messages; what is queued (a closed session's last events among it) still goes
     * out, then the sender ends. A page too far behind to take them is cut off at once.
     */
    void close() {
        if (!open) return;
        open = false;
        if (!out.offer(END)) sender.interrupt();
    }

    private void drain() {
        try {
            while (true) {
                Object m = out.take();
                if (m == END) return;
                // one message in flight at a time, in order: Jetty's send is asynchronous, so wait for each
                Callback.Completable done = new Callback.Completable();
                if (m instanceof ByteBuffer b) {
                    ws.session.sendBinary(b, done);
                } else {
                    ws.session.sendText((String) m, done);
                }
                done.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            // closed
        } catch (RuntimeException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            open = false;   // the socket went away or stopped reading
        }
    }
}
