package org.vmqsc.agent.kvm;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A Unix socket a QMP {@code migrate} to {@code unix:} connects to, whose stream goes to the engine through an
 * {@link ImagePipe}: how a memory image leaves QEMU through a monitor of its own, which cannot pass a file
 * descriptor ({@code getfd} needs one sent along with the command), and reaches the engine without a file between.
 * It listens before the cut, in the folder of the guest's monitor socket (only QEMU's user and root can enter it),
 * so the connection costs the pause no more than QEMU's own connect.
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
   * Accepts QEMU's connection on a thread of its own and passes all it sends into {@code pipe}, until it closes.
   * Once the pipe's reader gives up (the engine failed: a full store, a broken chunk) or the snapshot failed, the
   * stream is still read to its end and dropped: a background snapshot must run to its end. Closing it early would
   * fail QEMU's migration while the guest may be waiting on the write protection of a page not saved yet, the same
   * clean-up as a cancel, which can hang QEMU 7.2; and a stream nobody reads stalls the snapshot, and with it every
   * guest write to a page not yet saved.
   */
  void streamInto(ImagePipe pipe) {
    copier = new Thread(() -> {
      try (SocketChannel in = server.accept()) {
        copied = pipe.readFrom(in);
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
    if (failure != null) throw new IOException("reading QEMU's memory stream failed: " + failure.getMessage(), failure);
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
