package org.vmqsc.server.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The key pair: made once, kept in an owner-only file, the same at every start, refused when exposed. */
public class ApiKeysTest {

  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void createdOnceOwnerOnlyAndLoadedAgain() throws IOException {
    Path home = tmp.getRoot().toPath().resolve("manager-home");
    ApiKeys first = ApiKeys.loadOrCreate(home);
    Path file = home.resolve(ApiKeys.FILE_NAME);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(86, first.apiKey().length());
    assertNotEquals(first.apiKey(), first.secretKey());
    assertEquals(first, ApiKeys.loadOrCreate(home));
    try (var files = Files.list(home)) {
      assertEquals("no temporary file left behind", 1, files.count());
    }
    assertTrue(!first.toString().contains(first.secretKey()));
  }

  @Test
  public void aFileOthersCanReadIsRefused() throws IOException {
    Path home = tmp.getRoot().toPath();
    ApiKeys.loadOrCreate(home);
    Files.setPosixFilePermissions(home.resolve(ApiKeys.FILE_NAME), PosixFilePermissions.fromString("rw-r--r--"));
    try {
      ApiKeys.loadOrCreate(home);
      fail("an exposed key file was accepted");
    } catch (IOException expected) {
      assertTrue(expected.getMessage().contains("chmod 600"));
    }
  }
}
