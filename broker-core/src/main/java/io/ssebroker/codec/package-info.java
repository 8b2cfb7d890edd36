/**
 * SSE wire encoding: turns a sequenced event into the one shared frame every subscriber is sent.
 * Stateless helpers; called on the sequencer thread (events) and on event loops (per-stream
 * control frames such as the retry preamble and reset notices).
 */
package io.ssebroker.codec;
