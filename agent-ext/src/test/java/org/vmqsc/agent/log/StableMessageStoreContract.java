package org.vmqsc.agent.log;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Before;
import org.junit.Test;
import org.vmqsc.protocol.BoundaryKind;
import org.vmqsc.protocol.BoundaryRecord;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/** What every {@link StableMessageStore} must do; run against each implementation by a subclass. */
public abstract class StableMessageStoreContract {

  static final String GROUP = "3f2a9c1e-0b7d-4e55-9a61-2c8f0d4b7e19";

  protected StableMessageStore store;

  protected abstract StableMessageStore newStore() throws IOException;

  @Before public void openStore() throws IOException {
    store = newStore();
  }

  static BoundaryRecord segment(int vm, long index, int incarnation) {
    return new BoundaryRecord(vm, index, incarnation, BoundaryKind.LOG_SEGMENT, false, 1000 * index, 7,
        new long[] {1, 2, 3}, new long[] {3, 2, 1});
  }

  /** A message received by {@code to}, with random fields (negative ones too) and a payload of {@code size}. */
  static LoggedMessage message(Random random, int to, int size) {
    int from = to + 1 + random.nextInt(5);
    Message m = new Message(from, to, 1 + random.nextInt(1 << 20), random.nextLong(), random.nextInt(), size,
        random.nextLong());
    byte[] payload = new byte[size];
    random.nextBytes(payload);
    return new LoggedMessage(new LogEntry(m, random.nextLong(), random.nextLong(), random.nextLong(),
        random.nextInt()), payload);
  }

  static LoggedMessage message(int from, int to, long seq, byte[] payload) {
    Message m = new Message(from, to, seq, 4, 0, payload.length, 0x1234_5678_9abcL);
    return new LoggedMessage(new LogEntry(m, seq, 100 * seq, 5, 0), payload);
  }

  @Test public void segmentsRoundTripManyRandomMessagesInOrder() throws IOException {
    Random random = new Random(42);
    for (int round = 0; round < 20; round++) {
      List<LoggedMessage> entries = new ArrayList<>();
      int count = random.nextInt(50);
      for (int i = 0; i < count; i++) {
        entries.add(message(random, 2, i % 7 == 0 ? 0 : random.nextInt(3000)));
      }
      String location = store.writeSegment(GROUP, segment(2, round, 0), entries);
      assertEquals(entries, store.read(location));
    }
  }

  @Test public void emptySegmentEmptyPayloadAndLargePayloadRoundTrip() throws IOException {
    Random random = new Random(7);
    String empty = store.writeSegment(GROUP, segment(0, 1, 0), List.of());
    assertEquals(List.of(), store.read(empty));
    LoggedMessage noPayload = message(random, 0, 0);
    assertEquals(List.of(noPayload), store.read(store.writeInTransit(GROUP, noPayload)));
    LoggedMessage large = message(random, 0, 8 << 20);
    assertEquals(List.of(large), store.read(store.writeInTransit(GROUP, large)));
  }

  @Test public void inTransitMessagesGetDistinctLocations() throws IOException {
    byte[] body = {1, 2, 3};
    LoggedMessage a = message(1, 2, 1, body);
    LoggedMessage b = message(1, 2, 2, body);
    LoggedMessage otherReceiverIncarnation = new LoggedMessage(new LogEntry(a.entry().message(), 1, 100, 5, 1), body);
    String la = store.writeInTransit(GROUP, a);
    String lb = store.writeInTransit(GROUP, b);
    String lc = store.writeInTransit(GROUP, otherReceiverIncarnation);
    assertNotEquals(la, lb);
    assertNotEquals(la, lc);
    assertEquals(List.of(a), store.read(la));
    assertEquals(List.of(b), store.read(lb));
    assertEquals(List.of(otherReceiverIncarnation), store.read(lc));
    assertTrue(la, la.startsWith(GROUP + "/"));
  }

  @Test public void writingTheSameRecordAgainIsFine() throws IOException {
    List<LoggedMessage> entries = List.of(message(1, 0, 1, new byte[] {9}), message(3, 0, 1, new byte[0]));
    String first = store.writeSegment(GROUP, segment(0, 3, 0), entries);
    String again = store.writeSegment(GROUP, segment(0, 3, 0), entries);
    assertEquals(first, again);
    assertEquals(entries, store.read(first));
    LoggedMessage late = message(1, 2, 5, new byte[] {1});
    assertEquals(store.writeInTransit(GROUP, late), store.writeInTransit(GROUP, late));
  }

  @Test public void differentContentUnderAnExistingNameIsRefused() throws IOException {
    List<LoggedMessage> entries = List.of(message(1, 0, 1, new byte[] {9}));
    String location = store.writeSegment(GROUP, segment(0, 3, 0), entries);
    try {
      store.writeSegment(GROUP, segment(0, 3, 0), List.of(message(1, 0, 1, new byte[] {8})));
      fail("a different segment was written over " + location);
    } catch (IOException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("already holds a different log record"));
    }
    assertEquals(entries, store.read(location));
  }

  @Test public void deletingTwiceIsFineAndTheRecordIsGone() throws IOException {
    String location = store.writeInTransit(GROUP, message(1, 2, 1, new byte[] {1, 2}));
    store.delete(location);
    store.delete(location);
    try {
      store.read(location);
      fail("read a deleted record");
    } catch (NoSuchFileException e) {
      assertTrue(e.getMessage(), e.getMessage().contains(location) && e.getMessage().contains("no message log record"));
    }
  }

  @Test public void readingAnUnknownLocationSaysSo() throws IOException {
    try {
      store.read(GROUP + "/segment-vm9-index9-inc0.log");
      fail("read a record never written");
    } catch (NoSuchFileException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("no message log record there"));
    }
  }

  @Test public void locationsThatCouldEscapeAreRefused() throws IOException {
    for (String bad : List.of("../x.log", GROUP + "/../x.log", "/etc/passwd", "/" + GROUP + "/a.log", "..", "",
        GROUP, GROUP + "/", GROUP + "/a/b.log", "./" + GROUP + "/a.log", GROUP + "/..log", GROUP + "/a.log.partial")) {
      for (boolean delete : new boolean[] {false, true}) {
        try {
          if (delete) {
            store.delete(bad);
          } else {
            store.read(bad);
          }
          fail("accepted location " + bad);
        } catch (IllegalArgumentException expected) {
          // refused before touching anything
        }
      }
    }
  }

  @Test public void aSegmentMustHoldItsOwnVmsMessagesAndBeASegment() throws IOException {
    try {
      store.writeSegment(GROUP, segment(0, 1, 0), List.of(message(0, 1, 1, new byte[0])));
      fail("stored another VM's message in a segment");
    } catch (IllegalArgumentException expected) {
      // the receiver is VM 1, the segment VM 0's
    }
    BoundaryRecord checkpoint = new BoundaryRecord(0, 1, 0, BoundaryKind.CHECKPOINT, false, 0, 0, new long[0],
        new long[0]);
    try {
      store.writeSegment(GROUP, checkpoint, List.of());
      fail("stored a checkpoint record as a segment");
    } catch (IllegalArgumentException expected) {
      // only LOG_SEGMENT records name segments
    }
    try {
      store.writeInTransit("../other", message(0, 1, 1, new byte[0]));
      fail("accepted a group id that is a path");
    } catch (IllegalArgumentException expected) {
      // group ids become directory names
    }
  }
}
