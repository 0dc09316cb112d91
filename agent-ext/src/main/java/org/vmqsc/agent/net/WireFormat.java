package org.vmqsc.agent.net;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/**
 * The tunnel's datagram format, big-endian:
 *
 * <pre>
 * u16 magic 0x5651 ("VQ") | u8 version | u8 kind (1 data, 2 acks, 3 link ack) | u64 link epoch | u64 link seq
 * data:     u8 group length | group (UTF-8) | i32 from | i32 to | i64 seq | i64 csn | i32 incarnation | i32 size
 *           | i64 digest | i32 payload length | payload
 * acks:     u8 group length | group | u16 count | count x (message as above without payload, i64 rsn,
 *           i64 position, i64 receiver index, i32 receiver incarnation)
 * link ack: the link seq field is the cumulative ack; then u64 seq (the datagram that triggered it)
 * all:      u32 CRC32C of every byte before it
 * </pre>
 *
 * The CRC catches damage and stray datagrams, not forgery: the tunnel trusts its network (loopback, or a host
 * network the cloud already trusts). Decoding checks the CRC before reading any field, then that every length
 * fits in the bytes left, so nothing is allocated from an unchecked length.
 */
public final class WireFormat {

  public static final int VERSION = 1;
  /** Largest payload one datagram carries: 60 KiB keeps a datagram under UDP's 65,507 bytes with any header. */
  public static final int MAX_PAYLOAD = 60 * 1024;
  public static final int MAX_GROUP_BYTES = 64;
  /** Entries per acknowledgement datagram; a larger batch leaves in several. */
  public static final int MAX_ACK_ENTRIES = 800;
  static final int ENTRY_BYTES = 4 + 4 + 8 + 8 + 4 + 4 + 8 + 8 + 8 + 8 + 4;
  static final int MAX_DATAGRAM = 4 + 16 + 1 + MAX_GROUP_BYTES + 48 + MAX_PAYLOAD + 4;

  private static final short MAGIC = 0x5651;
  private static final byte DATA = 1;
  private static final byte ACKS = 2;
  private static final byte LINK_ACK = 3;
  private static final int HEADER = 4 + 8 + 8;
  private static final int CRC = 4;

  private WireFormat() {}

  /** Refuses, before anything is queued, a frame no datagram can carry. */
  public static void check(Frame frame) {
    byte[] group = frame.group().getBytes(StandardCharsets.UTF_8);
    if (group.length == 0 || group.length > MAX_GROUP_BYTES) {
      throw new IllegalArgumentException("group id must be 1.." + MAX_GROUP_BYTES + " bytes of UTF-8, got " + group.length);
    }
    if (frame instanceof Frame.Data d && d.payload().length > MAX_PAYLOAD) {
      throw new IllegalArgumentException("payload of " + d.message() + " is " + d.payload().length
          + " bytes; a tunnel datagram carries at most " + MAX_PAYLOAD + " (no fragmentation)");
    }
    if (frame instanceof Frame.Acks a && (a.entries().isEmpty() || a.entries().size() > MAX_ACK_ENTRIES)) {
      throw new IllegalArgumentException("an acks frame carries 1.." + MAX_ACK_ENTRIES + " entries, got " + a.entries().size());
    }
  }

  public static byte[] encode(Packet packet) {
    if (packet instanceof Packet.LinkAck a) {
      ByteBuffer b = ByteBuffer.allocate(HEADER + 8 + CRC);
      header(b, LINK_ACK, a.epoch(), a.cumulative()).putLong(a.seq());
      return seal(b);
    }
    Packet.Carrier c = (Packet.Carrier) packet;
    check(c.frame());
    byte[] group = c.frame().group().getBytes(StandardCharsets.UTF_8);
    if (c.frame() instanceof Frame.Data d) {
      ByteBuffer b = ByteBuffer.allocate(HEADER + 1 + group.length + 44 + d.payload().length + CRC);
      header(b, DATA, c.epoch(), c.linkSeq()).put((byte) group.length).put(group);
      message(b, d.message()).putInt(d.payload().length).put(d.payload());
      return seal(b);
    }
    Frame.Acks a = (Frame.Acks) c.frame();
    ByteBuffer b = ByteBuffer.allocate(HEADER + 1 + group.length + 2 + a.entries().size() * ENTRY_BYTES + CRC);
    header(b, ACKS, c.epoch(), c.linkSeq()).put((byte) group.length).put(group).putShort((short) a.entries().size());
    for (LogEntry e : a.entries()) {
      message(b, e.message()).putLong(e.rsn()).putLong(e.position()).putLong(e.receiverIndex()).putInt(e.incarnation());
    }
    return seal(b);
  }

