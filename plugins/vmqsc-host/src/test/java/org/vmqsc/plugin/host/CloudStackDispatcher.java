package org.vmqsc.plugin.host;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import com.cloud.agent.api.Command;
import com.cloud.resource.ResourceWrapper;
import com.cloud.resource.ServerResource;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.Assume;

/**
 * CloudStack's own command dispatchers (its {@code RequestWrapper}s, which find the command wrappers by scanning
 * their packages), reached by reflection: they are in CloudStack's jars only, not in the declarations the default
 * build compiles against, so a test that uses them runs under {@code -Pcloudstack} and skips elsewhere.
 */
public final class CloudStackDispatcher {

  private CloudStackDispatcher() {}

  /** The dispatcher's one instance; skips the calling test, saying why, when CloudStack's jars are not there. */
  public static Object instance(String className) throws ReflectiveOperationException {
    Class<?> dispatcher;
    try {
      dispatcher = Class.forName(className);
    } catch (ClassNotFoundException e) {
      Assume.assumeTrue("skipped: " + className + " is in CloudStack's own jars only (build with -Pcloudstack)", false);
      throw e;
    }
    return dispatcher.getMethod("getInstance").invoke(null);
  }

  /** The wrappers the dispatcher found for resources of {@code resourceClass}, by the command each handles. */
  public static Map<Class<?>, Object> wrappersFor(Object dispatcher, Class<?> resourceClass)
      throws ReflectiveOperationException {
    Field resources = Class.forName("com.cloud.resource.RequestWrapper").getDeclaredField("resources");
    resources.setAccessible(true);
    Map<?, ?> commands = (Map<?, ?>) ((Map<?, ?>) resources.get(dispatcher)).get(resourceClass);
    Map<Class<?>, Object> out = new HashMap<>();
    if (commands != null) commands.forEach((command, wrapper) -> out.put((Class<?>) command, wrapper));
    return out;
  }

  /**
   * Checks that the dispatcher found each of {@code wrappers} for resources of {@code resourceClass}, under the
   * command its {@code @ResourceWrapper} names.
   */
  public static void assertFinds(Object dispatcher, Class<?> resourceClass, List<Class<?>> wrappers)
      throws ReflectiveOperationException {
    Map<Class<?>, Object> found = wrappersFor(dispatcher, resourceClass);
    for (Class<?> w : wrappers) {
      Class<?> command = w.getAnnotation(ResourceWrapper.class).handles();
      assertNotNull(command.getSimpleName() + " has no wrapper in " + dispatcher.getClass().getSimpleName(),
          found.get(command));
      assertEquals(w, found.get(command).getClass());
    }
  }

  /** What the dispatcher answers to {@code command} for {@code resource}, as CloudStack calls it. */
  public static Object execute(Object dispatcher, Command command, ServerResource resource)
      throws ReflectiveOperationException {
    try {
      return dispatcher.getClass().getMethod("execute", Command.class, ServerResource.class)
          .invoke(dispatcher, command, resource);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw e;
    }
  }
}
