package io.ssebroker.server.e2e;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import io.netty.handler.ssl.SslProvider;
import io.ssebroker.server.Broker;
import io.ssebroker.server.config.BrokerConfig;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The TLS port with each provider (BoringSSL through netty-tcnative, and the JDK's): the JDK
 * HttpClient negotiates h2 by ALPN when it may and HTTP/1.1 when told to, and over both a
 * subscription receives what is published.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsPortTest
{
    @ParameterizedTest
    @ValueSource(strings = {"openssl", "jdk"})
    void shouldStreamOverH2AndHttp11WithProvider(final String provider) throws Exception
    {
        try (Broker broker = Broker.start(BrokerConfig.defaults().httpPort(0).ingestPort(0)
            .tlsPort(0).tlsSelfSigned(true).tlsProvider(provider)))
        {
            assertEquals("openssl".equals(provider) ? SslProvider.OPENSSL : SslProvider.JDK, broker.tls().provider());
            final SSLContext trusting = trusting(broker);
            for (final HttpClient.Version version : new HttpClient.Version[] {HttpClient.Version.HTTP_2, HttpClient.Version.HTTP_1_1})
            {
                final HttpClient client = HttpClient.newBuilder().sslContext(trusting).version(version)
                    .connectTimeout(Duration.ofSeconds(5)).build();
                final String base = "https://localhost:" + broker.tlsPort();
                final String topic = "tls-" + provider + "-" + version;
                final HttpResponse<InputStream> stream = client.send(
                    HttpRequest.newBuilder(URI.create(base + "/events?topic=" + topic)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
                assertEquals(200, stream.statusCode());
                assertEquals(version, stream.version(), "protocol negotiated by ALPN");
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8)))
                {
                    assertEquals("retry: 3000", lines.readLine());
                    assertEquals(": ok", lines.readLine());
                    assertEquals("", lines.readLine());
                    final HttpResponse<String> published = client.send(
                        HttpRequest.newBuilder(URI.create(base + "/publish?topic=" + topic))
                            .header("Content-Type", "text/plain")
                            .POST(HttpRequest.BodyPublishers.ofString("over tls")).build(),
                        HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, published.statusCode(), published.body());
                    assertEquals(version, published.version());
                    assertEquals("id: " + published.body(), lines.readLine());
                    assertEquals("data: over tls", lines.readLine());
                }
            }
        }
    }

    private static SSLContext trusting(final Broker broker) throws Exception
    {
        final KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("broker", broker.tls().certificate());
        final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
