package dev.securedelivery.dashboard;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import com.github.mustachejava.MustacheResolver;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Renders {@link DashboardData} as one self-contained HTML page: inline CSS, charts as inline SVG, no
 * script and no external resource (the page's own Content-Security-Policy forbids both), so it can be
 * saved, mailed or printed as the month's report. The page is the Mustache template
 * {@code dashboard.mustache} (beside this class, with its partials), compiled once; {@link PageView}
 * and the section views it holds compute every figure, coordinate and text the template places. The
 * template engine HTML-escapes every value it writes ({@code {{...}}}), so no string a peer could
 * have chosen becomes markup; only our own stylesheet is written as it is. Every figure is written as
 * plain digits and repeated in a {@code data-} attribute, so that a program can read the page as a
 * person does.
 */
public final class DashboardPage {
    /** What the page may load: nothing but its own inline style. */
    public static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

    /** The rows a table shows at most, so that the page stays readable and printable. */
    static final int MAX_DOMAINS = 25;

    static final int MAX_FAILURES = 50;
    static final int MAX_INBOUND = 50;

    private static final String TEMPLATES = "dev/securedelivery/dashboard/";
    private static final Mustache TEMPLATE =
            new DefaultMustacheFactory(new OwnResources()).compile("dashboard.mustache");

    private DashboardPage() {}

    /** The page of {@code data}. */
    public static String render(DashboardData data) {
        StringWriter html = new StringWriter(64 * 1024);
        TEMPLATE.execute(html, new PageView(data));
        return html.toString();
    }

    /**
     * {@code part} of {@code whole} as a percentage with one decimal, e.g. {@code 42.5%}; never
     * rounded to {@code 100.0%} or {@code 0.0%} unless it is exactly that, so that 12 failures in
     * 48222 sessions do not read as none.
     */
    static String percent(long part, long whole) {
        double percent = 100.0 * part / whole;
        if (part != whole) {
            percent = Math.min(percent, 99.9);
        }
        if (part != 0) {
            percent = Math.max(percent, 0.1);
        }
        return String.format(Locale.ROOT, "%.1f%%", percent);
    }

    /** {@link #percent}, or a dash where {@code whole} is 0. */
    static String share(long part, long whole) {
        return whole == 0 ? "\u2013" : percent(part, whole);
    }

    /** An SVG coordinate or length, with two decimals. */
    static String coordinate(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /** "3 more domains not shown." where a table shows {@code shown} of {@code size} rows, else null. */
    static String notShown(int size, int shown, String what) {
        return size > shown ? (size - shown) + " more " + what + " not shown." : null;
    }

    /**
     * The templates, from the class loader of this class: in James, the extension jar's own loader,
     * whatever the thread's context class loader is (Mustache.java's {@code ClasspathResolver} would
     * ask that one).
     */
    private static final class OwnResources implements MustacheResolver {
        /** The template or partial {@code resourceName}, or null if there is none (Mustache.java then says so). */
        @Override
        public Reader getReader(String resourceName) {
            InputStream template = DashboardPage.class.getClassLoader().getResourceAsStream(TEMPLATES + resourceName);
            return template == null ? null : new InputStreamReader(template, StandardCharsets.UTF_8);
        }
    }
}
