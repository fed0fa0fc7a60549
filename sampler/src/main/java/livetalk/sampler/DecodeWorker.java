package livetalk.sampler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;
import livetalk.kernels.Backend;
import livetalk.model.vae.StreamingDecoder;

/**
 * The decode side of streaming (docs/sampler.md#streaming): one decoding session's
 * {@link StreamingDecoder} and the thread that runs it. The thread that denoises hands each
 * block over ({@link #submit}) and goes on with the block's clean pass and the next block while
 * the block is decoded here, in the order handed over. Both {@link StreamingPipeline} and the live
 * session use it, so there is one mechanism for the overlap.
 *
 * <p>At most {@link #IN_HAND} blocks are in its hands, the one it decodes and the next: handing
 * over a third waits until the first is done. So memory stays flat, and a decode slower than the
 * DiT holds the DiT back instead of piling up latents; yet neither the clean pass of block k+1
 * nor its denoising waits for the decode of block k.
 *
 * <p>A block's job runs on the decode thread and calls {@link #push} for its latent frames. A push
 * holds the VAE lock given at construction, if any, for that latent frame only: the VAE's
 * workspace and its one decoder tower are shared by every decoding session of a {@code WanVae}
 * ({@code WanVae.decoder}), so sessions that share a VAE take turns per latent frame.
 *
 * <p>Without a thread of its own (overlap off) a job runs on the calling thread inside
 * {@link #submit}.
 */
public final class DecodeWorker implements AutoCloseable {
    /** Blocks in the worker's hands at most: the one it decodes and the next. */
    public static final int IN_HAND = 2;

    private final StreamingDecoder decoder;
    private final Lock vaeLock;                  // null: the VAE is this worker's alone
    private final Backend backend;
    private final Thread thread;                 // null: jobs run on the caller's thread
    private final Object state = new Object();   // guards queue, inHand, failure; closed is written under it
    private final ArrayDeque<Task<?>> queue = new ArrayDeque<>();
    private int inHand;                          // handed over and not finished: queued plus running
    private Throwable failure;                   // the first job that failed: the decoder's history lacks its frames
    private volatile boolean closed;

    /** A block handed over: its job and what it completes. */
    private record Task<T>(Supplier<T> job, CompletableFuture<T> done) {
    }

    /**
     * @param decoder   the decoding session this worker owns (nothing else may push to it)
     * @param backend   the VAE's backend: the decode thread asks it for a queue of its own ({@link Backend#concurrentQueue})
     * @param vaeLock   held around each push, when the VAE is shared with other decoding sessions (null: it is not)
     * @param ownThread decode on a thread of its own (overlap on), else on the caller's thread
     * @param name      the decode thread's name
     */
    public DecodeWorker(StreamingDecoder decoder, Backend backend, Lock vaeLock, boolean ownThread, String name) {
        this.decoder = decoder;
        this.backend = backend;
        this.vaeLock = vaeLock;
        this.thread = ownThread ? Thread.ofPlatform().name(name).daemon().unstarted(this::loop) : null;
        if (thread != null) thread.start();
    }

