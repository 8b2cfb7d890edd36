package io.ssebroker.server.e2e;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ssebroker.server.testing.Await;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.RawHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A running broker picks up a rotated JWKS by itself: its poll thread (here every 20 ms) sees the file replaced,
 * and the next request is verified with the new key. The file is replaced as the README asks, by renaming a new
 * file over it, which gives it a new file key (inode), whatever the granularity of its modification time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JwtKeyReloadTest
{
    private static final ECKey A = ecKey();
    private static final ECKey B = ecKey();
    private static final Path JWKS_FILE = tempFile(A);

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.with(config -> config
        .jwtPublicKeyFile(JWKS_FILE.toString())
        .jwtReloadMs(20));

    @Test
    void shouldVerifyWithTheRotatedKeyWithoutARestart() throws Exception
    {
        final String tokenA = token(A);
        final String tokenB = token(B);
        assertEquals(200, publish(tokenA));
        assertEquals(401, publish(tokenB));

        final Path next = Files.createTempFile(JWKS_FILE.getParent(), "jwks", ".next");
        Files.writeString(next, jwks(B), StandardCharsets.US_ASCII);
        Files.move(next, JWKS_FILE, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        Await.until("the broker to accept a token signed with the new key", () -> 200 == publish(tokenB));
        assertEquals(401, publish(tokenA));
    }

    private static int publish(final String token)
    {
        try
        {
            return RawHttp.exchange(BROKER.httpPort(), "POST", "/publish", "application/x-www-form-urlencoded",
                "topic=news&data=x".getBytes(StandardCharsets.US_ASCII), "Authorization: Bearer " + token).status();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static String token(final ECKey key) throws JOSEException
    {
        final JWTClaimsSet claims = new JWTClaimsSet.Builder()
            .claim("sse", Map.of("subscribe", List.of(), "publish", List.of("news")))
            .build();
        final SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    private static String jwks(final ECKey key)
    {
        return new JWKSet(key.toPublicJWK()).toString();
    }

    /** Both keys share one key id: the old token is refused for its signature, not for a missing kid. */
    private static ECKey ecKey()
    {
        try
        {
            return new ECKeyGenerator(Curve.P_256).keyID("signing-key").generate();
        }
        catch (final JOSEException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static Path tempFile(final ECKey key)
    {
        try
        {
            final Path dir = Files.createTempDirectory("jwt-reload");
            dir.toFile().deleteOnExit();
            final Path file = dir.resolve("jwks.json");
            Files.writeString(file, jwks(key), StandardCharsets.US_ASCII);
            file.toFile().deleteOnExit();
            return file;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
