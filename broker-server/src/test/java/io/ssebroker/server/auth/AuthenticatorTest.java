package io.ssebroker.server.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Key files that cannot be used stop start-up with the setting's name; topic patterns match exactly or by prefix,
 * on strings and in place on buffers; a request's token is found in the documented order.
 */
class AuthenticatorTest
{
    @TempDir
    Path dir;

    @Test
    void shouldBeOpenWithoutKeyFiles() throws AuthenticationException
    {
        assertSame(Authenticator.OPEN, Authenticator.fromFiles(null, null));
        assertFalse(Authenticator.OPEN.enabled());
        assertSame(Access.ALL, Authenticator.OPEN.authenticate(null));
    }

    @Test
    void shouldRefuseUnusableKeyFilesNamingTheSetting() throws Exception
    {
        final Path shortSecret = write("short", "only-20-bytes-secret\n");
        final IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
            () -> Authenticator.fromFiles(shortSecret.toString(), null));
        assertTrue(tooShort.getMessage().startsWith("jwt-secret-file ") && tooShort.getMessage().contains("at least 32"),
            tooShort.getMessage());

        final IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
            () -> Authenticator.fromFiles(dir.resolve("absent").toString(), null));
        assertTrue(missing.getMessage().startsWith("jwt-secret-file "), missing.getMessage());

        final Path garbage = write("garbage", "hello\n");
        final IllegalArgumentException notAKey = assertThrows(IllegalArgumentException.class,
            () -> Authenticator.fromFiles(null, garbage.toString()));
        assertTrue(notAKey.getMessage().startsWith("jwt-public-key-file "), notAKey.getMessage());

        final Path privateJwks = write("private", new JWKSet(new ECKeyGenerator(Curve.P_256).generate()).toString(false));
        final IllegalArgumentException privateKey = assertThrows(IllegalArgumentException.class,
            () -> Authenticator.fromFiles(null, privateJwks.toString()));
        assertTrue(privateKey.getMessage().contains("private key"), privateKey.getMessage());
    }

    @Test
    void shouldRequireATokenWhenEnabled() throws IOException
    {
        final Authenticator authenticator = Authenticator.fromFiles(write("secret", "x".repeat(32)).toString(), null);
        assertTrue(authenticator.enabled());
        final AuthenticationException none = assertThrows(AuthenticationException.class, () -> authenticator.authenticate(null));
        assertEquals(AuthenticationException.Reason.MISSING, none.reason());
        final AuthenticationException bad = assertThrows(AuthenticationException.class, () -> authenticator.authenticate("a.b.c"));
        assertEquals(AuthenticationException.Reason.INVALID, bad.reason());
    }

    @Test
    void shouldMatchExactNamesAndPrefixes()
    {
        final TopicPatterns patterns = TopicPatterns.of(List.of("news", "ticker.*"));
        assertTrue(patterns.allows("news"));
        assertFalse(patterns.allows("newsroom"));
        assertTrue(patterns.allows("ticker.AAPL"));
        assertTrue(patterns.allows("ticker."));
        assertFalse(patterns.allows("ticker"));
        assertFalse(patterns.allowsAll());
        assertTrue(TopicPatterns.of(List.of("*")).allowsAll());
        assertFalse(TopicPatterns.of(List.of()).allows("news"));

        final ByteBuf buffer = Unpooled.copiedBuffer("xxnewsroom|ticker.MSFT", StandardCharsets.US_ASCII);
        try
        {
            assertTrue(patterns.allows(buffer, 2, 4));
            assertFalse(patterns.allows(buffer, 2, 8));
            assertTrue(patterns.allows(buffer, 11, 11));
            assertFalse(patterns.allows(buffer, 11, 6));
        }
        finally
        {
            buffer.release();
        }
    }

    @Test
    void shouldFindTheTokenInHeaderCookieQueryOrder()
    {
        assertEquals("h", RequestTokens.find("Bearer h", List.of("access_token=c"), "access_token", "q"));
        assertEquals("h", RequestTokens.find("bearer   h ", List.of(), "access_token", null));
        assertEquals("c", RequestTokens.find("Basic dXNlcjpwYXNz", List.of("a=1; access_token=c"), "access_token", "q"));
        assertEquals("c", RequestTokens.find(null, List.of("a=1", "access_token=c"), "access_token", "q"));
        assertEquals("q", RequestTokens.find(null, List.of("other=c"), "access_token", "q"));
        assertEquals(null, RequestTokens.find("Bearer ", List.of(), null, ""));
    }

    private Path write(final String name, final String content) throws IOException
    {
        final Path file = dir.resolve(name);
        Files.writeString(file, content, StandardCharsets.US_ASCII);
        return file;
    }
}
