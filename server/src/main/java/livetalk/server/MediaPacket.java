package livetalk.server;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The binary WebSocket messages, server → page. Every message starts with a 16-byte header
 * (little-endian): {@code u8 kind, u8 state, u8[2] 0, u32 epoch, u32 stamp, u32 n}, then the payload.
 * {@code state} is the turn state the block was made in (0 listening, 1 thinking, 2 speaking).
 *
 * <pre>
 * kind 1  video frame: stamp = frame index (16 fps), n = frame size in px; payload JPEG ({@link livetalk.io.image.Jpeg})
 * kind 2  audio:       stamp = first sample (16 kHz), n = samples;         payload PCM16 LE mono
 * </pre>
 *
 * Both stamps are on the session's one clock ({@link livetalk.session.BlockClock}): frame i plays
 * at sample 1000·i. {@code epoch} is the turn epoch: after a barge-in the page drops anything older.
 * Page → server, kind 3 is microphone audio: {@code stamp} unused, {@code n} = sample rate, payload PCM16.
 */
public final class MediaPacket {
    public static final int VIDEO = 1, AUDIO = 2, MIC = 3, HEADER = 16;

    private MediaPacket() {
    }

    public static ByteBuffer of(int kind, int state, long epoch, long stamp, int n, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) kind).put((byte) state).put((byte) 0).put((byte) 0).putInt((int) epoch).putInt((int) stamp).putInt(n).put(payload);
        return b.flip();
    }
}
