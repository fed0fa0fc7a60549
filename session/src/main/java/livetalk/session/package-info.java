/**
 * The session layer: what {@code generate} and {@code serve} share. A loaded model set
 * ({@link livetalk.session.ModelSet}, by the official layout), the sampling plan (the schedule's
 * one owner), the offline file generation, and live sessions: one KV cache with identity sinks per
 * conversation, audio streamed in block by block, turns (listening, thinking, speaking) and
 * barge-in (docs/architecture.md#data-path). Uses the sampler and below; used by the server and
 * the CLI.
 */
package livetalk.session;
