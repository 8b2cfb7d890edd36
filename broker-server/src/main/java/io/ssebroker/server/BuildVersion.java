package io.ssebroker.server;

import picocli.CommandLine.IVersionProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The broker's version as the build wrote it ({@code build.properties}, filtered from the project version), for
 * {@code --version}, the start-up line and {@code /metrics}.
 * <p>
 * <b>Threading:</b> immutable after class initialisation.
 */
public final class BuildVersion implements IVersionProvider
{
    private static final String VERSION = load();

    /**
     * @return the version, for example {@code 0.1.0-SNAPSHOT}.
     */
    public static String version()
    {
        return VERSION;
    }

    @Override
    public String[] getVersion()
    {
        return new String[] {
            "sse-broker " + VERSION,
            "JVM " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + ", " +
                System.getProperty("os.name") + " " + System.getProperty("os.arch")};
    }

    private static String load()
    {
        try (InputStream in = BuildVersion.class.getResourceAsStream("build.properties"))
        {
            if (null == in)
            {
                throw new IllegalStateException("build.properties missing from the class path: a broken build");
            }
            final Properties properties = new Properties();
            properties.load(in);
            final String version = properties.getProperty("version");
            if (null == version || version.startsWith("${"))
            {
                throw new IllegalStateException("build.properties was not filtered by the build: " + version);
            }
            return version;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
