/**
 * The broker's settings: {@link io.ssebroker.server.config.BrokerConfig} (what a broker is built from),
 * {@link io.ssebroker.server.config.Settings} (each setting's one name, range and description) and
 * {@link io.ssebroker.server.config.EffectiveConfig} (defaults, file, environment and flags resolved, with the
 * source of each value). Used once at start-up, on the starting thread.
 */
package io.ssebroker.server.config;
