package org.apache.cloudstack.api.response;

import com.cloud.host.Host;
import org.apache.cloudstack.api.BaseResponse;
import org.apache.cloudstack.api.EntityReference;

@EntityReference(value = Host.class)
public class HostResponse extends BaseResponse {
}
