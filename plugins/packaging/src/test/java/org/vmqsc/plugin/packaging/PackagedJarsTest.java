package org.vmqsc.plugin.packaging;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * What each jar an admin installs holds, against what CloudStack needs and what it already loads. CloudStack's
 * management server and agent load every jar of their lib folders through one flat class loader, so a class that
 * is also in CloudStack's own jars (Gson, slf4j, Jetty, JNA, libvirt-java, a JDBC driver, JAXB, unrelocated
 * Jackson, Spring) would load from whichever jar comes first. The full listing goes to target/jar-contents.txt.
 */
public class PackagedJarsTest {

  /** Packages CloudStack's management server or agent already has, or must never see twice. */
  private static final List<String> FORBIDDEN = List.of("com/google/gson/", "org/slf4j/", "org/eclipse/jetty/",
      "com/sun/jna/", "org/libvirt/", "org/mariadb/", "com/mysql/", "com/zaxxer/", "org/glassfish/jaxb/",
      "com/sun/xml/bind/", "javax/xml/bind/", "com/fasterxml/jackson/", "org/springframework/", "ch/vorburger/",
      "org/apache/logging/log4j/", "javax/inject/", "org/apache/cloudstack/", "org/junit/", "org/mockito/",
      "net/bytebuddy/", "META-INF/versions/");

  private static Path dir;
  private static String version;

  @BeforeClass
  public static void listAll() throws IOException {
    dir = Path.of(System.getProperty("vmqsc.jars"));
    version = System.getProperty("vmqsc.version");
    StringBuilder listing = new StringBuilder();
    for (String module : List.of("vmqsc-common", "vmqsc-server", "vmqsc-kvm", "vmqsc-xen")) {
      List<String> names = entries(module);
      TreeMap<String, Integer> byPackage = new TreeMap<>();
      for (String n : names) {
        if (n.endsWith("/")) continue;
        int cut = n.lastIndexOf('/');
        byPackage.merge(cut < 0 ? "(root)" : n.substring(0, cut), 1, Integer::sum);
      }
      listing.append(jar(module).getFileName()).append(": ").append(names.size()).append(" entries\n");
      byPackage.forEach((p, n) -> listing.append("  ").append(p).append("  ").append(n).append('\n'));
    }
    Path out = Path.of(System.getProperty("vmqsc.listing"));
    Files.createDirectories(out.getParent());
    Files.writeString(out, listing, StandardCharsets.UTF_8);
  }

