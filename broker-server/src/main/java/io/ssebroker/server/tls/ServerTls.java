package io.ssebroker.server.tls;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.Base64;

/**
 * A server {@link SslContext} built by {@link TlsContexts}, with the provider that was chosen for it and
 * the certificate chain it presents.
 * <p>
 * <b>Resources:</b> holds no files (the PEM files and the self-signed certificate's temporary files are
 * read into memory and, for the latter, deleted while building) and needs no close: an OpenSSL context
 * is built with {@link SslProvider#OPENSSL}, whose native state is freed when the context is collected,
 * not with {@link SslProvider#OPENSSL_REFCNT}, whose owner would have to release it.
 * <p>
 * <b>Threading:</b> immutable; {@link #sslContext()} may be used from every event loop at once.
 */
public final class ServerTls
{
    private final SslContext sslContext;
    private final SslProvider provider;
    private final X509Certificate[] certificateChain;
    private final boolean selfSigned;

    ServerTls(
        final SslContext sslContext,
        final SslProvider provider,
        final X509Certificate[] certificateChain,
        final boolean selfSigned)
    {
        this.sslContext = sslContext;
        this.provider = provider;
        this.certificateChain = certificateChain.clone();
        this.selfSigned = selfSigned;
    }

    /**
     * @return the server context; add {@code sslContext().newHandler(channel.alloc())} first in each
     * accepted channel's pipeline and read the negotiated protocol from the handler once the handshake
     * completes ({@code null} when the client offered no ALPN: serve HTTP/1.1 then).
     */
    public SslContext sslContext()
    {
        return sslContext;
    }

    /**
     * @return the provider actually in use: {@link SslProvider#OPENSSL} or {@link SslProvider#JDK}.
     */
    public SslProvider provider()
    {
        return provider;
    }

    /**
     * @return the provider for the start-up log line, e.g. {@code "OpenSSL (BoringSSL)"} or
     * {@code "JDK (SunJSSE 17)"}.
     */
    public String providerDescription()
    {
        if (SslProvider.OPENSSL == provider)
        {
            return "OpenSSL (" + OpenSsl.versionString() + ")";
        }
        if (sslContext instanceof JdkSslContext)
        {
            final Provider jsse = ((JdkSslContext)sslContext).context().getProvider();
            return "JDK (" + jsse.getName() + " " + jsse.getVersionStr() + ")";
        }
        return "JDK";
    }

    /**
     * @return a copy of the chain the server presents, leaf first. For a self-signed context this is
     * the one generated certificate: clients and test browsers trust exactly it (or its public key).
     */
    public X509Certificate[] certificateChain()
    {
        return certificateChain.clone();
    }

    /**
     * @return the certificate the server presents.
     */
    public X509Certificate certificate()
    {
        return certificateChain[0];
    }

    /**
     * @return base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo: the form Chromium's
     * {@code --ignore-certificate-errors-spki-list} takes.
     */
    public String spkiSha256Base64()
    {
        try
        {
            final byte[] spki = certificateChain[0].getPublicKey().getEncoded();
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(spki));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("SHA-256 is not available", ex); // every JDK has it
        }
    }

    /**
     * @return true when the certificate was generated at start-up (development only).
     */
    public boolean selfSigned()
    {
        return selfSigned;
    }
}
