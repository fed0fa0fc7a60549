package livetalk.server;

import java.util.Map;

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
                if (s.due(now) && (next == null || s.deadline() < next.deadline())) next = s;
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
                // one session's failure must not stop the others: report it to its pages and carry on
                // (a session closed meanwhile refuses the block: nothing to report)
                if (!next.closed()) next.event("error", Map.of("message", "generation failed: " + e));
                if (e instanceof OutOfMemoryError) next.close();
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
