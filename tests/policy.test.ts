// The iam-ha policy pack (policy/). Each policy is called directly with fake args, whose props
// are built by @pulumi/policy's own deserializer and proxies (as its gRPC server builds them), so
// secret markers and preview-time unknowns behave as under `pulumi preview --policy-pack policy`.
// The last block boots the pack with Pulumi's own launcher and talks to it over gRPC, in the
// order the engine does (Remediate, then Analyze per resource; AnalyzeStack at the end).
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import type {
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { JavaScriptValue, Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as YAML from "yaml";
import { COMMAND_TYPE, type ProgramRun, type Registration } from "../lab/program/programUnderMocks";
import { runWith } from "./fixtures/program";
import { stackValues } from "./fixtures/stacks";
import { ipv4InCidr, isInternetCidr, portSpecCovers } from "../policy/lib/network";
import { atLeastTwoNodes } from "../policy/policies/atLeastTwoNodes";
import { eipBoundToHavip } from "../policy/policies/eipBoundToHavip";
import { nodesInHavipSubnet } from "../policy/policies/nodesInHavipSubnet";
import { noPublicSshOrMariadb } from "../policy/policies/noPublicSshOrMariadb";
import { findPlaintextSecrets, secretConfigValues, secretsAreSecret } from "../policy/policies/secretsAreSecret";
import { TYPES } from "../tencentcloud/tokens";

const ROOT = path.resolve(__dirname, "..");
const POLICY_DIR = path.join(ROOT, "policy");
/** @pulumi/command's remote step; not a provider token, so not in tencentcloud/tokens.ts. */

// ------------------------------------------------------------------------------------------------
// Props exactly as @pulumi/policy's server hands them to policies. Its deserializer and proxies
// are internal modules (typed `export {}`), hence require().

type Props = Record<string, unknown>;
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
  deserializeProperties(struct: Struct, proxySecrets: boolean): Props;
};
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy(props: Props): Props };
const { specialSigKey, specialSecretSig } = require("@pulumi/pulumi/runtime/rpc") as { specialSigKey: string; specialSecretSig: string };

/** A secret input, as the engine marshals it. */
const secret = (value: JavaScriptValue): JavaScriptValue => ({ [specialSigKey]: specialSecretSig, value });
/** An unknown string input, as the engine marshals it during preview. */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** What validateResource / validateStack get: secrets unwrapped, unknowns throw on read. */
const analysisProps = (js: { [k: string]: JavaScriptValue }): Props => unknownCheckingProxy(deserializeProperties(Struct.fromJavaScript(js), false));
/** What remediateResource gets: the same, but secrets kept behind a secret-preserving proxy. */
const remediationProps = (js: { [k: string]: JavaScriptValue }): Props => unknownCheckingProxy(deserializeProperties(Struct.fromJavaScript(js), true));

// ------------------------------------------------------------------------------------------------
// Fake args (strict-typed, after pulumi-notes.md section 6)

const OPTS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};
const urnOf = (type: string, name: string): string => `urn:pulumi:prod::iam-ha::${type}::${name}`;

function resourceArgs(type: string, name: string, props: Props): ResourceValidationArgs {
  return {
    type,
    name,
    props,
    urn: urnOf(type, name),
    opts: OPTS,
    stackTags: new Map<string, string>(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <C extends object>() => ({}) as C,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason ?? ""}`);
    },
  };
}

function resource(
  type: string,
  name: string,
  js: { [k: string]: JavaScriptValue },
  links: Partial<Pick<PolicyResource, "dependencies" | "propertyDependencies">> = {},
): PolicyResource {
  return {
    type,
    name,
    urn: urnOf(type, name),
    props: analysisProps(js),
    opts: OPTS,
    dependencies: links.dependencies ?? [],
    propertyDependencies: links.propertyDependencies ?? {},
    isType: () => false,
    asType: () => undefined,
  };
}

interface Violation {
  message: string;
  urn?: string;
}

async function checkResource(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<Violation[]> {
  const out: Violation[] = [];
  const report: ReportViolation = (message: string, urn?: string) => {
    out.push({ message, urn });
  };
  const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  for (const validate of validations) {
    await validate(args, report);
  }
  return out;
}

async function checkStack(policy: StackValidationPolicy, resources: PolicyResource[]): Promise<Violation[]> {
  const out: Violation[] = [];
  const args: StackValidationArgs = {
    resources,
    stackTags: new Map<string, string>(),
    getConfig: <C extends object>() => ({}) as C,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason ?? ""}`);
    },
  };
  await policy.validateStack(args, (message: string, urn?: string) => {
    out.push({ message, urn });
  });
  return out;
}

