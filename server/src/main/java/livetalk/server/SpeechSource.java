package livetalk.server;

/**
 * The "Thinker/Talker" in front of the avatar: turns what the user typed or said into the speech
 * the avatar speaks. Sources run on their own thread per turn and are cancelled by interrupting
 * that thread (barge-in); they hand audio over in chunks as it is made, so a block can start as
 * soon as its 0.75 s are in.
 */
public interface SpeechSource {
    /** Receives the reply's audio, 16 kHz mono; returns false once the turn was cancelled (stop then). */
    interface Sink {
        boolean accept(float[] pcm16k);
    }

    /** Name shown in the page and in /api/health. */
    String name();

    /** The reply to typed text; returns the reply's text (for the page's transcript). */
    String replyToText(String text, Sink out) throws Exception;

    /**
     * The reply to a microphone utterance (16 kHz mono), or null if this source echoes the
     * microphone instead (the avatar lip-syncs the user as the audio arrives).
     */
    default String replyToSpeech(float[] speech16k, Sink out) throws Exception {
        return null;
    }

    /** Whether microphone audio is spoken back as it arrives (no transcription, no reply). */
    default boolean echoesMicrophone() {
        return true;
    }

    /** The user cut the last reply after hearing {@code fraction} of it: trim the conversation memory to what was heard. */
    default void heard(double fraction) {
    }
}
