// at-least-two-nodes
import { StackValidationPolicy } from "@pulumi/policy";
import { TYPES } from "../../tencentcloud/tokens";

export const atLeastTwoNodes: StackValidationPolicy = {
  name: "at-least-two-nodes",
  description: "The stack must run at least two CVMs, or nothing can take over the VIP.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const nodes = args.resources.filter((r) => r.type === TYPES.instance);
    if (nodes.length < 2) {
      const names = nodes.length === 0 ? "none" : nodes.map((n) => `"${n.name}"`).join(", ");
      report(
        `The stack declares ${nodes.length} ${TYPES.instance} (${names}); keepalived needs at least two nodes, ` +
          "otherwise nothing can take over the HAVIP when the node holding it fails. " +
          "Fix: list at least two nodes in config iam-ha:nodes (each with a privateIp in the subnet).",
      );
    }
  },
};