/** The engine's order for one resource: remediation pass, then analysis pass. */
async function checkSecrets(type: string, name: string, js: { [k: string]: JavaScriptValue }): Promise<Violation[]> {
  const remediated = await secretsAreSecret.remediateResource?.(resourceArgs(type, name, remediationProps(js)));
  expect(remediated).toBeUndefined(); // it refuses; it never rewrites inputs
  return checkResource(secretsAreSecret, resourceArgs(type, name, analysisProps(js)));
}

// ------------------------------------------------------------------------------------------------

describe("helpers", () => {
  it.each([
    ["0.0.0.0/0", true],
    ["::/0", true],
    ["0.0.0.0", true],
    ["10.0.0.0/8", false],
    ["203.0.113.10/32", false],
    ["2001:db8::/32", false],
    ["not-a-cidr", false],
  ])("isInternetCidr(%s) is %s", (cidr, expected) => {
    expect(isInternetCidr(cidr)).toBe(expected);
  });

  it.each([
    [undefined, 22, true],
    ["", 22, true],
    ["ALL", 3306, true],
    ["all", 22, true],
    ["22", 22, true],
    ["2222", 22, false],
    ["80,443", 22, false],
    ["80, 443,3306", 3306, true],
    ["20-25", 22, true],
    ["3000-4000", 3306, true],
    ["23-65535", 22, false],
    ["garbage", 22, true],
  ])("portSpecCovers(%s, %s) is %s", (spec, port, expected) => {
    expect(portSpecCovers(spec, port)).toBe(expected);
  });

  it.each([
    ["10.0.4.20", "10.0.4.0/24", true],
    ["10.0.5.20", "10.0.4.0/24", false],
    ["10.0.4.255", "10.0.4.0/24", true],
    ["10.0.4", "10.0.4.0/24", undefined],
    ["10.0.4.20", "nope", undefined],
  ])("ipv4InCidr(%s, %s) is %s", (ip, cidr, expected) => {
    expect(ipv4InCidr(ip, cidr)).toBe(expected);
  });
});

// ------------------------------------------------------------------------------------------------

