package org.vmqsc.agent.net;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.Test;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

public class WireFormatTest {

  private static final Message M = new Message(3, 7, 42, 5, 2, 5, 0x1234_5678_9abc_def0L);

  private static byte[] data() {
    return WireFormat.encode(new Packet.Carrier(99, 17, new Frame.Data("group-ä", M, "hello".getBytes())));
  }

  private static byte[] acks(int n) {
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 0; i < n; i++) entries.add(new LogEntry(new Message(i % 5, 5, i + 1, i, 0, 10, -i), i, 100L * i, 3, 1));
    return WireFormat.encode(new Packet.Carrier(1, 2, new Frame.Acks("g", entries)));
  }

  private static Packet decode(byte[] d) throws MalformedFrameException {
    return WireFormat.decode(d, 0, d.length);
  }

  /** Rewrites the checksum, as a sender that lies (or a bug) would, so the checks behind it are reached. */
  private static byte[] resealed(byte[] d) {
    CRC32C crc = new CRC32C();
    crc.update(d, 0, d.length - 4);
    ByteBuffer.wrap(d).putInt(d.length - 4, (int) crc.getValue());
    return d;
  }

  @Test public void roundTrips() throws Exception {
    Packet.Carrier c = (Packet.Carrier) decode(data());
    assertEquals(99, c.epoch());
    assertEquals(17, c.linkSeq());
    Frame.Data d = (Frame.Data) c.frame();
    assertEquals("group-ä", d.group());
    assertEquals(M, d.message());
    assertArrayEquals("hello".getBytes(), d.payload());

    Frame.Acks a = (Frame.Acks) ((Packet.Carrier) decode(acks(WireFormat.MAX_ACK_ENTRIES))).frame();
    assertEquals(WireFormat.MAX_ACK_ENTRIES, a.entries().size());
    assertEquals(new LogEntry(new Message(2, 5, 3, 2, 0, 10, -2), 2, 200, 3, 1), a.entries().get(2));

    assertEquals(new Packet.LinkAck(5, 6, 9), decode(WireFormat.encode(new Packet.LinkAck(5, 6, 9))));
  }

  @Test public void theLargestPayloadFitsAndOneMoreByteIsRefused() throws Exception {
    byte[] max = new byte[WireFormat.MAX_PAYLOAD];
    new Random(1).nextBytes(max);
    byte[] d = WireFormat.encode(new Packet.Carrier(1, 1, new Frame.Data("g", M, max)));
    assertTrue(d.length <= WireFormat.MAX_DATAGRAM && d.length <= 65_507);
    assertArrayEquals(max, ((Frame.Data) ((Packet.Carrier) decode(d)).frame()).payload());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WireFormat.check(new Frame.Data("g", M, new byte[WireFormat.MAX_PAYLOAD + 1])));
    assertTrue(e.getMessage(), e.getMessage().contains("at most " + WireFormat.MAX_PAYLOAD));
  }

  @Test public void refusesEveryCutAndEveryBitFlip() {
    for (byte[] d : List.of(data(), acks(3), WireFormat.encode(new Packet.LinkAck(1, 2, 3)))) {
      for (int len = 0; len < d.length; len++) {
        int n = len;
        assertThrows(MalformedFrameException.class, () -> WireFormat.decode(d, 0, n));
      }
      for (int bit = 0; bit < d.length * 8; bit++) {
        byte[] flipped = d.clone();
        flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        assertThrows(MalformedFrameException.class, () -> decode(flipped));
      }
    }
  }

  @Test public void refusesLyingFieldsBehindAValidChecksum() {
    int payloadLength = data().length - 4 - 5 - 4; // the i32 before the 5-byte payload
    for (int lie : new int[] {Integer.MAX_VALUE, -1, 6, 4, WireFormat.MAX_PAYLOAD + 1}) {
      byte[] d = data();
      ByteBuffer.wrap(d).putInt(payloadLength, lie);
      assertMalformed(resealed(d), "payload length");
    }
    byte[] count = acks(3); // the u16 count sits after header (20), group length (1) and the group "g" (1)
    ByteBuffer.wrap(count).putShort(22, (short) 0xffff);
    assertMalformed(resealed(count), "ack entries");

    byte[] group = data();
    group[20] = (byte) 200;
    assertMalformed(resealed(group), "group id length");

    byte[] version = data();
    version[2] = 2;
    assertMalformed(resealed(version), "version 2");

    byte[] kind = data();
    kind[3] = 9;
    assertMalformed(resealed(kind), "unknown kind");

    byte[] self = data(); // from == to: a Message the protocol refuses
    ByteBuffer.wrap(self).putInt(20 + 1 + "group-ä".getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 4, 3);
    assertMalformed(resealed(self), "invalid field");

    byte[] trailing = java.util.Arrays.copyOf(WireFormat.encode(new Packet.LinkAck(1, 2, 3)), 36);
    assertMalformed(resealed(trailing), "after the frame");

    assertMalformed(new byte[WireFormat.MAX_DATAGRAM + 1], "exceeds");
  }

  @Test public void refusesGarbage() {
    Random random = new Random(7);
    for (int i = 0; i < 10_000; i++) {
      byte[] d = new byte[random.nextInt(200)];
      random.nextBytes(d);
      assertThrows(MalformedFrameException.class, () -> decode(d));
    }
  }

  @Test public void refusesFramesNoDatagramCarries() {
    assertThrows(IllegalArgumentException.class, () -> WireFormat.check(new Frame.Data("", M, new byte[1])));
    assertThrows(IllegalArgumentException.class, () -> WireFormat.check(new Frame.Data("x".repeat(65), M, new byte[1])));
    assertThrows(IllegalArgumentException.class, () -> WireFormat.check(new Frame.Acks("g", List.of())));
  }

  private static void assertMalformed(byte[] d, String why) {
    MalformedFrameException e = assertThrows(MalformedFrameException.class, () -> decode(d));
    assertTrue(e.getMessage(), e.getMessage().contains(why));
  }
}
