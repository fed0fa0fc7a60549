package livetalk.tests.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import livetalk.cli.demo.DemoAssets;
import livetalk.cli.demo.DemoModels;
import livetalk.io.image.ImageFiles;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.session.BlockClock;
import livetalk.session.Conversation;
import livetalk.session.LiveSession;
import livetalk.session.LiveStream;
import livetalk.session.ModelLayout;
import livetalk.session.ModelSet;
import livetalk.session.SamplingPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live session overlaps the decode of block k with the DiT work of block k+1
 * (docs/sampler.md#streaming): {@link LiveSession#submit} returns while the block's frames are
 * still being decoded on the session's decode thread, and the frames that come out are the bits
 * of the one-block-at-a-time {@link LiveSession#next}. Closing a session with blocks pending ends
 * its decode thread. Orders of events, not timings: a latch holds a frame callback, and the test
 * looks at what the producer got done meanwhile.
 */
class LiveSessionOverlapTest {
    private static final int SIZE = 32, BLOCKS = 4;

    @TempDir
    Path tmp;

    private static boolean await(CountDownLatch l) {
        try {
            return l.await(120, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface Body {
        void run(ModelSet set, Path face) throws Exception;
    }

    private void withModels(Body body) throws Exception {
        Path cache = tmp.resolve("cache"), face = tmp.resolve("face.png");
        DemoAssets.portrait(face);
        try (Backend be = new CpuBackend(); ModelSet set = ModelSet.load(ModelLayout.resolve(DemoModels.ensure(cache), null, null, null, null, null), be, cache, System.err)) {
            body.run(set, face);
        }
    }

    @Test
    void theNextBlocksDitWorkRunsWhileABlockIsDecodedAndTheFramesAreTheSameBits() throws Exception {
        withModels((set, face) -> {
            try (LiveSession live = new LiveSession(set, SamplingPlan.official(), ImageFiles.read(face), SIZE, "a person talking", 5);
                 LiveSession ref = new LiveSession(set, SamplingPlan.official(), ImageFiles.read(face), SIZE, "a person talking", 5)) {
                float[][] pcm = new float[BLOCKS][];
                for (int b = 0; b < BLOCKS; b++) pcm[b] = LiveSessionMemoryTest.speech(BlockClock.pcmSamples(b), 170 + 10 * b);
                List<Long> firsts = new ArrayList<>();
                List<byte[]> frames = new ArrayList<>();
                // each block's last frame group is held on the decode thread until the next block's
                // submit has returned, i.e. until its denoising and clean pass are done
                CountDownLatch[] nextDone = new CountDownLatch[BLOCKS];
                boolean[] overlapped = new boolean[BLOCKS];
                List<CompletableFuture<LiveSession.Block>> made = new ArrayList<>();
                for (int b = 0; b < BLOCKS; b++) {
                    int block = b;
                    nextDone[b] = new CountDownLatch(1);
                    long last = BlockClock.firstFrame(b) + BlockClock.frames(b) - 4;          // the first frame of its last group
                    made.add(live.submit(pcm[b], null, (first, rgb) -> {
                        if (first == last && block + 1 < BLOCKS) overlapped[block] = await(nextDone[block]);
                        firsts.add(first);
                        frames.addAll(List.of(rgb));
                    }));
                    if (b > 0) {
                        // block b's DiT work is done while block b−1's last group is still held: two blocks in hand
                        assertEquals(2, live.blocksInHand(), "block " + b);
                        assertTrue(live.submitWouldWait(), "a third block would wait");
                        nextDone[b - 1].countDown();
                    }
                }
                for (CompletableFuture<LiveSession.Block> f : made) f.get(120, TimeUnit.SECONDS);
                for (int b = 0; b + 1 < BLOCKS; b++) assertTrue(overlapped[b], "block " + (b + 1) + "'s DiT work ran while block " + b + " was decoded");
                assertEquals(0, live.blocksInHand());

                // in order, a latent frame's worth at a time, and the bits of the one-block-at-a-time order
                List<Long> expected = new ArrayList<>();
                int frame = 0;
                for (int b = 0; b < BLOCKS; b++) {
                    long f0 = BlockClock.firstFrame(b);
                    expected.addAll(b == 0 ? List.of(0L, 1L, 5L) : List.of(f0, f0 + 4, f0 + 8));
                    LiveSession.Block got = made.get(b).get(), want = ref.next(pcm[b]);
                    assertEquals(want.firstFrame(), got.firstFrame());
                    assertEquals(want.rgb().length, got.rgb().length);
                    for (int i = 0; i < want.rgb().length; i++) {
                        assertArrayEquals(want.rgb()[i], got.rgb()[i], "block " + b + " frame " + i);
                        assertArrayEquals(want.rgb()[i], frames.get(frame++), "block " + b + " frame " + i + " as handed out");
                    }
                    assertTrue(got.ditSeconds() > 0 && got.decodeSeconds() > 0 && got.stageSeconds() <= got.computeSeconds(), got.toString());
                }
                assertEquals(expected, firsts);
                assertEquals(frames.size(), frame);
                assertEquals(ref.sinkHash(), live.sinkHash(), "the same cache after the same blocks");
            }
        });
    }

    /**
     * A block given up between its denoising steps (as a live stream gives up one that a reply
     * overtook) leaves the session as if it had never been started: the same block made again from
     * other audio gives the frames and cache of a session that only ever saw that audio. Block 6 is
     * given up after two steps, so its first step rolled the full window and wrote the block's
     * slots; its retry must neither roll again nor read those slots.
     */
    @Test
    void aBlockGivenUpPartWayLeavesTheSessionAsIfItHadNotBeenStarted() throws Exception {
        withModels((set, face) -> {
            try (LiveSession live = new LiveSession(set, SamplingPlan.official(), ImageFiles.read(face), SIZE, "a person talking", 8);
                 LiveSession ref = new LiveSession(set, SamplingPlan.official(), ImageFiles.read(face), SIZE, "a person talking", 8)) {
                int given = 6, last = 7;
                for (int b = 0; b <= last; b++) {
                    float[] pcm = LiveSessionMemoryTest.speech(BlockClock.pcmSamples(b), 170 + 10 * b);
                    LiveSession.Block got;
                    if (b == 0) {
                        // block 0 is never given up: its first frame is with the decoder before its steps
                        got = live.submit(pcm, null, null, () -> true).get(120, TimeUnit.SECONDS);
                    } else if (b == given) {
                        int[] asked = {0};
                        float[] other = LiveSessionMemoryTest.speech(BlockClock.pcmSamples(b), 999);
                        assertNull(live.submit(other, null, (first, rgb) -> { throw new AssertionError("frames of a block given up"); },
                                () -> ++asked[0] > 2));
                        assertEquals(3, asked[0], "asked before each step until it gave up before the third");
                        assertEquals(given, live.blockIndex(), "the block is still to be made");
                        assertEquals(0, live.blocksInHand(), "nothing handed to the decoder");
                        got = live.submit(pcm, null, null, () -> false).get(120, TimeUnit.SECONDS);
                    } else {
                        got = live.submit(pcm, null, null, () -> false).get(120, TimeUnit.SECONDS);
                    }
                    LiveSession.Block want = ref.next(pcm);
                    assertEquals(want.rgb().length, got.rgb().length);
                    for (int i = 0; i < want.rgb().length; i++) assertArrayEquals(want.rgb()[i], got.rgb()[i], "block " + b + " frame " + i);
                }
                assertEquals(ref.sinkHash(), live.sinkHash(), "the same cache");
            }
        });
    }

    /**
     * Across sessions (serve's scheduler picks the earliest deadline), a session whose reply can
     * start comes first, whatever media its page has queued, until the reply's first block is taken.
     */
    @Test
    void aReplyThatCanStartHasTheEarliestDeadline() throws Exception {
        withModels((set, face) -> {
            LiveStream.Output none = new LiveStream.Output() {
                @Override
                public void frames(Conversation.Take t, long first, byte[][] rgb, float[] pcm) {
                }

                @Override
                public void blockDone(LiveStream.Completed c) {
                }
            };
            try (LiveStream replying = LiveStream.open(set, SamplingPlan.official(), ImageFiles.read(face), SIZE, "a person talking", "a person listening", 11, true);
                 LiveStream listening = LiveStream.open(set, SamplingPlan.official(), ImageFiles.read(face), SIZE, "a person talking", "a person listening", 12, true)) {
                assertNotNull(replying.step(none));
                assertNotNull(listening.step(none));
                long epoch = replying.startTurn(null).epoch();
                assertTrue(replying.deadline() > Long.MIN_VALUE, "thinking, no audio yet: by its page's media");
                replying.conversation().addSpeech(epoch, LiveSessionMemoryTest.speech(BlockClock.pcmSamples(1), 300));
                replying.conversation().endSpeech(epoch);
                assertEquals(Long.MIN_VALUE, replying.deadline());
                assertTrue(replying.deadline() < listening.deadline());
                assertTrue(replying.due(System.nanoTime()) || replying.session().submitWouldWait(), "due unless the decoder is full");
                Conversation.Take first = replying.step(none);
                assertEquals(Conversation.State.SPEAKING, first.state());
                assertTrue(replying.deadline() > Long.MIN_VALUE, "the reply's first block is taken: by its page's media again");
            }
        });
    }

    @Test
    void aFailingFrameCallbackFailsItsBlockButTheSessionGoesOn() throws Exception {
        withModels((set, face) -> {
            try (LiveSession live = new LiveSession(set, SamplingPlan.official(), ImageFiles.read(face), SIZE, "a person talking", 6);
                 LiveSession ref = new LiveSession(set, SamplingPlan.official(), ImageFiles.read(face), SIZE, "a person talking", 6)) {
                IllegalStateException boom = new IllegalStateException("the page went away");
                List<Long> calls = new ArrayList<>();
                CompletableFuture<LiveSession.Block> failed = live.submit(LiveSessionMemoryTest.speech(BlockClock.pcmSamples(0), 170), null, (first, rgb) -> {
                    calls.add(first);
                    throw boom;
                });
                ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(120, TimeUnit.SECONDS));
                assertSame(boom, e.getCause());
                assertEquals(List.of(0L), calls, "not called again for the block");
                // the block was still decoded and committed: the next one is the reference's
                ref.next(LiveSessionMemoryTest.speech(BlockClock.pcmSamples(0), 170));
                float[] pcm = LiveSessionMemoryTest.speech(BlockClock.pcmSamples(1), 180);
                LiveSession.Block got = live.submit(pcm, null, null).get(120, TimeUnit.SECONDS), want = ref.next(pcm);
                for (int i = 0; i < want.rgb().length; i++) assertArrayEquals(want.rgb()[i], got.rgb()[i], "block 1 frame " + i);
            }
        });
    }

    @Test
    void closingWithBlocksPendingDropsThemAndEndsTheDecodeThread() throws Exception {
        withModels((set, face) -> {
            LiveSession live = new LiveSession(set, SamplingPlan.official(), ImageFiles.read(face), SIZE, "a person talking", 7);
            CountDownLatch inCallback = new CountDownLatch(1), release = new CountDownLatch(1);
            AtomicReference<Thread> decodeThread = new AtomicReference<>();
            List<Long> delivered = new ArrayList<>();
            CompletableFuture<LiveSession.Block> decoding = live.submit(LiveSessionMemoryTest.speech(BlockClock.pcmSamples(0), 170), null, (first, rgb) -> {
                delivered.add(first);
                if (first == 0) {
                    decodeThread.set(Thread.currentThread());
                    inCallback.countDown();
                    await(release);
                }
            });
            CompletableFuture<LiveSession.Block> queued = live.submit(LiveSessionMemoryTest.speech(BlockClock.pcmSamples(1), 180), null, (first, rgb) -> delivered.add(first));
            assertTrue(await(inCallback));
            assertEquals(2, live.blocksInHand());
            Thread closer = Thread.ofPlatform().start(live::close);
            // the block not yet started is dropped at once; the one being decoded stops at its next latent frame
            ExecutionException dropped = assertThrows(ExecutionException.class, () -> queued.get(120, TimeUnit.SECONDS));
            assertTrue(dropped.getCause() instanceof CancellationException, dropped.toString());
            release.countDown();
            closer.join();
            ExecutionException stopped = assertThrows(ExecutionException.class, () -> decoding.get(120, TimeUnit.SECONDS));
            assertTrue(stopped.getCause() instanceof CancellationException, stopped.toString());
            assertEquals(List.of(0L), delivered, "nothing decoded after the close");
            assertFalse(decodeThread.get().isAlive(), "the decode thread ended with close");
            assertEquals(0, live.blocksInHand());
            assertThrows(IllegalStateException.class, () -> live.submit(LiveSessionMemoryTest.speech(BlockClock.pcmSamples(2), 190), null, null));
            // the KV cache is freed with the session, not left to a garbage collection
            assertEquals(0, live.memoryBytes());
            assertEquals(0, live.sinkFrames());
            assertThrows(IllegalStateException.class, live::sinkHash);
            assertThrows(IllegalStateException.class, () -> live.switchPrompt("another prompt"));
            live.close();                                // again: nothing
        });
    }
}
