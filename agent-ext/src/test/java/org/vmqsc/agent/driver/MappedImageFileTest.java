package org.vmqsc.agent.driver;

import static org.hamcrest.CoreMatchers.containsString;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThat;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class MappedImageFileTest {

  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test public void readsEveryByteThroughManyWindowsInReadsOfAnyLength() throws IOException {
    Random random = new Random(7);
    for (int round = 0; round < 20; round++) {
      byte[] image = new byte[random.nextInt(300_000)];
      random.nextBytes(image);
      Path file = tmp.newFile().toPath();
      Files.write(file, image);
      long window = 1 + random.nextInt(70_000);
      ByteArrayOutputStream read = new ByteArrayOutputStream();
      try (InputStream in = MappedImageFile.open(file, window)) {
        assertEquals("round " + round, image.length, in.available());
        byte[] buffer = new byte[90_000];
        while (true) {
          int offset = random.nextInt(10);
          int n = in.read(buffer, offset, 1 + random.nextInt(80_000));
          if (n < 0) {
            break;
          }
          read.write(buffer, offset, n);
        }
        assertEquals("round " + round, 0, in.available());
        assertEquals("round " + round + ": nothing after the end", -1, in.read());
      }
      assertArrayEquals("round " + round + ", window " + window, image, read.toByteArray());
    }
  }

  @Test public void anEmptyFileEndsAtOnce() throws IOException {
    Path file = tmp.newFile().toPath();
    try (InputStream in = MappedImageFile.open(file)) {
      assertEquals(-1, in.read(new byte[10], 0, 10));
    }
  }

  @Test public void aFileCutShortWhileItIsReadFailsWithAnIoExceptionNamingIt() throws IOException {
    byte[] image = new byte[1 << 20];
    new Random(3).nextBytes(image);
    Path file = tmp.newFile().toPath();
    Files.write(file, image);
    try (InputStream in = MappedImageFile.open(file)) {
      byte[] buffer = new byte[4096];
      assertEquals(4096, in.readNBytes(buffer, 0, 4096));
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
        channel.truncate(8192);
      }
      in.readAllBytes();
      fail("read past the file's new end");
    } catch (IOException expected) {
      assertThat(expected.getMessage(), containsString(file.toString()));
      assertThat(expected.getMessage(), containsString("shorter"));
    }
  }
}
