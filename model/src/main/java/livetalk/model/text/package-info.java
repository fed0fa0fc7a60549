/**
 * The text path: prompt cleaning, the SentencePiece unigram tokenizer (from {@code spiece.model} or
 * {@code tokenizer.json}), the umT5 encoder and the on-disk prompt-embedding cache
 * (docs/model.md#umt5). Uses tensor, kernels and io; the pipeline and the commands use it.
 */
package livetalk.model.text;
