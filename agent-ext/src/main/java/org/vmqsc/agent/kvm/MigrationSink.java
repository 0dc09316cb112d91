package org.vmqsc.agent.kvm;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A Unix socket a QMP {@code migrate} to {@code unix:} connects to, whose stream is appended to a file: how a
 * memory image is handed to QEMU through a monitor of its own, which cannot pass a file descriptor ({@code getfd}
 * needs one sent along with the command). It listens before the cut, in the folder of the guest's monitor socket
 * (only QEMU's user and root can enter it), so the connection costs the pause no more than QEMU's own connect.
 */
final class MigrationSink implements Closeable {

  private final Path socket;
  private final ServerSocketChannel server;
  private Thread copier;
  private volatile IOException failure;
  private volatile long copied;

  private MigrationSink(Path socket, ServerSocketChannel server) {
    this.socket = socket;
    this.server = server;
  }

  static MigrationSink listen(Path socket) throws IOException {
    Files.deleteIfExists(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(socket));
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));  // QEMU connects
    } catch (IOException | RuntimeException e) {
      server.close();
      Files.deleteIfExists(socket);
      throw e;
    }
    return new MigrationSink(socket, server);
  }

  /** The URI QEMU's {@code migrate} takes. */
  String uri() {
    return "unix:" + socket;
  }

  /**
   * Accepts QEMU's connection on a thread of its own and appends all it sends to {@code file}, until it closes. The
   * file is opened here, so it may be renamed while the stream runs.
   */
  void drainInto(Path file) throws IOException {
    FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    copier = new Thread(() -> {
      try (out; SocketChannel in = server.accept()) {
        long position = out.size();
        long n;
        while ((n = out.transferFrom(in, position, 1 << 22)) > 0) {
          position += n;
          copied += n;
        }
      } catch (IOException e) {
        failure = e;
      }
    }, "migration-sink");
    copier.setDaemon(true);
    copier.start();
  }

  /** Waits for the stream's end (QEMU closes it once the migration completed); fails if copying it failed. */
  void awaitEnd(long timeoutMillis) throws IOException {
    try {
      copier.join(timeoutMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while QEMU's memory stream was copied", e);
    }
    if (copier.isAlive()) throw new IOException("QEMU's memory stream did not end in " + timeoutMillis + " ms");
    if (failure != null) throw new IOException("copying QEMU's memory stream failed: " + failure.getMessage(), failure);
    if (copied == 0) throw new IOException("QEMU sent no memory stream");
  }

  @Override public void close() {
    try {
      server.close();  // a copier still waiting in accept() ends with an error
    } catch (IOException ignored) {
      // closing anyway
    }
    try {
      Files.deleteIfExists(socket);
    } catch (IOException ignored) {
      // in the guest's monitor folder, cleared with it
    }
  }
}
