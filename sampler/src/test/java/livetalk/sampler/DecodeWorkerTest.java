package livetalk.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import livetalk.kernels.Backend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.model.vae.VaeConfig;
import livetalk.model.vae.WanVae;
import livetalk.tensor.Props;
import livetalk.testkit.VaeWeights;
import org.junit.jupiter.api.Test;

/**
 * The decode worker that streaming and live sessions share (docs/sampler.md#streaming): blocks are
 * decoded in the order handed over, at most two in hand (a third handover waits), a failure stops
 * the decoding and reaches the producer, and close drops what was not decoded and ends the thread.
 * Orders of events only: a latch holds a job, and the test looks at what happened meanwhile.
 */
class DecodeWorkerTest {
    private static final Backend BE = new CpuBackend();
    private static final int H = 2, W = 2, FRAME = 16 * H * W;
    private static final WanVae VAE = WanVae.load(VaeWeights.checkpoint(VaeWeights.generate(
            new VaeConfig(2, 16, List.of(1, 2, 4, 4), 1, List.of(false, true, true)), 5)), BE);

    private static DecodeWorker worker(boolean ownThread) {
        return new DecodeWorker(VAE.decoder(H, W), BE, new ReentrantLock(), ownThread, "test-decode");
    }

    private static boolean await(CountDownLatch l) {
        try {
            return l.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until {@code t} waits (on a monitor or a lock), or has ended; true if it waits. */
    private static boolean blocked(Thread t) throws InterruptedException {
        while (t.isAlive()) {
            Thread.State s = t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.BLOCKED) return true;
            Thread.sleep(1);
        }
        return false;
    }

    @Test
    void blocksAreDecodedInOrderOnTheThreadWithTheBitsOfOnePush() throws Exception {
        float[] latents = Props.normal(new SplittableRandom(1), 6 * FRAME);             // [6, z, h, w]: two blocks
        float[] oneShot = VAE.decoder(H, W).push(latents, 6);
        List<float[]> got = new ArrayList<>();
        List<String> threads = new ArrayList<>();
        try (DecodeWorker w = worker(true)) {
            for (int b = 0; b < 2; b++) {
                int block = b;
                w.submit(() -> {
                    threads.add(Thread.currentThread().getName());
                    for (int f = 3 * block; f < 3 * block + 3; f++) got.add(w.push(java.util.Arrays.copyOfRange(latents, f * FRAME, (f + 1) * FRAME), 1));
                    return null;
                });
            }
            w.finish();
            assertEquals(0, w.inHand());
        }
        assertEquals(List.of("test-decode", "test-decode"), threads);
        float[] all = new float[0];
        for (float[] px : got) {
            all = java.util.Arrays.copyOf(all, all.length + px.length);
            System.arraycopy(px, 0, all, all.length - px.length, px.length);
        }
        assertArrayEquals(oneShot, all, "latent frame by latent frame, block by block: the bits of one push");
    }

    @Test
    void aThirdBlockWaitsUntilTheFirstIsDone() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> order = new ArrayList<>();
        try (DecodeWorker w = worker(true)) {
            CompletableFuture<Integer> first = w.submit(() -> {
                await(release);
                order.add(0);
                return 0;
            });
            w.submit(() -> {
                order.add(1);
                return 1;
            });
            assertEquals(2, w.inHand(), "the one being decoded and the next");
            AtomicReference<CompletableFuture<Integer>> third = new AtomicReference<>();
            Thread producer = Thread.ofPlatform().start(() -> third.set(w.submit(() -> {
                order.add(2);
                return 2;
            })));
            assertTrue(blocked(producer), "the third handover waits");
            assertEquals(null, third.get(), "and has not returned");
            assertFalse(first.isDone());
            release.countDown();
            producer.join();
            w.finish();
            assertEquals(2, third.get().get());
        }
        assertEquals(List.of(0, 1, 2), order);
    }

    @Test
    void aFailedBlockStopsTheDecodingAndReachesTheProducer() throws Exception {
        IllegalStateException boom = new IllegalStateException("decoder failed");
        CountDownLatch release = new CountDownLatch(1);
        try (DecodeWorker w = worker(true)) {
            CompletableFuture<Object> bad = w.submit(() -> {
                await(release);
                throw boom;
            });
            CompletableFuture<Object> next = w.submit(() -> "never decoded");
            release.countDown();
            ExecutionException e = assertThrows(ExecutionException.class, bad::get);
            assertSame(boom, e.getCause());
            assertThrows(CancellationException.class, next::join, "a block after a failed one is not decoded: the history lacks one");
            assertSame(boom, assertThrows(IllegalStateException.class, w::finish));
            assertSame(boom, assertThrows(IllegalStateException.class, () -> w.submit(() -> null)), "no later handover");
        }
        // without a thread of its own the failure is thrown at once
        try (DecodeWorker w = worker(false)) {
            String caller = Thread.currentThread().getName();
            assertEquals(caller, w.submit(() -> Thread.currentThread().getName()).join(), "decoded on the caller's thread");
            assertSame(boom, assertThrows(IllegalStateException.class, () -> w.submit(() -> {
                throw boom;
            })));
        }
    }

    @Test
    void closeDropsWhatWasNotDecodedStopsTheCurrentBlockAndEndsTheThread() throws Exception {
        float[] latent = Props.normal(new SplittableRandom(2), FRAME);
        CountDownLatch inJob = new CountDownLatch(1), release = new CountDownLatch(1);
        AtomicReference<Thread> decodeThread = new AtomicReference<>();
        List<Integer> pushed = new ArrayList<>();
        DecodeWorker w = worker(true);
        CompletableFuture<Object> current = w.submit(() -> {
            decodeThread.set(Thread.currentThread());
            w.push(latent, 1);
            pushed.add(0);
            inJob.countDown();
            await(release);
            w.push(latent, 1);                          // after close: throws, the block stops here
            pushed.add(1);
            return null;
        });
        CompletableFuture<Object> queued = w.submit(() -> "never decoded");
        assertTrue(await(inJob));
        Thread closer = Thread.ofPlatform().start(w::close);
        // close drops the queued block at once, then waits for the decode thread
        assertThrows(CancellationException.class, queued::join);
        assertTrue(blocked(closer), "close waits for the block being decoded");
        release.countDown();
        closer.join();
        assertThrows(CancellationException.class, current::join);
        assertEquals(List.of(0), pushed, "the current block stopped at its next latent frame");
        assertFalse(decodeThread.get().isAlive(), "no thread left behind");
        assertFalse(w.threadAlive());
        assertEquals(0, w.inHand());
        assertThrows(IllegalStateException.class, () -> w.submit(() -> null), "closed");
        w.close();                                       // again: nothing
    }
}
