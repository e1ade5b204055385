package dev.securedelivery.tlsrpt;

import dev.securedelivery.peertext.PeerText;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the aggregate reports other MTAs send us (RFC 8460 4.4, delivered as 5.3 says), strictly and
 * within bounds: a report is either a {@link ReceivedReport} or a {@link MalformedReportException}
 * that says why, never anything else.
 *
 * <p>Bounds (the report is the peer's): {@value #MAX_COMPRESSED_BYTES} bytes of gzip
 * ({@code application/tlsrpt+gzip}), {@value #MAX_JSON_BYTES} bytes of JSON once decompressed (a
 * gzip bomb stops there), the JSON reader's depth, value, string and number caps, at most {@value
 * #MAX_POLICIES} policies and {@value #MAX_FAILURE_DETAILS} failure details in a report, {@value
 * #MAX_POLICY_STRINGS} policy strings and {@value #MAX_MX_HOSTS} MX hosts in a policy.
 *
 * <p>Strict where the RFC is: every field 4.4 requires is there with its type, counts are whole
 * numbers from 0 to 2<sup>63</sup>-1 whose sums fit too, dates are RFC 3339 with the end not before
 * the start, {@code policy-type} is one of 4.4's three, addresses are IP literals. Lenient where
 * real reports differ and nothing is lost: fields the RFC does not name are ignored (4.4 lets reports
 * grow), an {@code mx-host} given as one string is one host (as 4.4's own example writes it), a
 * result type outside 4.3's registry is kept as {@code unknown}, {@code total-failure-session-count}
 * is taken as given even where the details sum otherwise.
 */
public final class ReceivedReportParser {
    /** The largest gzip body read: real daily reports are a few kilobytes. */
    public static final int MAX_COMPRESSED_BYTES = 1024 * 1024;
    /** The largest JSON read, decompressed or not: beyond, a gzip bomb. */
    public static final int MAX_JSON_BYTES = 16 * 1024 * 1024;

    static final int MAX_POLICIES = 1_000;
    static final int MAX_FAILURE_DETAILS = 10_000;
    static final int MAX_POLICY_STRINGS = 1_000;
    static final int MAX_MX_HOSTS = 100;

    /** The cap of names and IDs: longer ones are refused, not cut (they identify the report). */
    static final int MAX_NAME_LENGTH = 256;
    /** The cap of other texts (policy strings, reason codes, URIs): cut with an ellipsis. */
    static final int MAX_TEXT_LENGTH = 1024;

    private static final Pattern DOMAIN =
            Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*");

    private ReceivedReportParser() {}

    /** The report in {@code gzip}, an {@code application/tlsrpt+gzip} body (RFC 8460 5.3). */
    public static ReceivedReport parseGzip(byte[] gzip) throws MalformedReportException {
        return parseJson(gunzip(gzip));
    }

    /** The report in {@code json}, an {@code application/tlsrpt+json} body (RFC 8460 5.3) or a decompressed one. */
    public static ReceivedReport parseJson(byte[] json) throws MalformedReportException {
        if (json.length > MAX_JSON_BYTES) {
            throw new MalformedReportException("the report's JSON is larger than " + MAX_JSON_BYTES + " bytes");
        }
        Object document = BoundedJsonReader.read(utf8(json));
        if (!(document instanceof Map)) {
            throw new MalformedReportException("the report is not a JSON object");
        }
        return report(asObject(document));
    }

    /**
     * {@code gzip} decompressed: at most {@value #MAX_COMPRESSED_BYTES} bytes in and {@value
     * #MAX_JSON_BYTES} out, else refused; a truncated or corrupt stream is refused too.
     */
    public static byte[] gunzip(byte[] gzip) throws MalformedReportException {
        if (gzip.length > MAX_COMPRESSED_BYTES) {
            throw new MalformedReportException(
                    "the compressed report is larger than " + MAX_COMPRESSED_BYTES + " bytes");
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            byte[] json = in.readNBytes(MAX_JSON_BYTES + 1);
            if (json.length > MAX_JSON_BYTES) {
                throw new MalformedReportException("the report decompresses to more than " + MAX_JSON_BYTES + " bytes");
            }
            return json;
        } catch (EOFException e) {
            throw new MalformedReportException("the gzip data is truncated");
        } catch (ZipException e) {
            throw new MalformedReportException("not gzip data, or corrupt: " + e.getMessage());
        } catch (IOException e) {
            throw new MalformedReportException("the gzip data cannot be read: " + e.getMessage());
        }
    }

    /**
     * At most {@code max} bytes of {@code in}; more is a {@link MalformedReportException} naming
     * {@code what}. For a MIME part, whose decoded length the message does not say beforehand.
     */
    public static byte[] readAtMost(InputStream in, int max, String what) throws IOException, MalformedReportException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int read;
        while ((read = in.read(buffer)) != -1) {
            if (out.size() + read > max) {
                throw new MalformedReportException(what + " is larger than " + max + " bytes");
            }
            out.write(buffer, 0, read);
        }
        return out.toByteArray();
    }

    private static String utf8(byte[] bytes) throws MalformedReportException {
        try {
            String text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
            // RFC 8259 8.1: a parser may ignore a byte order mark.
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            // RFC 8259 8.1: JSON exchanged between systems is UTF-8.
            throw new MalformedReportException("the report is not UTF-8");
        }
    }

    // RFC 8460 4.4: the report's fields.
    private static ReceivedReport report(Map<String, Object> json) throws MalformedReportException {
        String organization = name(json, "organization-name", "");
        Map<String, Object> dateRange = object(json, "date-range", "");
        Instant start = dateTime(dateRange, "start-datetime", "date-range.");
        Instant end = dateTime(dateRange, "end-datetime", "date-range.");
        if (end.isBefore(start)) {
            throw new MalformedReportException(
                    "date-range: end-datetime " + end + " is before start-datetime " + start);
        }
        String contact = name(json, "contact-info", "");
        String reportId = name(json, "report-id", "");
        List<Object> policyList = array(json, "policies", "", MAX_POLICIES);
        List<ReceivedPolicy> policies = new ArrayList<>();
        int failureDetails = 0;
        long successes = 0;
        long failures = 0;
        for (int i = 0; i < policyList.size(); i++) {
            String path = "policies[" + i + "].";
            ReceivedPolicy policy = policy(asObject(policyList.get(i), "policies[" + i + "]"), path);
            failureDetails += policy.failures().size();
            if (failureDetails > MAX_FAILURE_DETAILS) {
                throw new MalformedReportException("more than " + MAX_FAILURE_DETAILS + " failure-details");
            }
            try {
                successes = Math.addExact(successes, policy.successfulSessions());
                failures = Math.addExact(failures, policy.failedSessions());
            } catch (ArithmeticException e) {
                throw new MalformedReportException(
                        "the session counts of the policies add up beyond " + Long.MAX_VALUE);
            }
            policies.add(policy);
        }
        return new ReceivedReport(organization, contact, reportId, start, end, policies);
    }

    private static ReceivedPolicy policy(Map<String, Object> json, String path) throws MalformedReportException {
        Map<String, Object> policy = object(json, "policy", path);
        String policyPath = path + "policy.";
        PolicyType type = policyType(text(policy, "policy-type", policyPath, true));
        List<String> strings = new ArrayList<>();
        for (Object line : optionalArray(policy, "policy-string", policyPath, MAX_POLICY_STRINGS)) {
            strings.add(PeerText.clean(asString(line, policyPath + "policy-string[]"), MAX_TEXT_LENGTH));
        }
        String domain = domain(text(policy, "policy-domain", policyPath, true), policyPath + "policy-domain");
        List<String> mxHosts = new ArrayList<>();
        Object mx = policy.get("mx-host");
        // RFC 8460 4.4's example writes one mx-host as a string (erratum 6241): taken as one host.
        List<Object> mxList =
                mx instanceof String ? List.of(mx) : optionalArray(policy, "mx-host", policyPath, MAX_MX_HOSTS);
        for (Object host : mxList) {
            // Lower case first: a cap applied before it could be exceeded after (one character, two lower).
            mxHosts.add(
                    PeerText.clean(asString(host, policyPath + "mx-host[]").toLowerCase(Locale.ROOT), MAX_NAME_LENGTH));
        }
        Map<String, Object> summary = object(json, "summary", path);
        long successes = count(summary, "total-successful-session-count", path + "summary.");
        long failures = count(summary, "total-failure-session-count", path + "summary.");
        List<ReceivedFailure> details = new ArrayList<>();
        List<Object> detailList = optionalArray(json, "failure-details", path, MAX_FAILURE_DETAILS);
        long detailed = 0;
        for (int i = 0; i < detailList.size(); i++) {
            String detailPath = path + "failure-details[" + i + "]";
            ReceivedFailure detail = failure(asObject(detailList.get(i), detailPath), detailPath + ".");
            try {
                // Views add the details up (by receiving MX): their sum must fit as the summary's does.
                detailed = Math.addExact(detailed, detail.failedSessions());
            } catch (ArithmeticException e) {
                throw new MalformedReportException(
                        path + "failure-details: the failed-session-counts add up beyond " + Long.MAX_VALUE);
            }
            details.add(detail);
        }
        return new ReceivedPolicy(ReportedPolicy.of(type, strings, domain, mxHosts), successes, failures, details);
    }

    private static PolicyType policyType(String name) throws MalformedReportException {
        for (PolicyType type : PolicyType.values()) {
            if (type.reportName().equalsIgnoreCase(name)) {
                return type;
            }
        }
        throw new MalformedReportException(
                "policy-type \"" + name + "\" is none of tlsa, sts, no-policy-found" + " (RFC 8460 4.4)");
    }

    // RFC 8460 4.4: failure-details.
    private static ReceivedFailure failure(Map<String, Object> json, String path) throws MalformedReportException {
        String reported = PeerText.clean(text(json, "result-type", path, true), MAX_NAME_LENGTH);
        // RFC 8460 4.3: the registry may grow; a type this server does not know is kept as unknown.
        return new ReceivedFailure(
                reported,
                address(json, "sending-mta-ip", path),
                hostName(json, "receiving-mx-hostname", path),
                hostName(json, "receiving-mx-helo", path),
                address(json, "receiving-ip", path),
                count(json, "failed-session-count", path),
                optionalText(json, "additional-information", path),
                optionalText(json, "failure-reason-code", path));
    }

    private static String address(Map<String, Object> json, String field, String path) throws MalformedReportException {
        String text = text(json, field, path, false);
        if (text == null) {
            return null;
        }
        Optional<InetAddress> address = IpNetwork.addressLiteral(text.trim());
        if (address.isEmpty()) {
            throw new MalformedReportException(
                    path + field + ": \"" + PeerText.clean(text, 64) + "\" is not an IP address");
        }
        return FailureDetail.address(address.get());
    }

    private static String hostName(Map<String, Object> json, String field, String path)
            throws MalformedReportException {
        String text = text(json, field, path, false);
        return text == null ? null : PeerText.clean(text.toLowerCase(Locale.ROOT), MAX_NAME_LENGTH);
    }

    private static String optionalText(Map<String, Object> json, String field, String path)
            throws MalformedReportException {
        String text = text(json, field, path, false);
        return text == null ? null : PeerText.clean(text, MAX_TEXT_LENGTH);
    }

    private static String domain(String text, String path) throws MalformedReportException {
        String domain = text.trim().toLowerCase(Locale.ROOT);
        if (domain.endsWith(".")) {
            domain = domain.substring(0, domain.length() - 1);
        }
        if (domain.length() > 253 || !DOMAIN.matcher(domain).matches()) {
            throw new MalformedReportException(path + ": \"" + PeerText.clean(text, 64) + "\" is not a domain name");
        }
        return domain;
    }

    // A required text that names or identifies: refused if too long, so that two reports never share one by a cut.
    private static String name(Map<String, Object> json, String field, String path) throws MalformedReportException {
        String clean = PeerText.clean(text(json, field, path, true), MAX_NAME_LENGTH + 1);
        if (clean.isEmpty()) {
            throw new MalformedReportException(path + field + " is empty");
        }
        if (clean.length() > MAX_NAME_LENGTH) {
            throw new MalformedReportException(path + field + " is longer than " + MAX_NAME_LENGTH + " characters");
        }
        return clean;
    }

    // RFC 3339 5.6 date-time; a lower-case t or z is allowed there too.
    private static Instant dateTime(Map<String, Object> json, String field, String path)
            throws MalformedReportException {
        String text = text(json, field, path, true);
        try {
            return OffsetDateTime.parse(text.toUpperCase(Locale.ROOT), DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .toInstant();
        } catch (DateTimeParseException e) {
            throw new MalformedReportException(
                    path + field + ": \"" + PeerText.clean(text, 64) + "\" is not an RFC 3339 date-time");
        }
    }

    private static long count(Map<String, Object> json, String field, String path) throws MalformedReportException {
        Object value = json.get(field);
        if (value == null) {
            throw new MalformedReportException(path + field + " is missing");
        }
        if (!(value instanceof BigInteger)) {
            throw new MalformedReportException(path + field + " is not a whole number");
        }
        BigInteger number = (BigInteger) value;
        if (number.signum() < 0 || number.bitLength() > 63) {
            throw new MalformedReportException(path + field + " is out of range (0 to " + Long.MAX_VALUE + "): "
                    + PeerText.clean(number.toString(), 64));
        }
        return number.longValueExact();
    }

    private static String text(Map<String, Object> json, String field, String path, boolean required)
            throws MalformedReportException {
        Object value = json.get(field);
        if (value == null) {
            if (required) {
                throw new MalformedReportException(path + field + " is missing");
            }
            return null;
        }
        return asString(value, path + field);
    }

    private static String asString(Object value, String path) throws MalformedReportException {
        if (!(value instanceof String)) {
            throw new MalformedReportException(path + " is not a string");
        }
        return (String) value;
    }

    private static Map<String, Object> object(Map<String, Object> json, String field, String path)
            throws MalformedReportException {
        Object value = json.get(field);
        if (value == null) {
            throw new MalformedReportException(path + field + " is missing");
        }
        return asObject(value, path + field);
    }

    private static List<Object> array(Map<String, Object> json, String field, String path, int max)
            throws MalformedReportException {
        if (json.get(field) == null) {
            throw new MalformedReportException(path + field + " is missing");
        }
        return optionalArray(json, field, path, max);
    }

    private static List<Object> optionalArray(Map<String, Object> json, String field, String path, int max)
            throws MalformedReportException {
        Object value = json.get(field);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List)) {
            throw new MalformedReportException(path + field + " is not an array");
        }
        List<?> list = (List<?>) value;
        if (list.size() > max) {
            throw new MalformedReportException(path + field + " has more than " + max + " entries");
        }
        return new ArrayList<>(list);
    }

    private static Map<String, Object> asObject(Object value, String path) throws MalformedReportException {
        if (!(value instanceof Map)) {
            throw new MalformedReportException(path + " is not an object");
        }
        return asObject(value);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObject(Object value) {
        // BoundedJsonReader makes every object a Map<String, Object>.
        return (Map<String, Object>) value;
    }
}
