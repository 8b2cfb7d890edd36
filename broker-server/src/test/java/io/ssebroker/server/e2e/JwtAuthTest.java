package io.ssebroker.server.e2e;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.netty.handler.codec.http2.Http2Headers;
import io.ssebroker.client.IngestClient;
import io.ssebroker.client.IngestErrorCode;
import io.ssebroker.client.IngestException;
import io.ssebroker.metrics.Counter;
import io.ssebroker.server.testing.BrokerExtension;
import io.ssebroker.server.testing.H2cTestClient;
import io.ssebroker.server.testing.RawHttp;
import io.ssebroker.server.testing.RawResponse;
import io.ssebroker.server.testing.SseEvent;
import io.ssebroker.server.testing.SseStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JWT authentication end to end, against a broker with all three key kinds configured (an HS256 secret file, and a
 * JWKS file holding an RSA and an EC public key; a second broker takes a PEM public key): the token from the
 * header, the cookie and the query parameter; 401 for none, a forged, an expired and a not-yet-valid token; 403
 * for a topic the claim does not allow; publishing over HTTP and the ingest port; private topics by {@code sub};
 * and HTTP/2 alike.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JwtAuthTest
{
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef-test-secret".getBytes(StandardCharsets.US_ASCII);
    private static final KeyPair RSA = rsaKeyPair();
    private static final ECKey EC = ecKey();
    private static final Path SECRET_FILE = tempFile("jwt-secret", new String(SECRET, StandardCharsets.US_ASCII) + "\n");
    private static final Path JWKS_FILE = tempFile("jwks", new JWKSet(List.of(
        new com.nimbusds.jose.jwk.RSAKey.Builder((java.security.interfaces.RSAPublicKey)RSA.getPublic()).keyID("rsa-1").build(),
        EC.toPublicJWK())).toString());
    private static final Path PEM_FILE = tempFile("jwt-public", pem(RSA.getPublic().getEncoded()));

    @RegisterExtension
    static final BrokerExtension BROKER = BrokerExtension.with(config -> config
        .jwtSecretFile(SECRET_FILE.toString())
        .jwtPublicKeyFile(JWKS_FILE.toString()));

    @Test
    void shouldRefuseASubscribeWithoutATokenWith401AndAChallenge() throws IOException
    {
        final long before = BROKER.counters().get(Counter.HTTP_UNAUTHORIZED);
        final RawResponse response = RawHttp.get(BROKER.httpPort(), "/events?topic=ticker.AAPL");
        assertEquals(401, response.status(), response.toString());
        assertEquals("Bearer realm=\"sse-broker\"", response.header("WWW-Authenticate"));
        assertTrue(response.bodyText().contains("a token is required"), response.bodyText());
        assertEquals(before + 1, BROKER.counters().get(Counter.HTTP_UNAUTHORIZED));
    }

    @Test
    void shouldRefuseForgedExpiredAndNotYetValidTokens() throws Exception
    {
        final String forged = token(new MACSigner("a-different-secret-of-at-least-32-bytes!!"), JWSAlgorithm.HS256, claims(
            List.of("ticker.*"), List.of()).build());
        assertUnauthorized(forged, "invalid_token");

        final String expired = hs256(claims(List.of("ticker.*"), List.of())
            .expirationTime(new Date(System.currentTimeMillis() - 120_000)).build());
        assertTrue(assertUnauthorized(expired, "invalid_token").bodyText().contains("expired"));

        final String early = hs256(claims(List.of("ticker.*"), List.of())
            .notBeforeTime(new Date(System.currentTimeMillis() + 120_000)).build());
        assertTrue(assertUnauthorized(early, "invalid_token").bodyText().contains("not valid yet"));

        assertUnauthorized("not.a.jwt", "invalid_token");
        // An HS256 token signed with the RSA public key's bytes: a key is only ever used with its own algorithms.
        final String confused = token(new MACSigner(RSA.getPublic().getEncoded()), JWSAlgorithm.HS256,
            claims(List.of("ticker.*"), List.of()).build());
        assertUnauthorized(confused, "invalid_token");
    }

    @Test
    void shouldServeATokenFromTheHeaderTheCookieAndTheQuery() throws Exception
    {
        final String token = hs256(claims(List.of("ticker.*"), List.of()).build());
        try (SseStream header = SseStream.open(BROKER.httpPort(), "/events?topic=ticker.AAPL", "Authorization: Bearer " + token);
             SseStream cookie = SseStream.open(BROKER.httpPort(), "/events?topic=ticker.AAPL", "Cookie: theme=dark; access_token=" + token);
             SseStream query = SseStream.open(BROKER.httpPort(), "/events?topic=ticker.AAPL&access_token=" + token))
        {
            final long id = publisher().publish("ticker.AAPL", null, "101.5".getBytes(StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS);
            final SseEvent expected = new SseEvent(Long.toString(id), null, "101.5");
            assertEquals(expected, header.nextEvent());
            assertEquals(expected, cookie.nextEvent());
            assertEquals(expected, query.nextEvent());
        }
    }

    @Test
    void shouldAnswer403ForATopicTheClaimDoesNotAllow() throws Exception
    {
        final long before = BROKER.counters().get(Counter.HTTP_FORBIDDEN);
        final String token = hs256(claims(List.of("ticker.*", "news"), List.of()).build());
        final RawResponse mixed = RawHttp.get(BROKER.httpPort(), "/events?topic=ticker.AAPL&topic=secret.plans",
            "Authorization: Bearer " + token);
        assertEquals(403, mixed.status(), mixed.toString());
        assertTrue(mixed.bodyText().contains("secret.plans"), mixed.bodyText());
        // An exact entry is exact: "news" does not allow "newsroom".
        assertEquals(403, RawHttp.get(BROKER.httpPort(), "/events?topic=newsroom", "Authorization: Bearer " + token).status());
        assertEquals(before + 2, BROKER.counters().get(Counter.HTTP_FORBIDDEN));

        final String none = hs256(new JWTClaimsSet.Builder().subject("nobody").build());
        assertEquals(403, RawHttp.get(BROKER.httpPort(), "/events?topic=news", "Authorization: Bearer " + none).status());
    }

    @Test
    void shouldCheckThePublishClaimOnPostPublish() throws Exception
    {
        final String reader = hs256(claims(List.of("*"), List.of()).build());
        final String writer = hs256(claims(List.of(), List.of("news.*")).build());
        final byte[] form = "topic=news.sport&data=goal".getBytes(StandardCharsets.UTF_8);
        final String contentType = "application/x-www-form-urlencoded";

        assertEquals(401, RawHttp.exchange(BROKER.httpPort(), "POST", "/publish", contentType, form).status());
        assertEquals(403, RawHttp.exchange(BROKER.httpPort(), "POST", "/publish", contentType, form,
            "Authorization: Bearer " + reader).status());
        final RawResponse taken = RawHttp.exchange(BROKER.httpPort(), "POST", "/publish", contentType, form,
            "Authorization: Bearer " + writer);
        assertEquals(200, taken.status(), taken.toString());
        assertTrue(Long.parseLong(taken.bodyText().trim()) > 0);
        assertEquals(403, RawHttp.exchange(BROKER.httpPort(), "POST", "/publish", contentType,
            "topic=ticker.X&data=1".getBytes(StandardCharsets.UTF_8), "Authorization: Bearer " + writer).status());
    }

    @Test
    void shouldTakeAJwtInTheIngestHelloAndLimitItsTopics() throws Exception
    {
        final String writer = hs256(claims(List.of(), List.of("feed.*")).build());
        try (IngestClient client = IngestClient.connect("127.0.0.1", BROKER.ingestPort(), writer, "jwt-test"))
        {
            assertTrue(client.publish("feed.one", null, "x".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS) > 0);
            final long before = BROKER.counters().get(Counter.INGEST_FORBIDDEN_TOPIC);
            final ExecutionException refused = assertThrows(ExecutionException.class,
                () -> client.publish("other", null, "x".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS));
            final IngestException cause = assertInstanceOf(IngestException.class, refused.getCause());
            assertEquals(IngestErrorCode.INVALID_TOPIC, cause.code());
            assertEquals(before + 1, BROKER.counters().get(Counter.INGEST_FORBIDDEN_TOPIC));
            // A per-frame refusal: the connection goes on.
            assertTrue(client.publish("feed.two", null, "y".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS) > 0);
        }
        final long failedBefore = BROKER.counters().get(Counter.INGEST_AUTH_FAILED);
        final IngestException noToken = assertThrows(IngestException.class,
            () -> IngestClient.connect("127.0.0.1", BROKER.ingestPort(), null, "jwt-test").close());
        assertEquals(IngestErrorCode.AUTH_FAILED, noToken.code(), noToken.toString());
        final IngestException forged = assertThrows(IngestException.class,
            () -> IngestClient.connect("127.0.0.1", BROKER.ingestPort(), writer + "x", "jwt-test").close());
        assertEquals(IngestErrorCode.AUTH_FAILED, forged.code(), forged.toString());
        assertEquals(failedBefore + 2, BROKER.counters().get(Counter.INGEST_AUTH_FAILED));
    }

    @Test
    void shouldGiveEachSubjectItsPrivateTopic() throws Exception
    {
        final JWTClaimsSet.Builder template = claims(List.of("user.{sub}", "ticker.*"), List.of());
        final String alice = hs256(template.subject("alice").build());
        final String anonymous = hs256(claims(List.of("user.{sub}"), List.of()).build());
        try (SseStream own = SseStream.open(BROKER.httpPort(), "/events?topic=user.alice", "Authorization: Bearer " + alice))
        {
            assertEquals(403, RawHttp.get(BROKER.httpPort(), "/events?topic=user.bob", "Authorization: Bearer " + alice).status());
            // Without a sub, the placeholder entry allows nothing.
            assertEquals(403, RawHttp.get(BROKER.httpPort(), "/events?topic=user.", "Authorization: Bearer " + anonymous).status());
            final long bobId = publisher().publish("user.bob", null, "for bob".getBytes(StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS);
            final long aliceId = publisher().publish("user.alice", null, "for alice".getBytes(StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS);
            assertTrue(aliceId > bobId);
            assertEquals(new SseEvent(Long.toString(aliceId), null, "for alice"), own.nextEvent());
        }
    }

    @Test
    void shouldVerifyRs256AndEs256TokensFromTheJwksFile() throws Exception
    {
        final JWTClaimsSet claims = claims(List.of("ticker.*"), List.of()).build();
        final String rs256 = token(new RSASSASigner((RSAPrivateKey)RSA.getPrivate()), JWSAlgorithm.RS256, "rsa-1", claims);
        final String es256 = token(new ECDSASigner(EC), JWSAlgorithm.ES256, EC.getKeyID(), claims);
        for (final String token : List.of(rs256, es256))
        {
            try (SseStream ignored = SseStream.open(BROKER.httpPort(), "/events?topic=ticker.MSFT", "Authorization: Bearer " + token))
            {
                assertTrue(ignored.preamble().contains("retry: 3000"), ignored.preamble());
            }
        }
    }

    @Test
    void shouldAuthenticateHttp2StreamsAlike() throws Exception
    {
        final String token = hs256(claims(List.of("ticker.*"), List.of()).build());
        try (H2cTestClient client = H2cTestClient.connect(BROKER.httpPort()))
        {
            final int refused = client.get("/events?topic=ticker.AAPL");
            assertEquals(401, client.awaitResponse(refused).status());

            final Http2Headers withToken = client.requestHeaders("GET", "/events?topic=ticker.AAPL")
                .add("authorization", "Bearer " + token);
            final int served = client.request(withToken, null);
            client.awaitText(served, H2cTestClient.PREAMBLE);

            final Http2Headers forbidden = client.requestHeaders("GET", "/events?topic=secret")
                .add("cookie", "a=b").add("cookie", "access_token=" + token);
            assertEquals(403, client.awaitResponse(client.request(forbidden, null)).status());
        }
    }

    @Test
    void shouldTakeAPemPublicKey() throws Exception
    {
        final BrokerExtension pemBroker = BrokerExtension.with(config -> config.jwtPublicKeyFile(PEM_FILE.toString()));
        pemBroker.beforeAll(null);
        try
        {
            final String rs256 = token(new RSASSASigner((RSAPrivateKey)RSA.getPrivate()), JWSAlgorithm.RS256, null,
                claims(List.of("ticker.*"), List.of()).build());
            try (SseStream ignored = SseStream.open(pemBroker.httpPort(), "/events?topic=ticker.X", "Authorization: Bearer " + rs256))
            {
                assertTrue(ignored.preamble().contains("retry: 3000"), ignored.preamble());
            }
            // No secret configured on this broker: an HS256 token has no key to verify with.
            assertEquals(401, RawHttp.get(pemBroker.httpPort(), "/events?topic=ticker.X",
                "Authorization: Bearer " + hs256(claims(List.of("*"), List.of()).build())).status());
        }
        finally
        {
            pemBroker.afterAll(null);
        }
    }

    private static IngestClient publisher;

    /** A publisher whose token allows every topic, connected on first use. */
    private static synchronized IngestClient publisher() throws JOSEException
    {
        if (null == publisher)
        {
            publisher = IngestClient.connect("127.0.0.1", BROKER.ingestPort(), hs256(claims(List.of(), List.of("*")).build()),
                "jwt-test-publisher");
        }
        return publisher;
    }

    @AfterAll
    static void closePublisher()
    {
        if (null != publisher)
        {
            publisher.close();
        }
    }

    private static RawResponse assertUnauthorized(final String token, final String error) throws IOException
    {
        final RawResponse response = RawHttp.get(BROKER.httpPort(), "/events?topic=ticker.AAPL", "Authorization: Bearer " + token);
        assertEquals(401, response.status(), response.toString());
        assertTrue(response.header("WWW-Authenticate").contains("error=\"" + error + "\""), response.toString());
        return response;
    }

    private static JWTClaimsSet.Builder claims(final List<String> subscribe, final List<String> publish)
    {
        return new JWTClaimsSet.Builder()
            .expirationTime(new Date(System.currentTimeMillis() + 600_000))
            .claim("sse", Map.of("subscribe", subscribe, "publish", publish));
    }

    private static String hs256(final JWTClaimsSet claims) throws JOSEException
    {
        return token(new MACSigner(SECRET), JWSAlgorithm.HS256, claims);
    }

    private static String token(final JWSSigner signer, final JWSAlgorithm algorithm, final JWTClaimsSet claims)
        throws JOSEException
    {
        return token(signer, algorithm, null, claims);
    }

    private static String token(final JWSSigner signer, final JWSAlgorithm algorithm, final String keyId, final JWTClaimsSet claims)
        throws JOSEException
    {
        final SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(keyId).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static KeyPair rsaKeyPair()
    {
        try
        {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static ECKey ecKey()
    {
        try
        {
            return new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        }
        catch (final JOSEException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static String pem(final byte[] der)
    {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(der) + "\n-----END PUBLIC KEY-----\n";
    }

    private static Path tempFile(final String prefix, final String content)
    {
        try
        {
            final Path file = Files.createTempFile(prefix, ".txt");
            file.toFile().deleteOnExit();
            Files.writeString(file, content, StandardCharsets.US_ASCII);
            return file;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
