package org.vmqsc.agent.net;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.Test;
import org.vmqsc.protocol.CarriedReceipt;
import org.vmqsc.protocol.LogEntry;
import org.vmqsc.protocol.Message;

public class CarriedReceiptCodecTest {

  private static CarriedReceipt receipt(SplittableRandom r, long bound) {
    int from = r.nextInt(64);
    Message m = new Message(from, (from + 1 + r.nextInt(63)) % 64, 1 + r.nextLong(bound - 1), r.nextLong(bound), r.nextInt(8),
        r.nextInt(60 * 1024), r.nextLong(), r.nextLong(bound));
    return new CarriedReceipt(new LogEntry(m, 1 + r.nextLong(bound - 1), r.nextLong(bound), r.nextLong(bound), r.nextInt(8)));
  }

  private static List<CarriedReceipt> batch(SplittableRandom r, int n, long bound) {
    List<CarriedReceipt> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(receipt(r, bound));
    return out;
  }

  @Test public void everyBatchComesBackAsItWent() throws Exception {
    SplittableRandom r = new SplittableRandom(7);
    for (int trial = 0; trial < 500; trial++) {
      long bound = trial % 2 == 0 ? 1000 : Long.MAX_VALUE; // small numbers, and the widest
      List<CarriedReceipt> sent = batch(r, r.nextInt(20), bound);
      assertEquals(sent, CarriedReceiptCodec.decode(CarriedReceiptCodec.encode(sent)));
    }
    assertEquals(List.of(), CarriedReceiptCodec.decode(CarriedReceiptCodec.encode(List.of())));
  }

  @Test public void aReceiptOfATypicalRunTakesAboutTwentyBytes() {
    List<CarriedReceipt> typical = batch(new SplittableRandom(1), 100, 1000);
    int perReceipt = (CarriedReceiptCodec.encode(typical).length - 1) / typical.size();
    assertTrue("a receipt takes " + perReceipt + " bytes", perReceipt >= 19 && perReceipt <= 28);
  }

  @Test public void cutOffDamagedOrPaddedBytesAreRefused() {
    byte[] good = CarriedReceiptCodec.encode(batch(new SplittableRandom(3), 5, 1000));
    for (int cut = 0; cut < good.length; cut++) {
      byte[] shorter = Arrays.copyOf(good, cut);
      assertThrows("cut at " + cut, MalformedFrameException.class, () -> CarriedReceiptCodec.decode(shorter));
    }
    byte[] padded = Arrays.copyOf(good, good.length + 1);
    assertThrows(MalformedFrameException.class, () -> CarriedReceiptCodec.decode(padded));
    byte[] hugeCount = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f};
    assertThrows(MalformedFrameException.class, () -> CarriedReceiptCodec.decode(hugeCount));
    byte[] endless = new byte[12];
    Arrays.fill(endless, (byte) 0x80);
    endless[0] = 1;
    assertThrows(MalformedFrameException.class, () -> CarriedReceiptCodec.decode(endless));
  }

  @Test public void aNegativeNumberIsNotEncoded() {
    Message m = new Message(0, 1, 1, 0, 0, 10, 5L, 0);
    CarriedReceipt bad = new CarriedReceipt(new LogEntry(m, 1, -1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> CarriedReceiptCodec.encode(List.of(bad)));
  }
}
