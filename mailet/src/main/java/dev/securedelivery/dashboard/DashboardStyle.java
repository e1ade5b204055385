package dev.securedelivery.dashboard;

import dev.securedelivery.posture.Protection;

/**
 * The page's one stylesheet, written inline into its {@code <style>} element (the page loads nothing),
 * and the colour of each protection level, which the stylesheet's swatches and the charts' bars share.
 * A constant of ours: the only text the template writes unescaped.
 */
final class DashboardStyle {
    private static final String RULES = String.join(
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
            "table.numbers tr.no-mail td{text-align:left;color:var(--muted);font-style:italic;}",
            // A run of days without mail may wrap its dates rather than widen the day column.
            "table.numbers tr.no-mail th{white-space:normal;}",
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

    /** The stylesheet: the rules above, and a swatch colour per protection level. */
    static final String CSS = withSwatches();

    private DashboardStyle() {}

    /**
     * The colour of {@code protection} in the legend, the tables' headers and the charts: strong to
     * weak protection, greens for authenticated, amber for TLS only, red for plaintext.
     */
    static String colour(Protection protection) {
        switch (protection) {
            case DANE:
                return "#17603a";
            case MTA_STS:
                return "#2f9358";
            case PKIX:
                return "#86c59a";
            case TLS:
                return "#e3a634";
            case PLAINTEXT:
                return "#c23b34";
        }
        throw new IllegalArgumentException("No colour for " + protection);
    }

    private static String withSwatches() {
        StringBuilder css = new StringBuilder(RULES);
        for (Protection protection : Protection.values()) {
            css.append(".swatch.p-")
                    .append(protection.label())
                    .append("{background:")
                    .append(colour(protection))
                    .append(";}\n");
        }
        return css.toString();
    }
}
