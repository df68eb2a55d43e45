import { z } from "zod";
import { NodeConfig, SiteConfig } from "./types";
import { Problems } from "./problems";

/** Shapes of the two list keys; the checks on their values live in checks.ts. */
const nodeShape = z.strictObject({
  name: z.string(),
  privateIp: z.string(),
  priority: z.number().int().optional(),
});

const siteShape = z.strictObject({
  serverName: z.string(),
  port: z.number().int(),
  clientMaxBodySize: z.string().optional(),
});

/** The default step between node priorities: 100, 90, 80, … */
const PRIORITY_STEP = 10;
const DEFAULT_BODY_SIZE = "5m"; // the article's client_max_body_size

export function parseNodes(raw: unknown, problems: Problems): NodeConfig[] {
  const nodes = parseList("nodes", nodeShape, raw, problems);
  return nodes.map((n, i) => ({ ...n, priority: n.priority ?? 100 - PRIORITY_STEP * i }));
}

export function parseSites(raw: unknown, problems: Problems): SiteConfig[] {
  const sites = parseList("sites", siteShape, raw, problems);
  return sites.map((s) => ({ ...s, clientMaxBodySize: s.clientMaxBodySize ?? DEFAULT_BODY_SIZE }));
}

function parseList<T>(key: string, shape: z.ZodType<T>, raw: unknown, problems: Problems): T[] {
  if (raw === undefined) return [];
  const result = z.array(shape).safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const where = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    problems.add(`${key}${where}`, issue.message, `correct it in the stack file (example: Pulumi.prod.yaml)`);
  }
  return [];
}