  @Test
  public void theManagementServerJarIsACloudStackModule() throws IOException {
    try (JarFile jar = new JarFile(jar("vmqsc-server").toFile())) {
      Properties module = new Properties();
      try (InputStream in = jar.getInputStream(entry(jar, "META-INF/cloudstack/vmqsc/module.properties"))) {
        module.load(in);
      }
      assertEquals("vmqsc", module.getProperty("name"));
      assertEquals("api", module.getProperty("parent"));
      String context;
      try (InputStream in = jar.getInputStream(entry(jar, "META-INF/cloudstack/vmqsc/spring-vmqsc-context.xml"))) {
        context = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      assertTrue(context.contains("org.vmqsc.plugin.server.VmqscManagerImpl"));
      entry(jar, "org/vmqsc/plugin/server/VmqscManagerImpl.class");
      entry(jar, "org/vmqsc/plugin/server/api/command/CreateProtectionGroupCmd.class");
      entry(jar, "org/vmqsc/server/catalog/Catalog.class");
      entry(jar, "db/vmqsc/V1__vmqsc_tables.sql");
      entry(jar, "org/flywaydb/core/Flyway.class");
      entry(jar, "org/hibernate/SessionFactory.class");
      entry(jar, "org/vmqsc/shaded/jackson/databind/ObjectMapper.class"); // Flyway's, relocated
      String services = new String(jar.getInputStream(entry(jar,
          "META-INF/services/org.flywaydb.core.extensibility.Plugin")).readAllBytes(), StandardCharsets.UTF_8);
      assertTrue("Flyway's MySQL/MariaDB support is registered", services.contains("MySQL")
          || services.contains("mysql"));
    }
    assertNoneOf("vmqsc-server", FORBIDDEN);
    assertNoneOf("vmqsc-server", List.of("org/vmqsc/plugin/command/", "com/cloud/", "com/github/luben/",
        "net/jpountz/"));
  }

  /** The host commands in the common jar (each ends in Command; their base class is VmqscCommand). */
  private static long commands() throws IOException {
    long n = entries("vmqsc-common").stream().filter(e -> e.startsWith("org/vmqsc/plugin/command/")
        && e.endsWith("Command.class") && !e.endsWith("/VmqscCommand.class")).count();
    assertTrue("the common jar holds the commands", n >= 17);
    return n;
  }

  @Test
  public void theAgentJarHasTheWrappersWhereCloudStacksAgentLooks() throws IOException {
    List<String> names = entries("vmqsc-kvm");
    List<String> ofCloudStack = names.stream().filter(n -> n.startsWith("com/cloud/") && !n.endsWith("/")).toList();
    assertEquals("one wrapper per command", commands(), ofCloudStack.stream()
        .filter(n -> n.endsWith("CommandWrapper.class")).count());
    for (String w : ofCloudStack) { // the wrappers and their shared helper, nothing of CloudStack's own
      assertTrue(w, w.startsWith("com/cloud/hypervisor/kvm/resource/wrapper/Vmqsc") && w.endsWith(".class"));
    }
    assertTrue(names.contains("org/vmqsc/plugin/host/HostAgent.class"));
    assertTrue(names.contains("org/vmqsc/agent/node/HostNode.class"));
    assertNoneOf("vmqsc-kvm", FORBIDDEN);
    assertNoneOf("vmqsc-kvm", List.of("org/vmqsc/plugin/command/", "org/vmqsc/server/", "org/hibernate/"));
  }

  @Test
  public void theXenJarHasTheWrappersWhereCloudStacksXenResourceLooks() throws IOException {
    List<String> names = entries("vmqsc-xen");
    List<String> ofCloudStack = names.stream().filter(n -> n.startsWith("com/cloud/") && !n.endsWith("/")).toList();
    assertEquals("one wrapper per command", commands(), ofCloudStack.stream()
        .filter(n -> n.endsWith("CommandWrapper.class")).count());
    for (String w : ofCloudStack) { // the wrappers and their shared helper, nothing of CloudStack's own
      assertTrue(w, w.startsWith("com/cloud/hypervisor/xenserver/resource/wrapper/xenbase/Vmqsc")
          && w.endsWith(".class"));
    }
    assertTrue(names.contains("org/vmqsc/plugin/xen/XenHostAgents.class"));
    assertTrue(names.contains("org/vmqsc/plugin/host/HostAgent.class"));
    assertTrue(names.contains("org/vmqsc/agent/xen/XenDriver.class"));
    assertNoneOf("vmqsc-xen", FORBIDDEN);
    // The management server has the XAPI binding and Apache XML-RPC from CloudStack's Xen plugin.
    assertNoneOf("vmqsc-xen", List.of("org/vmqsc/plugin/command/", "org/vmqsc/server/", "org/hibernate/",
        "com/xensource/", "org/apache/xmlrpc/", "org/apache/ws/"));
  }

  /** Each Xen host's dom0 needs the relay port's script; an admin finds it beside the Xen jar, ready to run. */
  @Test
  public void theDom0ScriptIsBesideTheXenJar() throws IOException {
    Path shipped = jar("vmqsc-xen").resolveSibling("vmqsc-relay-port.sh");
    assertTrue(shipped + " is missing", Files.isRegularFile(shipped));
    assertTrue(shipped + " is not executable", Files.isExecutable(shipped));
    assertArrayEquals(shipped + " differs from the repository's",
        Files.readAllBytes(dir.resolve("vmqsc-xen").resolve("dom0").resolve("vmqsc-relay-port.sh")),
        Files.readAllBytes(shipped));
  }

  @Test
  public void theCommonJarHoldsOnlyTheCommandsBothSidesDeserialise() throws IOException {
    for (String n : entries("vmqsc-common")) {
      if (n.endsWith("/") || n.startsWith("META-INF/")) continue;
      assertTrue(n, n.startsWith("org/vmqsc/plugin/command/"));
    }
    assertTrue(entries("vmqsc-common").contains("org/vmqsc/plugin/command/VmqscCommand.class"));
  }

  /**
   * Our own class in libvirt-java's package (it calls what the binding does not bind, through the binding's
   * pointers); the agent's and management server's libvirt-java stay theirs.
   */
  private static final List<String> OURS_IN_FOREIGN_PACKAGES = List.of("org/libvirt/", "org/libvirt/ExtraCalls.class",
      "org/libvirt/ExtraCalls$Virt.class", "org/libvirt/ExtraCalls$VirtQemu.class");

  private static void assertNoneOf(String module, List<String> prefixes) throws IOException {
    List<String> found = new ArrayList<>();
    for (String n : entries(module)) {
      if (OURS_IN_FOREIGN_PACKAGES.contains(n)) continue;
      for (String p : prefixes) if (n.startsWith(p)) found.add(n);
    }
    assertFalse(module + " must not hold " + found.stream().limit(5).toList(), !found.isEmpty());
  }

  private static ZipEntry entry(JarFile jar, String name) {
    ZipEntry e = jar.getEntry(name);
    assertTrue(jar.getName() + " lacks " + name, e != null);
    return e;
  }

  private static List<String> entries(String module) throws IOException {
    try (JarFile jar = new JarFile(jar(module).toFile())) {
      return jar.stream().map(ZipEntry::getName).toList();
    }
  }

  private static Path jar(String module) {
    return dir.resolve(module).resolve("target").resolve(module + "-" + version + ".jar");
  }
}
