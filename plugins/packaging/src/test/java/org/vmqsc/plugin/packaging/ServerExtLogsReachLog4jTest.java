package org.vmqsc.plugin.packaging;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.jar.JarFile;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * server-ext logs through slf4j 2, and CloudStack's management server ships slf4j 1.7 without a binding, which
 * drops every message. The packaged management-server jar carries slf4j 2 and its Log4j 2 binding relocated: a
 * message of server-ext's recovery coordinator, logged from the packaged jar, reaches Log4j 2.19 (CloudStack's
 * version, on this test's class path) like CloudStack's own.
 */
public class ServerExtLogsReachLog4jTest {

  private final StringWriter captured = new StringWriter();
  private Appender appender;

  @Before
  public void captureLog4j() {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    Configuration config = context.getConfiguration();
    appender = WriterAppender.newBuilder().setName("captured").setTarget(captured)
        .setLayout(PatternLayout.newBuilder().withPattern("%c %p %m%n").build()).build();
    appender.start();
    config.addAppender(appender);
    config.getRootLogger().addAppender(appender, Level.INFO, null);
    config.getRootLogger().setLevel(Level.INFO); // CloudStack's log4j configuration logs INFO and up
    context.updateLoggers();
  }

  @After
  public void stopCapturing() {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    context.getConfiguration().getRootLogger().removeAppender("captured");
    context.updateLoggers();
    appender.stop();
  }

  @Test
  public void aRecoveryCoordinatorWarningFromThePackagedJarIsInLog4j() throws Exception {
    Path jar = Path.of(System.getProperty("vmqsc.jars"), "vmqsc-server", "target",
        "vmqsc-server-" + System.getProperty("vmqsc.version") + ".jar");
    String coordinator = classBytes(jar, "org/vmqsc/server/recovery/RecoveryCoordinator.class");
    assertTrue("server-ext's classes log through the relocated slf4j", coordinator.contains("org/vmqsc/shaded/slf4j/Logger"));
    assertFalse("and never through CloudStack's slf4j 1.7", coordinator.contains("org/slf4j/"));

    try (URLClassLoader plugin = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null) {
      // Log4j from this test's class path, as CloudStack's flat class loader gives it; the rest from the jar.
      @Override protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.startsWith("org.apache.logging.log4j.")) return ServerExtLogsReachLog4jTest.class.getClassLoader().loadClass(name);
        return super.loadClass(name, resolve);
      }
    }) {
      Class<?> factory = plugin.loadClass("org.vmqsc.shaded.slf4j.LoggerFactory");
      Object logger = factory.getMethod("getLogger", String.class)
          .invoke(null, "org.vmqsc.server.recovery.RecoveryCoordinator");
      plugin.loadClass("org.vmqsc.shaded.slf4j.Logger").getMethod("warn", String.class, Object.class)
          .invoke(logger, "recovery of group {} failed", "g-1");
    }

    assertTrue(captured.toString(), captured.toString()
        .contains("org.vmqsc.server.recovery.RecoveryCoordinator WARN recovery of group g-1 failed"));
  }

  private static String classBytes(Path jar, String name) throws Exception {
    try (JarFile file = new JarFile(jar.toFile()); InputStream in = file.getInputStream(file.getEntry(name))) {
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
