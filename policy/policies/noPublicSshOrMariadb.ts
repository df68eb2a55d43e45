// no-public-ssh-or-mariadb
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "../../tencentcloud/tokens";
import { isInternetCidr, portSpecCovers, protocolCoversTcp } from "../lib/network";
import { knownString, peek, peekArray, stringOrUnknown, UNKNOWN } from "../lib/peek";
import { label } from "../lib/resources";

const GUARDED_PORTS: ReadonlyArray<{ port: number; what: string; fix: string }> = [
  {
    port: 22,
    what: "SSH",
    fix: "restrict the source to the operators' address (config iam-ha:adminCidr, e.g. your office's /32) or a bastion's security group",
  },
  { port: 3306, what: "MariaDB", fix: "allow 3306 only from the nodes' subnet CIDR or their security group (sourceSecurityId)" },
];

interface RuleView {
  where: string;
  action: string | undefined | typeof UNKNOWN;
  cidrs: Array<string | undefined | typeof UNKNOWN>;
  protocol: string | undefined | typeof UNKNOWN;
  port: string | undefined | typeof UNKNOWN;
}

function checkRule(resourceLabel: string, rule: RuleView, report: ReportViolation): void {
  const { action, protocol, port } = rule;
  // A rule with a value unknown during preview is judged at `pulumi up`, when it is known.
  if (action === UNKNOWN || protocol === UNKNOWN || port === UNKNOWN) {
    return;
  }
  if ((action ?? "").trim().toUpperCase() !== "ACCEPT") {
    return;
  }
  const publicCidrs = rule.cidrs.filter((c): c is string => typeof c === "string" && isInternetCidr(c));
  if (publicCidrs.length === 0 || !protocolCoversTcp(protocol)) {
    return;
  }
  const wholeProtocol = protocol !== undefined && protocol.trim().toUpperCase() === "ALL";
  const described = `${rule.where} (${action} ${publicCidrs.join(" ")} protocol ${protocol ?? "ALL (default)"} port ${port ?? "all (default)"})`;
  for (const g of GUARDED_PORTS) {
    if (wholeProtocol || portSpecCovers(port, g.port)) {
      report(
        `${resourceLabel}: ${described} opens TCP ${g.port} (${g.what}) to the whole Internet (${publicCidrs.join(", ")}). ` +
          `Fix: ${g.fix}; never use 0.0.0.0/0 or ::/0 for port ${g.port}.`,
      );
    }
  }
}

export const noPublicSshOrMariadb: ResourceValidationPolicy = {
  name: "no-public-ssh-or-mariadb",
  description: "Security group rules must not open SSH (22) or MariaDB (3306) to 0.0.0.0/0 or ::/0.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type === TYPES.securityGroupRuleSet) {
      const ingresses = peekArray(peek(args.props, "ingresses"));
      if (ingresses === UNKNOWN) {
        return;
      }
      ingresses.forEach((item, i) => {
        if (item === UNKNOWN || item === null || typeof item !== "object") {
          return;
        }
        checkRule(
          label(args),
          {
            where: `ingress #${i}`,
            action: stringOrUnknown(peek(item, "action")),
            cidrs: [stringOrUnknown(peek(item, "cidrBlock")), stringOrUnknown(peek(item, "ipv6CidrBlock"))],
            protocol: stringOrUnknown(peek(item, "protocol")),
            port: stringOrUnknown(peek(item, "port")),
          },
          report,
        );
      });
    } else if (args.type === TYPES.securityGroupRule) {
      const direction = knownString(peek(args.props, "type"));
      if (direction === undefined || direction.toLowerCase() !== "ingress") {
        return;
      }
      checkRule(
        label(args),
        {
          where: "ingress rule",
          action: stringOrUnknown(peek(args.props, "policy")),
          cidrs: [stringOrUnknown(peek(args.props, "cidrIp"))],
          protocol: stringOrUnknown(peek(args.props, "ipProtocol")),
          port: stringOrUnknown(peek(args.props, "portRange")),
        },
        report,
      );
    }
  },
};
