/**
 * The provider's type tokens (@tencentcloud_iac/pulumi 0.2.3), in one place: the bindings, the
 * policy pack, the tests and the lab read them from here. Each is the SDK's own `__pulumiType`
 * (or the token its function invokes); tests/tencentcloud.test.ts checks them against the SDK's source.
 */
export const TYPES = {
  vpc: "tencentcloud:Vpc/instance:Instance",
  subnet: "tencentcloud:Subnet/instance:Instance",
  securityGroup: "tencentcloud:Security/group:Group",
  securityGroupRuleSet: "tencentcloud:Security/groupRuleSet:GroupRuleSet",
  /** Not used by the program; the policy pack guards against it all the same. */
  securityGroupRule: "tencentcloud:Security/groupRule:GroupRule",
  keyPair: "tencentcloud:Key/pair:Pair",
  instance: "tencentcloud:Instance/instance:Instance",
  havip: "tencentcloud:Ha/vip:Vip",
  havipEipAttachment: "tencentcloud:Ha/vipEipAttachment:VipEipAttachment",
  havipInstanceAttachment: "tencentcloud:Ha/vipInstanceAttachment:VipInstanceAttachment",
  eip: "tencentcloud:Eip/instance:Instance",
  clb: "tencentcloud:Clb/instance:Instance",
  clbListener: "tencentcloud:Clb/listener:Listener",
  clbListenerRule: "tencentcloud:Clb/listenerRule:ListenerRule",
  clbAttachment: "tencentcloud:Clb/attachment:Attachment",
} as const;

/** The provider's functions (data sources) the program and the verifier invoke. */
export const FUNCTIONS = {
  getVips: "tencentcloud:Ha/getVips:getVips",
  getImages: "tencentcloud:Images/getInstance:getInstance",
  getSubnets: "tencentcloud:Vpc/getSubnets:getSubnets",
  getTargetHealth: "tencentcloud:Clb/getTargetHealth:getTargetHealth",
} as const;

/** The provider's package: its ProviderResource's type (the SDK's `Provider.__pulumiType`), registered as `pulumi:providers:tencentcloud`. */
export const PROVIDER = "tencentcloud";
