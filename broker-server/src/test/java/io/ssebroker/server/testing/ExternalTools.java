package io.ssebroker.server.testing;

import java.io.File;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Finds the command-line clients some end-to-end tests drive (curl, nghttp). A test that needs one
 * fails when it is missing, naming the Debian package to install, rather than skipping: a skipped
 * interoperability test looks like a passing one. {@code .ci/run} installs them.
 */
public final class ExternalTools
{
    private ExternalTools()
    {
    }

    /**
     * @param command       the executable's name, looked up on {@code PATH}.
     * @param debianPackage the Debian package that provides it.
     * @return the executable's path; fails the test when there is none.
     */
    public static String require(final String command, final String debianPackage)
    {
        final String path = find(command);
        if (null == path)
        {
            fail(command + " is not installed (not on PATH): this test needs it; install the Debian package " +
                debianPackage + " (apt-get install " + debianPackage + "), as .ci/run does");
        }
        return path;
    }

    /**
     * @return the path of {@code command} on {@code PATH}, or null.
     */
    public static String find(final String command)
    {
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        {
            final File candidate = new File(dir, command);
            if (!dir.isEmpty() && candidate.isFile() && candidate.canExecute())
            {
                return candidate.getPath();
            }
        }
        return null;
    }
}