  public static Packet decode(byte[] data, int offset, int length) throws MalformedFrameException {
    if (length < HEADER + CRC) throw new MalformedFrameException("datagram of " + length + " bytes is shorter than a header");
    if (length > MAX_DATAGRAM) throw new MalformedFrameException("datagram of " + length + " bytes exceeds " + MAX_DATAGRAM);
    CRC32C crc = new CRC32C();
    crc.update(data, offset, length - CRC);
    ByteBuffer b = ByteBuffer.wrap(data, offset, length);
    if ((int) crc.getValue() != b.getInt(offset + length - CRC)) throw new MalformedFrameException("checksum mismatch");
    b.limit(offset + length - CRC);
    if (b.getShort() != MAGIC) throw new MalformedFrameException("not a vmqsc tunnel datagram (bad magic)");
    int version = b.get() & 0xff;
    if (version != VERSION) throw new MalformedFrameException("version " + version + ", this agent speaks " + VERSION);
    byte kind = b.get();
    long epoch = b.getLong();
    long linkSeq = b.getLong();
    try {
      Packet p = switch (kind) {
        case LINK_ACK -> new Packet.LinkAck(epoch, linkSeq, b.getLong());
        case DATA -> new Packet.Carrier(epoch, linkSeq, data(b));
        case ACKS -> new Packet.Carrier(epoch, linkSeq, acks(b));
        default -> throw new MalformedFrameException("unknown kind " + kind);
      };
      if (b.hasRemaining()) throw new MalformedFrameException(b.remaining() + " bytes after the frame");
      if (p instanceof Packet.Carrier c && c.linkSeq() < 1) throw new MalformedFrameException("link seq " + c.linkSeq());
      return p;
    } catch (BufferUnderflowException e) {
      throw new MalformedFrameException("cut off inside a kind " + kind + " frame");
    } catch (IllegalArgumentException e) { // a Message or group the protocol refuses (from == to, seq < 1, ...)
      throw new MalformedFrameException("invalid field: " + e.getMessage());
    }
  }

  private static Frame.Data data(ByteBuffer b) throws MalformedFrameException {
    String group = group(b);
    Message m = message(b);
    int n = b.getInt();
    if (n < 0 || n > MAX_PAYLOAD || n != b.remaining()) {
      throw new MalformedFrameException("payload length " + n + " with " + b.remaining() + " bytes left");
    }
    byte[] payload = new byte[n];
    b.get(payload);
    return new Frame.Data(group, m, payload);
  }

  private static Frame.Acks acks(ByteBuffer b) throws MalformedFrameException {
    String group = group(b);
    int n = b.getShort() & 0xffff;
    if (n == 0 || n > MAX_ACK_ENTRIES || (long) n * ENTRY_BYTES != b.remaining()) {
      throw new MalformedFrameException(n + " ack entries with " + b.remaining() + " bytes left");
    }
    List<LogEntry> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) entries.add(new LogEntry(message(b), b.getLong(), b.getLong(), b.getLong(), b.getInt()));
    return new Frame.Acks(group, entries);
  }

  private static String group(ByteBuffer b) throws MalformedFrameException {
    int n = b.get() & 0xff;
    if (n == 0 || n > MAX_GROUP_BYTES || n > b.remaining()) throw new MalformedFrameException("group id length " + n);
    byte[] group = new byte[n];
    b.get(group);
    return new String(group, StandardCharsets.UTF_8);
  }

  private static Message message(ByteBuffer b) {
    return new Message(b.getInt(), b.getInt(), b.getLong(), b.getLong(), b.getInt(), b.getInt(), b.getLong());
  }

  private static ByteBuffer message(ByteBuffer b, Message m) {
    return b.putInt(m.from()).putInt(m.to()).putLong(m.seq()).putLong(m.index()).putInt(m.incarnation())
        .putInt(m.size()).putLong(m.digest());
  }

  private static ByteBuffer header(ByteBuffer b, byte kind, long epoch, long seq) {
    return b.putShort(MAGIC).put((byte) VERSION).put(kind).putLong(epoch).putLong(seq);
  }

  private static byte[] seal(ByteBuffer b) {
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, b.position());
    b.putInt((int) crc.getValue());
    if (b.hasRemaining()) throw new IllegalStateException("encoder sized the datagram wrong");
    return b.array();
  }
}
