package io.ssebroker.server.testing;

import java.io.File;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real clients the tests run as processes (curl, nghttp, chromium). A missing one fails the test
 * with the package that provides it: a test of a real client must not pass without it. CI installs
 * them ({@code .ci/run}).
 */
public final class ExternalTools
{
    private ExternalTools()
    {
    }

    /**
     * @return the executable's path on {@code PATH}.
     */
    public static String require(final String command, final String debianPackage)
    {
        final String path = System.getenv("PATH");
        if (null != path)
        {
            for (final String dir : path.split(File.pathSeparator))
            {
                final File candidate = new File(dir, command);
                if (candidate.canExecute())
                {
                    return candidate.getPath();
                }
            }
        }
        return fail(command + " is not installed: install the Debian package " + debianPackage +
            " (apt-get install " + debianPackage + "); .ci/run does");
    }
}
