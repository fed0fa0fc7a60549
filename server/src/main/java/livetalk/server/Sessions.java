package livetalk.server;

import java.security.SecureRandom;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** The live sessions by id, with the admission limit. Ids are random (16 hex digits), so they also work as capabilities. */
final class Sessions {
    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");
    private final Map<String, ServerSession> byId = new ConcurrentHashMap<>();
    private final int max;
    private final SecureRandom random = new SecureRandom();
    private int reserved;

    Sessions(int max) {
        this.max = max;
    }

    /** Reserves a slot and returns a fresh id, or refuses with 429 past the limit. */
    synchronized String reserve() {
        if (byId.size() + reserved >= max) {
            throw new ApiException(429, "the server is at its limit of " + max + " session" + (max == 1 ? "" : "s")
                    + " (--max-sessions); close one (DELETE /api/sessions/{id}) or try later");
        }
        reserved++;
        byte[] b = new byte[8];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    synchronized void release() {
        reserved--;
    }

    synchronized void add(ServerSession s) {
        reserved--;
        byId.put(s.id, s);
    }

    /** The session, or 404 (also for anything that is not an id, so no id can name a path). */
    ServerSession get(String id) {
        ServerSession s = id != null && ID.matcher(id).matches() ? byId.get(id) : null;
        if (s == null) throw new ApiException(404, "no session " + (id == null ? "" : id.length() > 40 ? id.substring(0, 40) + "…" : id));
        return s;
    }

    ServerSession remove(String id) {
        ServerSession s = get(id);
        byId.remove(id);
        return s;
    }

    /** Drops s if it is still registered (a session the server ended itself). */
    void discard(ServerSession s) {
        byId.remove(s.id, s);
    }

    Collection<ServerSession> all() {
        return byId.values();
    }

    int size() {
        return byId.size();
    }

    int max() {
        return max;
    }
}
