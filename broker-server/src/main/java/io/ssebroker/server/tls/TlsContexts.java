package io.ssebroker.server.tls;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.handler.ssl.util.SelfSignedCertificate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.DSAKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.EdECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Locale;

/**
 * Builds the server {@link SslContext} of the broker's TLS port, either from PEM files
 * ({@link #fromPem(Path, Path, Provider)}) or from a certificate generated at start-up for development
 * ({@link #selfSigned(Provider)}).
 * <p>
 * Every context offers {@code h2} then {@code http/1.1} through ALPN and is limited to the cipher suites
 * HTTP/2 allows ({@link Http2SecurityUtil#CIPHERS}, less those the provider lacks).
 * <p>
 * <b>Providers:</b> {@link Provider#AUTO} takes OpenSSL (the BoringSSL of netty-tcnative-boringssl-static)
 * where its native library loads and supports ALPN, and the JDK's TLS otherwise; {@link Provider#OPENSSL}
 * and {@link Provider#JDK} force one and fail when it cannot be had. {@link ServerTls#provider()} says
 * which one was taken.
 * <p>
 * <b>Errors:</b> a file that cannot be read or parsed, or a key that does not belong to the certificate,
 * is an {@link IllegalArgumentException} whose message starts with the command-line flag(s) concerned
 * ({@value #CERT_FLAG}, {@value #KEY_FLAG}, {@value #PROVIDER_FLAG}), so {@code Main} can print it as it is.
 * <p>
 * <b>Threading:</b> stateless; call on the start-up thread, never on an event loop: reading files and
 * generating a key pair block.
 */
public final class TlsContexts
{
    /** Flag naming the PEM certificate chain file, leaf first. */
    public static final String CERT_FLAG = "--tls-cert";

    /** Flag naming the PEM private key file (PKCS#8, unencrypted). */
    public static final String KEY_FLAG = "--tls-key";

    /** Flag choosing the provider: {@code auto}, {@code openssl} or {@code jdk}. */
    public static final String PROVIDER_FLAG = "--tls-provider";

    /** Host name the self-signed certificate is issued to (its subject's CN; Netty adds no subjectAltName). */
    public static final String SELF_SIGNED_HOST = "localhost";

    // NO_ADVERTISE + ACCEPT is the one pair both providers implement on the server side (the OpenSSL context
    // rejects FATAL_ALERT selectors). A client whose offer shares nothing with ours then gets no protocol
    // rather than a failed handshake, and is served HTTP/1.1 as one that offered no ALPN at all.
    private static final ApplicationProtocolConfig ALPN = new ApplicationProtocolConfig(
        Protocol.ALPN,
        SelectorFailureBehavior.NO_ADVERTISE,
        SelectedListenerFailureBehavior.ACCEPT,
        ApplicationProtocolNames.HTTP_2,
        ApplicationProtocolNames.HTTP_1_1);

    private static final String SELF_SIGNED_KEY_ALGORITHM = "EC";
    private static final int SELF_SIGNED_KEY_BITS = 256;

    private static final Logger LOG = LoggerFactory.getLogger(TlsContexts.class);

    /**
     * Which TLS implementation to use; the values of {@value TlsContexts#PROVIDER_FLAG}.
     */
    public enum Provider
    {
        /** OpenSSL where it loads and supports ALPN, else the JDK. */
        AUTO,
        /** netty-tcnative's BoringSSL; fails when the native library does not load. */
        OPENSSL,
        /** The JDK's SSLEngine. */
        JDK;

        /**
         * @param value {@code auto}, {@code openssl} or {@code jdk}, in any case.
         * @return the provider named.
         * @throws IllegalArgumentException naming {@value TlsContexts#PROVIDER_FLAG} and the allowed values.
         */
        public static Provider fromFlag(final String value)
        {
            for (final Provider provider : values())
            {
                if (provider.name().equalsIgnoreCase(value))
                {
                    return provider;
                }
            }
            throw new IllegalArgumentException(PROVIDER_FLAG + " must be one of auto, openssl, jdk, was '" + value + "'");
        }

        /**
         * @return the value as written on the command line.
         */
        public String flagValue()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private TlsContexts()
    {
    }

