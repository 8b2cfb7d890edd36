package io.ssebroker.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ssebroker.server.testing.WarningLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Key rotation without a restart: {@link JwtKeyFiles#reloadIfChanged()} called directly, as the poll thread would,
 * after each change to a JWKS or secret file. Both keys of a pair share one {@code kid}, so a refused token is
 * refused by its signature, not because its key id went missing.
 * <p>
 * Each rewrite also moves the file's modification time a few seconds on: two writes within one tick of the file
 * system's clock (and two JWKS of one curve have one size) would otherwise look unchanged, which is this class's
 * documented blind spot, not what these tests are about.
 */
class JwtKeyFilesTest
{
    private static final String KEY_ID = "signing-key";

    private final WarningLog warnings = WarningLog.install();

    @TempDir
    Path dir;

    @AfterEach
    void tearDown()
    {
        warnings.close();
    }

    @Test
    void shouldVerifyWithTheNewJwksAndRefuseTheOldKeyAfterAReload() throws Exception
    {
        final ECKey a = ecKey();
        final ECKey b = ecKey();
        final Path jwks = dir.resolve("jwks.json");
        write(jwks, jwks(a));
        final JwtKeyFiles keys = JwtKeyFiles.load(null, jwks.toString());
        final String tokenA = token(new ECDSASigner(a), JWSAlgorithm.ES256);
        final String tokenB = token(new ECDSASigner(b), JWSAlgorithm.ES256);
        assertAccepted(keys, tokenA);
        assertRefused(keys, tokenB);

        write(jwks, jwks(b));
        assertEquals(JwtKeyFiles.RELOADED, keys.reloadIfChanged());
        assertAccepted(keys, tokenB);
        assertRefused(keys, tokenA);
        assertEquals("", warnings.drain());
    }

    @Test
    void shouldKeepThePreviousKeysAndWarnOnceWhenTheNewFileIsInvalid() throws Exception
    {
        final ECKey a = ecKey();
        final Path jwks = dir.resolve("jwks.json");
        write(jwks, jwks(a));
        final JwtKeyFiles keys = JwtKeyFiles.load(null, jwks.toString());
        final String tokenA = token(new ECDSASigner(a), JWSAlgorithm.ES256);
        final Authenticator before = keys.authenticator();

        write(jwks, "{\"keys\": [");
        assertEquals(JwtKeyFiles.KEPT_PREVIOUS, keys.reloadIfChanged());
        assertSame(before, keys.authenticator());
        assertAccepted(keys, tokenA);
        final String warning = warnings.drain();
        assertTrue(warning.startsWith("WARNING") && warning.contains("jwt-public-key-file") &&
            warning.contains("previous keys stay in use"), warning);

        assertEquals(JwtKeyFiles.UNCHANGED, keys.reloadIfChanged(), "the same bad file is not tried again");
        assertEquals("", warnings.drain());

        // A private key is refused as at start: it must never become a verification key by a reload.
        write(jwks, new JWKSet(a).toString(false));
        assertEquals(JwtKeyFiles.KEPT_PREVIOUS, keys.reloadIfChanged());
        assertAccepted(keys, tokenA);
        assertTrue(warnings.drain().contains("private key"));

        Files.delete(jwks);
        assertEquals(JwtKeyFiles.KEPT_PREVIOUS, keys.reloadIfChanged());
        assertAccepted(keys, tokenA);
        assertTrue(warnings.drain().contains("cannot be read"));
    }

    @Test
    void shouldNotRebuildTheKeysWhileTheFilesAreUnchanged() throws Exception
    {
        final Path jwks = dir.resolve("jwks.json");
        write(jwks, jwks(ecKey()));
        final JwtKeyFiles keys = JwtKeyFiles.load(null, jwks.toString());
        final Authenticator before = keys.authenticator();
        assertEquals(JwtKeyFiles.UNCHANGED, keys.reloadIfChanged());
        assertSame(before, keys.authenticator());
    }

    @Test
    void shouldReloadARotatedHs256Secret() throws Exception
    {
        final byte[] first = "first-secret-of-at-least-32-bytes!!".getBytes(StandardCharsets.US_ASCII);
        final byte[] second = "second-secret-of-at-least-32-bytes!".getBytes(StandardCharsets.US_ASCII);
        final Path secret = dir.resolve("jwt.secret");
        write(secret, new String(first, StandardCharsets.US_ASCII) + "\n");
        final JwtKeyFiles keys = JwtKeyFiles.load(secret.toString(), null);
        final String tokenFirst = token(new MACSigner(first), JWSAlgorithm.HS256);
        final String tokenSecond = token(new MACSigner(second), JWSAlgorithm.HS256);
        assertAccepted(keys, tokenFirst);

        write(secret, "too-short\n");
        assertEquals(JwtKeyFiles.KEPT_PREVIOUS, keys.reloadIfChanged());
        assertAccepted(keys, tokenFirst);
        assertTrue(warnings.drain().contains("jwt-secret-file"));

        write(secret, new String(second, StandardCharsets.US_ASCII) + "\n");
        assertEquals(JwtKeyFiles.RELOADED, keys.reloadIfChanged());
        assertAccepted(keys, tokenSecond);
        assertRefused(keys, tokenFirst);
    }

    @Test
    void shouldStayOpenWithoutKeyFiles() throws Exception
    {
        final JwtKeyFiles keys = JwtKeyFiles.load(null, null);
        assertSame(Authenticator.OPEN, keys.authenticator());
        assertEquals(JwtKeyFiles.UNCHANGED, keys.reloadIfChanged());
        keys.startPolling(10);
        keys.close();
        assertSame(Authenticator.OPEN, keys.authenticator());
    }

    private static void assertAccepted(final JwtKeyFiles keys, final String token) throws AuthenticationException
    {
        assertTrue(keys.authenticator().authenticate(token).subscribe().allows("news"));
    }

    private static void assertRefused(final JwtKeyFiles keys, final String token)
    {
        final AuthenticationException refused =
            assertThrows(AuthenticationException.class, () -> keys.authenticator().authenticate(token));
        assertEquals(AuthenticationException.Reason.INVALID, refused.reason());
    }

    private static String jwks(final ECKey key)
    {
        return new JWKSet(key.toPublicJWK()).toString();
    }

    private static ECKey ecKey() throws JOSEException
    {
        return new ECKeyGenerator(Curve.P_256).keyID(KEY_ID).generate();
    }

    /** With the shared key id for a public key; without one for HS256, whose secret has no id to match. */
    private static String token(final JWSSigner signer, final JWSAlgorithm algorithm) throws JOSEException
    {
        final String keyId = JWSAlgorithm.HS256 == algorithm ? null : KEY_ID;
        final JWTClaimsSet claims = new JWTClaimsSet.Builder()
            .subject("alice")
            .claim("sse", Map.of("subscribe", List.of("news"), "publish", List.of()))
            .build();
        final SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(keyId).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    /** Writes in place and moves the modification time on, past any file system's timestamp granularity. */
    private static void write(final Path file, final String content) throws IOException
    {
        final FileTime previous = Files.exists(file) ? Files.getLastModifiedTime(file) : null;
        Files.writeString(file, content, StandardCharsets.US_ASCII);
        if (null != previous)
        {
            Files.setLastModifiedTime(file, FileTime.fromMillis(previous.toMillis() + 5000));
        }
    }
}