describe("no-public-ssh-or-mariadb", () => {
  const ruleSet = (ingresses: JavaScriptValue[]): ResourceValidationArgs =>
    resourceArgs(TYPES.securityGroupRuleSet, "iam-ha-rules", analysisProps({ securityGroupId: "sg-1", ingresses }));
  const portsIn = (vs: Violation[]): number[] => vs.map((v) => Number(/opens TCP (\d+)/.exec(v.message)?.[1]));

  it.each<[string, { [k: string]: JavaScriptValue }, number[]]>([
    ["TCP 22 from 0.0.0.0/0", { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "22" }, [22]],
    ["TCP 3306 from 0.0.0.0/0", { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "3306" }, [3306]],
    ["TCP ALL ports from 0.0.0.0/0", { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "ALL" }, [22, 3306]],
    ["protocol ALL from 0.0.0.0/0", { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "ALL", port: "ALL" }, [22, 3306]],
    ["no protocol, no port (Tencent: all)", { action: "ACCEPT", cidrBlock: "0.0.0.0/0" }, [22, 3306]],
    ["a list holding 22", { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "80,22,443" }, [22]],
    ["a range covering 3306", { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "3000-4000" }, [3306]],
    ["TCP 22 from ::/0", { action: "ACCEPT", ipv6CidrBlock: "::/0", protocol: "TCP", port: "22" }, [22]],
  ])("refuses %s", async (_what, ingress, ports) => {
    const violations = await checkResource(noPublicSshOrMariadb, ruleSet([ingress]));
    expect(portsIn(violations)).toEqual(ports);
  });

  it.each<[string, { [k: string]: JavaScriptValue }]>([
    ["HTTP/HTTPS from 0.0.0.0/0", { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "80,443" }],
    ["SSH from the admin /32", { action: "ACCEPT", cidrBlock: "203.0.113.10/32", protocol: "TCP", port: "22" }],
    ["VRRP (protocol ALL) from the subnet", { action: "ACCEPT", cidrBlock: "10.0.4.0/24", protocol: "ALL", port: "ALL" }],
    ["UDP 22 from 0.0.0.0/0", { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "UDP", port: "22" }],
    ["DROP of SSH from 0.0.0.0/0", { action: "DROP", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "22" }],
    ["MariaDB from the nodes' security group", { action: "ACCEPT", sourceSecurityId: "sg-1", protocol: "TCP", port: "3306" }],
  ])("allows %s", async (_what, ingress) => {
    expect(await checkResource(noPublicSshOrMariadb, ruleSet([ingress]))).toEqual([]);
  });

  it("passes the rule set the program is meant to create", async () => {
    const good = ruleSet([
      { action: "ACCEPT", cidrBlock: "203.0.113.10/32", protocol: "TCP", port: "22", description: "SSH from the operators" },
      { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "80,443", description: "the sites" },
      { action: "ACCEPT", cidrBlock: "10.0.4.0/24", protocol: "ALL", port: "ALL", description: "VRRP, MariaDB, backends inside the subnet" },
    ]);
    expect(await checkResource(noPublicSshOrMariadb, good)).toEqual([]);
  });

  it("names the resource, the rule, the problem and the fix", async () => {
    const [v] = await checkResource(noPublicSshOrMariadb, ruleSet([{ action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "22" }]));
    expect(v.message).toBe(
      `${TYPES.securityGroupRuleSet} "iam-ha-rules": ingress #0 (ACCEPT 0.0.0.0/0 protocol TCP port 22) opens TCP 22 (SSH) to the whole Internet (0.0.0.0/0). ` +
        "Fix: restrict the source to the operators' address (config iam-ha:adminCidr, e.g. your office's /32) or a bastion's security group; never use 0.0.0.0/0 or ::/0 for port 22.",
    );
  });

  it("checks a single GroupRule too (cidrIp, ipProtocol, portRange, policy)", async () => {
    const rule = (props: { [k: string]: JavaScriptValue }) =>
      resourceArgs(TYPES.securityGroupRule, "ssh", analysisProps({ securityGroupId: "sg-1", ...props }));
    const open = { type: "INGRESS", cidrIp: "0.0.0.0/0", ipProtocol: "tcp", portRange: "22", policy: "ACCEPT" };
    expect(await checkResource(noPublicSshOrMariadb, rule(open))).toHaveLength(1);
    expect(await checkResource(noPublicSshOrMariadb, rule({ ...open, type: "egress" }))).toEqual([]);
    expect(await checkResource(noPublicSshOrMariadb, rule({ ...open, cidrIp: "10.0.4.0/24" }))).toEqual([]);
  });

  it.each<[string, { [k: string]: JavaScriptValue }]>([
    ["cidrBlock", { action: "ACCEPT", cidrBlock: UNKNOWN_STRING, protocol: "TCP", port: "22" }],
    ["port (not read as 'all ports')", { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: UNKNOWN_STRING }],
    ["protocol", { action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: UNKNOWN_STRING, port: "22" }],
  ])("neither fails nor guesses when the %s is unknown during preview", async (_what, ingress) => {
    await expect(checkResource(noPublicSshOrMariadb, ruleSet([ingress]))).resolves.toEqual([]);
  });

  it("neither fails nor guesses when the whole ingress list is unknown during preview", async () => {
    const args = resourceArgs(
      TYPES.securityGroupRuleSet,
      "rules",
      analysisProps({ securityGroupId: UNKNOWN_STRING, ingresses: "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2" }),
    );
    await expect(checkResource(noPublicSshOrMariadb, args)).resolves.toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------

describe("eip-bound-to-havip", () => {
  const havip = resource(TYPES.havip, "iam-ha-havip", { vpcId: "vpc-1", subnetId: "subnet-1", vip: "10.0.4.99" });

  it("passes an EIP whose attachment takes addressIp from it (publicIp unknown during preview)", async () => {
    const eip = resource(TYPES.eip, "iam-ha-eip", { publicIp: UNKNOWN_STRING });
    const attach = resource(
      TYPES.havipEipAttachment,
      "iam-ha-eip-attachment",
      { havipId: UNKNOWN_STRING, addressIp: UNKNOWN_STRING },
      {
        dependencies: [havip, eip],
        propertyDependencies: { havipId: [havip], addressIp: [eip] },
      },
    );
    expect(await checkStack(eipBoundToHavip, [havip, eip, attach])).toEqual([]);
  });

  it("passes an EIP whose publicIp equals an attachment's addressIp", async () => {
    const eip = resource(TYPES.eip, "iam-ha-eip", { publicIp: "203.0.113.50" });
    const attach = resource(TYPES.havipEipAttachment, "attach", { havipId: "havip-1", addressIp: "203.0.113.50" });
    expect(await checkStack(eipBoundToHavip, [havip, eip, attach])).toEqual([]);
  });

  it("refuses an EIP that nothing binds, naming it and the idle fee", async () => {
    const eip = resource(TYPES.eip, "iam-ha-eip", { publicIp: "203.0.113.50" });
    const violations = await checkStack(eipBoundToHavip, [havip, eip]);
    expect(violations).toEqual([{ urn: eip.urn, message: expect.stringContaining(`${TYPES.eip} "iam-ha-eip" is not bound to the HAVIP`) }]);
    expect(violations[0].message).toMatch(/billed as idle/);
    expect(violations[0].message).toMatch(/Fix: add a VipEipAttachment/);
  });

  it("refuses the one EIP left over when another is bound", async () => {
    const bound = resource(TYPES.eip, "bound", { publicIp: "203.0.113.50" });
    const spare = resource(TYPES.eip, "spare", { publicIp: "203.0.113.51" });
    const attach = resource(
      TYPES.havipEipAttachment,
      "attach",
      { havipId: "havip-1", addressIp: "203.0.113.50" },
      { propertyDependencies: { addressIp: [bound] } },
    );
    const violations = await checkStack(eipBoundToHavip, [havip, bound, spare, attach]);
    expect(violations.map((v) => v.urn)).toEqual([spare.urn]);
  });
});

// ------------------------------------------------------------------------------------------------

describe("at-least-two-nodes", () => {
  const node = (name: string, ip: string): PolicyResource => resource(TYPES.instance, name, { privateIp: ip, subnetId: "subnet-1" });

  it.each([0, 1])("refuses a stack with %i CVM(s)", async (n) => {
    const nodes = [node("node-1", "10.0.4.20")].slice(0, n);
    const violations = await checkStack(atLeastTwoNodes, nodes);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toMatch(new RegExp(`declares ${n} ${TYPES.instance.replace(/[/]/g, "\\/")}`));
    expect(violations[0].message).toMatch(/Fix: list at least two nodes in config iam-ha:nodes/);
  });

  it("passes two CVMs", async () => {
    expect(await checkStack(atLeastTwoNodes, [node("node-1", "10.0.4.20"), node("node-2", "10.0.4.21")])).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------

describe("nodes-in-havip-subnet", () => {
  const subnet = resource(TYPES.subnet, "iam-ha-subnet", { vpcId: UNKNOWN_STRING, cidrBlock: "10.0.4.0/24", availabilityZone: "ap-guangzhou-3" });
  const havip = resource(
    TYPES.havip,
    "iam-ha-havip",
    { vpcId: UNKNOWN_STRING, subnetId: UNKNOWN_STRING, vip: "10.0.4.99" },
    { propertyDependencies: { subnetId: [subnet] } },
  );
  const node = (name: string, ip: string, links: Partial<Pick<PolicyResource, "propertyDependencies">> = { propertyDependencies: { subnetId: [subnet] } }) =>
    resource(TYPES.instance, name, { privateIp: ip, subnetId: UNKNOWN_STRING }, links);

  it("passes nodes inside the HAVIP's subnet (first preview: ids unknown)", async () => {
    expect(await checkStack(nodesInHavipSubnet, [subnet, havip, node("node-1", "10.0.4.20"), node("node-2", "10.0.4.21")])).toEqual([]);
  });

  it("refuses a node whose privateIp is outside the subnet, naming node, address, CIDR and fix", async () => {
    const stray = node("node-2", "10.0.5.21");
    const violations = await checkStack(nodesInHavipSubnet, [subnet, havip, node("node-1", "10.0.4.20"), stray]);
    expect(violations).toHaveLength(1);
    expect(violations[0].urn).toBe(stray.urn);
    expect(violations[0].message).toMatch(/"node-2" has privateIp 10\.0\.5\.21, outside 10\.0\.4\.0\/24/);
    expect(violations[0].message).toMatch(/Fix: give the node a privateIp inside 10\.0\.4\.0\/24/);
  });

  it("matches the HAVIP's subnet by id when known", async () => {
    const a = resource(TYPES.subnet, "a", { id: "subnet-a", cidrBlock: "10.0.4.0/24" });
    const b = resource(TYPES.subnet, "b", { id: "subnet-b", cidrBlock: "10.0.5.0/24" });
    const vip = resource(TYPES.havip, "vip", { subnetId: "subnet-b", vip: "10.0.5.99" });
    const n1 = resource(TYPES.instance, "n1", { privateIp: "10.0.5.20", subnetId: "subnet-b" });
    const n2 = resource(TYPES.instance, "n2", { privateIp: "10.0.4.20", subnetId: "subnet-a" });
    const violations = await checkStack(nodesInHavipSubnet, [a, b, vip, n1, n2]);
    expect(violations.map((v) => v.urn)).toEqual([n2.urn]);
  });

  it("falls back to the only subnet when the HAVIP's subnetId cannot be resolved", async () => {
    const vip = resource(TYPES.havip, "vip", { subnetId: UNKNOWN_STRING });
    const violations = await checkStack(nodesInHavipSubnet, [subnet, vip, node("n1", "10.0.4.20", {}), node("n2", "192.168.1.2", {})]);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toMatch(/192\.168\.1\.2/);
  });

  it("refuses a node without a fixed privateIp that is created in another subnet", async () => {
    const other = resource(TYPES.subnet, "other", { cidrBlock: "10.0.5.0/24" });
    const n = resource(TYPES.instance, "n", { subnetId: UNKNOWN_STRING }, { propertyDependencies: { subnetId: [other] } });
    const violations = await checkStack(nodesInHavipSubnet, [subnet, other, havip, n]);
    expect(violations).toEqual([{ urn: n.urn, message: expect.stringMatching(/"n" is in .*"other", but .*"iam-ha-havip" lives in .*"iam-ha-subnet"/) }]);
  });

  it("has nothing to check with an existing subnet (no Subnet resource)", async () => {
    const vip = resource(TYPES.havip, "vip", { subnetId: "subnet-existing" });
    expect(await checkStack(nodesInHavipSubnet, [vip, node("n1", "10.9.9.9", {})])).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------

describe("secrets-are-secret", () => {
  const GRANTS = "CREATE USER IF NOT EXISTS 'iam'@'10.0.4.21' IDENTIFIED BY 'S3cret-db-pass'; GRANT ALL ON iam.* TO 'iam'@'10.0.4.21';";
  const KEEPALIVED = "vrrp_instance VI_1 {\n  authentication {\n    auth_type PASS\n    auth_pass vrrpPw1\n  }\n}\n";
  const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
  const connection = (privateKey: JavaScriptValue): JavaScriptValue => ({ host: "10.0.4.20", user: "ubuntu", privateKey });

  afterEach(() => {
    delete process.env["PULUMI_CONFIG"];
  });

  it("passes a remote.Command whose stdin and connection are secrets (config.requireSecret + @pulumi/command 1.x)", async () => {
    const props = { create: "sudo mysql", stdin: secret(GRANTS), connection: secret(connection(KEY)), logging: "none" };
    expect(await checkSecrets(COMMAND_TYPE, "grants", props)).toEqual([]);
  });

  it("refuses MariaDB grants whose password is in a plaintext stdin, without printing the password", async () => {
    const violations = await checkSecrets(COMMAND_TYPE, "grants", { create: "sudo mysql", stdin: GRANTS, connection: secret(connection(KEY)) });
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toMatch(/^command:remote:Command "grants" has a MariaDB password \(IDENTIFIED BY \.\.\.\) in plaintext at input "stdin"/);
    expect(violations[0].message).toMatch(/pulumi config set --secret iam-ha:dbPassword/);
    expect(violations[0].message).not.toContain("S3cret-db-pass");
  });

  it("refuses a keepalived.conf with a plaintext auth_pass in a command", async () => {
    const violations = await checkSecrets(COMMAND_TYPE, "keepalived-conf", {
      create: `sudo tee /etc/keepalived/keepalived.conf <<'EOF'\n${KEEPALIVED}EOF`,
      connection: secret(connection(KEY)),
    });
    expect(violations.map((v) => v.message)).toEqual([expect.stringMatching(/a keepalived auth_pass in plaintext at input "create".*iam-ha:vrrpAuthPass/)]);
    expect(violations[0].message).not.toContain("vrrpPw1");
  });

  it("refuses an SSH private key in a plaintext connection (a connection not wrapped as secret)", async () => {
    const violations = await checkSecrets(COMMAND_TYPE, "install", { create: "true", connection: connection(KEY) });
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringMatching(/a plaintext "privateKey" in plaintext at input "connection.privateKey".*iam-ha:sshPrivateKey/),
    ]);
  });

  it("refuses a plaintext CVM password and passes a secret one", async () => {
    expect(await checkSecrets(TYPES.instance, "node-1", { privateIp: "10.0.4.20", password: "Instance-Pass-1" })).toHaveLength(1);
    expect(await checkSecrets(TYPES.instance, "node-1", { privateIp: "10.0.4.20", password: secret("Instance-Pass-1") })).toEqual([]);
  });

  it("refuses the stack's secret config value found in any plaintext input (PULUMI_CONFIG from the CLI)", async () => {
    process.env["PULUMI_CONFIG"] = JSON.stringify({ "iam-ha:dbPassword": "correct-horse-battery", "iam-ha:havip": "10.0.4.99" });
    const plain = await checkSecrets(TYPES.instance, "node-1", { userData: "#!/bin/sh\necho correct-horse-battery > /root/db\n" });
    expect(plain.map((v) => v.message)).toEqual([expect.stringMatching(/the value of iam-ha:dbPassword in plaintext at input "userData"/)]);
    expect(await checkSecrets(TYPES.instance, "node-1", { userData: secret("#!/bin/sh\necho correct-horse-battery > /root/db\n") })).toEqual([]);
  });

  it("passes inputs unknown during preview", async () => {
    expect(await checkSecrets(COMMAND_TYPE, "grants", { create: "sudo mysql", stdin: UNKNOWN_STRING, connection: secret(connection(UNKNOWN_STRING)) })).toEqual(
      [],
    );
  });

  it("passes ordinary plaintext (nginx config, plain SQL)", async () => {
    expect(await checkSecrets(COMMAND_TYPE, "nginx", { create: "sudo nginx -t && sudo systemctl reload nginx", stdin: "server { listen 80; }" })).toEqual([]);
    expect(await checkSecrets(COMMAND_TYPE, "db", { create: "sudo mysql", stdin: "CREATE DATABASE IF NOT EXISTS iam;" })).toEqual([]);
  });

  it("sees nothing without its remediation pass: validateResource alone cannot see secret markers", async () => {
    // This is why the policy runs at enforcement level "remediate" (see policy/policies/secretsAreSecret.ts).
    const props = analysisProps({ stdin: GRANTS });
    expect(props["stdin"]).toBe(GRANTS); // analysis props carry no secret marker either way
    expect(await checkResource(secretsAreSecret, resourceArgs(COMMAND_TYPE, "grants", props))).toEqual([]);
    expect(secretsAreSecret.enforcementLevel).toBe("remediate");
  });

  it("findPlaintextSecrets walks nested inputs and skips everything under a secret", () => {
    const props = remediationProps({ environment: { A: "x", B: secret({ C: GRANTS }) }, list: ["ok", GRANTS] });
    expect(findPlaintextSecrets(props, [])).toEqual([{ path: "list[1]", what: "a MariaDB password (IDENTIFIED BY ...)", configKey: "iam-ha:dbPassword" }]);
  });

  it("reads only the secret keys from PULUMI_CONFIG and ignores values too short to match safely", () => {
    const env = { PULUMI_CONFIG: JSON.stringify({ "iam-ha:vrrpAuthPass": "short", "iam-ha:dbPassword": "long-enough-pass", "iam-ha:havip": "10.0.4.99" }) };
    expect(secretConfigValues(env)).toEqual([{ key: "iam-ha:dbPassword", value: "long-enough-pass" }]);
    expect(secretConfigValues({})).toEqual([]);
    expect(secretConfigValues({ PULUMI_CONFIG: "not json" })).toEqual([]);
  });

  it("is backed by the CLI: Pulumi.yaml declares the keepalived, DB and SSH keys typed and secret", () => {
    // With `secret: true` on a typed key, `pulumi preview` refuses a plaintext value in
    // Pulumi.<stack>.yaml ("must be encrypted as it's secret") before the program runs.
    const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, { type?: string; secret?: boolean }> };
    for (const key of ["vrrpAuthPass", "dbPassword", "sshPrivateKey"]) {
      expect({ key, ...project.config[key] }).toMatchObject({ key, type: "string", secret: true });
    }
  });
});

// ------------------------------------------------------------------------------------------------
// End to end: the pack as the CLI runs it (Pulumi's run-policy-pack launcher, ts-node, gRPC).

describe("the pack over gRPC, as `pulumi preview --policy-pack policy` drives it", () => {
  let child: ChildProcess;
  let client: AnalyzerClient;
  let stderr = "";

  beforeAll(async () => {
    const launcher = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
    child = spawn(process.execPath, [launcher, "127.0.0.1:0", "."], {
      cwd: POLICY_DIR,
      env: { ...process.env, PULUMI_CONFIG: JSON.stringify({ "iam-ha:dbPassword": "correct-horse-battery" }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim()));
      child.once("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
    });
    expect(port).toMatch(/^\d+$/);
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }, 120000);

  afterAll(() => {
    client?.close();
    child?.kill();
  });

  const options = (): pb.AnalyzerResourceOptions => new pb.AnalyzerResourceOptions();
  function request(type: string, name: string, props: { [k: string]: JavaScriptValue }): pb.AnalyzeRequest {
    const req = new pb.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(urnOf(type, name));
    req.setProperties(Struct.fromJavaScript(props));
    req.setOptions(options());
    return req;
  }
  // One promise wrapper per RPC (the generated client methods are overloaded).
  const settle =
    <R>(resolve: (r: R) => void, reject: (e: Error) => void) =>
    (e: grpc.ServiceError | null, r: R): void =>
      e ? reject(e) : resolve(r);
  const rpc = {
    info: () => new Promise<pb.AnalyzerInfo>((res, rej) => client.getAnalyzerInfo(new Empty(), settle(res, rej))),
    remediate: (req: pb.AnalyzeRequest) => new Promise<pb.RemediateResponse>((res, rej) => client.remediate(req, settle(res, rej))),
    analyze: (req: pb.AnalyzeRequest) => new Promise<pb.AnalyzeResponse>((res, rej) => client.analyze(req, settle(res, rej))),
    analyzeStack: (req: pb.AnalyzeStackRequest) => new Promise<pb.AnalyzeResponse>((res, rej) => client.analyzeStack(req, settle(res, rej))),
  };
  /** Remediate, then Analyze: the engine's two passes for one resource. */
  async function analyzeResource(req: pb.AnalyzeRequest): Promise<Array<{ policy: string; level: pb.EnforcementLevel; message: string }>> {
    const remediation = await rpc.remediate(req);
    expect(remediation.getRemediationsList()).toEqual([]);
    const res = await rpc.analyze(req);
    return res.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
  }

  it("announces the pack and its five policies", async () => {
    const info = await rpc.info();
    expect(info.getName()).toBe("iam-ha");
    expect(info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()])).toEqual([
      ["no-public-ssh-or-mariadb", pb.EnforcementLevel.MANDATORY],
      ["eip-bound-to-havip", pb.EnforcementLevel.MANDATORY],
      ["secrets-are-secret", pb.EnforcementLevel.REMEDIATE],
      ["at-least-two-nodes", pb.EnforcementLevel.MANDATORY],
      ["nodes-in-havip-subnet", pb.EnforcementLevel.MANDATORY],
    ]);
  });

  it("blocks (mandatory) a plaintext DB password and lets the secret one through", async () => {
    const plain = await analyzeResource(
      request(COMMAND_TYPE, "grants", { create: "sudo mysql", stdin: "CREATE USER 'iam'@'%' IDENTIFIED BY 'x';", connection: secret({ host: "10.0.4.20" }) }),
    );
    expect(plain).toEqual([
      { policy: "secrets-are-secret", level: pb.EnforcementLevel.MANDATORY, message: expect.stringContaining('in plaintext at input "stdin"') },
    ]);
    const secretOne = await analyzeResource(
      request(COMMAND_TYPE, "grants", {
        create: "sudo mysql",
        stdin: secret("CREATE USER 'iam'@'%' IDENTIFIED BY 'x';"),
        connection: secret({ host: "10.0.4.20" }),
      }),
    );
    expect(secretOne).toEqual([]);
  });

  it("finds the stack's secret config value that the CLI passes as PULUMI_CONFIG", async () => {
    const found = await analyzeResource(request(TYPES.instance, "node-1", { privateIp: "10.0.4.20", userData: "echo correct-horse-battery" }));
    expect(found.map((d) => d.message)).toEqual([expect.stringContaining("the value of iam-ha:dbPassword")]);
  });

  it("blocks SSH open to the Internet", async () => {
    const found = await analyzeResource(
      request(TYPES.securityGroupRuleSet, "rules", {
        securityGroupId: "sg-1",
        ingresses: [{ action: "ACCEPT", cidrBlock: "0.0.0.0/0", protocol: "TCP", port: "22" }],
      }),
    );
    expect(found).toEqual([
      { policy: "no-public-ssh-or-mariadb", level: pb.EnforcementLevel.MANDATORY, message: expect.stringContaining("opens TCP 22 (SSH)") },
    ]);
  });

  function stackResource(
    type: string,
    name: string,
    props: { [k: string]: JavaScriptValue },
    propertyDependencies: Record<string, string[]> = {},
  ): pb.AnalyzerResource {
    const r = new pb.AnalyzerResource();
    r.setType(type);
    r.setName(name);
    r.setUrn(urnOf(type, name));
    r.setProperties(Struct.fromJavaScript(props));
    r.setOptions(options());
    r.setDependenciesList([...new Set(Object.values(propertyDependencies).flat())]);
    for (const [prop, urns] of Object.entries(propertyDependencies)) {
      const deps = new pb.AnalyzerPropertyDependencies();
      deps.setUrnsList(urns);
      r.getPropertydependenciesMap().set(prop, deps);
    }
    return r;
  }
  async function analyzeStack(resources: pb.AnalyzerResource[]): Promise<Array<{ policy: string; level: pb.EnforcementLevel; message: string }>> {
    const req = new pb.AnalyzeStackRequest();
    req.setResourcesList(resources);
    const res = await rpc.analyzeStack(req);
    return res.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
  }

  const subnetUrn = urnOf(TYPES.subnet, "subnet");
  const havipUrn = urnOf(TYPES.havip, "havip");
  const eipUrn = urnOf(TYPES.eip, "eip");
  const goodStack = (): pb.AnalyzerResource[] => [
    stackResource(TYPES.subnet, "subnet", { cidrBlock: "10.0.4.0/24", vpcId: UNKNOWN_STRING }),
    stackResource(TYPES.havip, "havip", { subnetId: UNKNOWN_STRING, vpcId: UNKNOWN_STRING, vip: "10.0.4.99" }, { subnetId: [subnetUrn] }),
    stackResource(TYPES.eip, "eip", { publicIp: UNKNOWN_STRING }),
    stackResource(TYPES.havipEipAttachment, "attach", { havipId: UNKNOWN_STRING, addressIp: UNKNOWN_STRING }, { havipId: [havipUrn], addressIp: [eipUrn] }),
    stackResource(TYPES.instance, "node-1", { privateIp: "10.0.4.20", subnetId: UNKNOWN_STRING }, { subnetId: [subnetUrn] }),
    stackResource(TYPES.instance, "node-2", { privateIp: "10.0.4.21", subnetId: UNKNOWN_STRING }, { subnetId: [subnetUrn] }),
  ];

  it("passes a good first-preview stack (ids and the EIP's address still unknown) with no advisory either", async () => {
    expect(await analyzeStack(goodStack())).toEqual([]);
  });

  it("blocks a stack with one node outside the subnet and an unbound EIP", async () => {
    const bad = [
      stackResource(TYPES.subnet, "subnet", { cidrBlock: "10.0.4.0/24" }),
      stackResource(TYPES.havip, "havip", { subnetId: UNKNOWN_STRING }, { subnetId: [subnetUrn] }),
      stackResource(TYPES.eip, "eip", { publicIp: UNKNOWN_STRING }),
      stackResource(TYPES.instance, "node-1", { privateIp: "10.0.5.20", subnetId: UNKNOWN_STRING }, { subnetId: [subnetUrn] }),
    ];
    const found = await analyzeStack(bad);
    expect(found.map((d) => [d.policy, d.level])).toEqual([
      ["eip-bound-to-havip", pb.EnforcementLevel.MANDATORY],
      ["at-least-two-nodes", pb.EnforcementLevel.MANDATORY],
      ["nodes-in-havip-subnet", pb.EnforcementLevel.MANDATORY],
    ]);
  });

  // --- The real program (index.ts with the prod stack file) under the project's mocks ---------
  describe("the program's own resources (prod stack under mocks)", () => {
    let run: ProgramRun;
    beforeAll(async () => {
      run = await runWith(stackValues("prod"));
    }, 120000);

    const customs = (): Registration[] => run.registrations.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
    /** The URN the engine gives it: the parent's whole type chain, then its own type. */
    const realUrn = (r: Registration): string => {
      const chain = r.parent ? `${r.parent.split("::")[2]}$` : "";
      return `urn:pulumi:test::iam-ha::${chain}${r.type}::${r.name}`;
    };
    /** Inputs as JSON, secret wrappers kept (as the engine marshals them to analyzers). */
    const json = (v: unknown): { [k: string]: JavaScriptValue } => JSON.parse(JSON.stringify(v ?? {})) as { [k: string]: JavaScriptValue };
    const asRequest = (r: Registration, inputs: Record<string, unknown> = r.inputs): pb.AnalyzeRequest => {
      const req = request(r.type, r.name, json(inputs));
      req.setUrn(realUrn(r));
      return req;
    };
    /** Stack analysis sees outputs: the inputs plus the mock cloud's id (publicIp is in the EIP's attachment already). */
    const asStackResource = (r: Registration): pb.AnalyzerResource => {
      const res = stackResource(r.type, r.name, { ...json(r.inputs), id: `${r.name}-id` });
      res.setUrn(realUrn(r));
      res.setDependenciesList(r.dependencies);
      return res;
    };

    it("passes every resource policy, resource by resource (Remediate, then Analyze)", async () => {
      expect(customs().length).toBeGreaterThan(10);
      for (const r of customs()) {
        expect({ resource: r.name, found: await analyzeResource(asRequest(r)) }).toEqual({ resource: r.name, found: [] });
      }
    });

    it("passes every stack policy", async () => {
      expect(await analyzeStack(customs().map(asStackResource))).toEqual([]);
    });

    it("would be refused if any of its secret remote steps lost its secret marker", async () => {
      const secretSteps = customs().filter((r) => r.type === COMMAND_TYPE && JSON.stringify(r.inputs["stdin"] ?? "").includes(specialSecretSig));
      expect(secretSteps.length).toBeGreaterThanOrEqual(3); // both keepalived.conf steps and the grant
      for (const r of secretSteps) {
        const plainStdin = (r.inputs["stdin"] as { value: unknown }).value;
        const found = await analyzeResource(asRequest(r, { ...r.inputs, stdin: plainStdin }));
        expect({ step: r.name, found: found.map((d) => d.policy) }).toEqual({ step: r.name, found: ["secrets-are-secret"] });
      }
    });

    it("would be refused without its EIP attachment, or with one node", async () => {
      const withoutAttachment = customs().filter((r) => r.type !== TYPES.havipEipAttachment);
      expect((await analyzeStack(withoutAttachment.map(asStackResource))).map((d) => d.policy)).toEqual(["eip-bound-to-havip"]);
      const cvms = customs().filter((r) => r.type === TYPES.instance);
      const oneNode = customs().filter((r) => r !== cvms[1]);
      expect((await analyzeStack(oneNode.map(asStackResource))).map((d) => d.policy)).toEqual(["at-least-two-nodes"]);
    });
  });
});
