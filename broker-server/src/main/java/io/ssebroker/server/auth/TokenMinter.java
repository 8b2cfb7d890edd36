package io.ssebroker.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.file.Path;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Signs HS256 tokens with a {@code jwt-secret-file} secret, in the shape {@link Authenticator} checks: for
 * {@code sse-broker token} (development, scripts, tests) and for the demo feed when JWT is on. Production tokens
 * come from the application's own identity service.
 * <p>
 * <b>Threading:</b> immutable.
 */
public final class TokenMinter
{
    private final byte[] secret;

    private TokenMinter(final byte[] secret)
    {
        this.secret = secret;
    }

    /**
     * @param secretFile the file given as {@code jwt-secret-file}, read as the broker reads it.
     * @throws IllegalArgumentException when the file cannot be read or is too short for HS256.
     */
    public static TokenMinter fromSecretFile(final Path secretFile)
    {
        return new TokenMinter(Authenticator.hs256Secret(secretFile.toString()));
    }

    /**
     * @param subject   the {@code sub} claim, or null.
     * @param subscribe topic names or {@code *}-ended prefixes the token may subscribe to.
     * @param publish   the same for publishing.
     * @param ttlSeconds seconds until {@code exp}.
     * @return the compact JWT.
     * @throws IllegalArgumentException when the secret is too short for HS256.
     */
    public String mint(final String subject, final List<String> subscribe, final List<String> publish, final long ttlSeconds)
    {
        final Map<String, Object> rights = new LinkedHashMap<>();
        rights.put("subscribe", subscribe);
        rights.put("publish", publish);
        final long nowMs = System.currentTimeMillis();
        final JWTClaimsSet claims = new JWTClaimsSet.Builder()
            .subject(subject)
            .issueTime(new Date(nowMs))
            .expirationTime(new Date(nowMs + ttlSeconds * 1000))
            .claim("sse", rights)
            .build();
        try
        {
            final SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
            jwt.sign(new MACSigner(secret));
            return jwt.serialize();
        }
        catch (final JOSEException ex)
        {
            throw new IllegalArgumentException("cannot sign with this secret: " + ex.getMessage(), ex);
        }
    }
}
