package livetalk.sampler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.locks.ReentrantLock;
import livetalk.kernels.Buf;
import livetalk.kernels.ForwardingBackend;
import livetalk.kernels.cpu.CpuBackend;
import livetalk.model.vae.StreamingDecoder;
import livetalk.model.vae.VaeConfig;
import livetalk.model.vae.WanVae;
import livetalk.tensor.DType;
import livetalk.tensor.Props;
import livetalk.testkit.VaeWeights;
import org.junit.jupiter.api.Test;

/**
 * A decoding session's causal history is freed when its worker closes (on a GPU it is 1.2 GiB at
 * 512×512, and a collection returns device memory late), whether that session decoded last (its
 * history in the VAE's modules) or another one did since (its history parked): the buffers freed
 * are exactly its history's, and the session that goes on decodes the same bits as if the other
 * had never existed. The backend is the CPU's, with its buffers' frees tracked.
 */
class DecoderHistoryReleaseTest {
    private static final int H = 2, W = 2, FRAME = 16 * H * W;

    /** The CPU backend, recording which buffers are live (allocated, not freed; views count as their buffer). */
    static final class Tracked extends ForwardingBackend {
        final Set<Buf> live = Collections.newSetFromMap(new IdentityHashMap<>());
        final Set<Buf> freedTwice = Collections.newSetFromMap(new IdentityHashMap<>());

        Tracked() {
            super(new CpuBackend());
        }

        @Override
        public String name() {
            return "tracked " + inner.name();
        }

        @Override
        public synchronized Buf alloc(long n) {
            Buf b = super.alloc(n);
            live.add(b);
            return b;
        }

        @Override
        public synchronized Buf alloc(long n, DType dtype) {
            Buf b = super.alloc(n, dtype);
            live.add(b);
            return b;
        }

        @Override
        public synchronized void free(Buf b) {
            if (!live.remove(b)) freedTwice.add(b);
            super.free(b);
        }

        synchronized long liveFloats() {
            return live.stream().mapToLong(Buf::size).sum();
        }
    }

    private static WanVae vae(Tracked be) {
        return WanVae.load(VaeWeights.checkpoint(VaeWeights.generate(new VaeConfig(2, 16, List.of(1, 2, 4, 4), 1, List.of(false, true, true)), 5)), be);
    }

    @Test
    void closingAWorkerFreesItsSessionsHistoryAndTheOtherSessionDecodesOn() {
        for (boolean closedDecodedLast : new boolean[] {true, false}) {
            Tracked be = new Tracked();
            WanVae vae = vae(be);
            ReentrantLock lock = new ReentrantLock();
            float[] a = Props.normal(new SplittableRandom(1), 3 * FRAME), b = Props.normal(new SplittableRandom(2), 6 * FRAME);
            float[] bAlone = vae(new Tracked()).decoder(H, W).push(b, 6);

            DecodeWorker wa = new DecodeWorker(vae.decoder(H, W), be, lock, true, "test-decode-a");
            DecodeWorker wb = new DecodeWorker(vae.decoder(H, W), be, lock, true, "test-decode-b");
            float[] b0 = wb.submit(() -> wb.push(java.util.Arrays.copyOf(b, 3 * FRAME), 3)).join();
            wa.submit(() -> wa.push(a, 3)).join();
            if (!closedDecodedLast) wb.submit(() -> wb.push(java.util.Arrays.copyOfRange(b, 3 * FRAME, 4 * FRAME), 1)).join();

            long before = be.liveFloats();
            wa.close();
            long freed = before - be.liveFloats();
            assertTrue(freed > 0, "closing a's worker freed its history (" + (closedDecodedLast ? "a decoded last" : "b decoded since") + ")");
            assertTrue(be.freedTwice.isEmpty(), "no buffer freed twice");

            int done = closedDecodedLast ? 3 : 4;
            float[] rest = wb.submit(() -> wb.push(java.util.Arrays.copyOfRange(b, done * FRAME, 6 * FRAME), 6 - done)).join();
            int frameSize = 3 * 8 * H * 8 * W;
            int restFrom = (closedDecodedLast ? 9 : 13) * frameSize;
            assertArrayEquals(java.util.Arrays.copyOfRange(bAlone, restFrom, bAlone.length), rest, "b goes on with its own history");
            assertArrayEquals(java.util.Arrays.copyOf(bAlone, b0.length), b0);

            long beforeB = be.liveFloats();
            wb.close();
            assertTrue(beforeB - be.liveFloats() > 0, "closing b's worker freed b's history too");
            assertTrue(be.freedTwice.isEmpty(), "no buffer freed twice");
        }
    }

    /** The history a decoder holds after a block, in floats, from a fresh VAE (what a close must free). */
    @Test
    void theFreedFloatsAreTheSessionsHistory() {
        Tracked be = new Tracked();
        WanVae vae = vae(be);
        DecodeWorker w = new DecodeWorker(vae.decoder(H, W), be, new ReentrantLock(), true, "test-decode");
        w.submit(() -> w.push(Props.normal(new SplittableRandom(3), 3 * FRAME), 3)).join();
        long history = vae.decoderHistoryBytes() / 4;          // float32 on the CPU
        long before = be.liveFloats();
        w.close();
        assertEquals(history, before - be.liveFloats(), "the floats freed are the history's");
        assertEquals(0, vae.decoderHistoryBytes(), "the modules hold no history afterwards");
        StreamingDecoder fresh = vae.decoder(H, W);
        assertEquals(1 * 3 * 8 * H * 8 * W, fresh.push(Props.normal(new SplittableRandom(4), FRAME), 1).length, "the VAE decodes on");
    }
}
