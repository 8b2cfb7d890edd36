/**
 * Real-browser testing: headless Chromium as a child process, and a second loopback origin that serves
 * it a page with an {@code EventSource} on the broker and collects, as JSON reports, what that source
 * dispatched. Tests wait for those reports with a deadline; nothing here sleeps to synchronise.
 */
package io.ssebroker.server.testing.browser;
