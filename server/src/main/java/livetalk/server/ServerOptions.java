package livetalk.server;

import java.nio.file.Path;

/**
 * How {@code livetalk serve} runs.
 *
 * @param host            address to bind (127.0.0.1 unless told otherwise)
 * @param port            0 picks a free port
 * @param maxSessions     admission limit: sessions past it are refused with 429
 * @param size            frame size in pixels (512 for the published model)
 * @param dataDir         the server's own folder: uploads (transient) and recordings; no request reaches outside it
 * @param defaultPortrait used when a session is created without an image
 * @param speakingPrompt  prompt of speaking blocks unless a turn brings its own
 * @param listeningPrompt prompt of listening and thinking blocks
 * @param openAi          the OpenAI-compatible speech source, or null for espeak-ng and the microphone echo
 */
public record ServerOptions(String host, int port, int maxSessions, int size, Path dataDir, Path defaultPortrait, String speakingPrompt,
                            String listeningPrompt, OpenAiSpeech.Config openAi) {
    /** Largest upload (image or WAV) and request body. */
    public static final long MAX_UPLOAD_BYTES = 16L << 20;
    /** Largest text of one turn. */
    public static final int MAX_TEXT_CHARS = 2000;
    /** Largest WebSocket message from a page. */
    public static final int MAX_WS_MESSAGE_BYTES = 256 << 10;
}
