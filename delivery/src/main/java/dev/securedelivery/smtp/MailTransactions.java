package dev.securedelivery.smtp;

import dev.securedelivery.requiretls.MessageSecurity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The mail transactions of one session (RFC 5321 3.3), once the session is set up: MAIL FROM, a RCPT
 * TO per recipient, DATA, the content, and the reply to its end, for at most {@link
 * SmtpSettings#recipientLimit()} recipients a transaction (RFC 5321 4.5.3.1.8; Postfix's {@code
 * smtp_destination_recipient_limit}), as many transactions on the session as the recipients need.
 *
 * <p>A reply counts as success only when it is the one its command expects: exactly 354 to DATA, a
 * 2xx to every other command (RFC 5321 4.2, 4.3.2). A 4xx or 5xx is the server's answer, for the
 * recipient or the transaction; anything else (a 3xx to RCPT, a 250 to DATA) breaks the protocol and
 * fails the host ({@link SmtpProtocolException}): its recipients are not sent, never taken as
 * delivered, never bounced.
 *
 * <p>A 452 to RCPT after the server took a recipient of the transaction, or a 452 with X.5.3, is
 * "too many recipients" (RFC 5321 4.5.3.1.10): that recipient and the rest of its transaction go at
 * once into the next transaction on the same session, whatever {@code sendpartial} says. Without
 * {@code sendpartial}, a transaction in which the server refused or deferred a recipient is reset
 * before DATA: all of that transaction's recipients or none.
 */
final class MailTransactions {
    /** X.5.3: too many recipients (RFC 3463 3.6). */
    private static final EnhancedStatus TOO_MANY = EnhancedStatus.transientFailure(5, 3);

    private final SmtpSettings settings;

    MailTransactions(SmtpSettings settings) {
        this.settings = settings;
    }

    /**
     * Sends {@code content} to {@code recipients} on {@code connection}, every recipient with its
     * result in {@code result}. No QUIT after a clean last transaction: the session may be kept.
     */
    DeliveryAttempt run(
            SmtpConnection connection,
            MessageContent content,
            String sender,
            List<String> recipients,
            boolean requireTls,
            DeliveryAttempt.Builder result)
            throws IOException {
        result.stage(DeliveryAttempt.Stage.MAIL);
        String reversePath;
        try {
            reversePath = sender == null ? "<>" : SmtpAddress.parse(sender).path();
        } catch (SmtpAddress.InvalidAddressException e) {
            // X.1.7: bad sender's mailbox address syntax. Nothing of it reaches the server.
            recipients.forEach(recipient -> result.recipient(RecipientResult.refused(
                    recipient,
                    EnhancedStatus.permanentFailure(1, 7),
                    "the sender's address cannot be sent: " + e.getMessage())));
            quit(connection);
            return result.ended("the sender's address cannot be sent: " + e.getMessage());
        }
        List<Recipient> pending = new ArrayList<>();
        for (String recipient : recipients) {
            try {
                pending.add(
                        new Recipient(recipient, SmtpAddress.parse(recipient).path()));
            } catch (SmtpAddress.InvalidAddressException e) {
                // X.1.3: bad destination mailbox address syntax.
                result.recipient(RecipientResult.refused(
                        recipient,
                        EnhancedStatus.permanentFailure(1, 3),
                        "the address cannot be sent: " + e.getMessage()));
            }
        }
        String mailFrom = "MAIL FROM:" + reversePath + (requireTls ? " " + MessageSecurity.REQUIRETLS : "");
        String last = null;
        boolean open = false;
        while (!pending.isEmpty()) {
            if (open) {
                reset(connection);
            }
            List<Recipient> batch =
                    new ArrayList<>(pending.subList(0, Math.min(settings.recipientLimit(), pending.size())));
            Transaction transaction = new Transaction(connection, result, pending, batch);
            DeliveryAttempt ended = transaction.run(mailFrom, content);
            if (ended != null) {
                return ended;
            }
            pending.removeAll(batch);
            pending.addAll(0, transaction.tooMany);
            if (transaction.endReply != null) {
                last = transaction.endReply;
            }
            // A transaction that did not reach the end of DATA is still open at the server.
            open = transaction.endReply == null;
        }
        if (last == null) {
            // No transaction reached DATA: every recipient has its refusal or deferral.
            quit(connection);
            return result.ended("no recipient was accepted");
        }
        return result.completed(last);
    }

