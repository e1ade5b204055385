package dev.securedelivery.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Accepts every connection and never sends a byte. */
final class BlackHole implements AutoCloseable {
    private final ServerSocket socket;
    private final List<Socket> held = Collections.synchronizedList(new ArrayList<>());

    BlackHole(InetSocketAddress address) throws IOException {
        socket = new ServerSocket();
        socket.bind(address, 1024);
        Thread acceptor = new Thread(
                () -> {
                    while (!socket.isClosed()) {
                        try {
                            held.add(socket.accept());
                        } catch (IOException e) {
                            return;
                        }
                    }
                },
                "black-hole");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        synchronized (held) {
            for (Socket connection : held) {
                connection.close();
            }
        }
    }
}
