package livetalk.server;

import java.util.Map;
import livetalk.kernels.DeviceMemoryException;

/**
 * The one generator thread: sessions share one loaded model and take turns at block boundaries.
 * Each round it picks, among the sessions that want a block, the one whose page runs out of
 * media first (earliest deadline first), so no session starves and none runs far ahead. It runs
 * the block's DiT work only; each session decodes its blocks on a thread of its own
 * ({@link ServerSession#step}).
 */
final class BlockScheduler implements AutoCloseable {
    private final Sessions sessions;
    private final Thread thread;
    private final Object wake = new Object();
    private volatile boolean running = true;

    BlockScheduler(Sessions sessions) {
        this.sessions = sessions;
        this.thread = Thread.ofPlatform().name("livetalk-generator").daemon().start(this::loop);
    }

    /** Input arrived: look again now rather than at the next tick. */
    void wake() {
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    private void loop() {
        while (running) {
            long now = System.nanoTime();
            ServerSession next = null;
            for (ServerSession s : sessions.all()) {
                if (s.failure() != null) end(s, s.failure());
                else if (s.due(now) && (next == null || s.deadline() < next.deadline())) next = s;
            }
            if (next == null) {
                synchronized (wake) {
                    try {
                        wake.wait(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                continue;
            }
            try {
                next.step();
            } catch (Exception | Error e) {
                if (!next.closed()) end(next, e);   // a session closed meanwhile refuses the block: nothing to report
            }
        }
    }

    /**
     * Ends a session whose block failed. One session's failure must not stop the others, but a
     * block that failed part way leaves that session's KV cache or decoder in a state nothing can
     * vouch for, and it would fail again at once: the session ends, its pages are told why, the
     * others carry on.
     */
    private void end(ServerSession s, Throwable cause) {
        s.event("error", Map.of("message", "generation failed, the session is closed: " + describe(cause)));
        sessions.discard(s);
        s.close();
    }

    /** The failure for a page: a full device says what to do about it; anything else as it is. */
    static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DeviceMemoryException d) return LiveServer.deviceFull(d);
        }
        return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause().toString() : e.toString();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