    // RFC 5321 4.1.1.5: between transactions that did not reach DATA, the server's state is cleared.
    private static void reset(SmtpConnection connection) throws IOException {
        SmtpReply reply = connection.exchange("RSET");
        if (!reply.isPositiveCompletion()) {
            throw new SmtpProtocolException("RSET: " + reply);
        }
    }

    private static void quit(SmtpConnection connection) {
        connection.quit();
    }

    private static SmtpProtocolException unexpected(String command, SmtpReply reply, String expected) {
        return new SmtpProtocolException(command + ": " + reply + " where " + expected + " was due");
    }

    /** A recipient as given, and its path as sent. */
    private static final class Recipient {
        final String address;
        final String path;

        Recipient(String address, String path) {
            this.address = address;
            this.path = path;
        }
    }

    /** One transaction: MAIL FROM, RCPT TO for a batch, DATA, the content and its end. */
    private final class Transaction {
        private final SmtpConnection connection;
        private final DeliveryAttempt.Builder result;
        private final List<Recipient> pending;
        private final List<Recipient> batch;
        /** Recipients the server had too many of: the next transaction's first. */
        final List<Recipient> tooMany = new ArrayList<>();
        /** The reply to the end of DATA, when the server took the content. */
        String endReply;

        Transaction(
                SmtpConnection connection,
                DeliveryAttempt.Builder result,
                List<Recipient> pending,
                List<Recipient> batch) {
            this.connection = connection;
            this.result = result;
            this.pending = pending;
            this.batch = batch;
        }

        /** Null when the session may go on with the next transaction; else how it ended. */
        DeliveryAttempt run(String mailFrom, MessageContent content) throws IOException {
            result.stage(DeliveryAttempt.Stage.MAIL);
            SmtpReply mail = connection.exchange(mailFrom);
            if (mail.isPositiveCompletion()) {
                result.transactionOpened();
            } else {
                if (!mail.isTransientFailure() && !mail.isPermanentFailure()) {
                    throw unexpected("MAIL FROM", mail, "a 2xx");
                }
                // The transaction itself: a 5xx refuses the message for every recipient left, a 4xx defers them.
                if (mail.isPermanentFailure()) {
                    pending.forEach(recipient -> result.recipient(
                            RecipientResult.refused(recipient.address, mail.status(), "MAIL FROM: " + mail)));
                }
                quit(connection);
                return result.failed(addresses(pending), mail.status(), null, false, "MAIL FROM: " + mail);
            }
            result.stage(DeliveryAttempt.Stage.RCPT);
            List<Recipient> accepted = recipients();
            if (accepted.isEmpty()) {
                if (!tooMany.isEmpty()) {
                    // Too many before the first was taken: no transaction on this session can make progress.
                    for (Recipient recipient : tooMany) {
                        result.recipient(RecipientResult.notSent(
                                recipient.address, TOO_MANY, "RCPT TO: the server takes no more recipients now"));
                    }
                    tooMany.clear();
                    quit(connection);
                    return result.failed(
                            addresses(pending),
                            TOO_MANY,
                            null,
                            false,
                            "the server took no recipient of the transaction");
                }
                return null;
            }
            if (accepted.size() + tooMany.size() < batch.size() && !settings.sendPartial()) {
                // sendpartial off: all or nothing. The refused are refused; the rest wait for a later try.
                for (Recipient recipient : accepted) {
                    result.recipient(RecipientResult.notSent(
                            recipient.address,
                            EnhancedStatus.TRANSIENT,
                            "not sent: the server did not take every recipient, and sendpartial is off"));
                }
                return null;
            }
            return data(accepted, content);
        }

