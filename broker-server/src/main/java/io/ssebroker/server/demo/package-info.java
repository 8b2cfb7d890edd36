/**
 * The built-in demo feed: a publisher on the broker's own TCP ingest port, using the shipped Java
 * client. Runs on its own scheduler thread.
 */
package io.ssebroker.server.demo;
