package org.vmqsc.agent.log;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/**
 * The bytes of one stored log record (a segment or one in-transit message), big-endian:
 *
 * <pre>
 *   magic "VMQSCLOG" | version u16 | total length i32 (the whole record, hash included) | count i32
 *   count x [ from i32 | to i32 | seq i64 | csn i64 | incarnation i32 | size i32 | digest i64
 *           | rsn i64 | position i64 | epoch i64 | receiver incarnation i32 | payload length i32 | payload ]
 *   SHA-256 of everything before it (32 bytes)
 * </pre>
 *
 * <p>Why SHA-256 and not CRC32C: a CRC catches random bit errors but not a deliberate edit, and payloads come from
 * guests; the JDK's SHA-256 (SHA-NI) runs at about 1 GB/s, far above the rate messages are logged, and it is the
 * hash the checkpoint store trusts already. The total length in the header tells a cut-off record from a damaged
 * one; every length read is checked against the bytes left before anything is allocated.
 */
final class MessageLogCodec {

  static final byte[] MAGIC = "VMQSCLOG".getBytes(StandardCharsets.US_ASCII);
  static final short VERSION = 1;
  static final int HASH_BYTES = 32;
  static final int HEADER_BYTES = MAGIC.length + 2 + 4 + 4;
  /** A record without its payload: eleven fields of LogEntry and Message, and the payload length. */
  static final int RECORD_BYTES = 4 + 4 + 8 + 8 + 4 + 4 + 8 + 8 + 8 + 8 + 4 + 4;

  private MessageLogCodec() {}

  static byte[] encode(List<LoggedMessage> messages) {
    byte[][] payloads = new byte[messages.size()][];  // payload() copies: take each copy once
    long total = HEADER_BYTES + HASH_BYTES;
    for (int i = 0; i < payloads.length; i++) {
      payloads[i] = messages.get(i).payload();
      total += RECORD_BYTES + payloads[i].length;
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a log record of " + total + " bytes does not fit in one array");
    }
    ByteBuffer out = ByteBuffer.allocate((int) total);
    out.put(MAGIC).putShort(VERSION).putInt((int) total).putInt(messages.size());
    for (int i = 0; i < payloads.length; i++) {
      LogEntry e = messages.get(i).entry();
      Message msg = e.message();
      byte[] payload = payloads[i];
      out.putInt(msg.from()).putInt(msg.to()).putLong(msg.seq()).putLong(msg.index()).putInt(msg.incarnation())
          .putInt(msg.size()).putLong(msg.digest())
          .putLong(e.rsn()).putLong(e.position()).putLong(e.receiverIndex()).putInt(e.incarnation())
          .putInt(payload.length).put(payload);
    }
    out.put(sha256(out.array(), out.position()));
    return out.array();
  }

  /** Decodes and verifies a stored record; {@code location} only names it in errors. */
  static List<LoggedMessage> decode(byte[] stored, String location) throws CorruptLogException {
    if (stored.length == 0) {
      throw new CorruptLogException(location, "it is empty");
    }
    if (stored.length < MAGIC.length || !Arrays.equals(stored, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new CorruptLogException(location, "it is not a message log record (no VMQSCLOG header)");
    }
    if (stored.length < HEADER_BYTES + HASH_BYTES) {
      throw new CorruptLogException(location, "cut off after " + stored.length + " bytes, inside its header");
    }
    ByteBuffer in = ByteBuffer.wrap(stored);
    in.position(MAGIC.length);
    short version = in.getShort();
    if (version != VERSION) {
      throw new CorruptLogException(location, "unknown format version " + version);
    }
    int total = in.getInt();
    if (total != stored.length) {
      throw new CorruptLogException(location, total > stored.length
          ? "cut off: " + stored.length + " of " + total + " bytes"
          : "holds " + stored.length + " bytes, its header says " + total);
    }
    int bodyLength = stored.length - HASH_BYTES;
    if (!MessageDigest.isEqual(sha256(stored, bodyLength), Arrays.copyOfRange(stored, bodyLength, stored.length))) {
      throw new CorruptLogException(location, "its SHA-256 does not match its content");
    }
    // The hash matched, so what follows was written by encode(); the checks still guard against a writer's bug.
    try {
      return records(in.limit(bodyLength), location);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new CorruptLogException(location, "a record does not parse (" + e + ")");
    }
  }

  private static List<LoggedMessage> records(ByteBuffer in, String location) throws CorruptLogException {
    int count = in.getInt();
    if (count < 0 || count > in.remaining() / RECORD_BYTES) {
      throw new CorruptLogException(location, "record count " + count + " does not fit in " + in.remaining() + " bytes");
    }
    List<LoggedMessage> messages = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      if (in.remaining() < RECORD_BYTES) {
        throw new CorruptLogException(location, "record " + i + " of " + count + " is cut off");
      }
      Message msg = new Message(in.getInt(), in.getInt(), in.getLong(), in.getLong(), in.getInt(), in.getInt(),
          in.getLong());
      LogEntry entry = new LogEntry(msg, in.getLong(), in.getLong(), in.getLong(), in.getInt());
      int length = in.getInt();
      if (length < 0 || length > in.remaining()) {
        throw new CorruptLogException(location, "record " + i + " claims a payload of " + length + " bytes, "
            + in.remaining() + " are left");
      }
      byte[] payload = new byte[length];
      in.get(payload);
      messages.add(new LoggedMessage(entry, payload));
    }
    if (in.hasRemaining()) {
      throw new CorruptLogException(location, in.remaining() + " bytes follow the last record");
    }
    return messages;
  }

  private static byte[] sha256(byte[] bytes, int length) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(bytes, 0, length);
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
