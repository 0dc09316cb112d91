package org.vmqsc.plugin.packaging;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.mockito.Mockito.mock;

import com.cloud.agent.AgentManager;
import com.cloud.ha.FenceBuilder;
import com.cloud.user.AccountService;
import com.cloud.utils.db.EntityManager;
import com.cloud.network.NetworkModel;
import com.cloud.vm.VirtualMachineManager;
import java.lang.reflect.Field;
import java.util.List;
import org.junit.Test;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.context.support.GenericXmlApplicationContext;
import org.vmqsc.plugin.server.VmqscManagerImpl;
import org.vmqsc.plugin.server.api.ProtectionGroupApi;

/**
 * The module's Spring context, from the packaged jar, loaded by Spring 5.3 under a parent that stands for
 * CloudStack's (its agent manager, entity and account services, and the fence-builder registry): the beans are
 * made and wired as CloudStack would make them. Starting them is CloudStack's lifecycle's job, not Spring's.
 */
public class SpringContextTest {

  /** CloudStack's ExtensionRegistry as the context's expression reads it. */
  public static final class Registry {
    private final List<Object> registered;

    public Registry(List<Object> registered) {
      this.registered = registered;
    }

    public List<Object> getRegistered() {
      return registered;
    }
  }

  @Test
  public void theModuleContextMakesTheManagerAndTheApiBean() throws Exception {
    FenceBuilder fencer = mock(FenceBuilder.class);
    AgentManager agents = mock(AgentManager.class);
    GenericApplicationContext cloudStack = new GenericApplicationContext();
    cloudStack.registerBean("haFenceBuildersRegistry", Registry.class, () -> new Registry(List.of(fencer)));
    cloudStack.registerBean(AgentManager.class, () -> agents);
    cloudStack.registerBean(EntityManager.class, () -> mock(EntityManager.class));
    cloudStack.registerBean(AccountService.class, () -> mock(AccountService.class));
    cloudStack.registerBean(VirtualMachineManager.class, () -> mock(VirtualMachineManager.class));
    cloudStack.registerBean(NetworkModel.class, () -> mock(NetworkModel.class));
    cloudStack.refresh();

    try (GenericXmlApplicationContext module = new GenericXmlApplicationContext()) {
      module.setParent(cloudStack);
      module.load("classpath:META-INF/cloudstack/vmqsc/spring-vmqsc-context.xml");
      module.refresh();
      VmqscManagerImpl manager = module.getBean("vmqscManager", VmqscManagerImpl.class);
      assertEquals("VmqscManager", manager.getName());
      assertEquals(List.of(fencer), field(manager, "fenceBuilders"));
      assertSame(agents, field(manager, "agentManager"));
      ProtectionGroupApi api = module.getBean(ProtectionGroupApi.class);
      assertSame(manager, field(api, "manager"));
      assertNotNull(field(api, "accounts"));
    }
    cloudStack.close();
  }

  private static Object field(Object o, String name) throws Exception {
    Field f = o.getClass().getDeclaredField(name);
    f.setAccessible(true);
    return f.get(o);
  }
}
