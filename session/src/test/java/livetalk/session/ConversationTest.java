package livetalk.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import livetalk.session.Conversation.State;
import org.junit.jupiter.api.Test;

class ConversationTest {
    static float[] ones(int n) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, 0.5f);
        return x;
    }

    @Test
    void aTurnGoesThinkingSpeakingListening() {
        Conversation c = new Conversation(1, "talk", "listen");
        assertEquals(State.LISTENING, c.take(100).state());
        long e = c.startTurn(null);
        assertEquals(State.THINKING, c.state());
        assertEquals(State.THINKING, c.take(100).state(), "thinking blocks are room tone");
        assertTrue(c.addSpeech(e, ones(150)));
        c.endSpeech(e);
        Conversation.Take t1 = c.take(100);
        assertEquals(State.SPEAKING, t1.state());
        assertTrue(t1.firstOfTurn());
        assertEquals("talk", t1.prompt());
        assertEquals(0.5f, t1.pcm()[0], 0.02f, "speech with tone under it");
        Conversation.Take t2 = c.take(100);                 // the last 50 samples, padded with tone
        assertFalse(t2.firstOfTurn());
        assertEquals(0f, t2.pcm()[99], 0.02f);
        assertEquals(0, c.turns());
        Conversation.Take t3 = c.take(100);
        assertEquals(State.LISTENING, t3.state());
        assertEquals("listen", t3.prompt());
        assertEquals(1, c.turns());
    }

    @Test
    void streamedSpeechWaitsForItsAudio() {
        Conversation c = new Conversation(1, "talk", "listen");
        long e = c.startTurn("new prompt");
        c.addSpeech(e, ones(100));
        assertEquals("new prompt", c.take(100).prompt());
        assertFalse(c.ready(100));
        assertNull(c.take(100), "speaking, the next audio not in yet: wait");
        c.addSpeech(e, ones(60));
        assertNull(c.take(100));
        c.endSpeech(e);
        assertTrue(c.ready(100));
        assertEquals(State.SPEAKING, c.take(100).state());
    }

    @Test
    void bargeInDropsTheRestAndRefusesTheOldSource() {
        Conversation c = new Conversation(1, "talk", "listen");
        long e1 = c.startTurn(null);
        c.addSpeech(e1, ones(1000));
        c.take(100);
        long e2 = c.startTurn(null);                       // the user speaks again mid-turn
        assertEquals(1, c.turns(), "the cut turn counts");
        assertEquals(0, c.queued(), "unspoken audio dropped");
        assertFalse(c.addSpeech(e1, ones(100)), "the cancelled source's late audio is refused");
        assertTrue(c.addSpeech(e2, ones(100)));
        c.interrupt();
        assertEquals(State.LISTENING, c.state());
        assertFalse(c.addSpeech(e2, ones(100)));
    }

    @Test
    void roomToneIsQuietButNotSilent() {
        float[] t = new RoomTone(3).next(160000);
        double sum = 0;
        for (float v : t) sum += v * v;
        double rms = Math.sqrt(sum / t.length);
        assertEquals(RoomTone.LEVEL, rms, RoomTone.LEVEL * 0.05, "−50 dBFS");
    }

    @Test
    void blockClockCoversTheTimelineWithoutGapsOrOverlap() {
        assertEquals(9, BlockClock.frames(0));
        assertEquals(12, BlockClock.frames(1));
        assertEquals(9, BlockClock.firstFrame(1));
        for (long b = 0; b < 50; b++) {
            assertEquals(BlockClock.pcmEnd(b), BlockClock.pcmStart(b + 1));
            assertEquals(BlockClock.lastFrame(b) + 1, BlockClock.firstFrame(b + 1));
            // the offline frame count for F = 3(b+1) latent frames: 1 + 4(F−1)
            assertEquals(1 + 4 * (3 * (b + 1) - 1), BlockClock.lastFrame(b) + 1);
        }
    }

    @Test
    void timelineKeepsOnlyItsCapacity() {
        AudioTimeline t = new AudioTimeline(10);
        for (int i = 0; i < 5; i++) t.append(new float[] {i, i, i, i});
        assertEquals(20, t.end());
        assertEquals(4f, t.read(16, 4)[0]);
        assertEquals(2f, t.read(10, 1)[0]);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> t.read(9, 2));
    }

    @Test
    void aTruncatedAppendLeavesTheTimelineAsBeforeLessWhatItOverwrote() {
        AudioTimeline t = new AudioTimeline(10);
        t.append(new float[] {0, 1, 2, 3, 4, 5, 6, 7});
        t.append(new float[] {8, 9, 10, 11});                 // overwrites samples 0 and 1
        t.truncate(8);
        assertEquals(8, t.end());
        assertEquals(7f, t.read(7, 1)[0]);
        assertEquals(2f, t.read(2, 1)[0]);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> t.read(1, 1), "overwritten by the abandoned append");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> t.read(8, 1), "truncated");
        t.append(new float[] {-8, -9});
        assertEquals(-9f, t.read(9, 1)[0]);
        assertEquals(2f, t.read(2, 1)[0]);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> t.truncate(11));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> t.truncate(1));
    }

    @Test
    void aReplyStartsOnceItsTurnHasAudioForABlockAndUntilItsFirstBlockIsTaken() {
        Conversation c = new Conversation(1, "talk", "listen");
        c.take(100);
        assertFalse(c.replyStarts(100), "listening: no reply");
        long e = c.startTurn(null);
        assertFalse(c.replyStarts(100), "thinking, no audio yet");
        assertEquals(State.THINKING, c.take(100).state(), "a thinking block meanwhile");
        c.addSpeech(e, ones(60));
        assertFalse(c.replyStarts(100), "less than a block, more to come");
        c.addSpeech(e, ones(60));
        assertTrue(c.replyStarts(100));
        Conversation.Take reply = c.take(100);
        assertEquals(State.SPEAKING, reply.state());
        assertTrue(reply.firstOfTurn());
        assertFalse(c.replyStarts(100), "its first block is taken");
        long e2 = c.startTurn(null);                     // a barge-in
        c.addSpeech(e2, ones(40));
        c.endSpeech(e2);
        assertTrue(c.replyStarts(100), "a short finished reply is a block too");
        c.interrupt();
        assertFalse(c.replyStarts(100), "interrupted: listening again");
    }
}
