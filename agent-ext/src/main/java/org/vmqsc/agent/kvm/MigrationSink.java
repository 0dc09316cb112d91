package org.vmqsc.agent.kvm;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
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
    drainInto(FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
  }

  /**
   * As {@link #drainInto(Path)}, into {@code out}. When writing fails (the disk is full, the file system went
   * away) the stream is still read to its end and dropped: a background snapshot must run to its end. Closing it
   * early would fail QEMU's migration while the guest may be waiting on the write protection of a page not saved
   * yet, the same clean-up as a cancel, which can hang QEMU 7.2; and a stream nobody reads stalls the snapshot, and
   * with it every guest write to a page not yet saved.
   */
  void drainInto(WritableByteChannel out) {
    copier = new Thread(() -> {
      try (out; SocketChannel in = server.accept()) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        while (in.read(buffer) >= 0) {
          buffer.flip();
          if (failure == null) {
            try {
              while (buffer.hasRemaining()) copied += out.write(buffer);
            } catch (IOException e) {
              failure = e;  // read on, and drop the rest
            }
          }
          buffer.clear();
        }
      } catch (IOException e) {
        if (failure == null) failure = e;
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