    /**
     * Hands a block over: {@code job} decodes it (through {@link #push}) and delivers its frames,
     * on the decode thread, after every block handed over before it. Waits while {@link #IN_HAND}
     * blocks are in hand. The returned future completes with the job's result, or with its
     * exception; a job whose block the worker dropped (closed, or an earlier block failed)
     * completes with a {@link CancellationException}.
     *
     * @throws IllegalStateException if the worker is closed
     * @throws RuntimeException      what a block handed over earlier failed with (the decoder's causal
     *                               history lacks that block, so no later frame would be right); without
     *                               a thread of its own, what this block failed with
     */
    public <T> CompletableFuture<T> submit(Supplier<T> job) {
        Task<T> task = new Task<>(job, new CompletableFuture<>());
        synchronized (state) {
            boolean interrupted = false;
            while (inHand >= IN_HAND && !closed && failure == null) {
                try {
                    state.wait();
                } catch (InterruptedException e) {
                    interrupted = true;                  // the handover is not abandoned halfway: wait on, keep the flag
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            checkUsable();
            inHand++;
            if (thread != null) {
                queue.addLast(task);
                state.notifyAll();
                return task.done();
            }
        }
        // no thread of its own: decode now, on this thread, and fail as the job did
        run(task);
        if (task.done().isCompletedExceptionally()) throw rethrowable(task.done().exceptionNow());
        return task.done();
    }

    /**
     * One or more latent frames {@code [n, z, h, w]} → their pixel frames {@code [T, 3, H, W]} in
     * [−1, 1] (1 for the session's latent frame 0, 4 for each later one), under the VAE lock.
     * For the jobs only (on the decode thread, or the caller's without one).
     *
     * @throws CancellationException once the worker is closed: a job stops at its next latent frame
     */
    public float[] push(float[] latents, int n) {
        if (closed) throw new CancellationException("the decoder was closed");
        return underVaeLock(() -> decoder.push(latents, n));
    }

    /** Runs {@code work} on the decoder holding the VAE lock, when the VAE is shared. */
    private <T> T underVaeLock(Supplier<T> work) {
        if (vaeLock == null) return work.get();
        vaeLock.lock();
        try {
            return work.get();
        } finally {
            vaeLock.unlock();
        }
    }

    /** Blocks handed over whose jobs have not finished (queued plus the one decoding), at most {@link #IN_HAND}. */
    public int inHand() {
        synchronized (state) {
            return inHand;
        }
    }

    /** Throws if a block can no longer be handed over: as {@link #submit} would. */
    public void checkUsable() {
        synchronized (state) {
            if (closed) throw new IllegalStateException("the decoder was closed");
            if (failure != null) throw rethrowable(failure);
        }
    }

    /**
     * Waits until every block handed over is done, then throws the first failure, if any. (Not on
     * the decode thread.)
     */
    public void finish() {
        synchronized (state) {
            boolean interrupted = false;
            while (inHand > 0) {
                try {
                    state.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            if (failure != null) throw rethrowable(failure);
        }
    }

    /**
     * Stops the worker and, unless called on the decode thread itself, waits for its thread to end.
     * Blocks not yet started are dropped (their futures cancelled); the block being decoded stops
     * at its next latent frame. Dropping, not draining, because whoever closes a worker discards
     * its decoder: the frames would never be used, and decoding them would only hold the VAE.
     * The wait is one latent frame's push at most. Then, with the thread gone, the decoder's
     * causal history is freed under the VAE lock ({@link StreamingDecoder#release}: 1.2 GiB at
     * 512×512 on a GPU, which a collection would return only late). Without a thread of its own,
     * or on the decode thread itself, a decode may still be running there: the history is left to
     * the collector.
     */
    @Override
    public void close() {
        List<Task<?>> dropped;
        synchronized (state) {
            if (closed) return;
            closed = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
            inHand -= dropped.size();
            state.notifyAll();
        }
        // outside the lock: completing a future runs its dependents on this thread
        for (Task<?> t : dropped) t.done().completeExceptionally(new CancellationException("the decoder was closed before this block"));
        if (thread == null || thread == Thread.currentThread()) return;
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;                      // the thread must not outlive close: wait on, keep the flag
            }
        }
        underVaeLock(() -> {
            decoder.release();
            return null;
        });
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** Whether the decode thread is still running (false without one): for tests. */
    public boolean threadAlive() {
        return thread != null && thread.isAlive();
    }

    // The decode thread asks its backend for a queue of its own (a CUDA stream with
    // LIVETALK_CUDA_STREAMS=2), so that the GPU decodes block k while it refreshes the cache with
    // block k and denoises block k+1. What that requires of the handover (Backend.concurrentQueue)
    // holds here: the latents come over as a host array, the frames go back as one, and each push
    // ends in a read; the decoder's device state is touched by one thread at a time: this worker's
    // history by this thread only, the VAE's shared workspace by whichever worker holds the VAE
    // lock, handed from one to the next after that read. The decoder's weights are the backend's
    // to publish.
    private void loop() {
        try (Backend.Scope q = backend.concurrentQueue()) {
            try {
                decodeUntilClosed();
            } finally {
                backend.trimMemory();                    // this thread's scratch ends with it (0.2 GiB at 512x512 on a GPU), not at a collection
            }
        } catch (InterruptedException e) {
            // nothing interrupts this thread but the JVM's end
        }
    }

    /** The decode thread's work: each block handed over, in order, until the worker is closed. */
    private void decodeUntilClosed() throws InterruptedException {
        while (true) {
            Task<?> task;
            Throwable earlier;
            synchronized (state) {
                while (queue.isEmpty() && !closed) state.wait();
                if (closed) return;                  // close() dropped what was queued
                task = queue.removeFirst();
                earlier = failure;
                if (earlier != null) {
                    inHand--;
                    state.notifyAll();
                }
            }
            if (earlier != null) {
                // an earlier block failed: its successors cannot be decoded right. Completed
                // outside the lock, as everywhere here: a future runs its dependents on this thread.
                task.done().completeExceptionally(new CancellationException("decoding an earlier block failed: " + earlier));
                continue;
            }
            run(task);
        }
    }

    /**
     * Runs a job, books it (one fewer in hand; its failure kept, unless it is a close's
     * cancellation), then completes its future: whoever sees the future done sees the block out
     * of the worker's hands.
     */
    private <T> void run(Task<T> task) {
        T value = null;
        Throwable error = null;
        try {
            value = task.job().get();
        } catch (Throwable e) {
            error = e;
        }
        synchronized (state) {
            inHand--;
            if (error != null && failure == null && !closed) failure = error;
            state.notifyAll();
        }
        if (error == null) task.done().complete(value);
        else task.done().completeExceptionally(error);
    }

    private static RuntimeException rethrowable(Throwable t) {
        if (t instanceof RuntimeException re) return re;
        if (t instanceof Error err) throw err;
        return new IllegalStateException(t);
    }
}
