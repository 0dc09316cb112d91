package org.vmqsc.agent.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.vmqsc.agent.store.SafeFiles;
import org.vmqsc.agent.store.StoreFullException;
import org.vmqsc.protocol.BoundaryRecord;

/**
 * The stable message log in a directory: {@code root/<group>/<record>.log}, one file per segment or in-transit
 * message, in {@link MessageLogCodec}'s format. A file appears only by atomic rename after an fsync of its bytes, and
 * the rename is made durable by an fsync of the directory; so a reader sees a whole record or none. Directories are
 * 0700 and files 0600: payloads are guest data.
 */
public final class DirectoryMessageStore implements StableMessageStore {

  /** Writes a temporary file's bytes; a seam so tests can make the disk fill up mid-write. */
  interface TempWriter {
    void write(FileChannel out, ByteBuffer bytes) throws IOException;
  }

  private static final TempWriter CHANNEL_WRITE = (out, bytes) -> {
    while (bytes.hasRemaining()) {
      out.write(bytes);
    }
  };

  private final Path root;
  private final TempWriter tempWriter;
  private final int partialFilesRemoved;

  private DirectoryMessageStore(Path root, TempWriter tempWriter, boolean shared) throws IOException {
    this.root = SafeFiles.ownerOnlyDirectory(root).toAbsolutePath().normalize();
    this.tempWriter = tempWriter;
    this.partialFilesRemoved = removeTempFiles(shared);
  }

  /** Opens (or creates) the log under {@code root}, removing temporary files a crash left behind. */
  public static DirectoryMessageStore open(Path root) throws IOException {
    return new DirectoryMessageStore(root, CHANNEL_WRITE, false);
  }

  /**
   * Opens (or creates) a log that other hosts write too (stable storage): a temporary file is removed only once
   * nobody has written it for an hour, for a younger one may be another host's write under way.
   */
  public static DirectoryMessageStore openShared(Path root) throws IOException {
    return new DirectoryMessageStore(root, CHANNEL_WRITE, true);
  }

  static DirectoryMessageStore open(Path root, TempWriter tempWriter) throws IOException {
    return new DirectoryMessageStore(root, tempWriter, false);
  }

  public Path root() {
    return root;
  }

  /** How many temporary files opening the store removed (writes a crash interrupted). */
  public int partialFilesRemoved() {
    return partialFilesRemoved;
  }

  @Override public String writeSegment(String groupId, BoundaryRecord segment, List<LoggedMessage> entries)
      throws IOException {
    String location = LogLocations.segment(groupId, segment, entries);
    write(location, MessageLogCodec.encode(entries));
    return location;
  }

  @Override public String writeInTransit(String groupId, LoggedMessage message) throws IOException {
    String location = LogLocations.inTransit(groupId, message);
    write(location, MessageLogCodec.encode(List.of(message)));
    return location;
  }

  @Override public List<LoggedMessage> read(String location) throws IOException {
    Path file = resolve(location);
    byte[] stored;
    try {
      if (Files.size(file) > Integer.MAX_VALUE - 8) {  // no record is that large; do not try to read it
        throw new CorruptLogException(location, "it is " + Files.size(file) + " bytes, too large to be a record");
      }
      stored = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(location, null, "no message log record there in " + this);
    }
    return MessageLogCodec.decode(stored, location);
  }

  @Override public Map<String, java.time.Instant> records() throws IOException {
    Map<String, java.time.Instant> out = new java.util.TreeMap<>();
    try (java.util.stream.Stream<Path> groups = Files.list(root)) {
      for (Path group : (Iterable<Path>) groups::iterator) {
        if (!Files.isDirectory(group)) continue;
        try (java.util.stream.Stream<Path> files = Files.list(group)) {
          for (Path file : (Iterable<Path>) files::iterator) {
            String location = group.getFileName() + "/" + file.getFileName();
            if (!StableMessageStore.isRecordLocation(location)) continue;  // a temporary file, or not ours
            try {
              out.put(location, Files.getLastModifiedTime(file).toInstant());
            } catch (NoSuchFileException deletedMeanwhile) {
              // another host collected it
            }
          }
        } catch (NoSuchFileException deletedMeanwhile) {
          // the group's folder went
        }
      }
    }
    return out;
  }

  @Override public boolean delete(String location) throws IOException {
    Path file = resolve(location);
    if (!Files.deleteIfExists(file)) return false;
    SafeFiles.syncDirectory(file.getParent());
    return true;
  }

  @Override public String toString() {
    return "message log " + root;
  }

  /**
   * Same bytes already there: done (a retried write). Different valid bytes: refused, a record is never replaced.
   * Damaged bytes: replaced, since what is being written is what belongs there.
   */
  private void write(String location, byte[] bytes) throws IOException {
    Path target = resolve(location);
    if (alreadyHolds(target, location, bytes)) {
      return;
    }
    SafeFiles.ownerOnlyDirectory(target.getParent());
    Path temp = target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + SafeFiles.TEMP_SUFFIX);
    try {
      SafeFiles.createOwnerOnlyFile(temp);
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        tempWriter.write(out, ByteBuffer.wrap(bytes));
        out.force(true);
      }
      synchronized (this) {  // the check and the rename together, so two writers cannot both publish
        if (alreadyHolds(target, location, bytes)) {
          Files.delete(temp);
          return;
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
      SafeFiles.syncDirectory(target.getParent());
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      if (e instanceof IOException io && SafeFiles.isDiskFull(io)) {
        throw new StoreFullException(this + " is full: no space left on its disk while writing " + location, e);
      }
      throw e;
    }
  }

  private boolean alreadyHolds(Path target, String location, byte[] bytes) throws IOException {
    byte[] existing;
    try {
      existing = Files.readAllBytes(target);
    } catch (NoSuchFileException e) {
      return false;
    }
    if (Arrays.equals(existing, bytes)) {
      return true;
    }
    try {
      MessageLogCodec.decode(existing, location);
    } catch (CorruptLogException damaged) {
      return false;
    }
    throw new IOException(location + " in " + this + " already holds a different log record; records are never "
        + "replaced");
  }

  private Path resolve(String location) {
    Path file = root.resolve(LogLocations.check(location)).normalize();
    if (!file.startsWith(root) || file.getNameCount() != root.getNameCount() + 2) {
      throw new IllegalArgumentException("location " + location + " is not inside " + this);
    }
    return file;
  }

  private int removeTempFiles(boolean shared) throws IOException {
    int removed = 0;
    for (Path file : SafeFiles.regularFiles(root)) {
      if (!file.getFileName().toString().endsWith(SafeFiles.TEMP_SUFFIX)) continue;
      if (shared && !SafeFiles.abandoned(file)) continue;
      if (Files.deleteIfExists(file)) removed++; // a write that never reached its rename
    }
    return removed;
  }
}
