package org.apache.cloudstack.api.response;

import com.cloud.vm.VirtualMachine;
import org.apache.cloudstack.api.BaseResponse;
import org.apache.cloudstack.api.EntityReference;

@EntityReference(value = {VirtualMachine.class})
public class UserVmResponse extends BaseResponse {
}
