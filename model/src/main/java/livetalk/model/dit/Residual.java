package livetalk.model.dit;

import livetalk.kernels.Backend;
import livetalk.kernels.Buf;
import livetalk.kernels.Weight;

/**
 * Where a DiT sub-layer's output goes (docs/model.md#dit-block): added into the residual stream
 * {@code x [n, D]}, times its frame's gate when {@code gate} is not null (row r's frame is
 * {@code r / rowsPerFrame}, frame f's gate at offset {@code f·stride} of gate). The sub-layer's last
 * product hands it to {@code Backend.linearResidual}, which may add in its epilogue.
 */
record Residual(Buf x, Buf gate, long stride, int rowsPerFrame) {
    /** {@code x += out}: no gate (the cross-attention). */
    static Residual plain(Buf x) {
        return new Residual(x, null, 0, 1);
    }

    /** {@code x += (a·Wᵀ + bias)·gate}, {@code a [rows, in]}; {@code scratch [rows, out]} float32 where a backend may put the product first. */
    void addProduct(Backend be, Buf a, Buf scratch, int rows, Weight w, Weight bias) {
        be.linearResidual(a, scratch, rows, w, bias, x, gate, stride, rowsPerFrame);
    }
}
