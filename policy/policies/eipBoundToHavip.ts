// eip-bound-to-havip
import { StackValidationPolicy } from "@pulumi/policy";
import { TYPES } from "../../tencentcloud/tokens";
import { knownString, peek } from "../lib/peek";
import { label, sameUrn } from "../lib/resources";

export const eipBoundToHavip: StackValidationPolicy = {
  name: "eip-bound-to-havip",
  description: "Every EIP must be bound to the HAVIP by a VipEipAttachment (an unbound EIP is billed as idle).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const eips = args.resources.filter((r) => r.type === TYPES.eip);
    const attachments = args.resources.filter((r) => r.type === TYPES.havipEipAttachment);
    for (const eip of eips) {
      const publicIp = knownString(peek(eip.props, "publicIp"));
      const bound = attachments.some((a) => {
        // addressIp is the EIP's publicIp, an output: during a first preview it is unknown, so
        // the link shows only as a (property) dependency on the EIP.
        const viaProperty = (a.propertyDependencies["addressIp"] ?? []).some((d) => sameUrn(d, eip));
        const viaDependency = a.dependencies.some((d) => sameUrn(d, eip));
        const addressIp = knownString(peek(a.props, "addressIp"));
        const viaValue = publicIp !== undefined && addressIp === publicIp;
        return viaProperty || viaDependency || viaValue;
      });
      if (!bound) {
        report(
          `${label(eip)} is not bound to the HAVIP: no ${TYPES.havipEipAttachment} uses its publicIp as addressIp (or depends on it). ` +
            "An EIP bound to nothing is billed as idle (about CNY 0.2/hour). " +
            "Fix: add a VipEipAttachment with { havipId: <havip>.id, addressIp: <eip>.publicIp }, or remove the EIP.",
          eip.urn,
        );
      }
    }
  },
};