        // RCPT TO for each of the batch: the ones the server took.
        private List<Recipient> recipients() throws IOException {
            List<Recipient> accepted = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                Recipient recipient = batch.get(i);
                SmtpReply rcpt = connection.exchange("RCPT TO:" + recipient.path);
                if (rcpt.isPositiveCompletion()) {
                    accepted.add(recipient);
                } else if (rcpt.code() == 452
                        && (!accepted.isEmpty() || rcpt.status().equals(TOO_MANY))) {
                    // RFC 5321 4.5.3.1.10: this one and the rest go into a new transaction.
                    tooMany.addAll(batch.subList(i, batch.size()));
                    break;
                } else if (rcpt.isPermanentFailure()) {
                    result.recipient(RecipientResult.refused(recipient.address, rcpt.status(), "RCPT TO: " + rcpt));
                } else if (rcpt.isTransientFailure()) {
                    result.recipient(RecipientResult.notSent(recipient.address, rcpt.status(), "RCPT TO: " + rcpt));
                } else {
                    throw unexpected("RCPT TO", rcpt, "a 2xx");
                }
            }
            return accepted;
        }

        private DeliveryAttempt data(List<Recipient> accepted, MessageContent content) throws IOException {
            result.stage(DeliveryAttempt.Stage.DATA);
            SmtpReply data = connection.exchange("DATA");
            if (!data.isStartMailInput()) {
                if (!data.isTransientFailure() && !data.isPermanentFailure()) {
                    // A 250 to DATA took nothing: the content was never sent.
                    throw unexpected("DATA", data, "354");
                }
                failed(accepted, data, "DATA: ");
                quit(connection);
                return endedBy(data, "DATA: ");
            }
            result.stage(DeliveryAttempt.Stage.MESSAGE);
            String trace = settings.traceHeader()
                    .map(name -> name + ": " + result.trace() + "\r\n")
                    .orElse(null);
            connection.write(out -> {
                DataStream stream = new DataStream(out);
                if (trace != null) {
                    stream.write(trace.getBytes(StandardCharsets.US_ASCII));
                }
                content.writeTo(stream);
                stream.finish();
            });
            SmtpReply end = connection.readReply();
            if (end.isPositiveCompletion()) {
                for (Recipient recipient : accepted) {
                    result.recipient(RecipientResult.accepted(recipient.address, end));
                }
                endReply = end.toString();
                return null;
            }
            if (!end.isTransientFailure() && !end.isPermanentFailure()) {
                throw unexpected("end of DATA", end, "a 2xx");
            }
            failed(accepted, end, "");
            return endedBy(end, "end of DATA: ");
        }

        // The session ends with this transaction's failure: recipients not yet tried wait, with its status as
        // transient.
        private DeliveryAttempt endedBy(SmtpReply reply, String prefix) {
            for (Recipient recipient : pending) {
                result.untried(RecipientResult.notSent(
                        recipient.address, reply.status().asTransient(), "not sent: " + prefix + reply));
            }
            return result.failed(addresses(pending), reply.status(), null, false, prefix + reply);
        }

        // A 4xx or 5xx to DATA or its end speaks for every recipient of the transaction.
        private void failed(List<Recipient> accepted, SmtpReply reply, String prefix) {
            for (Recipient recipient : accepted) {
                result.recipient(
                        reply.isPermanentFailure()
                                ? RecipientResult.refused(recipient.address, reply.status(), prefix + reply)
                                : RecipientResult.notSent(recipient.address, reply.status(), prefix + reply));
            }
        }
    }

    private static List<String> addresses(List<Recipient> recipients) {
        List<String> addresses = new ArrayList<>(recipients.size());
        recipients.forEach(recipient -> addresses.add(recipient.address));
        return addresses;
    }
}
