package io.ssebroker.server.testing.browser;

import io.ssebroker.server.testing.ExternalTools;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Debian's headless Chromium driven through WebDriver (Selenium and Debian's {@code chromedriver}), for page checks
 * that need the DOM, the page's script state or a screenshot. Nothing is downloaded: both executables come from
 * the {@code PATH} (packages {@code chromium} and {@code chromium-driver}), and a test fails naming the package
 * when one is missing.
 */
public final class WebDriverSession implements AutoCloseable
{
    private final ChromeDriver driver;

    private WebDriverSession(final ChromeDriver driver)
    {
        this.driver = driver;
    }

    /**
     * Starts the browser on {@code page}.
     */
    public static WebDriverSession open(final URI page)
    {
        final String chromium = ExternalTools.require("chromium", "chromium");
        final String chromedriver = ExternalTools.require("chromedriver", "chromium-driver");
        final ChromeOptions options = new ChromeOptions()
            .setBinary(chromium)
            .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--disable-background-networking", "--disable-dev-shm-usage", "--window-size=1280,900");
        final ChromeDriverService service = new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(chromedriver))
            .usingAnyFreePort()
            .build();
        final ChromeDriver driver = new ChromeDriver(service, options);
        try
        {
            driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
            driver.get(page.toString());
            return new WebDriverSession(driver);
        }
        catch (final RuntimeException ex)
        {
            driver.quit();
            throw ex;
        }
    }

    /**
     * Evaluates {@code return EXPRESSION} in the page.
     */
    public Object eval(final String expression)
    {
        return ((JavascriptExecutor)driver).executeScript("return " + expression + ";");
    }

    /**
     * @return the number the expression evaluates to in the page (0 when it is not a number yet).
     */
    public long number(final String expression)
    {
        final Object value = eval(expression);
        return value instanceof Number ? ((Number)value).longValue() : 0;
    }

    /**
     * Waits until the expression is true in the page.
     *
     * @param what for the failure message.
     */
    public void waitUntil(final String what, final String expression, final Duration timeout)
    {
        try
        {
            new WebDriverWait(driver, timeout, Duration.ofMillis(100))
                .withMessage(() -> what + " (" + expression + ")")
                .until(d -> Boolean.TRUE.equals(eval(expression)));
        }
        catch (final RuntimeException ex)
        {
            throw new AssertionError("page never showed: " + what + "; page state: " + eval("JSON.stringify(window.sse || window.dashboard || null)"), ex);
        }
    }

    /**
     * Saves a PNG of the window.
     */
    public void screenshot(final Path file) throws IOException
    {
        Files.createDirectories(file.getParent());
        Files.write(file, ((TakesScreenshot)driver).getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close()
    {
        driver.quit();
    }
}
