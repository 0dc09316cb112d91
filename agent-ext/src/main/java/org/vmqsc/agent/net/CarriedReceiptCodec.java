package org.vmqsc.agent.net;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

/**
 * The receipts a cross-host message carries (causal logging), packed for the wire: a count, then per receipt the
 * message header and where its receiver took it, every number as an unsigned LEB128 varint except the digest
 * (8 bytes, big-endian):
 *
 * <pre>
 * varint count | count x (to | from | seq | sender index | sender incarnation | size | i64 digest
 *                         | sender received | rsn | position | receiver index | receiver incarnation)
 * </pre>
 *
 * The numbers are small (VM numbers, per-channel seqs, indexes, positions), so a receipt takes about 20 bytes where
 * fixed-width fields take 76. Decoding refuses a negative number, a varint longer than 10 bytes, a count larger
 * than the bytes left could hold, and bytes left over.
 */
public final class CarriedReceiptCodec {

  /** The fewest bytes a receipt takes: eleven one-byte varints and the digest. */
  private static final int MIN_RECEIPT_BYTES = 11 + 8;

  private CarriedReceiptCodec() {}

  public static byte[] encode(List<CarriedReceipt> receipts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8 + 24 * receipts.size());
    putVarLong(out, receipts.size());
    for (CarriedReceipt r : receipts) {
      LogEntry e = r.entry();
      Message m = e.message();
      putVarLong(out, m.to());
      putVarLong(out, m.from());
      putVarLong(out, m.seq());
      putVarLong(out, m.index());
      putVarLong(out, m.incarnation());
      putVarLong(out, m.size());
      for (int shift = 56; shift >= 0; shift -= 8) out.write((int) (m.digest() >>> shift));
      putVarLong(out, m.senderReceived());
      putVarLong(out, e.rsn());
      putVarLong(out, e.position());
      putVarLong(out, e.receiverIndex());
      putVarLong(out, e.incarnation());
    }
    return out.toByteArray();
  }

  public static List<CarriedReceipt> decode(byte[] bytes) throws MalformedFrameException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    try {
      long count = getVarLong(b);
      if (count > b.remaining() / MIN_RECEIPT_BYTES) {
        throw new MalformedFrameException(count + " carried receipts cannot fit in " + b.remaining() + " bytes");
      }
      List<CarriedReceipt> out = new ArrayList<>((int) count);
      for (long i = 0; i < count; i++) {
        int to = getInt(b);
        int from = getInt(b);
        long seq = getVarLong(b);
        long index = getVarLong(b);
        int incarnation = getInt(b);
        int size = getInt(b);
        long digest = b.getLong();
        long senderReceived = getVarLong(b);
        Message m = new Message(from, to, seq, index, incarnation, size, digest, senderReceived);
        out.add(new CarriedReceipt(new LogEntry(m, getVarLong(b), getVarLong(b), getVarLong(b), getInt(b))));
      }
      if (b.hasRemaining()) throw new MalformedFrameException(b.remaining() + " bytes after the carried receipts");
      return out;
    } catch (BufferUnderflowException e) {
      throw new MalformedFrameException("carried receipts cut short");
    } catch (IllegalArgumentException e) {
      throw new MalformedFrameException("invalid carried receipt: " + e.getMessage());
    }
  }

  private static void putVarLong(ByteArrayOutputStream out, long v) {
    if (v < 0) throw new IllegalArgumentException("a carried receipt's numbers are not negative: " + v);
    while (v >= 0x80) {
      out.write((int) (v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static long getVarLong(ByteBuffer b) throws MalformedFrameException {
    long v = 0;
    for (int shift = 0; shift < 63; shift += 7) {
      byte x = b.get();
      v |= (long) (x & 0x7f) << shift;
      if (x >= 0) return v;
    }
    throw new MalformedFrameException("a varint of a carried receipt is too long or negative");
  }

  private static int getInt(ByteBuffer b) throws MalformedFrameException {
    long v = getVarLong(b);
    if (v > Integer.MAX_VALUE) throw new MalformedFrameException("a carried receipt's field is out of range: " + v);
    return (int) v;
  }
}