    /**
     * Builds a context that presents the certificate chain of one PEM file with the private key of another.
     *
     * @param certChainFile PEM certificates, the server's first, then its intermediates ({@value #CERT_FLAG}).
     * @param keyFile       the server's private key, PEM, PKCS#8 and unencrypted ({@value #KEY_FLAG}).
     * @param provider      which TLS implementation to use.
     * @return the context, its provider and its chain.
     * @throws IllegalArgumentException when a file cannot be read or parsed, when the key does not belong to
     *                                  the first certificate, or when a forced provider is unavailable.
     */
    public static ServerTls fromPem(final Path certChainFile, final Path keyFile, final Provider provider)
    {
        final byte[] certBytes = read(CERT_FLAG, "certificate file", certChainFile);
        final byte[] keyBytes = read(KEY_FLAG, "private key file", keyFile);

        final X509Certificate[] chain;
        try
        {
            chain = NettyPem.certificates(certBytes);
        }
        catch (final CertificateException ex)
        {
            throw new IllegalArgumentException(
                CERT_FLAG + ": no PEM certificate in '" + certChainFile + "': " + reason(ex), ex);
        }

        final PrivateKey key;
        try
        {
            key = NettyPem.privateKey(keyBytes);
        }
        catch (final GeneralSecurityException | IOException ex)
        {
            throw new IllegalArgumentException(
                KEY_FLAG + ": no PKCS#8 PEM private key in '" + keyFile + "': " + reason(ex), ex);
        }

        if (!belongsTo(key, chain[0].getPublicKey()))
        {
            throw new IllegalArgumentException(
                CERT_FLAG + ", " + KEY_FLAG + ": the private key in '" + keyFile +
                "' does not belong to the first certificate in '" + certChainFile + "' (" +
                chain[0].getSubjectX500Principal().getName() + ")");
        }

        final SslProvider sslProvider = choose(provider);
        try
        {
            return new ServerTls(build(key, chain, sslProvider), sslProvider, chain, false);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new IllegalArgumentException(
                CERT_FLAG + ", " + KEY_FLAG + ": cannot build a TLS context from '" + certChainFile + "' and '" +
                keyFile + "': " + reason(ex), ex);
        }
    }

    /**
     * Builds a context around a certificate for {@value #SELF_SIGNED_HOST} generated now (EC P-256) and logs a
     * warning that it is for development only. Its temporary PEM files are deleted before this returns: the
     * context holds the key and certificate in memory. Trust it in clients through
     * {@link ServerTls#certificate()}.
     *
     * @param provider which TLS implementation to use.
     * @return the context, its provider and the generated certificate.
     * @throws IllegalArgumentException when a forced provider is unavailable.
     * @throws IllegalStateException    when no certificate can be generated (BouncyCastle missing).
     */
    public static ServerTls selfSigned(final Provider provider)
    {
        final SslProvider sslProvider = choose(provider);
        final PrivateKey key;
        final X509Certificate certificate;
        try
        {
            // Netty's other constructors take an insecure random to save start-up time; a key that serves
            // real connections, even in development, is drawn from a SecureRandom.
            final SelfSignedCertificate generated = new SelfSignedCertificate(
                SELF_SIGNED_HOST, new SecureRandom(), SELF_SIGNED_KEY_ALGORITHM, SELF_SIGNED_KEY_BITS);
            key = generated.key();
            certificate = generated.cert();
            generated.delete();
        }
        catch (final CertificateException ex)
        {
            throw new IllegalStateException(
                "cannot generate a self-signed certificate for " + SELF_SIGNED_HOST +
                " (is BouncyCastle's bcpkix on the class path?): " + reason(ex), ex);
        }

        final X509Certificate[] chain = { certificate };
        final ServerTls tls;
        try
        {
            tls = new ServerTls(build(key, chain, sslProvider), sslProvider, chain, true);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot build a TLS context for the self-signed certificate: " + reason(ex), ex);
        }

        LOG.warn(
            "TLS is serving a SELF-SIGNED certificate for " + SELF_SIGNED_HOST + " generated at start-up: for development only. " +
            "Browsers and clients reject it unless told to accept it (curl -k; Chromium " +
            "--ignore-certificate-errors-spki-list=" + tls.spkiSha256Base64() + "). " +
            "Give " + CERT_FLAG + " and " + KEY_FLAG + " to serve a real certificate.");
        return tls;
    }

    /**
     * @param provider the provider asked for.
     * @return the provider that contexts are built with: {@link SslProvider#OPENSSL} or {@link SslProvider#JDK}.
     * @throws IllegalArgumentException when a forced provider is unavailable or lacks ALPN.
     */
    public static SslProvider choose(final Provider provider)
    {
        switch (provider)
        {
            case OPENSSL:
                if (!OpenSsl.isAvailable())
                {
                    throw new IllegalArgumentException(
                        PROVIDER_FLAG + " openssl: netty-tcnative did not load: " + reason(OpenSsl.unavailabilityCause()));
                }
                if (!SslProvider.isAlpnSupported(SslProvider.OPENSSL))
                {
                    throw new IllegalArgumentException(
                        PROVIDER_FLAG + " openssl: " + OpenSsl.versionString() + " does not support ALPN");
                }
                return SslProvider.OPENSSL;

            case JDK:
                if (!SslProvider.isAlpnSupported(SslProvider.JDK))
                {
                    throw new IllegalArgumentException(PROVIDER_FLAG + " jdk: this JDK's TLS does not support ALPN");
                }
                return SslProvider.JDK;

            case AUTO:
            default:
                if (OpenSsl.isAvailable() && SslProvider.isAlpnSupported(SslProvider.OPENSSL))
                {
                    return SslProvider.OPENSSL;
                }
                // Logged here because only here is the reason known; the caller logs the choice itself.
                LOG.info("TLS falls back to the JDK provider: OpenSSL " + (OpenSsl.isAvailable() ?
                    OpenSsl.versionString() + " does not support ALPN" :
                    "did not load: " + reason(OpenSsl.unavailabilityCause())));
                return choose(Provider.JDK);
        }
    }

