package org.vmqsc.agent.log;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.vmqsc.agent.store.SafeFiles;
import org.vmqsc.agent.store.StoreFullException;

/** The store contract on real files, and what only files can do wrong: damage, leftovers, permissions, a full disk. */
public class DirectoryMessageStoreTest extends StableMessageStoreContract {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  private Path root;

  @Override protected StableMessageStore newStore() throws IOException {
    root = tmp.getRoot().toPath().resolve("log");
    return DirectoryMessageStore.open(root);
  }

  private String smallRecord() throws IOException {
    return store.writeInTransit(GROUP, message(1, 2, 3, new byte[] {'h', 'i', '!'}));
  }

  private Path file(String location) {
    return root.resolve(location);
  }

  /** Reads {@code location}, which must be refused as damaged: any other outcome fails, naming {@code what}. */
  private void assertCorrupt(String location, String what) {
    List<LoggedMessage> read;
    try {
      read = store.read(location);
    } catch (CorruptLogException e) {
      assertTrue(e.getMessage(), e.getMessage().contains(location));
      return;
    } catch (Exception | Error other) {  // OutOfMemoryError included: a length must never be trusted
      throw new AssertionError(what + ": failed with " + other + " instead of CorruptLogException", other);
    }
    fail(what + ": read back " + read + " instead of refusing it");
  }

  @Test public void aRecordCutOffAtAnyLengthIsRefused() throws IOException {
    String location = smallRecord();
    byte[] whole = Files.readAllBytes(file(location));
    for (int length = 0; length < whole.length; length++) {
      Files.write(file(location), java.util.Arrays.copyOf(whole, length));
      assertCorrupt(location, "cut off at " + length + " of " + whole.length);
    }
    Files.write(file(location), whole);
    assertEquals(1, store.read(location).size());
  }

  @Test public void everySingleBitFlipIsDetected() throws IOException {
    String location = smallRecord();
    byte[] whole = Files.readAllBytes(file(location));
    for (int bit = 0; bit < whole.length * 8; bit++) {
      byte[] damaged = whole.clone();
      damaged[bit / 8] ^= (byte) (1 << (bit % 8));
      Files.write(file(location), damaged);
      assertCorrupt(location, "bit " + bit + " flipped");
    }
  }

  @Test public void garbageEmptyAndOverlongFilesAreRefused() throws IOException {
    String location = smallRecord();
    byte[] whole = Files.readAllBytes(file(location));
    Files.write(file(location), new byte[0]);
    assertCorrupt(location, "empty file");
    Random random = new Random(1);
    for (int size : new int[] {1, 7, 8, 50, 4096}) {
      byte[] garbage = new byte[size];
      random.nextBytes(garbage);
      Files.write(file(location), garbage);
      assertCorrupt(location, size + " random bytes");
    }
    // Plausible headers with huge or negative lengths must not make the reader allocate them.
    for (int claimed : new int[] {Integer.MAX_VALUE, -1, whole.length + 1}) {
      byte[] lying = whole.clone();
      ByteBuffer.wrap(lying).putInt(MessageLogCodec.MAGIC.length + 2, claimed);
      Files.write(file(location), lying);
      assertCorrupt(location, "total length " + claimed);
    }
    byte[] longer = java.util.Arrays.copyOf(whole, whole.length + 10);
    Files.write(file(location), longer);
    assertCorrupt(location, "bytes appended");
  }

  @Test public void damagedLengthsInsideAValidHashDoNotAllocate() {
    // A writer's bug, not damage (the hash matches): counts and payload lengths are still checked before use.
    byte[] encoded = MessageLogCodec.encode(List.of(message(1, 2, 3, new byte[] {1, 2, 3})));
    for (int[] edit : new int[][] {{MessageLogCodec.HEADER_BYTES - 4, Integer.MAX_VALUE},
        {MessageLogCodec.HEADER_BYTES - 4, -5},
        {MessageLogCodec.HEADER_BYTES + MessageLogCodec.RECORD_BYTES - 4, Integer.MAX_VALUE},
        {MessageLogCodec.HEADER_BYTES + MessageLogCodec.RECORD_BYTES - 4, -1}}) {
      byte[] edited = encoded.clone();
      ByteBuffer.wrap(edited).putInt(edit[0], edit[1]);
      rehash(edited);
      try {
        MessageLogCodec.decode(edited, "edited");
        fail("decoded a record with a length of " + edit[1]);
      } catch (CorruptLogException e) {
        assertTrue(e.getMessage(), e.getMessage().contains("edited"));
      }
    }
  }

