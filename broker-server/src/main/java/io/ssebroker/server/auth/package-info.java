/**
 * Authentication and authorisation: the token a request or an ingest {@code HELLO} carries
 * ({@link io.ssebroker.server.auth.RequestTokens}), verified as a JWT ({@link io.ssebroker.server.auth.Authenticator})
 * into what it allows ({@link io.ssebroker.server.auth.Access}, {@link io.ssebroker.server.auth.TopicPatterns}).
 * Runs on event loops at connect and subscribe time, never per event; the key files are checked for changes and
 * read again on a thread of their own ({@link io.ssebroker.server.auth.JwtKeyFiles}).
 */
package io.ssebroker.server.auth;
