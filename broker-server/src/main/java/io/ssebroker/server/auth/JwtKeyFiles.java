package io.ssebroker.server.auth;

import io.netty.util.concurrent.DefaultThreadFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The broker's {@link Authenticator}, built from {@code jwt-secret-file} and {@code jwt-public-key-file} and built
 * again when either file changes, so keys can be rotated (a JWKS gaining a new key, losing an old one) without a
 * restart.
 *
 * <h2>Reloading</h2>
 * Every {@code jwt-reload-ms} one daemon thread compares each file's modification time, size and file key (the
 * inode, where the platform has one) with what it saw last; stat calls only, no reads, until one differs. Then it
 * reads both files and, if they make a valid {@link Authenticator}, swaps it in with one volatile write and logs
 * one line at INFO. If they do not (unreadable, not a key, a private key, a secret under 32 bytes), it logs one
 * line at WARN and the previous keys stay in use; the next change is tried again. Deployments should replace a
 * key file atomically (write a new file, rename it over the old one) so that a half-written file is never seen;
 * a non-atomic write is seen, at worst, as one rejected reload followed by a good one.
 * <p>
 * The poll is off the event loops on purpose: reading a file may block (a network file system), and no request
 * ever waits for it. A token is checked against whichever keys were current when its request arrived.
 * <p>
 * <b>Threading:</b> {@link #authenticator()} from any thread (a volatile read); {@link #reloadIfChanged()} from one
 * thread at a time: the poll thread {@link #startPolling} starts, or a test that started none. The file stamps are
 * that thread's alone.
 */
public final class JwtKeyFiles implements AutoCloseable
{
    /** Neither file changed since the last check. */
    static final int UNCHANGED = 0;
    /** A file changed and the new keys are in use. */
    static final int RELOADED = 1;
    /** A file changed but its keys cannot be used; the previous keys stay in use. */
    static final int KEPT_PREVIOUS = 2;

    private static final Logger LOG = LoggerFactory.getLogger(JwtKeyFiles.class);

    private final String secretFile;
    private final String publicKeyFile;
    /** The keys in use; written by the reloading thread, read by every event loop. */
    private volatile Authenticator authenticator;
    private Stamp secretStamp;
    private Stamp publicKeyStamp;
    private ScheduledExecutorService poller;

    private JwtKeyFiles(final String secretFile, final String publicKeyFile)
    {
        this.secretFile = secretFile;
        this.publicKeyFile = publicKeyFile;
        // Stamps before contents: a change between the two is seen by the next check, never lost.
        this.secretStamp = Stamp.of(secretFile);
        this.publicKeyStamp = Stamp.of(publicKeyFile);
        this.authenticator = Authenticator.fromFiles(secretFile, publicKeyFile);
    }

    /**
     * Reads the key files once; nothing is polled until {@link #startPolling}.
     *
     * @param secretFile    HS256 secret, or null.
     * @param publicKeyFile PEM public key or JWKS, or null.
     * @return the keys; {@link Authenticator#OPEN} for good when both files are null.
     * @throws IllegalArgumentException naming the setting whose file cannot be used: at start a bad file is fatal.
     */
    public static JwtKeyFiles load(final String secretFile, final String publicKeyFile)
    {
        return new JwtKeyFiles(secretFile, publicKeyFile);
    }

    /**
     * @return the keys in use now; callers take it once per request or handshake.
     */
    public Authenticator authenticator()
    {
        return authenticator;
    }

    /**
     * Checks the files every {@code intervalMs} on a daemon thread of its own, until {@link #close}. Does nothing
     * when authentication is off or the interval is 0.
     */
    public void startPolling(final long intervalMs)
    {
        if (!authenticator.enabled() || intervalMs <= 0 || null != poller)
        {
            return;
        }
        final ScheduledThreadPoolExecutor executor =
            new ScheduledThreadPoolExecutor(1, new DefaultThreadFactory("jwt-keys", true));
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        executor.scheduleWithFixedDelay(this::reloadIfChanged, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        poller = executor;
    }

    /**
     * Builds the keys again if a file's stamp changed since the last check.
     *
     * @return {@link #UNCHANGED}, {@link #RELOADED} or {@link #KEPT_PREVIOUS}.
     */
    int reloadIfChanged()
    {
        final Stamp secret = Stamp.of(secretFile);
        final Stamp publicKey = Stamp.of(publicKeyFile);
        if (secret.equals(secretStamp) && publicKey.equals(publicKeyStamp))
        {
            return UNCHANGED;
        }
        final String changed = changed(secret, publicKey);
        // Remembered whether or not the new contents work: a bad file is warned about once, not every poll.
        secretStamp = secret;
        publicKeyStamp = publicKey;
        final Authenticator reloaded;
        try
        {
            reloaded = Authenticator.fromFiles(secretFile, publicKeyFile);
        }
        catch (final IllegalArgumentException ex)
        {
            // The message names the setting and the file that cannot be used, which may not be the one that changed.
            LOG.warn("JWT keys not reloaded after a change to {}, the previous keys stay in use: {}", changed, ex.getMessage());
            return KEPT_PREVIOUS;
        }
        catch (final RuntimeException ex)
        {
            // Unexpected, so with its stack trace; caught because an exception escaping a task of a scheduled
            // executor silently ends the polling.
            LOG.warn("JWT keys not reloaded after a change to {}, the previous keys stay in use", changed, ex);
            return KEPT_PREVIOUS;
        }
        authenticator = reloaded;
        LOG.info("JWT keys reloaded after a change to {}", changed);
        return RELOADED;
    }

    private String changed(final Stamp secret, final Stamp publicKey)
    {
        final boolean secretChanged = !secret.equals(secretStamp);
        final boolean publicKeyChanged = !publicKey.equals(publicKeyStamp);
        return (secretChanged ? "jwt-secret-file " + secretFile : "") +
            (secretChanged && publicKeyChanged ? " and " : "") +
            (publicKeyChanged ? "jwt-public-key-file " + publicKeyFile : "");
    }

    /**
     * Stops polling. Idempotent.
     */
    @Override
    public void close()
    {
        final ScheduledExecutorService poller = this.poller;
        if (null != poller)
        {
            poller.shutdownNow();
        }
    }

    /**
     * What a check compares (the record's equals): modification time, size and file key; {@link #NONE} for a file
     * that is absent, unreadable or not configured.
     */
    private record Stamp(FileTime modified, long size, Object fileKey)
    {
        private static final Stamp NONE = new Stamp(null, -1, null);

        static Stamp of(final String file)
        {
            if (null == file)
            {
                return NONE;
            }
            try
            {
                final BasicFileAttributes attributes = Files.readAttributes(Path.of(file), BasicFileAttributes.class);
                return new Stamp(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
            }
            catch (final IOException ex)
            {
                // Gone or unreadable: a change like any other, which the reload then reports.
                return NONE;
            }
        }
    }
}
