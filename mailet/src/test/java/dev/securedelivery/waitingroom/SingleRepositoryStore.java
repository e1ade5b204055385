package dev.securedelivery.waitingroom;

import java.util.Optional;
import java.util.stream.Stream;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.mailrepository.api.Protocol;
import org.apache.james.mailrepository.memory.MemoryMailRepository;

/**
 * A mail repository store of one memory repository whatever the URL, its default protocol {@code
 * memory}: the repository outlives a mailet (as a server's stored repositories do), so a test can
 * start the mailet again on what waits in it. The URLs asked for are kept.
 */
final class SingleRepositoryStore implements MailRepositoryStore {
    final MemoryMailRepository repository = new MemoryMailRepository();
    final java.util.List<MailRepositoryUrl> selected = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public MailRepository select(MailRepositoryUrl url) {
        selected.add(url);
        return repository;
    }

    @Override
    public Optional<Protocol> defaultProtocol() {
        return Optional.of(new Protocol("memory"));
    }

    @Override
    public Optional<MailRepository> get(MailRepositoryUrl url) {
        return Optional.of(repository);
    }

    @Override
    public Stream<MailRepository> getByPath(MailRepositoryPath path) {
        return Stream.of(repository);
    }

    @Override
    public Stream<MailRepositoryUrl> getUrls() {
        return selected.stream();
    }
}
