package dev.securedelivery.waitingroom;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.mailrepository.api.Protocol;
import org.apache.james.mailrepository.memory.MemoryMailRepository;
import org.apache.mailet.Mail;

/**
 * A mail repository store of one memory repository whatever the URL, its default protocol {@code
 * memory}: the repository outlives a mailet (as a server's stored repositories do), so a test can
 * start the mailet again on what waits in it. The URLs asked for are kept. A test may have it refuse
 * the next mail stored ({@link #refuseNextStore}), as a repository whose database is away does.
 */
final class SingleRepositoryStore implements MailRepositoryStore {
    final MemoryMailRepository repository = new MemoryMailRepository();
    final java.util.List<MailRepositoryUrl> selected = new java.util.concurrent.CopyOnWriteArrayList<>();
    final AtomicBoolean refuseNextStore = new AtomicBoolean();
    private final MailRepository refusing = (MailRepository) Proxy.newProxyInstance(
            MailRepository.class.getClassLoader(),
            new Class<?>[] {MailRepository.class},
            (proxy, method, arguments) -> {
                if (method.getName().equals("store") && refuseNextStore.getAndSet(false)) {
                    throw new javax.mail.MessagingException(
                            "injected: the repository cannot store " + ((Mail) arguments[0]).getName());
                }
                try {
                    return method.invoke(repository, arguments);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });

    @Override
    public MailRepository select(MailRepositoryUrl url) {
        selected.add(url);
        return refusing;
    }

    @Override
    public Optional<Protocol> defaultProtocol() {
        return Optional.of(new Protocol("memory"));
    }

    @Override
    public Optional<MailRepository> get(MailRepositoryUrl url) {
        return Optional.of(refusing);
    }

    @Override
    public Stream<MailRepository> getByPath(MailRepositoryPath path) {
        return Stream.of(refusing);
    }

    @Override
    public Stream<MailRepositoryUrl> getUrls() {
        return selected.stream();
    }
}