  private static void rehash(byte[] record) {
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      sha.update(record, 0, record.length - MessageLogCodec.HASH_BYTES);
      System.arraycopy(sha.digest(), 0, record, record.length - MessageLogCodec.HASH_BYTES, MessageLogCodec.HASH_BYTES);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Test public void aDamagedRecordIsReplacedByAWriteOfItsContent() throws IOException {
    LoggedMessage late = message(1, 2, 3, new byte[] {'h', 'i', '!'});
    String location = store.writeInTransit(GROUP, late);
    Files.write(file(location), new byte[] {1, 2, 3});
    assertEquals(location, store.writeInTransit(GROUP, late));
    assertEquals(List.of(late), store.read(location));
  }

  @Test public void directoriesAreOwnerOnlyAndFilesToo() throws IOException {
    String location = smallRecord();
    assertEquals("rwx------", perms(root));
    assertEquals("rwx------", perms(file(location).getParent()));
    assertEquals("rw-------", perms(file(location)));
  }

  private static String perms(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  @Test public void leftoverTemporaryFilesAreRemovedOnOpenAndNeverRead() throws IOException {
    String location = smallRecord();
    Path leftover = file(location).resolveSibling("segment-vm2-index4-inc0.log.1234" + SafeFiles.TEMP_SUFFIX);
    Files.write(leftover, new byte[] {1, 2});
    try {
      store.read(GROUP + "/" + leftover.getFileName());
      fail("read a temporary file");
    } catch (IllegalArgumentException expected) {
      // not a location
    }
    DirectoryMessageStore reopened = DirectoryMessageStore.open(root);
    assertEquals(1, reopened.partialFilesRemoved());
    assertFalse(Files.exists(leftover));
    assertEquals(1, reopened.read(location).size());
  }

  @Test public void aSharedLogKeepsAnotherHostsWriteUnderWayAndRemovesAnAbandonedOne() throws IOException {
    String location = smallRecord();
    Path underWay = file(location).resolveSibling("segment-vm2-index4-inc0.log.1" + SafeFiles.TEMP_SUFFIX);
    Path abandoned = file(location).resolveSibling("segment-vm3-index4-inc0.log.2" + SafeFiles.TEMP_SUFFIX);
    Files.write(underWay, new byte[] {1});
    Files.write(abandoned, new byte[] {2});
    Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.fromMillis(
        System.currentTimeMillis() - 2 * 3_600_000L));

    DirectoryMessageStore shared = DirectoryMessageStore.openShared(root);

    assertEquals(1, shared.partialFilesRemoved());
    assertTrue("another host's write under way was removed", Files.exists(underWay));
    assertFalse(Files.exists(abandoned));
    assertEquals(1, shared.read(location).size());
  }

  @Test public void aFullDiskLeavesNothingBehindAndSaysSo() throws IOException {
    Path fullRoot = tmp.getRoot().toPath().resolve("full");
    DirectoryMessageStore full = DirectoryMessageStore.open(fullRoot, (out, bytes) -> {
      bytes.limit(bytes.limit() / 2);  // half of it reaches the disk, then the disk is full
      out.write(bytes);
      throw new IOException("No space left on device");
    });
    try {
      full.writeSegment(GROUP, segment(0, 1, 0), List.of(message(1, 0, 1, new byte[1000])));
      fail("a write to a full disk succeeded");
    } catch (StoreFullException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("is full") && e.getMessage().contains("no space left"));
      assertTrue(e.getMessage(), e.getMessage().contains(GROUP + "/segment-vm0-index1-inc0.log"));
    }
    try (Stream<Path> files = Files.walk(fullRoot)) {
      assertEquals("nothing but directories", List.of(), files.filter(Files::isRegularFile).toList());
    }
  }

  @Test public void otherWriteFailuresAreNotReportedAsAFullDisk() throws IOException {
    Path brokenRoot = tmp.getRoot().toPath().resolve("broken");
    DirectoryMessageStore broken = DirectoryMessageStore.open(brokenRoot, (out, bytes) -> {
      throw new IOException("Input/output error");
    });
    try {
      broken.writeInTransit(GROUP, message(1, 2, 3, new byte[] {1}));
      fail("a failing write succeeded");
    } catch (StoreFullException e) {
      fail("reported as full: " + e.getMessage());
    } catch (IOException e) {
      assertEquals("Input/output error", e.getMessage());
    }
    try (Stream<Path> files = Files.walk(brokenRoot)) {
      assertEquals(List.of(), files.filter(Files::isRegularFile).toList());
    }
  }

  @Test public void aRecordIsWrittenAsTheCodecEncodesIt() throws IOException {
    LoggedMessage late = message(1, 2, 3, new byte[] {'h', 'i', '!'});
    String location = store.writeInTransit(GROUP, late);
    assertArrayEquals(MessageLogCodec.encode(List.of(late)), Files.readAllBytes(file(location)));
    assertEquals(GROUP + "/transit-from1-to2-seq3-inc0-rinc0.log", location);
  }
}
