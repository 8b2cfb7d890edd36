package io.ssebroker.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import io.ssebroker.codec.TopicNames;
import io.ssebroker.server.auth.AuthenticationException.Reason;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the token a client presents into its {@link Access}. Off (everything allowed) unless a JWT key is
 * configured; then every subscribe, HTTP publish and ingest {@code HELLO} needs a valid JWT.
 *
 * <h2>Tokens</h2>
 * <ul>
 *   <li>HS256 with the secret from {@code jwt-secret-file} (the file's bytes, a trailing line break removed;
 *       at least 32 bytes, as RFC 7518 asks of an HS256 key);</li>
 *   <li>RS256/384/512, PS256/384/512 and ES256/384/512 with the key from {@code jwt-public-key-file}: a PEM
 *       {@code PUBLIC KEY}, or a JWKS document (a file starting with <code>{</code>), whose keys are chosen by
 *       {@code kid}.</li>
 * </ul>
 * Both may be configured at once; a token's {@code alg} header decides which key verifies it, and a key is only
 * ever used with algorithms of its own type. {@code exp} and {@code nbf} are checked when present, with
 * {@value #CLOCK_SKEW_S} s of clock skew allowed.
 *
 * <h2>Claims</h2>
 * The claim {@code sse} is an object with two optional arrays of strings, {@code subscribe} and {@code publish}.
 * Each entry is an exact topic name, or a prefix ending in {@code *}. The text {@value #SUBJECT_PLACEHOLDER} in an
 * entry is replaced by the token's {@code sub}, so one token template gives each user a private topic
 * ({@code "subscribe": ["user.{sub}"]}); an entry with the placeholder is dropped when {@code sub} is absent or is
 * not valid in a topic name.
 * <p>
 * <b>Threading:</b> immutable and thread-safe; called on event loops at connect and subscribe time, never per
 * event. Rotating keys builds a new one ({@link JwtKeyFiles}) rather than changing this one.
 */
public final class Authenticator
{
    /** Allowed clock difference for {@code exp} and {@code nbf}, in seconds. */
    public static final int CLOCK_SKEW_S = 30;
    /** Replaced by the token's {@code sub} in the claim's topic entries. */
    public static final String SUBJECT_PLACEHOLDER = "{sub}";
    /** Authentication off: every request gets {@link Access#ALL}. */
    public static final Authenticator OPEN = new Authenticator(null);

    private static final int MIN_HS256_SECRET_BYTES = 32;

    private final DefaultJWTProcessor<SecurityContext> processor;

    private Authenticator(final DefaultJWTProcessor<SecurityContext> processor)
    {
        this.processor = processor;
    }

    /**
     * @param secretFile    HS256 secret, or null.
     * @param publicKeyFile PEM public key or JWKS, or null.
     * @return {@link #OPEN} when both are null, else a JWT authenticator.
     * @throws IllegalArgumentException naming the setting whose file cannot be used.
     */
    public static Authenticator fromFiles(final String secretFile, final String publicKeyFile)
    {
        if (null == secretFile && null == publicKeyFile)
        {
            return OPEN;
        }
        final JWSKeySelector<SecurityContext> secretSelector = null == secretFile ? null : secretSelector(secretFile);
        final JWSKeySelector<SecurityContext> publicSelector = null == publicKeyFile ? null : publicSelector(publicKeyFile);
        final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector((header, context) ->
        {
            final boolean hmac = JWSAlgorithm.Family.HMAC_SHA.contains(header.getAlgorithm());
            final JWSKeySelector<SecurityContext> selector = hmac ? secretSelector : publicSelector;
            return null == selector ? List.of() : selector.selectJWSKeys(header, context);
        });
        final DefaultJWTClaimsVerifier<SecurityContext> verifier =
            new DefaultJWTClaimsVerifier<>(null, new JWTClaimsSet.Builder().build(), Set.of());
        verifier.setMaxClockSkew(CLOCK_SKEW_S);
        processor.setJWTClaimsSetVerifier(verifier);
        return new Authenticator(processor);
    }

    /**
     * @return true when tokens are checked.
     */
    public boolean enabled()
    {
        return null != processor;
    }

    /**
     * @param token the token as presented, or null when the request carried none.
     * @return what the token allows ({@link Access#ALL} when authentication is off).
     * @throws AuthenticationException when a token is needed and this one does not do.
     */
    public Access authenticate(final String token) throws AuthenticationException
    {
        if (null == processor)
        {
            return Access.ALL;
        }
        if (null == token || token.isEmpty())
        {
            throw new AuthenticationException(Reason.MISSING,
                "a token is required (Authorization: Bearer, the access_token cookie or query parameter)");
        }
        final JWTClaimsSet claims;
        try
        {
            claims = processor.process(token, null);
        }
        catch (final ParseException ex)
        {
            throw new AuthenticationException(Reason.INVALID, "the token is not a JWT");
        }
        catch (final BadJOSEException ex)
        {
            if (ex instanceof ExpiredJWTException)
            {
                throw new AuthenticationException(Reason.EXPIRED, "the token has expired");
            }
            if (ex instanceof BadJWTException && String.valueOf(ex.getMessage()).contains("before use time"))
            {
                // DefaultJWTClaimsVerifier's nbf failure has no class of its own, only this message.
                throw new AuthenticationException(Reason.EXPIRED, "the token is not valid yet (nbf)");
            }
            throw new AuthenticationException(Reason.INVALID, "the token was rejected: " + ex.getMessage());
        }
        catch (final JOSEException ex)
        {
            throw new AuthenticationException(Reason.INVALID, "the token could not be verified: " + ex.getMessage());
        }
        return access(claims);
    }

    private static Access access(final JWTClaimsSet claims) throws AuthenticationException
    {
        final String subject = claims.getSubject();
        final Object sse = claims.getClaim("sse");
        if (null == sse)
        {
            return new Access(TopicPatterns.NONE, TopicPatterns.NONE);
        }
        if (!(sse instanceof Map))
        {
            throw new AuthenticationException(Reason.INVALID, "the sse claim must be an object");
        }
        final Map<?, ?> rights = (Map<?, ?>)sse;
        return new Access(
            patterns(rights.get("subscribe"), "subscribe", subject),
            patterns(rights.get("publish"), "publish", subject));
    }

    private static TopicPatterns patterns(final Object value, final String name, final String subject)
        throws AuthenticationException
    {
        if (null == value)
        {
            return TopicPatterns.NONE;
        }
        if (!(value instanceof List))
        {
            throw new AuthenticationException(Reason.INVALID, "sse." + name + " must be an array of strings");
        }
        final boolean subjectUsable = null != subject && null == TopicNames.validate(subject);
        final List<String> entries = new ArrayList<>();
        for (final Object entry : (List<?>)value)
        {
            if (!(entry instanceof String))
            {
                throw new AuthenticationException(Reason.INVALID, "sse." + name + " must be an array of strings");
            }
            final String text = (String)entry;
            if (text.contains(SUBJECT_PLACEHOLDER))
            {
                if (subjectUsable)
                {
                    entries.add(text.replace(SUBJECT_PLACEHOLDER, subject));
                }
            }
            else
            {
                entries.add(text);
            }
        }
        return TopicPatterns.of(entries);
    }

    private static JWSKeySelector<SecurityContext> secretSelector(final String file)
    {
        return new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(hs256Secret(file)));
    }

    /**
     * The HS256 secret of a {@code jwt-secret-file}: its bytes, a trailing line break removed; the broker and
     * {@link TokenMinter} read it alike.
     *
     * @throws IllegalArgumentException naming the setting when the file cannot be read or holds under 32 bytes.
     */
    static byte[] hs256Secret(final String file)
    {
        final byte[] secret = read("jwt-secret-file", file);
        int length = secret.length;
        while (length > 0 && ('\n' == secret[length - 1] || '\r' == secret[length - 1]))
        {
            length--;
        }
        if (length < MIN_HS256_SECRET_BYTES)
        {
            throw new IllegalArgumentException("jwt-secret-file " + file + " holds " + length +
                " bytes; an HS256 secret needs at least " + MIN_HS256_SECRET_BYTES);
        }
        return Arrays.copyOf(secret, length);
    }

    private static JWSKeySelector<SecurityContext> publicSelector(final String file)
    {
        final String text = new String(read("jwt-public-key-file", file), StandardCharsets.US_ASCII).trim();
        final JWKSet keys;
        try
        {
            keys = text.startsWith("{") ? JWKSet.parse(text) : new JWKSet(jwkFromPem(text));
        }
        catch (final ParseException | GeneralSecurityException | IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("jwt-public-key-file " + file +
                " is neither a PEM public key (RSA or EC) nor a JWKS document: " + ex.getMessage(), ex);
        }
        final Set<JWSAlgorithm> algorithms = new HashSet<>();
        for (final JWK key : keys.getKeys())
        {
            if (key.isPrivate())
            {
                throw new IllegalArgumentException("jwt-public-key-file " + file +
                    " holds a private key; give the broker the public key only");
            }
            if (key instanceof RSAKey)
            {
                algorithms.addAll(JWSAlgorithm.Family.RSA);
            }
            else if (key instanceof ECKey)
            {
                algorithms.addAll(JWSAlgorithm.Family.EC);
            }
        }
        if (algorithms.isEmpty())
        {
            throw new IllegalArgumentException("jwt-public-key-file " + file + " holds no RSA or EC public key");
        }
        return new JWSVerificationKeySelector<>(algorithms, new ImmutableJWKSet<>(keys));
    }

    private static JWK jwkFromPem(final String pem) throws GeneralSecurityException
    {
        final String begin = "-----BEGIN PUBLIC KEY-----";
        final String end = "-----END PUBLIC KEY-----";
        final int from = pem.indexOf(begin);
        final int to = pem.indexOf(end);
        if (from < 0 || to < from)
        {
            throw new IllegalArgumentException("no -----BEGIN PUBLIC KEY----- block");
        }
        final byte[] der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
        final X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        PublicKey key;
        try
        {
            key = KeyFactory.getInstance("RSA").generatePublic(spec);
        }
        catch (final GeneralSecurityException notRsa)
        {
            key = KeyFactory.getInstance("EC").generatePublic(spec);
        }
        if (key instanceof RSAPublicKey)
        {
            return new RSAKey.Builder((RSAPublicKey)key).build();
        }
        final ECPublicKey ec = (ECPublicKey)key;
        return new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).build();
    }

    private static byte[] read(final String setting, final String file)
    {
        try
        {
            return Files.readAllBytes(Path.of(file));
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(setting + " " + file + " cannot be read: " + ex, ex);
        }
    }
}