    private static SslContext build(final PrivateKey key, final X509Certificate[] chain, final SslProvider sslProvider)
        throws IOException
    {
        return SslContextBuilder.forServer(key, chain)
            .sslProvider(sslProvider)
            .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
            .applicationProtocolConfig(ALPN)
            .build();
    }

    private static byte[] read(final String flag, final String what, final Path file)
    {
        try
        {
            return Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            throw cannotRead(flag, what, file, "no such file", ex);
        }
        catch (final AccessDeniedException ex)
        {
            throw cannotRead(flag, what, file, "permission denied", ex);
        }
        catch (final IOException ex)
        {
            throw cannotRead(flag, what, file, reason(ex), ex);
        }
    }

    private static IllegalArgumentException cannotRead(
        final String flag, final String what, final Path file, final String reason, final IOException cause)
    {
        return new IllegalArgumentException(flag + ": cannot read " + what + " '" + file + "': " + reason, cause);
    }

    /**
     * Whether the private key is the one of the certificate's public key. Checked here because neither
     * provider does it while building: a wrong key would only show as every handshake failing.
     */
    private static boolean belongsTo(final PrivateKey key, final PublicKey publicKey)
    {
        if (key instanceof RSAKey)
        {
            // The modulus identifies an RSA key pair; no signature needed (and RSASSA-PSS keys need parameters).
            return publicKey instanceof RSAKey && ((RSAKey)key).getModulus().equals(((RSAKey)publicKey).getModulus());
        }

        final String family;
        final String algorithm;
        if (key instanceof ECKey)
        {
            family = "EC";
            algorithm = "SHA256withECDSA";
        }
        else if (key instanceof EdECKey)
        {
            family = "EdDSA";
            algorithm = "EdDSA";
        }
        else if (key instanceof DSAKey)
        {
            family = "DSA";
            algorithm = "SHA256withDSA";
        }
        else
        {
            return true; // a key type we cannot test: the handshake will tell
        }

        // BouncyCastle's PEM reader returns its own key classes, whose EC keys call themselves "ECDSA" and
        // which the JDK's signature engines therefore refuse; the same PKCS#8 bytes read by the JDK sign.
        final byte[] encoded = key.getEncoded();
        final PrivateKey signingKey;
        try
        {
            signingKey = null == encoded ? null : KeyFactory.getInstance(family).generatePrivate(new PKCS8EncodedKeySpec(encoded));
        }
        catch (final GeneralSecurityException ex)
        {
            return true; // cannot re-read it: the handshake will tell
        }
        if (null == signingKey)
        {
            return true;
        }

        final byte[] challenge = "sse-broker key check".getBytes(StandardCharsets.US_ASCII);
        try
        {
            final Signature signer = Signature.getInstance(algorithm);
            signer.initSign(signingKey);
            signer.update(challenge);
            final byte[] signature = signer.sign();

            final Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        }
        catch (final GeneralSecurityException ex)
        {
            return false; // e.g. an EC key with an RSA certificate: initVerify rejects the key
        }
    }

    private static String reason(final Throwable ex)
    {
        if (null == ex)
        {
            return "unknown cause";
        }
        final String message = null == ex.getMessage() ? ex.getClass().getSimpleName() : ex.getMessage();
        final Throwable cause = ex.getCause();
        if (null != cause && null != cause.getMessage() && !message.contains(cause.getMessage()))
        {
            return message + ": " + cause.getMessage();
        }
        return message;
    }

    /**
     * Reaches Netty's PEM readers, which are protected statics of {@link SslContext}, so the files are parsed
     * exactly as {@code SslContextBuilder.forServer(File, File)} would parse them (with BouncyCastle's reader
     * first where it is present, which also takes PKCS#1 and SEC1 keys). Never instantiated.
     */
    private abstract static class NettyPem extends SslContext
    {
        static X509Certificate[] certificates(final byte[] pem) throws CertificateException
        {
            return toX509Certificates(new ByteArrayInputStream(pem));
        }

        static PrivateKey privateKey(final byte[] pem) throws GeneralSecurityException, IOException
        {
            final PrivateKey key = toPrivateKey(new ByteArrayInputStream(pem), null);
            if (null == key)
            {
                throw new KeyException("no private key found");
            }
            return key;
        }
    }
}
