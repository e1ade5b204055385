package dev.securedelivery.dashboard;

import dev.securedelivery.posture.Protection;
import dev.securedelivery.tlsrpt.ResultType;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Renders {@link DashboardData} as one self-contained HTML page: inline CSS, charts as inline SVG
 * drawn here, no script and no external resource (the page's own Content-Security-Policy forbids
 * both), so it can be saved, mailed or printed as the month's report. Every string a peer could have
 * chosen is HTML-escaped; every figure is written as plain digits and repeated in a {@code data-}
 * attribute, so that a program can read the page as a person does.
 */
public final class DashboardPage {
    /** What the page may load: nothing but its own inline style. */
    public static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

    /** The rows a table shows at most, so that the page stays readable and printable. */
    static final int MAX_DOMAINS = 25;

    static final int MAX_FAILURES = 50;
    static final int MAX_INBOUND = 50;
    private static final int MAX_MX_ROWS = 10;

    private static final DateTimeFormatter MINUTE =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);

    // Strong to weak protection: greens for authenticated, amber for TLS only, red for plaintext.
    private static final String[] PROTECTION_COLOURS = {"#17603a", "#2f9358", "#86c59a", "#e3a634", "#c23b34"};

    private static final int CHART_WIDTH = 1000;
    private static final int CHART_HEIGHT = 250;
    private static final int PLOT_LEFT = 46;
    private static final int PLOT_RIGHT = 8;
    private static final int PLOT_TOP = 10;
    private static final int PLOT_BOTTOM = 30;
    private static final int MAX_AXIS_LABELS = 16;

    private final StringBuilder html = new StringBuilder(64 * 1024);
    private final DashboardData data;

    private DashboardPage(DashboardData data) {
        this.data = data;
    }

    /** The page of {@code data}. */
    public static String render(DashboardData data) {
        DashboardPage page = new DashboardPage(data);
        page.page();
        return page.html.toString();
    }

    private void page() {
        String period = data.from() + " to " + data.to();
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"")
                .append(CONTENT_SECURITY_POLICY)
                .append("\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<meta name=\"referrer\" content=\"no-referrer\">\n")
                .append("<title>Outbound mail security \u00b7 ")
                .append(escape(data.node()))
                .append(" \u00b7 ")
                .append(period)
                .append("</title>\n<style>\n")
                .append(STYLE);
        for (Protection protection : Protection.values()) {
            html.append(".swatch.p-")
                    .append(protection.label())
                    .append("{background:")
                    .append(colour(protection))
                    .append(";}\n");
        }
        html.append("</style>\n</head>\n<body>\n");
        header(period);
        data.sourceNote()
                .ifPresent(note -> html.append("<p class=\"note\" id=\"source-note\">")
                        .append(escape(note))
                        .append("</p>\n"));
        html.append("<main>\n");
        summary();
        daily();
        domains();
        failures();
        inbound();
        html.append("</main>\n");
        footer();
        html.append("</body>\n</html>\n");
    }

    private void header(String period) {
        long days = ChronoUnit.DAYS.between(data.from(), data.to()) + 1;
        html.append("<header>\n<div class=\"kicker\">secure-delivery \u00b7 James WebAdmin</div>\n")
                .append("<h1>Outbound mail security</h1>\n<p class=\"meta\">Node <strong id=\"node\">")
                .append(escape(data.node()))
                .append("</strong> <span class=\"sep\">|</span> <span id=\"period\" data-from=\"")
                .append(data.from())
                .append("\" data-to=\"")
                .append(data.to())
                .append("\">")
                .append(period)
                .append(" (")
                .append(days)
                .append(days == 1 ? " day" : " days")
                .append(", UTC)</span> <span class=\"sep\">|</span> generated <span id=\"generated\">")
                .append(MINUTE.format(data.generatedAt()))
                .append(" UTC</span></p>\n</header>\n");
    }

    private void summary() {
        DashboardData.Day total = data.total();
        long delivered = total.delivered().total();
        long authenticated = 0;
        long encrypted = 0;
        for (Protection protection : Protection.values()) {
            long count = total.delivered().get(protection);
            authenticated += protection.authenticated() ? count : 0;
            encrypted += protection != Protection.PLAINTEXT ? count : 0;
        }
        html.append("<section id=\"summary\" aria-label=\"Totals of the period\">\n<div class=\"cards\">\n");
        card("total-delivered", "Delivered", delivered, "messages");
        share("share-authenticated", "Authenticated", authenticated, delivered, "DANE, MTA-STS or PKIX");
        share("share-encrypted", "Encrypted", encrypted, delivered, "any TLS");
        card("total-plaintext", "Plaintext", total.delivered().get(Protection.PLAINTEXT), "messages sent unencrypted");
        card("total-deferred", "Deferred", total.deferred(), "left queued for a retry");
        card("total-bounced", "Bounced", total.bounced(), "returned to the sender");
        html.append("</div>\n</section>\n");
    }

    private void card(String id, String label, long value, String unit) {
        html.append("<div class=\"card\"><div class=\"label\">")
                .append(label)
                .append("</div><div class=\"value\" id=\"")
                .append(id)
                .append("\" data-value=\"")
                .append(value)
                .append("\">")
                .append(value)
                .append("</div><div class=\"unit\">")
                .append(unit)
                .append("</div></div>\n");
    }

    private void share(String id, String label, long part, long whole, String unit) {
        html.append("<div class=\"card\"><div class=\"label\">")
                .append(label)
                .append("</div><div class=\"value\" id=\"")
                .append(id)
                .append("\" data-count=\"")
                .append(part)
                .append("\">")
                .append(whole == 0 ? "\u2013" : percent(part, whole))
                .append("</div><div class=\"unit\">")
                .append(part)
                .append(" messages, ")
                .append(unit)
                .append("</div></div>\n");
    }

    private void daily() {
        html.append("<section id=\"daily\">\n<h2>Protection of delivered mail, per day</h2>\n")
                .append("<p class=\"lead\">The share of each day's delivered messages by the strongest ")
                .append("protection the connection achieved. Hover a bar for its figures.</p>\n");
        legend();
        shareChart();
        html.append("<h3>Per day</h3>\n<table class=\"numbers\" id=\"days\">\n<thead><tr><th scope=\"col\">Day</th>");
        for (Protection protection : Protection.values()) {
            html.append("<th scope=\"col\">")
                    .append(swatch(protection))
                    .append(protection.displayName())
                    .append("</th>");
        }
        html.append("<th scope=\"col\">Delivered</th><th scope=\"col\">Authenticated</th>")
                .append("<th scope=\"col\">Deferred</th><th scope=\"col\">Bounced</th></tr></thead>\n<tbody>\n");
        for (LocalDate day = data.from(); !day.isAfter(data.to()); day = day.plusDays(1)) {
            DashboardData.Day counts = data.day(day);
            html.append("<tr data-day=\"")
                    .append(day)
                    .append("\"><th scope=\"row\">")
                    .append(day)
                    .append("</th>");
            dayCells(counts);
            html.append("</tr>\n");
        }
        html.append("</tbody>\n<tfoot><tr data-day=\"total\"><th scope=\"row\">Total</th>");
        dayCells(data.total());
        html.append("</tr></tfoot>\n</table>\n</section>\n");
    }

    private void dayCells(DashboardData.Day counts) {
        long authenticated = 0;
        for (Protection protection : Protection.values()) {
            long count = counts.delivered().get(protection);
            authenticated += protection.authenticated() ? count : 0;
            countCell("data-protection", protection.label(), count);
        }
        long delivered = counts.delivered().total();
        countCell("data-count", "delivered", delivered);
        html.append("<td class=\"share\">")
                .append(delivered == 0 ? "\u2013" : percent(authenticated, delivered))
                .append("</td>");
        countCell("data-count", "deferred", counts.deferred());
        countCell("data-count", "bounced", counts.bounced());
    }

    private void countCell(String attribute, String name, long count) {
        html.append("<td ")
                .append(attribute)
                .append("=\"")
                .append(name)
                .append("\"")
                .append(count == 0 ? " class=\"zero\"" : "")
                .append(">")
                .append(count)
                .append("</td>");
    }

    private void legend() {
        html.append("<ul class=\"legend\" aria-label=\"Protection levels\">");
        for (Protection protection : Protection.values()) {
            html.append("<li>")
                    .append(swatch(protection))
                    .append(protection.displayName())
                    .append("</li>");
        }
        html.append("<li><span class=\"swatch empty\"></span>No mail delivered</li></ul>\n");
    }

    private static String swatch(Protection protection) {
        return "<span class=\"swatch p-" + protection.label() + "\"></span>";
    }

    private static String colour(Protection protection) {
        return PROTECTION_COLOURS[protection.ordinal()];
    }

    private void shareChart() {
        int days = (int) ChronoUnit.DAYS.between(data.from(), data.to()) + 1;
        double plotWidth = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT;
        double plotHeight = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM;
        double slot = plotWidth / days;
        double barWidth = Math.max(1, slot * (days > 60 ? 0.9 : 0.72));
        html.append("<figure class=\"chart\">\n<svg id=\"share-chart\" viewBox=\"0 0 ")
                .append(CHART_WIDTH)
                .append(' ')
                .append(CHART_HEIGHT)
                .append("\" role=\"img\" aria-labelledby=\"share-chart-title share-chart-desc\"")
                .append(" preserveAspectRatio=\"xMidYMid meet\">\n")
                .append("<title id=\"share-chart-title\">Share of delivered mail by protection, per day, ")
                .append(data.from())
                .append(" to ")
                .append(data.to())
                .append("</title>\n<desc id=\"share-chart-desc\">Stacked bars, one per UTC day, from DANE ")
                .append("at the bottom to plaintext at the top; each bar is 100 percent of that day's ")
                .append("delivered messages. The table below gives the same figures.</desc>\n");
        for (int percent = 0; percent <= 100; percent += 25) {
            double y = PLOT_TOP + plotHeight * (100 - percent) / 100.0;
            html.append("<line class=\"grid\" x1=\"")
                    .append(PLOT_LEFT)
                    .append("\" x2=\"")
                    .append(CHART_WIDTH - PLOT_RIGHT)
                    .append("\" y1=\"")
                    .append(coordinate(y))
                    .append("\" y2=\"")
                    .append(coordinate(y))
                    .append("\"/><text class=\"axis\" x=\"")
                    .append(PLOT_LEFT - 6)
                    .append("\" y=\"")
                    .append(coordinate(y + 4))
                    .append("\" text-anchor=\"end\">")
                    .append(percent)
                    .append("%</text>\n");
        }
        int labelEvery = (days + MAX_AXIS_LABELS - 1) / MAX_AXIS_LABELS;
        int index = 0;
        for (LocalDate day = data.from(); !day.isAfter(data.to()); day = day.plusDays(1), index++) {
            DashboardData.Day counts = data.day(day);
            long delivered = counts.delivered().total();
            double x = PLOT_LEFT + index * slot + (slot - barWidth) / 2;
            html.append("<g class=\"day\" data-day=\"").append(day).append("\">");
            if (delivered == 0) {
                html.append("<rect class=\"empty\" x=\"")
                        .append(coordinate(x))
                        .append("\" y=\"")
                        .append(coordinate(PLOT_TOP + plotHeight - 3))
                        .append("\" width=\"")
                        .append(coordinate(barWidth))
                        .append("\" height=\"3\"><title>")
                        .append(day)
                        .append(": no mail delivered</title></rect>");
            }
            double y = PLOT_TOP + plotHeight;
            long cumulative = 0;
            for (Protection protection : Protection.values()) {
                long count = counts.delivered().get(protection);
                if (count == 0) {
                    continue;
                }
                // Edges from cumulative sums, so the segments meet exactly and fill the bar.
                double top = PLOT_TOP + plotHeight - plotHeight * (cumulative + count) / delivered;
                cumulative += count;
                html.append("<rect x=\"")
                        .append(coordinate(x))
                        .append("\" y=\"")
                        .append(coordinate(top))
                        .append("\" width=\"")
                        .append(coordinate(barWidth))
                        .append("\" height=\"")
                        .append(coordinate(y - top))
                        .append("\" fill=\"")
                        .append(colour(protection))
                        .append("\" data-protection=\"")
                        .append(protection.label())
                        .append("\" data-count=\"")
                        .append(count)
                        .append("\"><title>")
                        .append(day)
                        .append(" \u00b7 ")
                        .append(protection.displayName())
                        .append(": ")
                        .append(count)
                        .append(" of ")
                        .append(delivered)
                        .append(" (")
                        .append(percent(count, delivered))
                        .append(")</title></rect>");
                y = top;
            }
            if (index % labelEvery == 0) {
                html.append("<text class=\"axis\" x=\"")
                        .append(coordinate(x + barWidth / 2))
                        .append("\" y=\"")
                        .append(CHART_HEIGHT - PLOT_BOTTOM + 18)
                        .append("\" text-anchor=\"middle\">")
                        .append(axisLabel(day, index == 0))
                        .append("</text>");
            }
            html.append("</g>\n");
        }
        html.append("</svg>\n</figure>\n");
    }

    private static String axisLabel(LocalDate day, boolean first) {
        if (first || day.getDayOfMonth() == 1) {
            return day.getDayOfMonth() + " " + day.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
        }
        return Integer.toString(day.getDayOfMonth());
    }

    private void domains() {
        List<DashboardData.Domain> domains = data.domains();
        html.append("<section id=\"domains\">\n<h2>Busiest destination domains</h2>\n");
        if (domains.isEmpty()) {
            html.append("<p class=\"empty\">No mail to any domain in this period.</p>\n</section>\n");
            return;
        }
        html.append("<table class=\"numbers\" id=\"domain-table\">\n<thead><tr><th scope=\"col\">Domain</th>")
                .append("<th scope=\"col\">Delivered</th><th scope=\"col\" class=\"bar\">Protection</th>");
        for (Protection protection : Protection.values()) {
            html.append("<th scope=\"col\">").append(protection.displayName()).append("</th>");
        }
        html.append("<th scope=\"col\">Deferred</th><th scope=\"col\">Bounced</th>")
                .append("<th scope=\"col\" class=\"text\">Publishes</th></tr></thead>\n<tbody>\n");
        for (DashboardData.Domain domain : domains.subList(0, Math.min(domains.size(), MAX_DOMAINS))) {
            long delivered = domain.delivered().total();
            html.append("<tr data-domain=\"")
                    .append(escape(domain.name()))
                    .append("\"><th scope=\"row\" class=\"name\">")
                    .append(escape(domain.name()))
                    .append("</th>");
            countCell("data-count", "delivered", delivered);
            html.append("<td class=\"bar\">");
            miniBar(domain.name(), domain.delivered());
            html.append("</td>");
            for (Protection protection : Protection.values()) {
                countCell(
                        "data-protection",
                        protection.label(),
                        domain.delivered().get(protection));
            }
            countCell("data-count", "deferred", domain.deferred());
            countCell("data-count", "bounced", domain.bounced());
            html.append("<td class=\"text publishes\">");
            for (PublishedStandard publication : PublishedStandard.values()) {
                Optional<Boolean> publishes = domain.publishes(publication);
                String state = publishes.map(yes -> yes ? "yes" : "no").orElse("unknown");
                html.append("<span class=\"badge ")
                        .append(state)
                        .append("\" data-publication=\"")
                        .append(publication.key())
                        .append("\" data-value=\"")
                        .append(state)
                        .append("\" title=\"")
                        .append(publication.label())
                        .append(": ")
                        .append(publishes
                                .map(yes -> yes ? "published" : "not published")
                                .orElse("not known"))
                        .append("\">")
                        .append(publication.label())
                        .append(publishes.isPresent() ? "" : "?")
                        .append("</span>");
            }
            html.append("</td></tr>\n");
        }
        html.append("</tbody>\n</table>\n");
        more(domains.size(), MAX_DOMAINS, "domains");
        html.append("</section>\n");
    }

    private void miniBar(String domain, ProtectionCounts counts) {
        long total = counts.total();
        html.append("<svg class=\"mini\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" role=\"img\">")
                .append("<title>")
                .append(escape(domain))
                .append(": ");
        if (total == 0) {
            html.append("nothing delivered</title><rect class=\"empty\" x=\"0\" y=\"0\" width=\"100\" height=\"10\"/>");
        } else {
            String separator = "";
            for (Protection protection : Protection.values()) {
                long count = counts.get(protection);
                if (count > 0) {
                    html.append(separator)
                            .append(protection.displayName())
                            .append(' ')
                            .append(percent(count, total));
                    separator = ", ";
                }
            }
            html.append("</title>");
            long cumulative = 0;
            for (Protection protection : Protection.values()) {
                long count = counts.get(protection);
                if (count == 0) {
                    continue;
                }
                double left = 100.0 * cumulative / total;
                cumulative += count;
                double right = 100.0 * cumulative / total;
                html.append("<rect x=\"")
                        .append(coordinate(left))
                        .append("\" y=\"0\" width=\"")
                        .append(coordinate(right - left))
                        .append("\" height=\"10\" fill=\"")
                        .append(colour(protection))
                        .append("\"/>");
            }
        }
        html.append("</svg>");
    }

    private void failures() {
        List<DashboardData.Failure> failures = data.failures();
        html.append("<section id=\"failures\">\n<h2>Recent policy failures</h2>\n");
        if (failures.isEmpty()) {
            html.append("<p class=\"empty\">No policy failure in this period.</p>\n</section>\n");
            return;
        }
        html.append("<table id=\"failure-table\">\n<thead><tr><th scope=\"col\">Day (UTC)</th>")
                .append("<th scope=\"col\">Domain</th><th scope=\"col\">Cause</th>")
                .append("<th scope=\"col\" class=\"count\">Deferred</th>")
                .append("<th scope=\"col\" class=\"count\">Bounced</th></tr></thead>\n<tbody>\n");
        for (DashboardData.Failure failure : failures.subList(0, Math.min(failures.size(), MAX_FAILURES))) {
            html.append("<tr data-failure-domain=\"")
                    .append(escape(failure.domain()))
                    .append("\" data-cause=\"")
                    .append(failure.cause().reportName())
                    .append("\"><td class=\"when\">")
                    .append(failure.day())
                    .append("</td><td class=\"name\">")
                    .append(escape(failure.domain()))
                    .append("</td><td><code>")
                    .append(failure.cause().reportName())
                    .append("</code><div class=\"explain\">")
                    .append(explanation(failure.cause()))
                    .append("</div></td><td class=\"count\" data-count=\"deferred\">")
                    .append(failure.deferred())
                    .append("</td><td class=\"count\" data-count=\"bounced\">")
                    .append(failure.bounced())
                    .append("</td></tr>\n");
        }
        html.append("</tbody>\n</table>\n");
        more(failures.size(), MAX_FAILURES, "failure rows");
        html.append("</section>\n");
    }

    // RFC 8460 4.3: what each result type means, for a reader who does not know the RFC.
    private static String explanation(ResultType type) {
        switch (type) {
            case STARTTLS_NOT_SUPPORTED:
                return "The MX did not offer STARTTLS.";
            case CERTIFICATE_HOST_MISMATCH:
                return "The MX's certificate names another host.";
            case CERTIFICATE_EXPIRED:
                return "The MX's certificate has expired.";
            case CERTIFICATE_NOT_TRUSTED:
                return "The MX's certificate does not chain to a trusted authority.";
            case VALIDATION_FAILURE:
                return "The MX could not be authenticated.";
            case TLSA_INVALID:
                return "The MX's TLSA records are unusable or match no certificate.";
            case DNSSEC_INVALID:
                return "The DNS answers failed DNSSEC validation.";
            case DANE_REQUIRED:
                return "DANE was required but the MX has no TLSA records.";
            case STS_POLICY_FETCH_ERROR:
                return "The MTA-STS policy could not be fetched.";
            case STS_POLICY_INVALID:
                return "The MTA-STS policy is not valid.";
            case STS_WEBPKI_INVALID:
                return "The MTA-STS policy host's certificate is not valid.";
            default:
                return "";
        }
    }

    private void inbound() {
        List<DashboardData.InboundReports> reports = data.inboundReports();
        html.append("<section id=\"inbound\">\n<h2>TLS reports received about our domains</h2>\n")
                .append("<p class=\"lead\">What other senders reported (RFC 8460) of their sessions to ")
                .append("our MX hosts, per reporting organisation and policy.</p>\n");
        if (reports.isEmpty()) {
            html.append("<p class=\"empty\">No TLS report received for this period.</p>\n</section>\n");
            return;
        }
        html.append("<table class=\"numbers\" id=\"inbound-table\">\n<thead><tr>")
                .append("<th scope=\"col\">Reporting organisation</th><th scope=\"col\" class=\"text\">Policy</th>")
                .append("<th scope=\"col\">Reports</th><th scope=\"col\">Successful sessions</th>")
                .append("<th scope=\"col\">Failed sessions</th><th scope=\"col\">Success rate</th>")
                .append("</tr></thead>\n");
        for (DashboardData.InboundReports report : reports.subList(0, Math.min(reports.size(), MAX_INBOUND))) {
            long sessions = report.successes() + report.failures();
            html.append("<tbody class=\"report\"><tr class=\"summary\" data-organisation=\"")
                    .append(escape(report.organisation()))
                    .append("\" data-policy-domain=\"")
                    .append(escape(report.policyDomain()))
                    .append("\" data-policy-type=\"")
                    .append(report.policyType().reportName())
                    .append("\"><th scope=\"row\" class=\"name\">")
                    .append(escape(report.organisation()))
                    .append("</th><td class=\"text\"><span class=\"name\">")
                    .append(escape(report.policyDomain()))
                    .append("</span> <code>")
                    .append(report.policyType().reportName())
                    .append("</code></td>");
            countCell("data-count", "reports", report.reports());
            countCell("data-count", "successes", report.successes());
            countCell("data-count", "failures", report.failures());
            html.append("<td class=\"share")
                    .append(report.failures() > 0 ? " bad" : "")
                    .append("\">")
                    .append(sessions == 0 ? "\u2013" : percent(report.successes(), sessions))
                    .append("</td></tr>\n");
            List<DashboardData.MxFailures> mxFailures = report.mxFailures();
            for (DashboardData.MxFailures mx : mxFailures.subList(0, Math.min(mxFailures.size(), MAX_MX_ROWS))) {
                String host = mx.receivingMx().isEmpty() ? "(no MX named)" : mx.receivingMx();
                html.append("<tr class=\"mx\" data-mx=\"")
                        .append(escape(mx.receivingMx()))
                        .append("\" data-result-type=\"")
                        .append(escape(mx.resultType()))
                        .append("\"><td class=\"indent\" colspan=\"2\">MX <span class=\"name\">")
                        .append(escape(host))
                        .append("</span> <code>")
                        .append(escape(mx.resultType()))
                        .append("</code></td><td></td><td></td>");
                countCell("data-count", "sessions", mx.sessions());
                html.append("<td></td></tr>\n");
            }
            if (mxFailures.size() > MAX_MX_ROWS) {
                html.append("<tr class=\"mx\"><td class=\"indent more\" colspan=\"6\">")
                        .append(mxFailures.size() - MAX_MX_ROWS)
                        .append(" more failure details not shown</td></tr>\n");
            }
            html.append("</tbody>\n");
        }
        html.append("</table>\n");
        more(reports.size(), MAX_INBOUND, "organisations and policies");
        html.append("</section>\n");
    }

    private void more(int size, int shown, String what) {
        if (size > shown) {
            html.append("<p class=\"more\">")
                    .append(size - shown)
                    .append(" more ")
                    .append(what)
                    .append(" not shown.</p>\n");
        }
    }

    private void footer() {
        html.append("<footer>\n<dl class=\"glossary\">\n")
                .append("<dt>DANE</dt><dd>the MX was authenticated by its DNSSEC-signed TLSA records (RFC 7672)</dd>\n")
                .append("<dt>MTA-STS</dt><dd>authenticated by its WebPKI certificate under the domain's ")
                .append("MTA-STS policy in enforce mode (RFC 8461)</dd>\n")
                .append("<dt>PKIX</dt><dd>authenticated by its WebPKI certificate for another reason: ")
                .append("a require-tls rule or a REQUIRETLS message (RFC 8689)</dd>\n")
                .append("<dt>TLS only</dt><dd>encrypted, but the server was not authenticated</dd>\n")
                .append("<dt>Plaintext</dt><dd>sent without encryption</dd>\n</dl>\n")
                .append("<p>Node ")
                .append(escape(data.node()))
                .append(", ")
                .append(data.from())
                .append(" to ")
                .append(data.to())
                .append(" (UTC days), generated ")
                .append(MINUTE.format(data.generatedAt()))
                .append(" UTC by secure-delivery.</p>\n</footer>\n");
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

    private static String coordinate(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /** {@code text} safe as HTML text and as a quoted attribute value. */
    static String escape(String text) {
        StringBuilder escaped = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&':
                    escaped.append("&amp;");
                    break;
                case '<':
                    escaped.append("&lt;");
                    break;
                case '>':
                    escaped.append("&gt;");
                    break;
                case '"':
                    escaped.append("&quot;");
                    break;
                case '\'':
                    escaped.append("&#39;");
                    break;
                default:
                    escaped.append(c);
            }
        }
        return escaped.toString();
    }

    private static final String STYLE = String.join(
            "\n",
            ":root{--ink:#1c2430;--muted:#5d6b7a;--line:#dfe4ea;--soft:#f5f7fa;--accent:#1f4e79;}",
            "*{box-sizing:border-box;}",
            "html{-webkit-print-color-adjust:exact;print-color-adjust:exact;}",
            "body{margin:0;background:#eef1f5;color:var(--ink);font:14px/1.45 system-ui,-apple-system,"
                    + "\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,\"Liberation Sans\",\"DejaVu Sans\",sans-serif;}",
            "header{background:#1f2d3d;color:#fff;padding:22px 32px 18px;}",
            "header .kicker{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#9fb3c8;}",
            "h1{margin:2px 0 4px;font-size:26px;font-weight:600;}",
            "header .meta{margin:0;color:#d5dee8;}",
            "header .meta strong{color:#fff;}",
            ".sep{color:#6f8499;margin:0 6px;}",
            "main{max-width:1180px;margin:0 auto;padding:20px 24px 8px;}",
            ".note{max-width:1180px;margin:14px auto 0;padding:0 24px;color:var(--muted);font-size:13px;}",
            "section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 22px;"
                    + "margin:0 0 20px;}",
            "section#summary{background:none;border:none;padding:0;}",
            "h2{margin:0 0 4px;font-size:18px;font-weight:600;}",
            "h3{margin:18px 0 6px;font-size:14px;font-weight:600;color:var(--muted);}",
            ".lead{margin:0 0 10px;color:var(--muted);}",
            ".cards{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:12px;}",
            ".card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px;}",
            ".card .label{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);}",
            ".card .value{font-size:26px;font-weight:600;font-variant-numeric:tabular-nums;margin:2px 0;}",
            ".card .unit{font-size:12px;color:var(--muted);}",
            ".legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 18px;margin:0 0 6px;padding:0;"
                    + "font-size:13px;}",
            ".swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;"
                    + "vertical-align:-1px;}",
            ".swatch.empty{background:#cfd6de;}",
            ".chart{margin:0;}",
            ".chart svg{width:100%;height:auto;display:block;}",
            "svg .grid{stroke:#e6eaef;stroke-width:1;}",
            "svg .axis{fill:#6b7886;font-size:12px;}",
            "svg rect.empty{fill:#cfd6de;}",
            "table{width:100%;border-collapse:collapse;font-size:13px;}",
            "th,td{padding:5px 8px;border-bottom:1px solid #edf0f3;text-align:left;vertical-align:top;}",
            "thead th{font-size:12px;font-weight:600;color:var(--muted);border-bottom:1px solid var(--line);"
                    + "white-space:nowrap;}",
            "table.numbers td,table.numbers thead th{text-align:right;font-variant-numeric:tabular-nums;}",
            "table.numbers th[scope=row],table.numbers td.text,table.numbers thead th.text,"
                    + "table.numbers td.indent,table.numbers thead th:first-child{text-align:left;}",
            "tfoot th,tfoot td{font-weight:600;border-top:2px solid var(--line);border-bottom:none;}",
            "td.zero{color:#b3bcc6;}",
            "td.share{color:var(--muted);}",
            "td.share.bad{color:#a3312b;font-weight:600;}",
            "th[scope=row]{font-weight:500;white-space:nowrap;}",
            ".name{overflow-wrap:anywhere;word-break:break-word;}",
            "th.name{max-width:260px;white-space:normal;}",
            "td.bar,th.bar{width:130px;text-align:left;}",
            "td.publishes{white-space:nowrap;}",
            "svg.mini{width:120px;height:10px;display:block;margin-top:4px;border-radius:2px;}",
            ".badge{display:inline-block;font-size:11px;padding:1px 6px;margin:0 4px 2px 0;border-radius:9px;"
                    + "border:1px solid;white-space:nowrap;}",
            ".badge.yes{background:#e3f3e8;border-color:#9fd0ad;color:#17603a;}",
            ".badge.no{background:#fff;border-color:#e1e5ea;color:#a0abb7;text-decoration:line-through;}",
            ".badge.unknown{background:#fff;border-color:#e1e5ea;border-style:dashed;color:#8693a1;}",
            "code{font:12px/1.3 ui-monospace,\"DejaVu Sans Mono\",\"Liberation Mono\",monospace;"
                    + "background:var(--soft);border-radius:4px;padding:1px 4px;}",
            ".explain{font-size:12px;color:var(--muted);margin-top:2px;}",
            "td.when{white-space:nowrap;font-variant-numeric:tabular-nums;}",
            "td.count,th.count{text-align:right;font-variant-numeric:tabular-nums;}",
            "tbody.report tr.summary th,tbody.report tr.summary td{border-top:1px solid var(--line);}",
            "tr.mx td{font-size:12px;color:#3d4a58;border-bottom:none;padding-top:2px;padding-bottom:2px;}",
            "td.indent{padding-left:26px;}",
            ".empty,.more{color:var(--muted);font-style:italic;margin:6px 0 0;}",
            "footer{max-width:1180px;margin:0 auto;padding:4px 24px 28px;color:var(--muted);font-size:12px;}",
            ".glossary{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 8px;}",
            ".glossary dt{font-weight:600;color:var(--ink);}",
            ".glossary dd{margin:0;}",
            "@media (max-width:900px){.cards{grid-template-columns:repeat(3,minmax(0,1fr));}}",
            "@page{size:A4;margin:14mm 12mm;}",
            "@media print{",
            "body{background:#fff;font-size:10pt;}",
            "header{background:none;color:var(--ink);padding:0 0 8px;border-bottom:2px solid var(--ink);}",
            "header .kicker,header .meta{color:var(--muted);}",
            "header .meta strong{color:var(--ink);}",
            "main,footer,.note{max-width:none;padding-left:0;padding-right:0;}",
            "main{padding-top:10px;}",
            "section{border:none;border-radius:0;padding:0;margin:0 0 14px;}",
            ".cards{grid-template-columns:repeat(6,minmax(0,1fr));gap:6px;}",
            ".card{padding:6px 8px;}",
            ".card .value{font-size:17px;}",
            "h2{font-size:13pt;break-after:avoid;page-break-after:avoid;}",
            "h3,.lead,.legend{break-after:avoid;page-break-after:avoid;}",
            ".chart,#summary,tr,tbody.report{break-inside:avoid;page-break-inside:avoid;}",
            "thead{display:table-header-group;}",
            "tfoot{display:table-row-group;}",
            "table{font-size:8.5pt;}",
            "th,td{padding:3px 5px;}",
            "thead th{white-space:normal;}",
            "td.bar,th.bar{display:none;}",
            "td.publishes{white-space:normal;}",
            ".badge{display:block;width:max-content;font-size:7pt;padding:0 4px;margin:0 0 1px;}",
            "th.name,td.name{min-width:9em;}",
            ".swatch{width:8px;height:8px;margin-right:3px;}",
            ".card .label,.card .unit{font-size:7.5pt;}",
            "}",
            "");
}
