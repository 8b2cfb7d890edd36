package io.ssebroker.server.testing;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * One JDK {@link HttpClient} for the whole suite: on Java 17 a client cannot be closed, so tests share
 * one instead of leaving a selector thread per test behind.
 */
public final class JdkHttp
{
    public static final HttpClient CLIENT = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();

    private JdkHttp()
    {
    }
}
